import Foundation
import Synchronization
import Testing
@testable import KnowledgeBase

/// Concurrent calls share batches: what lets eight questions asked at once take one forward pass of the built-in
/// model instead of eight.
struct BatchCoalescerTests {
    /// Records every batch the operation saw; the first one waits at `gate` until the test opens it.
    final class Recorder: Sendable {
        let batches = Mutex<[[Int]]>([])
        let started = EventCount()
        let gate = Gate()

        func run(_ inputs: [Int]) throws -> [String] {
            let first = batches.withLock { batches -> Bool in
                batches.append(inputs)
                return batches.count == 1
            }
            started.increment()
            if first { gate.pass() }
            if inputs.contains(-1) { throw EmbeddingError.invalidResponse("input -1 is refused") }
            return inputs.map { "out\($0)" }
        }
    }

    /// Yields until `count` calls wait behind the running batch (the coalescer has no event for it).
    func waitUntilWaiting(_ coalescer: BatchCoalescer<Int, String>, _ count: Int) async -> Bool {
        let deadline = ContinuousClock.now + .seconds(30)
        while coalescer.waitingCalls < count {
            if ContinuousClock.now > deadline { return false }
            await Task.yield()
        }
        return true
    }

    @Test func callsArrivingDuringABatchShareTheNextOneAndEachGetsItsOwnOutputs() async throws {
        let recorder = Recorder()
        let coalescer = BatchCoalescer<Int, String>(pool: BlockingPool(name: "test", threads: 2, queueLimit: 8),
                                                    maxWeight: 100, weight: { _ in 1 }, operation: recorder.run)
        try await withThrowingTaskGroup(of: (Int, [String]).self) { group in
            group.addTask { (0, try await coalescer.run([0])) }
            #expect(await recorder.started.reached(1))
            for call in 1...3 {
                group.addTask { (call, try await coalescer.run([call * 10, call * 10 + 1])) }
            }
            #expect(await waitUntilWaiting(coalescer, 3))
            recorder.gate.open()
            var outputs: [Int: [String]] = [:]
            for try await (call, output) in group { outputs[call] = output }
            #expect(outputs[0] == ["out0"])
            for call in 1...3 { #expect(outputs[call] == ["out\(call * 10)", "out\(call * 10 + 1)"]) }
        }
        let batches = recorder.batches.withLock { $0 }
        #expect(batches.count == 2, "the three waiting calls ran as one batch: \(batches)")
        #expect(batches.first == [0])
        #expect(batches.last.map { Set($0) } == [10, 11, 20, 21, 30, 31])
        #expect(coalescer.batchesRun == 2 && coalescer.waitingCalls == 0)
    }

    @Test func aBatchHoldsCallsUpToTheWeightLimitAndTheRestWaitForTheNext() async throws {
        let recorder = Recorder()
        let coalescer = BatchCoalescer<Int, String>(pool: BlockingPool(name: "test", threads: 1, queueLimit: 8),
                                                    maxWeight: 5, weight: { _ in 2 }, operation: recorder.run)
        try await withThrowingTaskGroup(of: [String].self) { group in
            group.addTask { try await coalescer.run([0]) }
            #expect(await recorder.started.reached(1))
            // Calls of weight 2, 4 and 2 wait: 2 + 4 and 4 + 2 are over 5, so each runs in a batch of its own.
            group.addTask { try await coalescer.run([1]) }
            #expect(await waitUntilWaiting(coalescer, 1))
            group.addTask { try await coalescer.run([2, 3]) }
            #expect(await waitUntilWaiting(coalescer, 2))
            group.addTask { try await coalescer.run([4]) }
            #expect(await waitUntilWaiting(coalescer, 3))
            group.addTask { try await coalescer.run([5]) }
            #expect(await waitUntilWaiting(coalescer, 4))
            recorder.gate.open()
            for try await _ in group {}
        }
        // [4] and [5] weigh 2 + 2, within 5: they share a batch.
        #expect(recorder.batches.withLock { $0 } == [[0], [1], [2, 3], [4, 5]])
    }

    @Test func anErrorFailsTheCallsOfItsBatchOnlyAndTheCoalescerGoesOn() async throws {
        let recorder = Recorder()
        let coalescer = BatchCoalescer<Int, String>(pool: BlockingPool(name: "test", threads: 1, queueLimit: 8),
                                                    maxWeight: 100, weight: { _ in 1 }, operation: recorder.run)
        recorder.gate.open()
        await #expect(throws: EmbeddingError.self) { try await coalescer.run([-1]) }
        #expect(try await coalescer.run([7]) == ["out7"])
        #expect(try await coalescer.run([]) == [], "no input, no batch")
        #expect(coalescer.batchesRun == 2)
    }

    @Test func aFullPoolFailsTheWaitingCallsAtOnceInsteadOfHangingThem() async throws {
        let pool = BlockingPool(name: "test", threads: 1, queueLimit: 0, advice: "raise --blocking-threads")
        let busy = Gate()
        let occupied = EventCount()
        let coalescer = BatchCoalescer<Int, String>(pool: pool, maxWeight: 100, weight: { _ in 1 },
                                                    operation: { $0.map(String.init) })
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await pool.run { _ in
                    occupied.increment()
                    busy.pass()
                }
            }
            #expect(await occupied.reached(1))
            await #expect { try await coalescer.run([1]) } throws: { error in
                guard case BlockingPoolError.saturated = error else { return false }
                return true
            }
            busy.open()
            try await group.waitForAll()
        }
        // The pool counts a job done just after handing its result over: wait until it has.
        let deadline = ContinuousClock.now + .seconds(30)
        while pool.snapshot.running > 0, ContinuousClock.now < deadline { await Task.yield() }
        #expect(try await coalescer.run([2]) == ["2"], "the coalescer starts again once the pool has room")
    }

    @Test func callsBeyondTheWaitingLimitAreRefusedAndACancelledCallLeavesTheQueue() async throws {
        let recorder = Recorder()
        let coalescer = BatchCoalescer<Int, String>(pool: BlockingPool(name: "test", threads: 1, queueLimit: 8,
                                                                       advice: "raise --blocking-queue"),
                                                    maxWeight: 100, maxWaiting: 2, weight: { _ in 1 },
                                                    operation: recorder.run)
        try await withThrowingTaskGroup(of: [String].self) { group in
            group.addTask { try await coalescer.run([0]) }
            #expect(await recorder.started.reached(1))
            group.addTask { try await coalescer.run([1]) }
            #expect(await waitUntilWaiting(coalescer, 1))
            let cancelled = Task { try await coalescer.run([2]) }
            #expect(await waitUntilWaiting(coalescer, 2))
            // Two wait: a third is refused at once, naming what to raise.
            await #expect { try await coalescer.run([3]) } throws: { error in
                guard case BlockingPoolError.saturated = error else { return false }
                return "\(error)".contains("raise --blocking-queue")
            }
            // A cancelled call leaves the queue at once and is never run.
            cancelled.cancel()
            await #expect(throws: CancellationError.self) { try await cancelled.value }
            #expect(coalescer.waitingCalls == 1)
            recorder.gate.open()
            var outputs: [[String]] = []
            for try await output in group { outputs.append(output) }
            #expect(outputs.sorted { $0[0] < $1[0] } == [["out0"], ["out1"]])
        }
        #expect(recorder.batches.withLock { $0 } == [[0], [1]])
    }
}
