import Foundation
import KnowledgeBase

/// A checked chat completion request: what to answer, with which model, and how to send it.
struct ChatCompletionPlan: Sendable {
    enum Mode: Sendable {
        /// `kb:<model>` (or `kb`): retrieval, refusal, template and citation checks as `/v1/ask`, answered by `model`.
        case grounded(model: String, question: String, history: [ChatMessage], settings: RetrievalSettings)
        /// A plain model name: the conversation goes to that Ollama model as it is, without the runbooks.
        case passthrough(model: String, messages: [ChatMessage])
    }

    var model: String
    var mode: Mode
    var options: ChatOptions
    var stream: Bool
    var includeUsage: Bool

    /// The prefix that asks for answers grounded in the runbooks.
    static let groundedPrefix = "kb:"
    /// Earlier turns a grounded answer sees, as `/v1/ask`'s `history` at most holds; older ones are dropped.
    static let maxHistory = 50
}

extension ChatCompletionRequest {
    /// Checks every field and decides how to answer; `defaultModel` answers the bare model name `kb`.
    /// - Throws: `OpenAIError` (400) naming the field that is wrong and what it must be.
    func plan(defaultModel: String) throws -> ChatCompletionPlan {
        try checkUnsupported()
        let options = try chatOptions()
        guard !model.isEmpty, model.unicodeScalars.count <= 200 else {
            throw OpenAIError.badRequest("\"model\" must be a model name of 1–200 characters; GET /v1/models lists them",
                                         param: "model")
        }
        guard !messages.isEmpty else {
            throw OpenAIError.badRequest("\"messages\" must hold at least one message", param: "messages")
        }
        let converted = try messages.enumerated().map { index, message in try Self.convert(message, index: index) }
        let stream = self.stream ?? false
        let includeUsage = stream_options?.include_usage ?? false
        guard model == "kb" || model.hasPrefix(ChatCompletionPlan.groundedPrefix) else {
            return ChatCompletionPlan(model: model, mode: .passthrough(model: model, messages: converted),
                                      options: options, stream: stream, includeUsage: includeUsage)
        }
        let chatModel = model == "kb" ? defaultModel : String(model.dropFirst(ChatCompletionPlan.groundedPrefix.count))
        guard !chatModel.isEmpty else {
            throw OpenAIError.badRequest("\"model\" \"kb:\" names no chat model; use kb:<model> as GET /v1/models "
                + "lists them, or plain \"kb\" for the server's default", param: "model")
        }
        let last = converted.count - 1
        guard converted[last].role == "user" else {
            throw OpenAIError.badRequest("the last message must be the user's question (role \"user\"), not "
                + "\"\(messages[last].role)\"", param: "messages")
        }
        do {
            try Validate.question(converted[last].content, field: "messages[\(last)].content")
        } catch let error as APIError {
            throw OpenAIError.badRequest(error.message, param: "messages")
        }
        let history = Array(converted.dropLast().suffix(ChatCompletionPlan.maxHistory))
        return ChatCompletionPlan(
            model: model,
            mode: .grounded(model: chatModel, question: converted[last].content, history: history,
                            settings: kb?.settings ?? RetrievalSettings()),
            options: options, stream: stream, includeUsage: includeUsage)
    }

    private static func convert(_ message: Message, index: Int) throws -> ChatMessage {
        let param = "messages[\(index)]"
        switch message.role {
        case "system", "developer", "user", "assistant":
            break
        case "tool", "function":
            throw OpenAIError.badRequest("\(param).role \"\(message.role)\": kb offers no tools on this endpoint, so "
                + "there are no tool results to send", param: param + ".role")
        default:
            throw OpenAIError.badRequest("\(param).role must be \"system\", \"developer\", \"user\" or \"assistant\", "
                + "not \"\(message.role)\"", param: param + ".role")
        }
        if let calls = message.tool_calls, calls != .null {
            throw OpenAIError.badRequest("\(param).tool_calls: kb offers no tools on this endpoint",
                                         param: param + ".tool_calls")
        }
        guard let content = message.content else {
            guard message.role == "assistant" else {
                throw OpenAIError.badRequest("\(param).content must be a string", param: param + ".content")
            }
            return ChatMessage(role: "assistant", content: "")
        }
        // Ollama knows "system"; "developer" is OpenAI's newer name for it.
        return ChatMessage(role: message.role == "developer" ? "system" : message.role, content: content.text)
    }

    private func checkUnsupported() throws {
        func refuse(_ param: String, _ why: String) -> OpenAIError {
            OpenAIError.badRequest("\"\(param)\" \(why)", param: param, code: "unsupported_parameter")
        }
        if let n, n != 1 { throw refuse("n", "must be 1: kb returns one choice per request") }
        if logprobs == true { throw refuse("logprobs", "is not supported: Ollama's chat API does not return them") }
        if let top_logprobs, top_logprobs != 0 { throw refuse("top_logprobs", "is not supported") }
        if let format = response_format?.type, format != "text" {
            throw refuse("response_format", "must be {\"type\":\"text\"}: answers are cited text, not \(format)")
        }
        if let tools, !tools.isEmpty { throw refuse("tools", "is not supported on this endpoint") }
        if let functions, !functions.isEmpty { throw refuse("functions", "is not supported on this endpoint") }
        if let choice = tool_choice, choice != .null, choice != .string("none"), choice != .string("auto") {
            throw refuse("tool_choice", "must be \"none\" or \"auto\": there are no tools")
        }
        if let call = function_call, call != .null, call != .string("none"), call != .string("auto") {
            throw refuse("function_call", "must be \"none\" or \"auto\": there are no functions")
        }
        if let logit_bias, !logit_bias.isEmpty {
            throw refuse("logit_bias", "is not supported: Ollama has no token biases")
        }
    }

    private func chatOptions() throws -> ChatOptions {
        func range(_ value: Double?, _ bounds: ClosedRange<Double>, _ param: String) throws -> Double? {
            guard let value else { return nil }
            guard bounds.contains(value) else {
                throw OpenAIError.badRequest("\"\(param)\" must be between \(bounds.lowerBound) and "
                    + "\(bounds.upperBound), not \(value)", param: param)
            }
            return value
        }
        var options = ChatOptions()
        options.temperature = try range(temperature, 0...2, "temperature")
        options.topP = try range(top_p, 0...1, "top_p")
        options.presencePenalty = try range(presence_penalty, -2...2, "presence_penalty")
        options.frequencyPenalty = try range(frequency_penalty, -2...2, "frequency_penalty")
        for (value, param) in [(max_tokens, "max_tokens"), (max_completion_tokens, "max_completion_tokens")] {
            if let value, !(1...1_000_000).contains(value) {
                throw OpenAIError.badRequest("\"\(param)\" must be between 1 and 1000000, not \(value)", param: param)
            }
        }
        options.maxTokens = max_completion_tokens ?? max_tokens
        if let stop = stop?.values {
            guard stop.count <= 4, stop.allSatisfy({ !$0.isEmpty && $0.unicodeScalars.count <= 500 }) else {
                throw OpenAIError.badRequest("\"stop\" holds at most 4 sequences of 1–500 characters", param: "stop")
            }
            options.stop = stop.isEmpty ? nil : stop
        }
        options.seed = seed
        return options
    }
}
