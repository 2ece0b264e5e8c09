import Foundation

extension SQLiteStore {
    /// The index of the active fingerprint's vectors with the feed position it reflects, read from one snapshot.
    ///
    /// Vectors are stored in line in a rowid table, so the scan reads the table's pages in order and copies each
    /// BLOB straight into the index. Each chunk's document comes from the chunks' (document, ordinal) index, read
    /// beforehand as one id range per document (a document's chunks are written in one transaction, so their ids are
    /// consecutive); the chunks' text is never read.
    public func loadIndex(precision: IndexPrecision) throws -> LoadedIndex {
        try loadIndex(precision: precision, reservingRows: nil)
    }

    /// The same, reserving `rows` rows instead of the counted number (tests: as when another process adds
    /// documents between the count and the scan).
    func loadIndex(precision: IndexPrecision, reservingRows rows: Int?) throws -> LoadedIndex {
        try withSnapshot { connection in
            let sequence = try Self.latestSequence(connection)
            guard let fingerprint = try Self.fingerprint(connection) else {
                return LoadedIndex(index: nil, fingerprint: nil, sequence: sequence)
            }
            var paths: [Int64: String] = [:]
            let documents = try connection.prepare("SELECT id, path FROM documents")
            while try documents.step() { paths[documents.int(0)] = documents.text(1) }
            var owners = try ChunkOwners(connection)
            let vectors = try connection.prepare("SELECT chunk_id, vector FROM vectors NOT INDEXED WHERE fingerprint = ?")
                .bind(.text(fingerprint.key))
            let index = try VectorIndex.load(
                dimension: fingerprint.dimension, reservingRows: try rows ?? Self.vectorCount(connection, fingerprint),
                precision: precision, documentPaths: paths
            ) { append in
                while try vectors.step() {
                    let chunkID = vectors.int(0)
                    // A vector whose chunk is gone (foreign keys were off) is not part of the knowledge base.
                    guard let documentID = owners.document(of: chunkID) else { continue }
                    try vectors.withBlob(1) { try append(chunkID, documentID, $0) }
                }
            }
            return LoadedIndex(index: index, fingerprint: fingerprint, sequence: sequence)
        }
    }
}

/// Which document each chunk belongs to, as one id range per document, plus single ids for a document whose chunk
/// ids are not consecutive (not written by kb in one transaction).
///
/// Read from the chunks' (document_id, ordinal) index, which holds each chunk's id: a few bytes per chunk instead of
/// the table's pages of text.
struct ChunkOwners {
    private var ranges: [(first: Int64, last: Int64, document: Int64)] = []
    private var scattered: [Int64: Int64] = [:]
    private var cursor = 0

    init(_ connection: SQLiteConnection) throws {
        var gappy: [Int64] = []
        let groups = try connection.prepare(
            "SELECT document_id, min(id), max(id), count(*) FROM chunks GROUP BY document_id")
        while try groups.step() {
            let (document, first, last, count) = (groups.int(0), groups.int(1), groups.int(2), groups.int(3))
            if last - first + 1 == count { ranges.append((first, last, document)) } else { gappy.append(document) }
        }
        ranges.sort { $0.first < $1.first }
        for document in gappy {
            let ids = try connection.prepare("SELECT id FROM chunks WHERE document_id = ?").bind(.integer(document))
            while try ids.step() { scattered[ids.int(0)] = document }
        }
    }

    /// The document of chunk `id`, or nil when there is no such chunk. Ids asked for in increasing order (the usual
    /// order of the vectors table) are answered from the range last used or the next one.
    mutating func document(of id: Int64) -> Int64? {
        if cursor < ranges.count, ranges[cursor].first <= id, id <= ranges[cursor].last { return ranges[cursor].document }
        if cursor + 1 < ranges.count, ranges[cursor + 1].first <= id, id <= ranges[cursor + 1].last {
            cursor += 1
            return ranges[cursor].document
        }
        var low = 0
        var high = ranges.count
        while low < high {
            let middle = (low + high) / 2
            if ranges[middle].last < id { low = middle + 1 } else { high = middle }
        }
        if low < ranges.count, ranges[low].first <= id {
            cursor = low
            return ranges[low].document
        }
        return scattered[id]
    }
}

