import Synchronization
@testable import KnowledgeBase

/// Hash-embedder vectors under a chosen kind/model, counting calls, failing any batch with a poisoned text.
final class FakeEmbeddingClient: EmbeddingClient {
    let kind: String
    let model: String
    let contextTokens = 512
    let preferredBatchSize: Int
    let maxConcurrentRequests = 2
    let poison: String
    private let hash = HashEmbedder(dimension: 64)
    private let calls = Mutex<[[String]]>([])

    init(kind: String = "hash", model: String = "hash-v1", batchSize: Int = 4, poison: String = "POISON") {
        self.kind = kind
        self.model = model
        self.preferredBatchSize = batchSize
        self.poison = poison
    }

    /// Every batch received, in order.
    var batches: [[String]] { calls.withLock { $0 } }
    var textCount: Int { batches.reduce(0) { $0 + $1.count } }

    func embed(_ texts: [String]) async throws -> [[Float]] {
        calls.withLock { $0.append(texts) }
        if texts.contains(where: { $0.contains(poison) }) {
            throw EmbeddingError.http(status: 500, message: "cannot embed this", url: "fake")
        }
        return texts.map(hash.vector)
    }
}
