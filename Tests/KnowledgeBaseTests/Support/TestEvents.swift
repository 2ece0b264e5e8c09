import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A count of events that tests wait on instead of sleeping: fake servers bump it when something happens (a
/// request arrived, a client hung up), tests block until it reaches a value.
///
/// The wait has a generous failsafe so a broken implementation fails the test instead of hanging the suite; the
/// failsafe is never what makes a correct implementation pass.
final class EventCount: @unchecked Sendable {
    private let condition = NSCondition()
    private var count = 0

    init() {}

    /// Records one event and wakes the waiters.
    func increment() {
        condition.lock()
        count += 1
        condition.broadcast()
        condition.unlock()
    }

    /// The number of events so far.
    var value: Int {
        condition.lock()
        defer { condition.unlock() }
        return count
    }

    /// Blocks until at least `target` events happened; false when the failsafe ran out first.
    @discardableResult
    func wait(until target: Int = 1, failsafe: Double = 30) -> Bool {
        let deadline = Date().addingTimeInterval(failsafe)
        condition.lock()
        defer { condition.unlock() }
        while count < target {
            if !condition.wait(until: deadline) { return count >= target }
        }
        return true
    }

    /// Waits, off the cooperative pool, until at least `target` events happened; false when the failsafe ran out.
    @discardableResult
    func reached(_ target: Int = 1, failsafe: Double = 30) async -> Bool {
        await withCheckedContinuation { continuation in
            Thread { continuation.resume(returning: self.wait(until: target, failsafe: failsafe)) }.start()
        }
    }
}

/// A gate that fake servers block on until the test opens it.
final class Gate: @unchecked Sendable {
    private let opened = EventCount()

    init() {}

    /// Lets every waiter, present and future, through.
    func open() { if opened.value == 0 { opened.increment() } }

    /// Whether the gate is open.
    var isOpen: Bool { opened.value > 0 }

    /// Blocks until the gate is open (or the failsafe runs out, so a broken test cannot hang the suite).
    func pass(failsafe: Double = 30) { opened.wait(until: 1, failsafe: failsafe) }
}

/// A TCP port on 127.0.0.1 that refuses connections: bound (so no one else can take it) but never listening.
///
/// Replaces "nothing listens on port 9", which is true only on machines where nothing does. Call `release()` when
/// done (in a `defer`, which also keeps it alive until then).
final class RefusingPort: @unchecked Sendable {
    let port: Int
    private let socketFD: Int32
    private let lock = NSLock()
    private var released = false

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EMFILE) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else {
            close(fd)
            throw POSIXError(.EADDRINUSE)
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        withUnsafeMutablePointer(to: &address) {
            _ = $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        port = Int(UInt16(bigEndian: address.sin_port))
        socketFD = fd
    }

    /// Frees the port.
    func release() {
        lock.withLock {
            if !released { close(socketFD) }
            released = true
        }
    }

    deinit { release() }

    var url: String { "http://127.0.0.1:\(port)" }
}
