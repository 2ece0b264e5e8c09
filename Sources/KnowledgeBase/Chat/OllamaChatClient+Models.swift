import Foundation

extension OllamaChatClient {
    private struct Tags: Decodable {
        struct Model: Decodable {
            struct Details: Decodable { var family: String?; var families: [String]? }
            var name: String
            var modified_at: String?
            var details: Details?
        }
        var models: [Model]
    }

    private struct Show: Decodable { var capabilities: [String]? }

    /// The chat models Ollama has: `GET /api/tags`, then each model's capabilities from `POST /api/show`.
    ///
    /// Ollama reports capabilities since 0.6; when `/api/show` says nothing, a model of a BERT family (the embedding
    /// models: all-minilm, nomic-embed-text, mxbai-embed-large, bge-m3) is taken for an embedding model.
    /// - Throws: `ChatError.unreachable` when Ollama cannot be reached, `.http` when it refuses.
    public func models() async throws -> [ChatModelInfo] {
        let reply: HTTPReply
        do {
            reply = try await CurlRequest.get(url: host + "/api/tags", connectTimeout: connectTimeout, timeout: 30,
                                         pool: pool)
        } catch let failure as CurlFailure {
            throw ChatError.unreachable(host: host, reason: failure.message)
        }
        guard reply.status == 200 else {
            throw Self.classify(status: reply.status, body: reply.body, model: "", host: host)
        }
        guard let tags = try? JSONDecoder().decode(Tags.self, from: reply.body) else {
            throw ChatError.invalidResponse("/api/tags: " + String(decoding: reply.body.prefix(200), as: UTF8.self))
        }
        return try await withThrowingTaskGroup(of: (Int, ChatModelInfo?).self) { group in
            for (index, model) in tags.models.enumerated() {
                group.addTask {
                    let capabilities = await capabilities(of: model.name)
                    let families = (model.details?.families ?? []) + [model.details?.family ?? ""]
                    let isChat = capabilities.map { $0.contains("completion") }
                        ?? !families.contains { $0.lowercased().contains("bert") }
                    return (index, isChat ? ChatModelInfo(name: model.name, modified: Self.seconds(model.modified_at))
                        : nil)
                }
            }
            var found: [(Int, ChatModelInfo)] = []
            for try await case let (index, model?) in group { found.append((index, model)) }
            return found.sorted { $0.0 < $1.0 }.map(\.1)
        }
    }

    // nil when Ollama does not say (older versions, or the request failed).
    private func capabilities(of model: String) async -> [String]? {
        guard let body = try? JSONEncoder().encode(["model": model]),
              let reply = try? await CurlRequest.postJSON(url: host + "/api/show", body: body,
                                                          connectTimeout: connectTimeout, timeout: 30, pool: pool),
              reply.status == 200 else { return nil }
        return (try? JSONDecoder().decode(Show.self, from: reply.body))?.capabilities
    }

    /// RFC 3339 with or without fractional seconds (Go writes nanoseconds) to seconds since 1970; 0 when unreadable.
    static func seconds(_ text: String?) -> Int {
        guard let text else { return 0 }
        // Foundation's ISO 8601 parser takes at most milliseconds: cut the fraction to three digits.
        var trimmed = text
        if let dot = text.firstIndex(of: ".") {
            let digits = text[text.index(after: dot)...].prefix { $0.isNumber }
            let rest = text[text.index(after: dot)...].dropFirst(digits.count)
            trimmed = String(text[..<dot]) + "." + String(digits.prefix(3)).padding(toLength: 3, withPad: "0", startingAt: 0) + rest
        }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: trimmed) { return Int(date.timeIntervalSince1970) }
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: text).map { Int($0.timeIntervalSince1970) } ?? 0
    }
}
