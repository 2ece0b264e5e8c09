import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
@testable import KnowledgeBaseServer
#if canImport(Glibc)
import Glibc
#endif

/// Bodies whose framing is broken or too large for its route, sent as raw bytes to a live server (Scripts/fuzz-http
/// found these as 500s): a client's mistake in the body is a 4xx.
struct RequestFramingTests {
    static func chunked(_ body: String, chunkSize: Int = 7, ending: String = "0\r\n\r\n") -> String {
        var out = ""
        var rest = Substring(body)
        while !rest.isEmpty {
            let piece = rest.prefix(chunkSize)
            out += String(piece.utf8.count, radix: 16) + "\r\n" + piece + "\r\n"
            rest = rest.dropFirst(piece.count)
        }
        return out + ending
    }

    static func post(_ path: String, headers: String, body: String) -> String {
        "POST \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nAccept: application/json\r\n"
            + headers + "Connection: close\r\n\r\n" + body
    }

    @Test func aBadChunkSizeIs400() async throws {
        let server = try await TestServer()
        defer { server.cleanUp() }
        try await server.application.test(.live) { client in
            let raw = Self.post("/v1/query", headers: "Transfer-Encoding: chunked\r\n",
                                body: Self.chunked(#"{"question":"disk"}"#, ending: "zz\r\n"))
            let reply = try await RawHTTP.exchange(port: try #require(client.port), raw)
            #expect(reply.status == 400, "\(reply.text)")
            #expect(reply.text.contains("malformed_body"), "\(reply.text)")
        }
    }

    @Test func aBodyShorterThanItsContentLengthIs400() async throws {
        let server = try await TestServer()
        defer { server.cleanUp() }
        try await server.application.test(.live) { client in
            let body = #"{"question":"disk"}"#
            let raw = Self.post("/v1/query", headers: "Content-Length: \(body.utf8.count + 50)\r\n", body: body)
            // The client sends less than it announced and closes its side: the body ends early.
            let reply = try await RawHTTP.exchange(port: try #require(client.port), raw, closeWrite: true)
            #expect(reply.status == 400, "\(reply.text)")
        }
    }

    @Test(arguments: ["/v1/query", "/v1/ask", "/v1/documents", "/v1/chat/completions", "/mcp"])
    func aChunkedBodyOverTheLimitIs413(path: String) async throws {
        var configuration = ServerConfiguration()
        configuration.maxQueryBytes = 1024
        configuration.maxDocumentBytes = 2048
        configuration.maxChatBytes = 2048
        let server = try await TestServer(configuration: configuration)
        defer { server.cleanUp() }
        try await server.application.test(.live) { client in
            let body = #"{"question":""# + String(repeating: "a", count: 5000) + #""}"#
            let raw = Self.post(path, headers: "Transfer-Encoding: chunked\r\n", body: Self.chunked(body, chunkSize: 1000))
            let reply = try await RawHTTP.exchange(port: try #require(client.port), raw)
            #expect(reply.status == 413, "\(reply.text)")
            #expect(reply.text.contains("body_too_large"), "\(reply.text)")
        }
    }
}

/// One request as raw bytes on a new connection, the answer read until the server closes it (bounded by a 30 s
/// receive timeout, which a passing test never reaches).
enum RawHTTP {
    struct Reply: Sendable {
        var status: Int
        var text: String
    }

    static func exchange(port: Int, _ request: String, closeWrite: Bool = false) async throws -> Reply {
        try await withCheckedThrowingContinuation { continuation in
            Thread {
                continuation.resume(with: Result { try blockingExchange(port: port, Array(request.utf8), closeWrite) })
            }.start()
        }
    }

    struct SocketError: Error, CustomStringConvertible {
        var description: String
    }

    private static func blockingExchange(port: Int, _ bytes: [UInt8], _ closeWrite: Bool) throws -> Reply {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw SocketError(description: "socket() failed") }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 30, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw SocketError(description: "connect() to port \(port) failed") }
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { break }   // the server may answer and close before it has read everything
            sent += n
        }
        if closeWrite { shutdown(fd, Int32(SHUT_WR)) }
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            received += buffer[0..<n]
        }
        let text = String(decoding: received, as: UTF8.self)
        let statusLine = text.split(separator: "\r\n", maxSplits: 1).first ?? ""
        let parts = statusLine.split(separator: " ")
        guard parts.count >= 2, let status = Int(parts[1]) else {
            throw SocketError(description: "no HTTP response: \(text.prefix(200))")
        }
        return Reply(status: status, text: text)
    }
}
