import Foundation

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
