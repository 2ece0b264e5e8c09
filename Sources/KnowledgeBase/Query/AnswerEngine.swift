/// Retrieval, prompt and sources for one question, ready to be answered.
public struct PreparedAnswer: Sendable {
    public var query: QueryResult
    /// System message, earlier turns, then the context and question.
    public var messages: [ChatMessage]
    /// True when no source reached the minimum score: the answer is a refusal and no model is called.
    public var refused: Bool
    /// Source numbers the model was given.
    public var sourceNumbers: Set<Int>
}

/// Answers questions from the runbooks: retrieves sources, then streams a chat model's cited answer.
public struct AnswerEngine: Sendable {
    public let queryEngine: QueryEngine
    public let chat: any ChatClient
    public var chatModel: String

    /// What kb says, without calling a model, when no source reaches the minimum score.
    public static let refusal = "The runbooks do not cover this question: no passage in the knowledge base matched "
        + "it closely enough, so there is nothing to answer from."

    public init(queryEngine: QueryEngine, chat: any ChatClient, chatModel: String) {
        self.queryEngine = queryEngine
        self.chat = chat
        self.chatModel = chatModel
    }

    /// Retrieves sources and builds the chat messages; throws before anything is streamed.
    public func prepare(_ question: String, options: QueryOptions = QueryOptions(), history: [ChatMessage] = [])
        async throws -> PreparedAnswer
    {
        let query = try await queryEngine.query(question, options: options)
        let sources = query.results.map { PromptSource(number: $0.rank, path: $0.path, heading: $0.heading, text: $0.text) }
        let parts = queryEngine.promptBuilder.messages(question: query.question, sources: sources)
        let messages = [ChatMessage(role: "system", content: parts.system)] + history
            + [ChatMessage(role: "user", content: parts.user)]
        return PreparedAnswer(query: query, messages: messages, refused: query.results.isEmpty,
                              sourceNumbers: Set(sources.prefix(parts.included).map(\.number)))
    }

    /// Streams the answer; a refusal is streamed as one token without calling the model.
    public func stream(_ prepared: PreparedAnswer, model: String? = nil) -> AsyncThrowingStream<ChatEvent, any Error> {
        guard !prepared.refused else {
            return AsyncThrowingStream { continuation in
                continuation.yield(.token(Self.refusal))
                continuation.yield(.done(ChatStats(doneReason: "refused")))
                continuation.finish()
            }
        }
        return chat.chat(model: model ?? chatModel, messages: prepared.messages)
    }
}
