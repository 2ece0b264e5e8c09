import Foundation
import KnowledgeBase

/// The body of `POST /v1/chat/completions`, as OpenAI defines it, plus the `kb` extension object.
///
/// Fields kb cannot honour (`n` > 1, `logprobs`, `tools`, a JSON `response_format`) are refused with a 400 naming
/// them; fields that change nothing about the answer (`user`, `store`, `metadata`, …) are accepted and ignored.
struct ChatCompletionRequest: Decodable, Sendable {
    struct Message: Decodable, Sendable {
        var role: String
        var content: Content?
        var name: String?
        var tool_calls: JSONValue?
        var tool_call_id: String?
    }

    /// A message's content: a string, or an array of parts of which only `text` parts are understood.
    struct Content: Decodable, Sendable {
        var text: String
        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let text = try? container.decode(String.self) {
                self.text = text
                return
            }
            struct Part: Decodable { var type: String; var text: String? }
            guard let parts = try? container.decode([Part].self) else {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription:
                    "must be a string or an array of {\"type\":\"text\",\"text\":…} parts"))
            }
            if let other = parts.first(where: { $0.type != "text" || $0.text == nil }) {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription:
                    "only text parts are supported, not \"\(other.type)\""))
            }
            text = parts.compactMap(\.text).joined(separator: "\n")
        }
    }

    /// `"stop": "x"` or `"stop": ["x", "y"]`.
    struct Stop: Decodable, Sendable {
        var values: [String]
        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let one = try? container.decode(String.self) {
                values = [one]
            } else if let many = try? container.decode([String].self) {
                values = many
            } else {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                                                        debugDescription: "must be a string or an array of strings"))
            }
        }
    }

    struct StreamOptions: Decodable, Sendable { var include_usage: Bool? }
    struct ResponseFormat: Decodable, Sendable { var type: String }

    /// `kb`: retrieval settings of grounded answers, with unknown keys refused like unknown top-level fields.
    struct Extension: Decodable, Sendable {
        var settings: RetrievalSettings
        init(from decoder: any Decoder) throws {
            struct AnyKey: CodingKey {
                var stringValue: String
                var intValue: Int? { nil }
                init(stringValue: String) { self.stringValue = stringValue }
                init?(intValue: Int) { nil }
            }
            let unknown = try decoder.container(keyedBy: AnyKey.self).allKeys.map(\.stringValue)
                .filter { !RetrievalSettings.fields.contains($0) }.sorted()
            guard unknown.isEmpty else {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription:
                    "unknown field \(unknown.map { "\"\($0)\"" }.joined(separator: ", ")); allowed: "
                        + RetrievalSettings.fields.sorted().joined(separator: ", ")))
            }
            settings = try RetrievalSettings(from: decoder)
        }
    }

    var model: String
    var messages: [Message]
    var stream: Bool?
    var stream_options: StreamOptions?
    var temperature: Double?
    var top_p: Double?
    var max_tokens: Int?
    var max_completion_tokens: Int?
    var stop: Stop?
    var seed: Int?
    var presence_penalty: Double?
    var frequency_penalty: Double?
    var n: Int?
    var logprobs: Bool?
    var top_logprobs: Int?
    var response_format: ResponseFormat?
    var tools: [JSONValue]?
    var tool_choice: JSONValue?
    var parallel_tool_calls: Bool?
    var functions: [JSONValue]?
    var function_call: JSONValue?
    var logit_bias: [String: Double]?
    var user: String?
    var store: Bool?
    /// OpenAI's string-to-string tags for stored completions; kb stores none, so they are checked and ignored.
    var metadata: [String: String]?
    var service_tier: String?
    var kb: Extension?

    static let fields: Set<String> = [
        "model", "messages", "stream", "stream_options", "temperature", "top_p", "max_tokens",
        "max_completion_tokens", "stop", "seed", "presence_penalty", "frequency_penalty", "n", "logprobs",
        "top_logprobs", "response_format", "tools", "tool_choice", "parallel_tool_calls", "functions",
        "function_call", "logit_bias", "user", "store", "metadata", "service_tier", "kb",
    ]
}
