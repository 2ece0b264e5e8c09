import KnowledgeBase

/// Which chat models a client may name (in `/v1/ask`'s and `/v1/chat/completions`' `model`): the configured chat
/// model always, plus those of `--chat-models` (`KB_CHAT_MODELS`); `*` allows any model Ollama has.
///
/// Names compare as Ollama does: case-insensitively, with `:latest` and the default registry left out.
public struct ChatModelPolicy: Sendable, Equatable {
    /// Canonical names allowed besides the configured model; nil allows any.
    public var allowed: Set<String>?

    /// Only the configured chat model.
    public static let onlyDefault = ChatModelPolicy(allowed: [])
    /// Any model.
    public static let any = ChatModelPolicy(allowed: nil)

    public init(allowed: Set<String>?) {
        self.allowed = allowed.map { Set($0.map(OllamaConfiguration.canonicalModel)) }
    }

    /// From `a,b,c` (spaces ignored); `*` anywhere allows any; nil or empty allows only the configured model.
    public init(list: String?) {
        let names = (list ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
        self.init(allowed: names.contains("*") ? nil : Set(names))
    }

    public func allows(_ model: String, defaultModel: String) -> Bool {
        guard let allowed else { return true }
        let name = OllamaConfiguration.canonicalModel(model)
        return name == OllamaConfiguration.canonicalModel(defaultModel) || allowed.contains(name)
    }

    /// Throws a 403 naming the flag that allows `model`, unless it is allowed.
    func check(_ model: String, defaultModel: String) throws {
        guard !allows(model, defaultModel: defaultModel) else { return }
        let names = ([defaultModel] + (allowed ?? []).sorted()).joined(separator: ", ")
        throw APIError(.forbidden, code: "model_not_allowed",
                       "the chat model \"\(model)\" is not allowed on this server (allowed: \(names)); start kb serve "
                           + "with --chat-models \(model) (or KB_CHAT_MODELS; * allows any model)")
    }
}
