import KnowledgeBase

/// Reads a chat stream one event at a time, so a route can wait for the first event (and answer an error such as
/// an unknown model with its HTTP status) before it commits to a streamed 200.
///
/// Unchecked `Sendable`: the handler reads it until it returns, then the response body writer alone; never two
/// tasks at once.
final class ChatEventCursor: @unchecked Sendable {
    private var iterator: AsyncThrowingStream<ChatEvent, any Error>.AsyncIterator
    private var peeked: ChatEvent??

    init(_ events: AsyncThrowingStream<ChatEvent, any Error>) {
        iterator = events.makeAsyncIterator()
    }

    /// Waits for the first event without consuming it; throws what the stream throws first.
    func peek() async throws {
        if peeked == nil { peeked = .some(try await iterator.next()) }
    }

    /// The next event, or nil at the end.
    func next() async throws -> ChatEvent? {
        if let event = peeked {
            peeked = nil
            return event
        }
        return try await iterator.next()
    }
}
