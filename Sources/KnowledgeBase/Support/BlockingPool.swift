import Foundation
import Synchronization

/// Work refused by a `BlockingPool`.
public enum BlockingPoolError: Error, Sendable, CustomStringConvertible {
    /// Every thread is busy and the queue is full: the caller should retry later (HTTP: 503 with `Retry-After`).
    case saturated(pool: String, threads: Int, queued: Int, advice: String)

    public var description: String {
        switch self {
        case .saturated(let pool, let threads, let queued, let advice):
            return "too busy: all \(threads) \(pool) threads are working and \(queued) more calls are waiting; "
                + "retry in a moment" + (advice.isEmpty ? "" : ", or \(advice)")
        }
    }
}

/// Set when the task that submitted a job is cancelled; a job polls it to stop early (curl's progress callback does).
public final class BlockingCancellation: Sendable {
    private let flag = Atomic<Bool>(false)

    public init() {}

    public var isCancelled: Bool { flag.load(ordering: .acquiring) }

    func cancel() { flag.store(true, ordering: .releasing) }
}

/// A fixed number of OS threads for blocking calls (libcurl transfers, the built-in model's forward pass), with a
/// bounded queue in front, so a burst of requests can never start a thread each.
///
/// Threads start on demand up to `threads` and then stay. When `threads` jobs run and `queueLimit` wait, `run`
/// throws `BlockingPoolError.saturated` at once. A job whose task is cancelled while it waits is dropped from the
/// queue (the caller gets `CancellationError` at once); a running job sees `BlockingCancellation.isCancelled`.
public final class BlockingPool: @unchecked Sendable {
    /// What the pool is doing, for metrics.
    public struct Snapshot: Sendable, Equatable {
        public var threads: Int
        public var running: Int
        public var queued: Int
        public var rejected: Int
    }

    public let name: String
    public let threads: Int
    public let queueLimit: Int
    /// How to give the pool more room, for the error it refuses work with (e.g. which flag to raise).
    public let advice: String

    private struct Job {
        let id: UInt64
        let cancellation: BlockingCancellation
        let run: @Sendable () -> Void
        let fail: @Sendable (any Error) -> Void
    }

    // All state below is guarded by `condition`.
    private let condition = NSCondition()
    private var queue: [Job] = []
    private var started = 0
    private var running = 0
    private var rejected = 0
    private var nextID: UInt64 = 0

    /// The pool every client uses unless given another: 16 threads, 256 waiting calls.
    public static let shared = BlockingPool(name: "kb-blocking", threads: 16, queueLimit: 256)

    /// - Parameters:
    ///   - threads: at most this many OS threads, at least 1.
    ///   - queueLimit: at most this many jobs wait for a thread; 0 refuses work whenever every thread is busy.
    public init(name: String, threads: Int, queueLimit: Int, advice: String = "") {
        self.name = name
        self.threads = max(1, threads)
        self.queueLimit = max(0, queueLimit)
        self.advice = advice
    }

    public var snapshot: Snapshot {
        condition.withLock { Snapshot(threads: started, running: running, queued: queue.count, rejected: rejected) }
    }

    /// Runs `work` on one of the pool's threads and returns what it returns.
    /// - Throws: `BlockingPoolError.saturated` when the queue is full, `CancellationError` when the task is cancelled
    ///   before `work` starts, or what `work` throws.
    public func run<T: Sendable>(_ work: @escaping @Sendable (BlockingCancellation) throws -> T) async throws -> T {
        try Task.checkCancellation()
        let cancellation = BlockingCancellation()
        let id = condition.withLock {
            nextID += 1
            return nextID
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
                let job = Job(id: id, cancellation: cancellation,
                              run: { continuation.resume(with: Result { try work(cancellation) }) },
                              fail: { continuation.resume(throwing: $0) })
                if let refusal = submit(job) { continuation.resume(throwing: refusal) }
            }
        } onCancel: {
            cancellation.cancel()
            // Set before the lock is taken, so either `submit` sees the flag or this finds the job queued.
            let dropped = condition.withLock { () -> Job? in
                guard let index = queue.firstIndex(where: { $0.id == id }) else { return nil }
                return queue.remove(at: index)
            }
            dropped?.fail(CancellationError())
        }
    }

    /// Queues `job`, starting a thread if one is free to start; returns the error to fail it with instead.
    private func submit(_ job: Job) -> (any Error)? {
        condition.lock()
        defer { condition.unlock() }
        if job.cancellation.isCancelled { return CancellationError() }
        // A job waits when every started thread is busy and no more may start.
        let waiting = queue.count + running - started
        if started == threads, waiting >= queueLimit {
            rejected += 1
            return BlockingPoolError.saturated(pool: name, threads: threads, queued: max(0, waiting), advice: advice)
        }
        queue.append(job)
        if running + queue.count > started && started < threads {
            started += 1
            let thread = Thread { [self] in work() }
            thread.name = "\(name)-\(started)"
            thread.stackSize = 1 << 20
            thread.start()
        } else {
            condition.signal()
        }
        return nil
    }

    private func work() {
        while true {
            condition.lock()
            while queue.isEmpty { condition.wait() }
            let job = queue.removeFirst()
            running += 1
            condition.unlock()
            if job.cancellation.isCancelled {
                job.fail(CancellationError())
            } else {
                job.run()
            }
            condition.withLock { running -= 1 }
        }
    }
}
