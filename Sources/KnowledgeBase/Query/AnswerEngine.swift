/// Retrieval, prompt and sources for one question, ready to be answered.
public struct PreparedAnswer: Sendable {
    public var query: QueryResult
    /// System message, earlier turns, then the context and question.
    public var messages: [ChatMessage]
    /// True when the runbooks do not appear to cover the question (the refusal rule, or no source at the minimum
    /// score): the answer is a refusal and no model is called.
    public var refused: Bool
    /// Source numbers the model was given.
    public var sourceNumbers: Set<Int>
}

/// Answers questions from the runbooks: retrieves sources, then streams a chat model's cited answer.
public struct AnswerEngine: Sendable {
    public let queryEngine: QueryEngine
    public let chat: any ChatClient
    public var chatModel: String

    /// What kb says, without calling a model, when the runbooks do not appear to cover the question.
    public static let refusal = "The runbooks do not cover this question: no passage in the knowledge base matched "
        + "it closely enough, so there is nothing to answer from."

    public init(queryEngine: QueryEngine, chat: any ChatClient, chatModel: String) {
        self.queryEngine = queryEngine
        self.chat = chat
        self.chatModel = chatModel
    }

    /// Retrieves sources and builds the chat messages with `template` (default `answer`); throws before anything
    /// is streamed. With the `summarize` template the question names a runbook (stored path or id, else the best
    /// match) and all of its chunks are the sources.
    public func prepare(_ question: String, options: QueryOptions = QueryOptions(), history: [ChatMessage] = [],
                        template: PromptTemplate = .answer) async throws -> PreparedAnswer
    {
        // A follow-up ("and on the replicas?") is retrieved with the earlier question's key words added, as in
        // `kb chat`; the model still sees the question as asked.
        let retrieval = QueryRewriter.standalone(question, previousQuestions: history.filter { $0.role == "user" }
            .map(\.content))
        var query = template.name == "summarize"
            ? try await wholeDocument(question, options: options)
            : try await queryEngine.query(retrieval, options: options)
        if template.name != "summarize" && retrieval != question { query.question = question }
        let sources = query.results.map { PromptSource(number: $0.rank, path: $0.path, heading: $0.heading, text: $0.text) }
        var builder = queryEngine.promptBuilder
        builder.template = template
        let parts = builder.messages(question: query.question, sources: sources)
        let messages = [ChatMessage(role: "system", content: parts.system)] + history
            + [ChatMessage(role: "user", content: parts.user)]
        return PreparedAnswer(query: query, messages: messages, refused: query.refused || query.results.isEmpty,
                              sourceNumbers: Set(sources.prefix(parts.included).map(\.number)))
    }

    // The chunks of one runbook, in order, as if retrieved: by stored path, by id, or the best match's document.
    private func wholeDocument(_ reference: String, options: QueryOptions) async throws -> QueryResult {
        let store = queryEngine.catalog.store
        let trimmed = reference.trimmingSpaces()
        var document = try store.document(path: trimmed)
        if document == nil, let id = Int64(trimmed) { document = try store.document(id: id) }
        var result: QueryResult
        if let document {
            result = QueryResult(question: trimmed, mode: options.mode, results: [], prompt: "",
                                 timings: QueryTimings(embed: 0, search: 0, total: 0))
            result.results = try store.chunks(documentID: document.id).enumerated().map { offset, chunk in
                QueryHit(rank: offset + 1, chunkID: chunk.id, path: chunk.path, heading: chunk.heading, score: 1,
                         text: chunk.text, lines: [chunk.firstLine, chunk.lastLine])
            }
            return result
        }
        result = try await queryEngine.query(trimmed, options: QueryOptions(k: 1, minScore: options.minScore,
                                                                             pathPrefix: options.pathPrefix))
        guard let best = result.results.first else { return result }
        let score = best.score
        result.results = try store.chunks(documentID: try store.document(path: best.path)?.id ?? -1).enumerated().map {
            QueryHit(rank: $0.offset + 1, chunkID: $0.element.id, path: $0.element.path, heading: $0.element.heading,
                     score: score, text: $0.element.text, lines: [$0.element.firstLine, $0.element.lastLine])
        }
        return result
    }

    /// Streams the answer; a refusal is streamed as one token without calling the model.
    public func stream(_ prepared: PreparedAnswer, model: String? = nil, options: ChatOptions = ChatOptions())
        -> AsyncThrowingStream<ChatEvent, any Error>
    {
        guard !prepared.refused else {
            return AsyncThrowingStream { continuation in
                continuation.yield(.token(Self.refusal))
                continuation.yield(.done(ChatStats(doneReason: "refused")))
                continuation.finish()
            }
        }
        return chat.chat(model: model ?? chatModel, messages: prepared.messages, options: options)
    }
}
