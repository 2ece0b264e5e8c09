/// Embeds many texts through an `EmbeddingClient`: in batches, a bounded number in flight, and with a failing
/// batch split in halves until the text that fails is isolated, so every other text still gets its vector.
public struct BatchEmbedder: Sendable {
    public let client: any EmbeddingClient

    public init(client: any EmbeddingClient) {
        self.client = client
    }

    /// Embeds all `texts` or throws the first error. Order is kept.
    public func embedAll(_ texts: [String]) async throws -> [[Float]] {
        let labelled = texts.map { (label: "", text: $0) }
        var vectors: [[Float]] = []
        vectors.reserveCapacity(texts.count)
        for result in try await embed(labelled) { vectors.append(try result.get()) }
        return vectors
    }

    /// Embeds every text; a text that fails on its own gets a failure naming its `label`.
    ///
    /// - Throws: only fatal errors (embedder unreachable, model missing), which no split can cure.
    public func embed(_ items: [(label: String, text: String)]) async throws -> [Result<[Float], EmbeddingError>] {
        let size = max(1, client.preferredBatchSize)
        let batches = stride(from: 0, to: items.count, by: size).map { $0..<min($0 + size, items.count) }
        var results = [Result<[Float], EmbeddingError>?](repeating: nil, count: items.count)
        try await withThrowingTaskGroup(of: (Range<Int>, [Result<[Float], EmbeddingError>]).self) { group in
            var next = 0
            func startNext() {
                guard next < batches.count else { return }
                let range = batches[next]
                next += 1
                let slice = Array(items[range])
                group.addTask { (range, try await embedIsolating(slice)) }
            }
            for _ in 0..<max(1, client.maxConcurrentRequests) { startNext() }
            while let (range, batch) = try await group.next() {
                for (offset, result) in batch.enumerated() { results[range.lowerBound + offset] = result }
                startNext()
            }
        }
        return results.map { $0! }
    }

    /// Embeds one batch; on a non-fatal failure splits it in halves and tries each, down to single texts.
    public func embedIsolating(_ items: [(label: String, text: String)]) async throws
        -> [Result<[Float], EmbeddingError>]
    {
        guard !items.isEmpty else { return [] }
        do {
            return try await client.embed(items.map(\.text)).map { .success($0) }
        } catch let error as EmbeddingError where error.isFatal {
            throw error
        } catch {
            if items.count == 1 {
                let label = items[0].label.isEmpty ? "text" : items[0].label
                return [.failure(.input(label: label, underlying: "\(error)"))]
            }
            let middle = items.count / 2
            let first = try await embedIsolating(Array(items[..<middle]))
            let second = try await embedIsolating(Array(items[middle...]))
            return first + second
        }
    }
}
