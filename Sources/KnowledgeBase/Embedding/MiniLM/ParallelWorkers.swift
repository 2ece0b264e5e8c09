import Dispatch
import Synchronization

/// Runs numbered tasks on a fixed number of worker threads, each task handed to whichever worker is free next.
///
/// Workers are GCD's (`concurrentPerform`, whose pool is as wide as the machine); the calling thread blocks until
/// every task has run. With one worker, or one task, everything runs on the calling thread.
struct ParallelWorkers: Sendable {
    let count: Int

    init(count: Int) {
        self.count = max(1, count)
    }

    private final class Counter: Sendable {
        let next = Atomic<Int>(0)
    }

    /// Calls `body(task, worker)` once for every task in `0..<tasks`; `worker` is in `0..<count`, and no two
    /// calls with the same `worker` overlap, so it can index per-worker scratch space.
    func run(tasks: Int, _ body: (_ task: Int, _ worker: Int) -> Void) {
        guard tasks > 0 else { return }
        let workers = min(count, tasks)
        guard workers > 1 else {
            for task in 0..<tasks { body(task, 0) }
            return
        }
        let counter = Counter()
        withoutActuallyEscaping(body) { body in
            let box = UncheckedBox(body)
            DispatchQueue.concurrentPerform(iterations: workers) { worker in
                while true {
                    let task = counter.next.wrappingAdd(1, ordering: .relaxed).oldValue
                    guard task < tasks else { return }
                    box.value(task, worker)
                }
            }
        }
    }
}

/// Carries a non-Sendable closure into `concurrentPerform`, which runs it only while `run` waits.
private struct UncheckedBox<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
