import Synchronization

/// Wraps a client and counts the embedding calls made through it.
public final class CountingEmbeddingClient: EmbeddingClient {
    public let base: any EmbeddingClient
    private let calls = Atomic<Int>(0)
    private let texts = Atomic<Int>(0)

    public init(_ base: any EmbeddingClient) {
        self.base = base
    }

    public var kind: String { base.kind }
    public var model: String { base.model }
    public var contextTokens: Int { base.contextTokens }
    public var preferredBatchSize: Int { base.preferredBatchSize }
    public var maxConcurrentRequests: Int { base.maxConcurrentRequests }

    /// Calls to `embed` so far (one per batch request, including those of split batches).
    public var requestCount: Int { calls.load(ordering: .relaxed) }
    /// Texts sent so far.
    public var textCount: Int { texts.load(ordering: .relaxed) }

    public func tokenCount(_ text: String) -> Int? { base.tokenCount(text) }

    public func embed(_ texts: [String]) async throws -> [[Float]] {
        calls.add(1, ordering: .relaxed)
        self.texts.add(texts.count, ordering: .relaxed)
        return try await base.embed(texts)
    }
}
