import KnowledgeBase
import Synchronization

/// The embedder check of `/readyz`, which anyone may call: one probe in flight at a time, shared by every
/// concurrent `/readyz`, and its outcome reused for `ttl`, so a burst of `/readyz` against a slow or hanging
/// embedder makes at most one upstream call at a time instead of one per request.
///
/// A probe that takes longer than `timeout` fails with `EmbeddingError.timedOut` and is cancelled (its libcurl
/// transfer aborts). A caller that goes away does not cancel the probe others wait on.
public actor EmbedderProbe {
    /// Monotonic time; injectable so tests move it instead of waiting.
    public typealias Now = @Sendable () -> ContinuousClock.Instant

    private let embedder: any EmbeddingClient
    private let ttl: Duration
    private let timeout: Duration
    private let now: Now
    private var cached: (outcome: Result<Void, any Error>, at: ContinuousClock.Instant)?
    private var inFlight: Task<Result<Void, any Error>, Never>?
    /// Probes started so far (each is one upstream call).
    public private(set) var probes = 0

    public init(embedder: any EmbeddingClient, ttl: Duration = .seconds(2), timeout: Duration = .seconds(5),
                now: @escaping Now = { .now }) {
        self.embedder = embedder
        self.ttl = ttl
        self.timeout = timeout
        self.now = now
    }

    /// Succeeds when the embedder answered the latest probe, which may be up to `ttl` old.
    /// - Throws: what the embedder threw, or `EmbeddingError.timedOut` after `timeout`.
    public func check() async throws {
        try await outcome().get()
    }

    private func outcome() async -> Result<Void, any Error> {
        if let cached, cached.at.duration(to: now()) < ttl { return cached.outcome }
        if let inFlight { return await inFlight.value }
        probes += 1
        let embedder = self.embedder, timeout = self.timeout
        // Unstructured, so the cancellation of the request that started it does not end it for the others.
        let task = Task { await Self.probe(embedder, timeout: timeout) }
        inFlight = task
        let outcome = await task.value
        cached = (outcome, now())
        inFlight = nil
        return outcome
    }

    /// The embed call raced against `timeout`; the loser is cancelled, and a probe that ignores cancellation is
    /// left to finish on its own rather than waited for.
    private static func probe(_ embedder: any EmbeddingClient, timeout: Duration) async -> Result<Void, any Error> {
        let call = Task { () -> Result<Void, any Error> in
            do {
                _ = try await embedder.embed(["readiness probe"])
                return .success(())
            } catch {
                return .failure(error)
            }
        }
        let seconds = Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18
        let timedOut = EmbeddingError.timedOut(url: "the readiness probe of \(embedder.kind) \(embedder.model)",
                                               seconds: seconds)
        return await withCheckedContinuation { continuation in
            let once = ResumeOnce(continuation)
            let timer = Task {
                guard (try? await Task.sleep(for: timeout)) != nil else { return }
                call.cancel()
                once.resume(.failure(timedOut))
            }
            Task {
                once.resume(await call.value)
                timer.cancel()
            }
        }
    }
}

/// Resumes a continuation with the first value it is given and ignores the rest.
private final class ResumeOnce<Value: Sendable>: Sendable {
    private let continuation: Mutex<CheckedContinuation<Value, Never>?>

    init(_ continuation: CheckedContinuation<Value, Never>) { self.continuation = Mutex(continuation) }

    func resume(_ value: Value) {
        continuation.withLock { pending in
            pending?.resume(returning: value)
            pending = nil
        }
    }
}
