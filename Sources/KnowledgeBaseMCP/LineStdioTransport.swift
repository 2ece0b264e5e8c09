import Foundation
import Logging
import MCP
#if canImport(Glibc)
import Glibc
#endif

/// MCP's stdio transport: one JSON-RPC message per line on stdin and stdout.
///
/// The SDK's `StdioTransport` switches both descriptors to non-blocking mode and polls every 10 ms when there is
/// nothing to read, which adds up to 10 ms to every request and leaves the descriptors non-blocking for whoever
/// shares them. This one reads with blocking `read` on a thread of its own and writes whole lines under a lock.
public actor LineStdioTransport: Transport {
    public nonisolated let logger: Logger
    private let input: Int32
    private let output: Int32
    private let stream: AsyncThrowingStream<Data, any Error>
    private let continuation: AsyncThrowingStream<Data, any Error>.Continuation
    private var connected = false

    public init(input: Int32 = STDIN_FILENO, output: Int32 = STDOUT_FILENO, logger: Logger) {
        self.input = input
        self.output = output
        self.logger = logger
        (stream, continuation) = AsyncThrowingStream.makeStream()
    }

    public func connect() async throws {
        guard !connected else { return }
        connected = true
        let input = self.input, continuation = self.continuation, logger = self.logger
        let thread = Thread {
            var pending = Data()
            var buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                let count = buffer.withUnsafeMutableBytes { read(input, $0.baseAddress, $0.count) }
                if count < 0 && errno == EINTR { continue }
                if count <= 0 {
                    if count < 0 { logger.error("mcp stdin read failed", metadata: ["errno": "\(errno)"]) }
                    break
                }
                pending.append(contentsOf: buffer[0..<count])
                while let newline = pending.firstIndex(of: 0x0A) {
                    let line = pending[pending.startIndex..<newline]
                    pending.removeSubrange(pending.startIndex...newline)
                    if !line.allSatisfy({ $0 == 0x20 || $0 == 0x0D || $0 == 0x09 }) { continuation.yield(Data(line)) }
                }
            }
            logger.debug("mcp stdin closed")
            continuation.finish()
        }
        thread.name = "kb-mcp-stdin"
        thread.start()
    }

    public func disconnect() async {
        connected = false
        continuation.finish()
    }

    public func send(_ data: Data) async throws {
        var line = data
        line.append(0x0A)
        var offset = 0
        while offset < line.count {
            let written = line.withUnsafeBytes { write(output, $0.baseAddress! + offset, $0.count - offset) }
            if written < 0 {
                if errno == EINTR { continue }
                throw MCPError.transportError(POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO))
            }
            offset += written
        }
    }

    public func receive() -> AsyncThrowingStream<Data, any Error> { stream }
}
