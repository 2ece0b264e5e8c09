import Foundation
import Synchronization

/// Merges calls that arrive while a batch is running into the next batch, so concurrent callers share one
/// expensive operation instead of queueing for it one by one.
///
/// The built-in model streams all its weights (90 MB) through the CPU on every forward pass, however few tokens
/// the pass holds, and its passes take turns: eight questions asked at once cost eight passes one after the other
/// when each is embedded alone, one pass when they are embedded together. A call waits only while a batch runs;
/// when none does, its own batch starts at once, so a lone caller gets no added latency.
///
/// Batches run one at a time on `pool`. A batch takes waiting calls in arrival order while their `weight` (e.g.
/// tokens) adds up to at most `maxWeight`, always at least one call; the rest wait for the next batch.
public final class BatchCoalescer<Input: Sendable, Output: Sendable>: Sendable {
    /// Runs one batch: the inputs of several calls, concatenated, in order; returns one output per input.
    public typealias Operation = @Sendable ([Input]) throws -> [Output]

    private struct Call: @unchecked Sendable {
        let inputs: [Input]
        let weight: Int
        let continuation: CheckedContinuation<[Output], any Error>
    }

    private struct State: @unchecked Sendable {
        var waiting: [Call] = []
        var running = false
        var batches = 0
    }

    private let state = Mutex(State())
    private let pool: BlockingPool
    private let maxWeight: Int
    private let weight: @Sendable (Input) -> Int
    private let operation: Operation

    public init(pool: BlockingPool, maxWeight: Int, weight: @escaping @Sendable (Input) -> Int,
                operation: @escaping Operation) {
        self.pool = pool
        self.maxWeight = maxWeight
        self.weight = weight
        self.operation = operation
    }

    /// Calls waiting for a batch (not counting those in the running one).
    public var waitingCalls: Int { state.withLock { $0.waiting.count } }

    /// Batches run so far.
    public var batchesRun: Int { state.withLock { $0.batches } }

    /// The outputs for `inputs`, computed in a batch with whatever other calls are waiting when it starts.
    ///
    /// - Throws: the operation's error (every call in that batch gets it), or `BlockingPoolError.saturated` when
    ///   the pool refuses the batch.
    public func run(_ inputs: [Input]) async throws -> [Output] {
        guard !inputs.isEmpty else { return [] }
        let total = inputs.reduce(0) { $0 + weight($1) }
        return try await withCheckedThrowingContinuation { continuation in
            let lead = state.withLock { state -> Bool in
                state.waiting.append(Call(inputs: inputs, weight: total, continuation: continuation))
                guard !state.running else { return false }
                state.running = true
                return true
            }
            // The first caller to find nothing running starts the batches; later ones ride along.
            if lead { Task { await self.drain() } }
        }
    }

    private func drain() async {
        do {
            try await pool.run { _ in
                while let calls = self.nextBatch() { self.execute(calls) }
            }
        } catch {
            // The pool refused the work (or the job was dropped): fail every waiting call, so none hangs.
            let calls = state.withLock { state -> [Call] in
                defer {
                    state.waiting = []
                    state.running = false
                }
                return state.waiting
            }
            for call in calls { call.continuation.resume(throwing: error) }
        }
    }

    /// Takes the next batch off the queue, or ends the run (under the same lock a new call checks) when none waits.
    private func nextBatch() -> [Call]? {
        state.withLock { state -> [Call]? in
            guard !state.waiting.isEmpty else {
                state.running = false
                return nil
            }
            var taken = 1
            var weight = state.waiting[0].weight
            while taken < state.waiting.count, weight + state.waiting[taken].weight <= maxWeight {
                weight += state.waiting[taken].weight
                taken += 1
            }
            let calls = Array(state.waiting.prefix(taken))
            state.waiting.removeFirst(taken)
            state.batches += 1
            return calls
        }
    }

    private func execute(_ calls: [Call]) {
        do {
            let outputs = try operation(calls.flatMap(\.inputs))
            precondition(outputs.count == calls.reduce(0) { $0 + $1.inputs.count },
                         "a batch operation must return one output per input")
            var start = 0
            for call in calls {
                call.continuation.resume(returning: Array(outputs[start..<(start + call.inputs.count)]))
                start += call.inputs.count
            }
        } catch {
            for call in calls { call.continuation.resume(throwing: error) }
        }
    }
}
