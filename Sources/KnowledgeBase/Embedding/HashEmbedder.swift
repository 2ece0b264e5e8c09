import Foundation

/// A deterministic, offline embedder: feature hashing of words and character trigrams, L2-normalised.
///
/// It is **lexical**: it matches shared words and word fragments, not meaning, so "disk is full" and
/// "no space left on device" score low. It needs no model and no server, which makes it the offline default
/// and the test double.
public struct HashEmbedder: EmbeddingClient {
    public let kind = "hash"
    public let model = "hash-v1"
    public let dimension: Int
    public let contextTokens = 512
    public let preferredBatchSize = 256
    public let maxConcurrentRequests = 1

    public init(dimension: Int = 512) {
        precondition(dimension > 0)
        self.dimension = dimension
    }

    public func embed(_ texts: [String]) async throws -> [[Float]] {
        texts.map(vector)
    }

    /// The vector for one text.
    public func vector(_ text: String) -> [Float] {
        var words: [UInt64: Int] = [:]
        var trigrams: [UInt64: Int] = [:]
        for word in Self.words(text) where !Self.stopWords.contains(word) {
            words[Self.hash(word, seed: 0x9E37_79B9), default: 0] += 1
            if word.count > 3 {
                // Character trigrams of " word " let "fsync" match "fsyncs" and split identifiers match joined ones.
                let padded = Array(" \(word) ".utf8)
                for start in 0...(padded.count - 3) {
                    trigrams[Self.hash(padded[start..<start + 3], seed: 0x85EB_CA6B), default: 0] += 1
                }
            }
        }
        var vector = [Float](repeating: 0, count: dimension)
        // Sublinear term frequency (1 + ln tf): repeating a word helps less and less. Words weigh more than
        // the fragments they share with other words.
        for (features, weight) in [(words, Float(1)), (trigrams, Float(0.2))] {
            for (hash, count) in features {
                let index = Int(hash % UInt64(dimension))
                let sign: Float = (hash >> 63) == 0 ? 1 : -1
                vector[index] += sign * weight * (1 + log(Float(count)))
            }
        }
        l2Normalise(&vector)
        return vector
    }

    /// English function words, which carry no topic and would otherwise make every text look alike.
    static let stopWords: Set<String> = [
        "a", "an", "and", "are", "as", "at", "be", "been", "but", "by", "can", "do", "does", "for", "from", "has",
        "have", "how", "i", "if", "in", "into", "is", "it", "its", "my", "no", "not", "of", "on", "or", "our",
        "should", "so", "that", "the", "their", "then", "there", "these", "this", "to", "was", "we", "what", "when",
        "where", "which", "who", "why", "will", "with", "you", "your",
    ]

    /// Lower-cased words; identifiers are also split at case changes and underscores (`kube_pod_status` →
    /// `kube`, `pod`, `status`, plus the whole identifier).
    static func words(_ text: String) -> [String] {
        var result: [String] = []
        for token in text.split(whereSeparator: { !($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") }) {
            let whole = token.lowercased().trimmingCharacters(in: "_-")
            guard !whole.isEmpty else { continue }
            result.append(whole)
            var parts: [String] = []
            var current = ""
            var previous: Character?
            for character in token {
                if character == "_" || character == "-" {
                    if !current.isEmpty { parts.append(current) }
                    current = ""
                } else {
                    if let previous, previous.isLowercase, character.isUppercase, !current.isEmpty {
                        parts.append(current)
                        current = ""
                    }
                    current.append(character)
                }
                previous = character
            }
            if !current.isEmpty { parts.append(current) }
            if parts.count > 1 { result.append(contentsOf: parts.map { $0.lowercased() }) }
        }
        return result
    }

    // FNV-1a, 64-bit, with a seed so words and trigrams land in different places.
    static func hash<Bytes: Sequence>(_ bytes: Bytes, seed: UInt64) -> UInt64 where Bytes.Element == UInt8 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325 ^ seed
        for byte in bytes {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        return hash
    }

    static func hash(_ text: String, seed: UInt64) -> UInt64 { hash(text.utf8, seed: seed) }
}
