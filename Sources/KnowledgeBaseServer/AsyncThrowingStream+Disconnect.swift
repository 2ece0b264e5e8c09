import NIOCore

extension AsyncThrowingStream where Failure == any Error, Element: Sendable {
    /// This stream, ended with `CancellationError` when the client hangs up, which cancels the stream's producer: a
    /// chat's Ollama request is aborted instead of generating an answer for no one.
    ///
    /// Hummingbird does not cancel a handler whose client went away, and a stream waiting for the next token
    /// writes nothing that could fail, so the connection itself is watched: its close, and the end of its input.
    /// Hummingbird allows half-closed connections, so a client's FIN arrives as `ChannelEvent.inputClosed` and does
    /// not close the channel; a client that half-closes on purpose after its request loses a streamed answer.
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
            let hangUp: @Sendable () -> Void = {
                continuation.finish(throwing: CancellationError())
                forward.cancel()
            }
            let watcher = HangUpWatcher(onHangUp: hangUp)
            channel.pipeline.addHandler(watcher, position: .first).whenFailure { _ in hangUp() }
            channel.closeFuture.whenComplete { _ in hangUp() }
            continuation.onTermination = { _ in
                forward.cancel()
                // Keep-alive: the connection serves the next request without this answer's watcher.
                channel.pipeline.removeHandler(watcher).whenFailure { _ in }
            }
        }
    }
}

/// Sees the end of a client's input (its FIN) before Hummingbird's handlers, which keep the connection open for a
/// response still being written.
private final class HangUpWatcher: ChannelInboundHandler, RemovableChannelHandler, Sendable {
    typealias InboundIn = NIOAny
    let onHangUp: @Sendable () -> Void

    init(onHangUp: @escaping @Sendable () -> Void) { self.onHangUp = onHangUp }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed { onHangUp() }
        context.fireUserInboundEventTriggered(event)
    }
}
