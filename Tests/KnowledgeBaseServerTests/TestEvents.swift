import Foundation

/// A count of events tests wait on instead of sleeping (the server tests' twin of KnowledgeBaseTests' EventCount).
final class EventCount: @unchecked Sendable {
    private let condition = NSCondition()
    private var count = 0

    func increment() {
        condition.lock()
        count += 1
        condition.broadcast()
        condition.unlock()
    }

    var value: Int {
        condition.lock()
        defer { condition.unlock() }
        return count
    }

    /// Blocks until at least `target` events happened; false when the (generous) failsafe ran out first.
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

    /// `wait` off the cooperative pool.
    @discardableResult
    func reached(_ target: Int = 1, failsafe: Double = 30) async -> Bool {
        await withCheckedContinuation { continuation in
            Thread { continuation.resume(returning: self.wait(until: target, failsafe: failsafe)) }.start()
        }
    }
}

/// A monotonic clock that only moves when the test says so.
final class ManualClock: @unchecked Sendable {
    private let lock = NSLock()
    private var current = ContinuousClock.now

    var now: ContinuousClock.Instant { lock.withLock { current } }

    func advance(by duration: Duration) { lock.withLock { current = current + duration } }
}

/// A gate async code waits at until the test opens it; a waiter whose task is cancelled leaves at once.
final class AsyncGate: @unchecked Sendable {
    private let lock = NSLock()
    private var isOpen = false
    private var waiters: [UUID: CheckedContinuation<Void, any Error>] = [:]
    private var cancelledEarly: Set<UUID> = []

    func open() {
        let woken = lock.withLock { () -> [CheckedContinuation<Void, any Error>] in
            isOpen = true
            defer { waiters = [:] }
            return Array(waiters.values)
        }
        for waiter in woken { waiter.resume() }
    }

    /// Returns once the gate is open.
    /// - Throws: `CancellationError` when the waiting task is cancelled first.
    func wait() async throws {
        let id = UUID()
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let outcome: Bool? = lock.withLock {
                    if isOpen { return true }
                    if cancelledEarly.remove(id) != nil { return false }
                    waiters[id] = continuation
                    return nil
                }
                switch outcome {
                case true?: continuation.resume()
                case false?: continuation.resume(throwing: CancellationError())
                case nil: break
                }
            }
        } onCancel: {
            let waiter = lock.withLock { () -> CheckedContinuation<Void, any Error>? in
                guard let waiter = waiters.removeValue(forKey: id) else {
                    cancelledEarly.insert(id)
                    return nil
                }
                return waiter
            }
            waiter?.resume(throwing: CancellationError())
        }
    }
}
