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
/// tokens) adds up to at most `maxWeight`, always at least one call; the rest wait for the next batch. At most
/// `maxWaiting` calls wait (then `run` refuses at once, as a full pool does), and a call whose task is cancelled
/// while it waits leaves the queue at once.
public final class BatchCoalescer<Input: Sendable, Output: Sendable>: Sendable {
    /// Runs one batch: the inputs of several calls, concatenated, in order; returns one output per input.
    public typealias Operation = @Sendable ([Input]) throws -> [Output]

    private struct Call: Sendable {
        let id: UInt64
        let inputs: [Input]
        let weight: Int
        let continuation: CheckedContinuation<[Output], any Error>
    }

    private struct State: Sendable {
        var waiting: [Call] = []
        var running = false
        var batches = 0
        var nextID: UInt64 = 0
        /// Calls given an id but not queued yet, and those of them cancelled already (their handler ran first).
        var announced: Set<UInt64> = []
        var cancelled: Set<UInt64> = []
    }

    private enum Start { case lead, follow, refuse(any Error) }

    private let state = Mutex(State())
    private let pool: BlockingPool
    private let maxWeight: Int
    private let maxWaiting: Int
    private let weight: @Sendable (Input) -> Int
    private let operation: Operation

    /// - Parameter maxWaiting: calls that may wait for a batch; default: the pool's queue limit.
    public init(pool: BlockingPool, maxWeight: Int, maxWaiting: Int? = nil, weight: @escaping @Sendable (Input) -> Int,
                operation: @escaping Operation) {
        self.pool = pool
        self.maxWeight = maxWeight
        self.maxWaiting = max(1, maxWaiting ?? pool.queueLimit)
        self.weight = weight
        self.operation = operation
    }

    /// Calls waiting for a batch (not counting those in the running one).
    public var waitingCalls: Int { state.withLock { $0.waiting.count } }

    /// Batches run so far.
    public var batchesRun: Int { state.withLock { $0.batches } }

    /// The outputs for `inputs`, computed in a batch with whatever other calls are waiting when it starts.
    ///
    /// - Throws: the operation's error (every call in that batch gets it), `BlockingPoolError.saturated` when
    ///   `maxWaiting` calls already wait or the pool refuses the batch, `CancellationError` when the task is
    ///   cancelled before its batch starts.
    public func run(_ inputs: [Input]) async throws -> [Output] {
        guard !inputs.isEmpty else { return [] }
        try Task.checkCancellation()
        let total = inputs.reduce(0) { $0 + weight($1) }
        let id = state.withLock { state -> UInt64 in
            state.nextID += 1
            state.announced.insert(state.nextID)
            return state.nextID
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let start = state.withLock { state -> Start in
                    state.announced.remove(id)
                    if state.cancelled.remove(id) != nil { return .refuse(CancellationError()) }
                    if state.waiting.count >= maxWaiting {
                        return .refuse(BlockingPoolError.saturated(pool: pool.name, threads: pool.threads,
                                                                   queued: state.waiting.count, advice: pool.advice))
                    }
                    state.waiting.append(Call(id: id, inputs: inputs, weight: total, continuation: continuation))
                    guard !state.running else { return .follow }
                    state.running = true
                    return .lead
                }
                switch start {
                case .refuse(let error): continuation.resume(throwing: error)
                // The first caller to find nothing running starts the batches; later ones ride along.
                case .lead: Task { await self.drain() }
                case .follow: break
                }
            }
        } onCancel: {
            // Whoever takes a call off the queue resumes it, so it is resumed exactly once.
            let dropped = state.withLock { state -> Call? in
                guard let index = state.waiting.firstIndex(where: { $0.id == id }) else {
                    // Not queued yet: it is refused when it is. Otherwise a batch has taken it and will resume it.
                    if state.announced.contains(id) { state.cancelled.insert(id) }
                    return nil
                }
                return state.waiting.remove(at: index)
            }
            dropped?.continuation.resume(throwing: CancellationError())
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
