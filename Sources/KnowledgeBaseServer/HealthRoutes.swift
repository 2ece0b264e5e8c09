import Foundation
import Hummingbird
import KnowledgeBase

/// `GET /healthz`, `GET /readyz`, `GET /metrics`.
struct HealthRoutes: Sendable {
    let dependencies: ServerDependencies

    func register(on router: Router<KBRequestContext>) {
        router.get("/healthz") { _, _ in try jsonResponse(["status": "ok"]) }
        router.restrict("/healthz", to: [.get, .head])
        router.get("/readyz") { _, _ in try await readiness() }
        router.restrict("/readyz", to: [.get, .head])
        router.get("/metrics") { request, _ -> Response in
            try dependencies.authenticator.requireRead(request)
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(string: metricsText())))
        }
        router.restrict("/metrics", to: [.get, .head])
    }

    /// Ready when the database answers, the index is loaded and the embedder answers a probe.
    func readiness() async throws -> Response {
        var checks: [String: String] = [:]
        var ready = true
        do {
            let stats = try dependencies.catalog.store.stats()
            checks["database"] = "ok (\(stats.documents) documents)"
        } catch {
            checks["database"] = notReady("database", error)
            ready = false
        }
        var lag: Double?
        do {
            let index = try dependencies.catalog.loadIndex()
            let seconds = try dependencies.catalog.lagSeconds()
            lag = seconds
            checks["index"] = "ok (\(index?.count ?? 0) vectors, change \(dependencies.catalog.sequence ?? 0), "
                + "\(String(format: "%.3f", seconds)) s behind)"
        } catch {
            checks["index"] = notReady("index", error)
            ready = false
        }
        do {
            _ = try await dependencies.embedder.embed(["readiness probe"])
            checks["embedder"] = "ok (\(dependencies.embedder.kind) \(dependencies.embedder.model))"
        } catch {
            checks["embedder"] = notReady("embedder", error)
            ready = false
        }
        struct Readiness: Encodable {
            var status: String
            var checks: [String: String]
            var index_sequence: Int64?
            var index_lag_seconds: Double?
        }
        return try jsonResponse(Readiness(status: ready ? "ready" : "not ready", checks: checks,
                                          index_sequence: dependencies.catalog.sequence, index_lag_seconds: lag),
                                status: ready ? .ok : .serviceUnavailable)
    }

    func metricsText() -> String {
        var extra: [(name: String, type: String, help: String, value: Double)] = []
        let vectors = dependencies.catalog.read { $0?.count ?? 0 }
        extra.append(("kb_index_vectors", "gauge", "Vectors held in the in-memory index.", Double(vectors)))
        let bytes = dependencies.catalog.read { $0?.vectorBytes ?? 0 }
        extra.append(("kb_index_bytes", "gauge", "Bytes of vector data in the in-memory index (fp32 or fp16 rows).",
                      Double(bytes)))
        extra.append(("kb_index_sequence", "gauge", "Last change of the store's feed applied to the in-memory index.",
                      Double(dependencies.catalog.sequence ?? 0)))
        let lag = (try? dependencies.catalog.lagSeconds()) ?? 0
        extra.append(("kb_index_lag_seconds", "gauge",
                      "Seconds since the oldest change not yet applied to the index was committed (0 when up to date).",
                      lag))
        if let ollama = dependencies.embedder as? OllamaClient {
            let counts = ollama.counts
            extra.append(("kb_embedding_requests_total", "counter", "HTTP requests sent to the embedder.",
                          Double(counts.requests)))
            extra.append(("kb_embedding_retries_total", "counter", "Embedding requests retried.", Double(counts.retries)))
            extra.append(("kb_embedding_errors_total", "counter", "Embedding requests that failed for good.",
                          Double(counts.failures)))
        }
        return dependencies.metrics.render(extra: extra)
    }
}

/// A JSON response from any `Encodable`.
func jsonResponse<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) throws -> Response {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return Response(status: status, headers: [.contentType: "application/json; charset=utf-8"],
                    body: .init(byteBuffer: ByteBuffer(data: try encoder.encode(value))))
}
