import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import KnowledgeBase
import Synchronization
import Testing
@testable import KnowledgeBaseServer

/// `/readyz` probes the embedder at most once at a time and reuses the outcome briefly; blocking work that finds
/// its pool full is refused with 503 and `Retry-After`.
struct ReadinessProbeTests {
    /// An embedder whose calls wait until `release` (or until cancelled), counting calls and cancellations.
    final class HeldEmbedder: EmbeddingClient {
        let kind = "hash", model = "hash-v1", contextTokens = 512, preferredBatchSize = 64, maxConcurrentRequests = 1
        let calls = EventCount()
        let cancelled = EventCount()
        let release = AsyncGate()
        private let hash = HashEmbedder()

        func embed(_ texts: [String]) async throws -> [[Float]] {
            calls.increment()
            do {
                try await release.wait()
            } catch {
                cancelled.increment()
                throw error
            }
            return texts.map(hash.vector)
        }
    }

    func application(_ server: TestServer, probe: EmbedderProbe) -> some ApplicationProtocol {
        var dependencies = server.dependencies
        dependencies.embedderProbe = probe
        return Application(router: buildRouter(dependencies))
    }

    @Test func concurrentReadinessChecksShareOneProbeAndReuseItsOutcome() async throws {
        let server = try await TestServer()
        defer { server.cleanUp() }
        let embedder = HeldEmbedder()
        let clock = ManualClock()
        let probe = EmbedderProbe(embedder: embedder, ttl: .seconds(2), timeout: .seconds(600), now: { clock.now })
        try await application(server, probe: probe).test(.router) { client in
            try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for _ in 0..<50 { group.addTask { try await client.send(.get, "/readyz").status } }
                #expect(await embedder.calls.reached(1))
                embedder.release.open()
                for try await status in group { #expect(status == .ok) }
            }
            // The clock has not moved: every check joined the probe in flight or reused its outcome.
            #expect(embedder.calls.value == 1)
            clock.advance(by: .seconds(1))
            #expect(try await client.send(.get, "/readyz").status == .ok)
            #expect(embedder.calls.value == 1, "an outcome younger than the cache interval is reused")
            clock.advance(by: .seconds(1.5))
            #expect(try await client.send(.get, "/readyz").status == .ok)
            #expect(embedder.calls.value == 2, "an older one is probed again")
        }
        #expect(await probe.probes == 2)
    }

    @Test func aProbeThatHangsIsCutOffAndCancelled() async throws {
        let server = try await TestServer()
        defer { server.cleanUp() }
        let embedder = HeldEmbedder()
        let probe = EmbedderProbe(embedder: embedder, ttl: .seconds(2), timeout: .milliseconds(100))
        try await application(server, probe: probe).test(.router) { client in
            let ready = try await client.send(.get, "/readyz")
            #expect(ready.status == .serviceUnavailable)
            let checks = ready.object["checks"] as? [String: String] ?? [:]
            #expect(checks["embedder"]?.contains("did not answer") == true, "\(checks)")
        }
        #expect(await embedder.cancelled.reached(1), "the hanging call was cancelled, not left running")
    }

    /// An embedder whose calls block an OS thread of `pool` until `release` opens.
    final class PoolEmbedder: EmbeddingClient {
        let kind = "hash", model = "hash-v1", contextTokens = 512, preferredBatchSize = 64, maxConcurrentRequests = 1
        let pool = BlockingPool(name: "kb-embed", threads: 1, queueLimit: 0, advice: "raise --blocking-threads")
        let entered = EventCount()
        let release = EventCount()
        private let hash = HashEmbedder()

        func embed(_ texts: [String]) async throws -> [[Float]] {
            let hash = self.hash, entered = self.entered, release = self.release
            return try await pool.run { _ in
                entered.increment()
                release.wait(until: 1)
                return texts.map(hash.vector)
            }
        }
    }

    @Test func aFullPoolIs503WithRetryAfter() async throws {
        let seeded = try await TestServer()
        defer { seeded.cleanUp() }
        let embedder = PoolEmbedder()
        var dependencies = seeded.dependencies
        dependencies.embedder = embedder
        try await Application(router: buildRouter(dependencies)).test(.router) { client in
            let first = Task { try await client.send(.post, "/v1/query", json: #"{"question":"disk full"}"#) }
            #expect(await embedder.entered.reached(1))
            let refused = try await client.send(.post, "/v1/query", json: #"{"question":"certificate"}"#)
            #expect(refused.status == .serviceUnavailable)
            #expect(refused.headers[.retryAfter] == "1")
            #expect(refused.errorCode == "busy")
            #expect(refused.errorMessage.contains("raise --blocking-threads"), "\(refused.errorMessage)")
            embedder.release.increment()
            #expect(try await first.value.status == .ok)
        }
    }
}
