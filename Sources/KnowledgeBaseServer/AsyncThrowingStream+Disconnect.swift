import NIOCore

extension AsyncThrowingStream where Failure == any Error, Element: Sendable {
    /// This stream, ended with `CancellationError` when `channel` (the client's connection) closes, which cancels
    /// the stream's producer: a chat's Ollama request is aborted instead of generating an answer for no one.
    ///
    /// Hummingbird does not cancel a handler whose client went away, and a stream waiting for the next token
    /// writes nothing that could fail, so the connection itself is watched.
    func endingWhenClosed(_ channel: (any Channel)?) -> AsyncThrowingStream<Element, any Error> {
        guard let channel else { return self }
        let source = self
        return AsyncThrowingStream { continuation in
            let forward = Task {
                do {
                    for try await element in source { continuation.yield(element) }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            channel.closeFuture.whenComplete { _ in
                continuation.finish(throwing: CancellationError())
                forward.cancel()
            }
            continuation.onTermination = { _ in forward.cancel() }
        }
    }
}
