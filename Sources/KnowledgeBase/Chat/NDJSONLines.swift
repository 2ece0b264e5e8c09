import Foundation
import Synchronization

/// Splits an NDJSON byte stream into lines, and keeps the start of an error body, both in bounded memory: a line
/// longer than `maxLineBytes` is an upstream error, not a reason to grow.
struct NDJSONLines: Sendable {
    /// Longest line accepted (one event of Ollama's is a few hundred bytes; a tool call with arguments a few KiB).
    static let maxLineBytes = 1 << 20
    /// How much of an error body is kept for the message.
    static let maxErrorBodyBytes = 64 << 10

    private var pending = Data()
    private(set) var errorBody = Data()
    let maxLine: Int

    init(maxLine: Int = NDJSONLines.maxLineBytes) {
        self.maxLine = maxLine
    }

    /// The lines completed by `bytes`, without their `\n`.
    /// - Throws: `ChatError.invalidResponse` when a line grows past `maxLine` bytes.
    mutating func lines(in bytes: UnsafeRawBufferPointer) throws -> [Data] {
        var lines: [Data] = []
        var start = 0
        for (offset, byte) in bytes.enumerated() where byte == 0x0A {
            pending.append(contentsOf: bytes[start..<offset])
            try checkLength()
            lines.append(pending)
            pending = Data()
            start = offset + 1
        }
        pending.append(contentsOf: bytes[start...])
        try checkLength()
        return lines
    }

    private func checkLength() throws {
        guard pending.count > maxLine else { return }
        throw ChatError.invalidResponse("Ollama sent a line longer than \(maxLine / 1024) KiB without a newline; "
            + "kb stops reading there instead of buffering it")
    }

    /// Keeps the start of an error body; true once `maxErrorBodyBytes` are kept (the rest need not be read).
    mutating func keepError(_ bytes: UnsafeRawBufferPointer) -> Bool {
        let room = max(0, Self.maxErrorBodyBytes - errorBody.count)
        errorBody.append(contentsOf: bytes.prefix(room))
        return errorBody.count >= Self.maxErrorBodyBytes
    }
}

/// Receives an Ollama `/api/chat` NDJSON stream on libcurl's thread: keeps the start of an error body, splits the
/// rest into lines in bounded memory and turns each line into events with `decode`. Shared by the plain and the
/// tool-calling chat, which differ only in what a line means.
final class NDJSONStreamParser<Event: Sendable>: Sendable {
    /// One line's events, and whether it ends the answer; throws a `ChatError` for an error line or a line that is
    /// not the JSON expected.
    typealias Decode = @Sendable (Data) throws -> (events: [Event], done: Bool)

    private let state = Mutex<(lines: NDJSONLines, errorStatus: Int?, finished: Bool, received: Bool)>(
        (NDJSONLines(), nil, false, false))
    private let decode: Decode
    let continuation: AsyncThrowingStream<Event, any Error>.Continuation
    let cancelled = Atomic<Bool>(false)

    init(continuation: AsyncThrowingStream<Event, any Error>.Continuation, decode: @escaping Decode) {
        self.continuation = continuation
        self.decode = decode
    }

    var finished: Bool { state.withLock { $0.finished } }
    var errorBody: Data { state.withLock { $0.lines.errorBody } }
    /// The HTTP status of an error answer, once one arrived.
    var errorStatus: Int? { state.withLock { $0.errorStatus } }
    var receivedAny: Bool { state.withLock { $0.received } }

    func receive(status: Int, bytes: UnsafeRawBufferPointer) -> Bool {
        if cancelled.load(ordering: .relaxed) { return false }
        state.withLock { $0.received = true }
        if status >= 400 {
            // Enough of the body is kept for the message; the transfer stops there (see `errorStatus`).
            return state.withLock { state in
                state.errorStatus = status
                return !state.lines.keepError(bytes)
            }
        }
        do {
            let lines = try state.withLock { try $0.lines.lines(in: bytes) }
            for line in lines where !line.allSatisfy({ $0 == 0x20 || $0 == 0x0D }) {
                let decoded = try decode(line)
                if decoded.done { state.withLock { $0.finished = true } }
                for event in decoded.events { continuation.yield(event) }
            }
        } catch {
            continuation.finish(throwing: error)
            return false
        }
        return true
    }
}
