import Foundation
import Synchronization

/// Counters and histograms kept by the server, rendered in Prometheus' text format on `GET /metrics`.
///
/// Kept per server instance (no global metrics system), so every test gets a fresh set.
public final class ServerMetrics: Sendable {
    struct Histogram {
        let buckets: [Double]
        var counts: [Int]
        var sum = 0.0
        var count = 0

        init(buckets: [Double]) {
            self.buckets = buckets
            self.counts = Array(repeating: 0, count: buckets.count)
        }

        mutating func observe(_ value: Double) {
            for (index, bound) in buckets.enumerated() where value <= bound { counts[index] += 1 }
            sum += value
            count += 1
        }
    }

    struct State {
        var requests: [String: Int] = [:]  // "route\u{0}method\u{0}status"
        var latency: [String: Histogram] = [:]  // by route
        var search = Histogram(buckets: ServerMetrics.searchBuckets)
        var embed = Histogram(buckets: ServerMetrics.requestBuckets)
        var documents: [String: Int] = [:]  // by write status
        // Answer metrics, keyed by their rendered label set (`route="/v1/ask",answer="grounded",…`).
        var answerDuration: [String: Histogram] = [:]
        var firstToken: [String: Histogram] = [:]
        var refusals: [String: Int] = [:]
        var tokens: [String: Int] = [:]
    }

    static let requestBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
    /// Whole answers: a streamed answer from a local model takes seconds to minutes.
    static let answerBuckets = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300]
    static let searchBuckets = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1]

    private let state = Mutex(State())
    /// Told of each request and answer recorded, after it is on `/metrics` (for tests to wait on).
    private let onRecord: (@Sendable (_ what: String) -> Void)?

    public init() { onRecord = nil }

    /// - Parameter onRecord: gets `"request <route>"` or `"answer <route>"` for each one recorded.
    init(onRecord: @escaping @Sendable (_ what: String) -> Void) { self.onRecord = onRecord }

    func recordRequest(route: String, method: String, status: Int, seconds: Double) {
        state.withLock { state in
            state.requests["\(route)\u{0}\(method)\u{0}\(status)", default: 0] += 1
            state.latency[route, default: Histogram(buckets: Self.requestBuckets)].observe(seconds)
        }
        onRecord?("request \(route)")
    }

    func recordQuery(embedSeconds: Double, searchSeconds: Double) {
        state.withLock { state in
            state.embed.observe(embedSeconds)
            state.search.observe(searchSeconds)
        }
    }

    /// One answer, once it ended (its last byte written, or its failure or hang-up); see `AnswerMeter`.
    func recordAnswer(_ answer: AnswerMeter.Record) {
        let base = "route=\"\(escape(answer.route))\",answer=\"\(answer.kind.rawValue)\""
        let streamed = base + ",stream=\"\(answer.stream)\""
        state.withLock { state in
            state.answerDuration[streamed + ",outcome=\"\(answer.outcome.rawValue)\"",
                                 default: Histogram(buckets: Self.answerBuckets)].observe(answer.seconds)
            if let firstToken = answer.firstTokenSeconds {
                state.firstToken[streamed, default: Histogram(buckets: Self.answerBuckets)].observe(firstToken)
            }
            if answer.outcome == .refused { state.refusals[base, default: 0] += 1 }
            for (kind, counts) in [("prompt", answer.promptTokens), ("generated", answer.generatedTokens)] {
                for (countedBy, count) in [("ollama", counts.ollama), ("kb", counts.kb)] where count > 0 {
                    state.tokens[base + ",kind=\"\(kind)\",counted_by=\"\(countedBy)\"", default: 0] += count
                }
            }
        }
        onRecord?("answer \(answer.route)")
    }

    func recordDocument(status: String) {
        state.withLock { $0.documents[status, default: 0] += 1 }
    }

    /// The text exposition; `extra` adds gauges and counters read at scrape time.
    func render(extra: [(name: String, type: String, help: String, value: Double)]) -> String {
        let state = state.withLock { $0 }
        var out = ""
        out += "# HELP kb_http_requests_total HTTP requests by route, method and status.\n"
        out += "# TYPE kb_http_requests_total counter\n"
        for (key, count) in state.requests.sorted(by: { $0.key < $1.key }) {
            let parts = key.split(separator: "\u{0}", omittingEmptySubsequences: false)
            out += "kb_http_requests_total{route=\"\(escape(parts[0]))\",method=\"\(parts[1])\",status=\"\(parts[2])\"} \(count)\n"
        }
        out += "# HELP kb_http_request_duration_seconds Time until the response was written (a streamed answer's "
            + "last byte, failure or hang-up), by route.\n"
        out += "# TYPE kb_http_request_duration_seconds histogram\n"
        for (route, histogram) in state.latency.sorted(by: { $0.key < $1.key }) {
            out += render("kb_http_request_duration_seconds", histogram, labels: "route=\"\(escape(route))\"")
        }
        out += "# HELP kb_query_search_seconds Vector search and chunk fetch time per query.\n"
        out += "# TYPE kb_query_search_seconds histogram\n"
        out += render("kb_query_search_seconds", state.search, labels: "")
        out += "# HELP kb_query_embed_seconds Question embedding time per query.\n"
        out += "# TYPE kb_query_embed_seconds histogram\n"
        out += render("kb_query_embed_seconds", state.embed, labels: "")
        out += "# HELP kb_documents_written_total Documents written over HTTP, by outcome.\n"
        out += "# TYPE kb_documents_written_total counter\n"
        for (status, count) in state.documents.sorted(by: { $0.key < $1.key }) {
            out += "kb_documents_written_total{status=\"\(status)\"} \(count)\n"
        }
        out += histograms("kb_answer_duration_seconds", state.answerDuration, help: "Whole answers, from the request "
            + "to the stream's last byte (or its failure or the client's hang-up), by route, kind (grounded, agent, "
            + "passthrough), stream and outcome (ok, refused, upstream_error, cap, cancelled, busy, error).")
        out += histograms("kb_answer_first_token_seconds", state.firstToken, help: "From the request to the model's "
            + "first token (refusals, which call no model, are left out), by route, kind and stream.")
        out += counters("kb_answers_refused_total", state.refusals, help: "Questions refused because the runbooks do "
            + "not cover them, by route and kind.")
        out += counters("kb_answer_tokens_total", state.tokens, help: "Chat-model tokens of answers, by route, kind, "
            + "kind of token (prompt, generated) and who counted them: counted_by=\"ollama\" is what Ollama reported "
            + "in its last line (prompt_eval_count, eval_count); counted_by=\"kb\" counts the streamed pieces of a turn "
            + "for which Ollama reported none (a stream cut off, a backend that sends no counts); prompt tokens are "
            + "only ever Ollama's.")
        for metric in extra {
            out += "# HELP \(metric.name) \(metric.help)\n# TYPE \(metric.name) \(metric.type)\n"
            out += "\(metric.name) \(format(metric.value))\n"
        }
        return out
    }

    /// A histogram family: HELP and TYPE, then one histogram per label set (`labels` as written in braces), sorted.
    private func histograms(_ name: String, _ byLabels: [String: Histogram], help: String) -> String {
        byLabels.sorted { $0.key < $1.key }.reduce("# HELP \(name) \(help)\n# TYPE \(name) histogram\n") {
            $0 + render(name, $1.value, labels: $1.key)
        }
    }

    /// A counter family: HELP and TYPE, then one sample per label set, sorted.
    private func counters(_ name: String, _ byLabels: [String: Int], help: String) -> String {
        byLabels.sorted { $0.key < $1.key }.reduce("# HELP \(name) \(help)\n# TYPE \(name) counter\n") {
            $0 + "\(name){\($1.key)} \($1.value)\n"
        }
    }

    private func render(_ name: String, _ histogram: Histogram, labels: String) -> String {
        let prefix = labels.isEmpty ? "" : labels + ","
        var out = ""
        for (bound, count) in zip(histogram.buckets, histogram.counts) {
            out += "\(name)_bucket{\(prefix)le=\"\(format(bound))\"} \(count)\n"
        }
        out += "\(name)_bucket{\(prefix)le=\"+Inf\"} \(histogram.count)\n"
        let braces = labels.isEmpty ? "" : "{\(labels)}"
        out += "\(name)_sum\(braces) \(format(histogram.sum))\n\(name)_count\(braces) \(histogram.count)\n"
        return out
    }

    private func format(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }

    private func escape(_ text: Substring) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
    }

    private func escape(_ text: String) -> String { escape(Substring(text)) }
}
