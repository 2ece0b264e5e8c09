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

    /// A text any embedding model embeds: when it fails too, the server is failing, not the batch's texts.
    static let controlText = "kb embedding probe"

    /// Embeds one batch; on a non-fatal failure splits it in halves and tries each, down to single texts.
    ///
    /// Before splitting, one request with a harmless control text tells a failing server from a failing text: when
    /// it fails as well, every split would fail the same way, so the batch stops at once with
    /// `EmbeddingError.serverFailing` instead of sending one request per text.
    /// - Throws: fatal `EmbeddingError`s, `.serverFailing`, and errors that are not `EmbeddingError`s
    ///   (cancellation, a full blocking pool), none of which a split can cure.
    public func embedIsolating(_ items: [(label: String, text: String)]) async throws
        -> [Result<[Float], EmbeddingError>]
    {
        guard !items.isEmpty else { return [] }
        do {
            return try await client.embed(items.map(\.text)).map { .success($0) }
        } catch let error as EmbeddingError where !error.isFatal {
            do {
                _ = try await client.embed([Self.controlText])
            } catch let control as EmbeddingError where !control.isFatal {
                throw EmbeddingError.serverFailing(batch: "\(error)", control: "\(control)")
            }
            if items.count == 1 { return [failure(items[0], error)] }
            let middle = items.count / 2
            let first = try await bisecting(Array(items[..<middle]))
            let second = try await bisecting(Array(items[middle...]))
            return first + second
        }
    }

    // Splits without the control request: the server has already been shown to work.
    private func bisecting(_ items: [(label: String, text: String)]) async throws -> [Result<[Float], EmbeddingError>] {
        guard !items.isEmpty else { return [] }
        do {
            return try await client.embed(items.map(\.text)).map { .success($0) }
        } catch let error as EmbeddingError where !error.isFatal {
            if items.count == 1 { return [failure(items[0], error)] }
            let middle = items.count / 2
            let first = try await bisecting(Array(items[..<middle]))
            let second = try await bisecting(Array(items[middle...]))
            return first + second
        }
    }

    private func failure(_ item: (label: String, text: String), _ error: EmbeddingError) -> Result<[Float], EmbeddingError> {
        .failure(.input(label: item.label.isEmpty ? "text" : item.label, underlying: "\(error)"))
    }
}
