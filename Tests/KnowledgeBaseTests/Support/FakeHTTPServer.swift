import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A request the fake server received.
struct FakeRequest: Sendable {
    var method: String
    var path: String
    var body: Data

    var json: [String: Any] { (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:] }
}

/// What the fake server answers.
struct FakeResponse: Sendable {
    var status: Int
    var body: String
    var delay: Double = 0
    /// When set, the body is sent in these pieces with `pieceDelay` between them, without a length, then the
    /// connection closes (how a streaming server looks to a client).
    var pieces: [String] = []
    var pieceDelay: Double = 0
    /// When set, the server stops after sending this many pieces (0: before anything, also without pieces) and
    /// waits until `resume` opens (then it sends the rest) or the client hangs up (counted in `hangUps`).
    var pauseAfter: Int? = nil
    var resume: Gate? = nil

    /// A server that accepts the request and never answers, until the client hangs up.
    static var hanging: FakeResponse { FakeResponse(status: 200, body: "", pauseAfter: 0) }

    static func json(_ object: Any, status: Int = 200) -> FakeResponse {
        let data = try! JSONSerialization.data(withJSONObject: object)
        return FakeResponse(status: status, body: String(decoding: data, as: UTF8.self))
    }
}

/// An in-process HTTP/1.1 server on 127.0.0.1 with an ephemeral port, one thread per connection.
///
/// Good enough for protocol tests of the Ollama client: it reads one request per connection and closes it.
final class FakeHTTPServer: Sendable {
    let port: Int
    private let socketFD: Int32
    private let handler: @Sendable (FakeRequest) -> FakeResponse
    private let received = Mutex<[FakeRequest]>([])
    private let stopped = Atomic<Bool>(false)
    /// Requests received, counted as they arrive (before the handler answers).
    let arrivals = EventCount()
    /// Connections whose client hung up while the server was paused (see `FakeResponse.pauseAfter`).
    let hangUps = EventCount()

    init(handler: @escaping @Sendable (FakeRequest) -> FakeResponse) throws {
        self.handler = handler
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 64) == 0 else { throw POSIXError(.EADDRINUSE) }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        withUnsafeMutablePointer(to: &address) {
            _ = $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        self.port = Int(UInt16(bigEndian: address.sin_port))
        self.socketFD = fd
        let thread = Thread { [self] in acceptLoop() }
        thread.start()
    }

    var url: String { "http://127.0.0.1:\(port)" }

    /// Requests received so far, in arrival order.
    var requests: [FakeRequest] { received.withLock { $0 } }

    /// Stops accepting; the accept thread closes the socket itself, so its descriptor number cannot be reused
    /// by another test's server while this thread might still call `accept` on it.
    func stop() {
        stopped.store(true, ordering: .relaxed)
        shutdown(socketFD, Int32(SHUT_RDWR))
    }

    private func acceptLoop() {
        defer { close(socketFD) }
        while true {
            let client = accept(socketFD, nil, nil)
            if stopped.load(ordering: .relaxed) {
                if client >= 0 { close(client) }
                return
            }
            if client < 0 { return }
            let thread = Thread { [self] in serve(client) }
            thread.start()
        }
    }

    private func serve(_ client: Int32) {
        defer { close(client) }
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 65536)
        var headerEnd: Range<Data.Index>?
        while headerEnd == nil {
            let count = recv(client, &buffer, buffer.count, 0)
            if count <= 0 { return }
            data.append(contentsOf: buffer[0..<count])
            headerEnd = data.range(of: Data("\r\n\r\n".utf8))
        }
        let head = String(decoding: data[..<headerEnd!.lowerBound], as: UTF8.self)
        let lines = head.components(separatedBy: "\r\n")
        let parts = lines[0].split(separator: " ")
        let length = lines.dropFirst().compactMap { line -> Int? in
            let pair = line.split(separator: ":", maxSplits: 1)
            guard pair.count == 2, pair[0].lowercased() == "content-length" else { return nil }
            return Int(pair[1].trimmingCharacters(in: .whitespaces))
        }.first ?? 0
        var body = Data(data[headerEnd!.upperBound...])
        while body.count < length {
            let count = recv(client, &buffer, buffer.count, 0)
            if count <= 0 { break }
            body.append(contentsOf: buffer[0..<count])
        }
        let request = FakeRequest(method: String(parts[0]), path: String(parts[1]), body: body)
        received.withLock { $0.append(request) }
        arrivals.increment()
        let response = handler(request)
        if response.delay > 0 { Thread.sleep(forTimeInterval: response.delay) }
        if response.pauseAfter == 0, !pauseUntilResumed(client, response.resume) { return }
        if !response.pieces.isEmpty {
            let head = "HTTP/1.1 \(response.status) X\r\nContent-Type: application/x-ndjson\r\nConnection: close\r\n\r\n"
            _ = Data(head.utf8).withUnsafeBytes { send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            for (index, piece) in response.pieces.enumerated() {
                _ = Data(piece.utf8).withUnsafeBytes { send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                if response.pieceDelay > 0 { Thread.sleep(forTimeInterval: response.pieceDelay) }
                if response.pauseAfter == index + 1, !pauseUntilResumed(client, response.resume) { return }
            }
            return
        }
        let payload = Data(response.body.utf8)
        var reply = Data("HTTP/1.1 \(response.status) X\r\nContent-Type: application/json\r\n".utf8)
        reply.append(Data("Content-Length: \(payload.count)\r\nConnection: close\r\n\r\n".utf8))
        reply.append(payload)
        _ = reply.withUnsafeBytes { send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    /// Holds the connection until `gate` opens (true) or the client hangs up or the server stops (false).
    private func pauseUntilResumed(_ client: Int32, _ gate: Gate?) -> Bool {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !stopped.load(ordering: .relaxed) {
            if gate?.isOpen == true { return true }
            var descriptor = pollfd(fd: client, events: Int16(POLLIN), revents: 0)
            // The poll interval only bounds how late an opened gate or a stop is noticed; hang-ups wake it at once.
            guard poll(&descriptor, 1, 20) >= 0 else { return false }
            if descriptor.revents != 0, recv(client, &buffer, buffer.count, 0) <= 0 {
                hangUps.increment()
                return false
            }
        }
        return false
    }
}
