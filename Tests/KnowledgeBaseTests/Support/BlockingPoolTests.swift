import Foundation
import Synchronization
import Testing
@testable import KnowledgeBase

/// The bounded pool for blocking calls: a fixed number of threads, a bounded queue, cancellation honoured.
struct BlockingPoolTests {
    /// Waits until the pool has `count` jobs queued; the pool has no event for it, so this yields until it does
    /// (never longer than the failsafe).
    func waitUntilQueued(_ pool: BlockingPool, _ count: Int) async -> Bool {
        let deadline = ContinuousClock.now + .seconds(30)
        while pool.snapshot.queued < count {
            if ContinuousClock.now > deadline { return false }
            await Task.yield()
        }
        return true
    }

    @Test func refusesAtOnceWhenEveryThreadIsBusyAndTheQueueIsFull() async throws {
        let pool = BlockingPool(name: "test", threads: 2, queueLimit: 0, advice: "raise --blocking-queue")
        let started = EventCount()
        let release = Gate()
        try await withThrowingTaskGroup(of: Int.self) { group in
            for job in 0..<2 {
                group.addTask {
                    try await pool.run { _ in
                        started.increment()
                        release.pass()
                        return job
                    }
                }
            }
            #expect(await started.reached(2))
            await #expect { try await pool.run { _ in 99 } } throws: { error in
                guard case BlockingPoolError.saturated(_, 2, _, _) = error else { return false }
                return "\(error)".contains("raise --blocking-queue")
            }
            release.open()
            var finished: [Int] = []
            for try await job in group { finished.append(job) }
            #expect(finished.sorted() == [0, 1])
        }
        // (`running` drops just after a job's result is handed over, so it is not checked here.)
        let snapshot = pool.snapshot
        #expect(snapshot.threads == 2 && snapshot.queued == 0 && snapshot.rejected == 1)
    }

    @Test func manyCallsShareTheFixedThreads() async throws {
        let pool = BlockingPool(name: "test", threads: 3, queueLimit: 1000)
        final class Names: Sendable { let seen = Mutex<Set<String>>([]) }
        let threads = Names()
        let results = try await withThrowingTaskGroup(of: Int.self) { group in
            for job in 0..<200 {
                group.addTask {
                    try await pool.run { _ in
                        let name = Thread.current.name ?? "?"
                        threads.seen.withLock { _ = $0.insert(name) }
                        return job
                    }
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results.sorted() == Array(0..<200))
        #expect(pool.snapshot.threads <= 3)
        let names = threads.seen.withLock { $0 }
        #expect(names.count <= 3, "\(names)")
    }

    @Test func aCancelledJobThatWaitsIsDroppedAndNeverRuns() async throws {
        let pool = BlockingPool(name: "test", threads: 1, queueLimit: 4)
        let started = EventCount()
        let release = Gate()
        let ran = Atomic<Bool>(false)
        let busy = Task { try await pool.run { _ in started.increment(); release.pass() } }
        #expect(await started.reached(1))
        let waiting = Task { try await pool.run { _ in ran.store(true, ordering: .relaxed) } }
        #expect(await waitUntilQueued(pool, 1))
        waiting.cancel()
        // It ends while the only thread is still busy: without the drop it would wait for `busy`, which waits for it.
        await #expect(throws: CancellationError.self) { try await waiting.value }
        #expect(!release.isOpen)
        #expect(pool.snapshot.queued == 0)
        release.open()
        try await busy.value
        #expect(ran.load(ordering: .relaxed) == false)
    }

    @Test func aRunningJobSeesTheCancellation() async throws {
        let pool = BlockingPool(name: "test", threads: 1, queueLimit: 0)
        let started = EventCount()
        let job = Task {
            try await pool.run { cancellation -> Bool in
                started.increment()
                let deadline = Date().addingTimeInterval(30)  // failsafe only
                while !cancellation.isCancelled && Date() < deadline { usleep(1000) }
                return cancellation.isCancelled
            }
        }
        #expect(await started.reached(1))
        job.cancel()
        #expect(try await job.value)
    }

    @Test func anAlreadyCancelledTaskDoesNotQueue() async throws {
        let pool = BlockingPool(name: "test", threads: 1, queueLimit: 0)
        let ran = Atomic<Bool>(false)
        let job = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await pool.run { _ in ran.store(true, ordering: .relaxed) }
        }
        await #expect(throws: CancellationError.self) { try await job.value }
        #expect(ran.load(ordering: .relaxed) == false)
        #expect(pool.snapshot.threads == 0)
    }
}
