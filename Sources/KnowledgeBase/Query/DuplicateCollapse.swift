import Foundation

/// Another document's copy of a result: the same passage, shown once, with where else it is.
public struct DuplicateCopy: Sendable, Codable, Equatable {
    public var path: String
    public var heading: String
    public var lines: [Int]

    public init(path: String, heading: String, lines: [Int]) {
        self.path = path
        self.heading = heading
        self.lines = lines
    }
}

/// Folds copies of one passage from different documents into one result.
///
/// Public runbook collections vendor each other (the same runbook under two repositories), so without this the
/// copies take several of the k places and push out the sections that answer the question. A later hit is a copy
/// of an earlier, better one when it belongs to another document and its text is the same (whitespace aside), or
/// its last heading is the same and its embedding's cosine to the earlier one's is at least `minimumCosine`.
enum DuplicateCollapse {
    /// Cosine at and above which two chunks under the same heading count as one passage (the embedded text carries
    /// the title and heading path, so copies with edits of a word or two measure 0.99 and more).
    static let minimumCosine: Float = 0.98

    /// One kept hit and the copies folded into it, best first.
    struct Group: Sendable, Equatable {
        var hit: Hit
        var copies: [Hit] = []
    }

    /// Groups `hits` (best first) until `limit` groups are formed: each hit either joins the first group whose
    /// hit it copies or starts a group. `records` must hold every hit; `rows` returns stored unit vectors by id
    /// (called once, for the hits that share a heading with a hit of another document).
    static func collapse(_ hits: [Hit], records: [Int64: ChunkRecord], limit: Int,
                         rows: (Set<Int64>) -> [Int64: [Float]]) -> [Group] {
        guard limit > 0, !hits.isEmpty else { return [] }
        // Copies rank next to each other, so a window a few times k deep finds nearly all of them; hits past it
        // are still folded when their text is the same.
        let window = hits.prefix(limit * 4 + 20)
        var headings: [Int64: String] = [:]
        func heading(_ record: ChunkRecord) -> String {
            if let known = headings[record.id] { return known }
            let last = lastHeading(record.heading)
            headings[record.id] = last
            return last
        }
        var byHeading: [String: Set<Int64>] = [:]
        for hit in window {
            guard let record = records[hit.chunkID] else { continue }
            byHeading[heading(record), default: []].insert(hit.documentID)
        }
        let wanted = Set(window.filter { hit in
            records[hit.chunkID].map { (byHeading[heading($0)]?.count ?? 0) > 1 } ?? false
        }.map(\.chunkID))
        let vectors = wanted.isEmpty ? [:] : rows(wanted)
        var groups: [Group] = []
        var digests: [Int] = []
        for hit in hits {
            guard let record = records[hit.chunkID] else { continue }
            let digest = textDigest(record.text)
            let copyOf = groups.indices.first { index in
                let kept = groups[index].hit
                guard kept.documentID != hit.documentID, let keptRecord = records[kept.chunkID] else { return false }
                // Equal digests are confirmed on the texts themselves.
                if digests[index] == digest, normalised(keptRecord.text) == normalised(record.text) { return true }
                guard heading(keptRecord) == heading(record),
                      let a = vectors[kept.chunkID], let b = vectors[hit.chunkID] else { return false }
                return dot(a, b) >= minimumCosine
            }
            if let copyOf {
                // One copy per document: a second chunk of the same document is another passage, not a copy.
                if !groups[copyOf].copies.contains(where: { $0.documentID == hit.documentID }) {
                    groups[copyOf].copies.append(hit)
                }
                continue
            }
            if groups.count == limit { break }
            groups.append(Group(hit: hit))
            digests.append(digest)
        }
        return groups
    }

    private static let headingSeparator = Array(" › ".utf8)

    /// The last part of a heading path ("Runbook › Mitigation" → "mitigation"), lower-cased.
    static func lastHeading(_ heading: String) -> String {
        let start = heading[...].lastIndex(ofUTF8: headingSeparator)
            .map { heading.utf8.index($0, offsetBy: headingSeparator.count) } ?? heading.startIndex
        var last = heading[start...]
        if last.utf8.allSatisfy({ $0 < 0x80 && $0 != 0x09 }) {
            while last.utf8.first == 0x20 { last = last.dropFirst() }
            while last.utf8.last == 0x20 { last = last.dropLast() }
            return last.lowercased()
        }
        return last.trimmingCharacters(in: .whitespaces).lowercased()
    }

    private static func normalised(_ text: String) -> String {
        text.split(whereSeparator: \.isWhitespace).joined(separator: " ")
    }

    /// A hash of `normalised(text)` (texts equal as `normalised` strings hash equal), without building the string
    /// for ASCII text: every hit of a query is compared, and most are not copies.
    static func textDigest(_ text: String) -> Int {
        var hasher = Hasher()
        var ascii = true
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var space = false
        for byte in text.utf8 {
            if byte >= 0x80 {
                ascii = false
                break
            }
            // ASCII whitespace: space, \t, \n, \v, \f, \r.
            if byte == 0x20 || (0x09...0x0D).contains(byte) {
                space = !bytes.isEmpty
                continue
            }
            if space {
                bytes.append(0x20)
                space = false
            }
            bytes.append(byte)
        }
        if ascii {
            bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
        } else {
            // A String hashes by canonical equivalence, as `==` compares: "é" precomposed or decomposed is one text.
            hasher.combine(normalised(text))
        }
        return hasher.finalize()
    }

    private static func dot(_ a: [Float], _ b: [Float]) -> Float {
        var sum: Float = 0
        for index in 0..<min(a.count, b.count) { sum += a[index] * b[index] }
        return sum
    }
}
