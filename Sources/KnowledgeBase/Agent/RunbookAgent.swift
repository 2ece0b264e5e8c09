import Foundation

/// Answers a question by letting the chat model call `search_runbooks` and `get_runbook` (Ollama tool calling)
/// until it answers, within `maxSteps` rounds of tool calls and `timeLimit`.
///
/// Passages keep one number across calls, so the answer's `[n]` citations are checked against every passage the
/// model was shown. A malformed call or a call of an unknown tool is answered to the model as a tool error and the
/// loop goes on. When the limits are reached the model is asked to answer without tools. A model that cannot call
/// tools (Ollama says so), one that answers its first turn without calling any (so nothing grounds the answer), or
/// a chat client without tool support, gets the usual single retrieval instead, with a note saying so.
public struct RunbookAgent: Sendable {
    public let answerEngine: AnswerEngine
    /// The tool-calling client; nil answers with a single retrieval (and a note).
    public let chat: (any ToolChatClient)?
    /// The model; nil uses the answer engine's.
    public var model: String?
    /// Rounds of tool calls before the model must answer.
    public var maxSteps = 4
    /// Time after which no more tool rounds start and the model must answer.
    public var timeLimit: Duration = .seconds(120)
    /// Settings every search starts from (the user's mode and `where` filters among them).
    public var options: QueryOptions

    public static let toolNames = ["search_runbooks", "get_runbook"]

    public static let instructions = """
        You answer questions from an operations team's runbooks, using tools. Call search_runbooks to find \
        passages (search again with other words if the first results miss), and get_runbook to read a whole \
        runbook when a passage is not enough. Every passage has a number like [3] that stays the same across \
        calls. Answer only from the passages, cite each claim with its number, e.g. [2], and if the passages do \
        not contain the answer, say plainly that the runbooks do not cover it. Be concise.
        """

    public init(answerEngine: AnswerEngine, chat: (any ToolChatClient)?, model: String? = nil,
                options: QueryOptions = QueryOptions()) {
        self.answerEngine = answerEngine
        self.chat = chat
        self.model = model
        self.options = options
    }

    /// Streams the agent's work and answer; ends with `.finished`, or throws a chat or retrieval error.
    public func run(_ question: String, history: [ChatMessage] = []) -> AsyncThrowingStream<AgentEvent, any Error> {
        AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    try await loop(question, history: history, emit: { continuation.yield($0) })
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    private func loop(_ question: String, history: [ChatMessage], emit: (AgentEvent) -> Void) async throws {
        let model = self.model ?? answerEngine.chatModel
        guard let chat else {
            return try await singleShot(question, history: history, model: model, emit: emit,
                                        note: "this chat client cannot call tools; answered from one search instead")
        }
        let tools = RunbookTools(queryEngine: answerEngine.queryEngine, baseOptions: options)
        let offered = tools.definitions.filter { Self.toolNames.contains($0.name) }
        let ledger = SourceLedger()
        var messages = [AgentMessage(role: "system", content: Self.instructions)]
            + history.map { AgentMessage(role: $0.role, content: $0.content) }
            + [AgentMessage(role: "user", content: question)]
        let deadline = ContinuousClock.now + timeLimit
        guard timeLimit > .zero, maxSteps > 0 else {
            return try await singleShot(question, history: history, model: model, emit: emit,
                                        note: "no time or steps for tool calls; answered from one search instead")
        }
        var steps = 0, toolTime = Duration.zero
        while true {
            let limited = steps >= maxSteps || ContinuousClock.now >= deadline
            if limited {
                messages.append(AgentMessage(role: "user", content: "You cannot call tools any more. Answer the "
                    + "question now from the numbered passages above, citing them; if they do not answer it, say so."))
            }
            // The first turn is held back: a model that answers it without calling a tool is not grounded in the
            // runbooks, and its text is replaced by the single-retrieval answer.
            var text = "", calls: [ToolCall] = []
            do {
                for try await event in chat.chat(model: model, messages: messages, tools: limited ? [] : offered) {
                    switch event {
                    case .token(let token):
                        text += token
                        if steps > 0 { emit(.token(token)) }
                    case .toolCalls(let more): calls += more
                    case .done: break
                    }
                }
            } catch let error as ChatError where error.refusesTools && steps == 0 {
                return try await singleShot(question, history: history, model: model, emit: emit,
                                            note: "the model \(model) cannot call tools (Ollama: \"\(error)\"); "
                                                + "answered from one search instead")
            }
            if steps == 0 && calls.isEmpty {
                return try await singleShot(question, history: history, model: model, emit: emit,
                                            note: "the model answered without calling a tool; answered from one "
                                                + "search instead")
            }
            if calls.isEmpty || limited {
                if !calls.isEmpty { emit(.note("the model asked for tools after its limit; those calls were ignored")) }
                if limited {
                    emit(.note(steps >= maxSteps ? "the model used all \(maxSteps) rounds of tool calls"
                        : "the time limit for tool calls was reached after \(steps) round\(steps == 1 ? "" : "s")"))
                }
                emit(.finished(prepared(question, ledger: ledger, toolTime: toolTime)))
                return
            }
            if steps == 0 && !text.isEmpty { emit(.token(text)) }
            steps += 1
            messages.append(AgentMessage(role: "assistant", content: text, toolCalls: calls))
            for call in calls {
                let started = ContinuousClock.now
                let before = ledger.sources.count
                let (record, result) = await execute(call, tools: tools, offered: offered, ledger: ledger)
                toolTime += started.duration(to: .now)
                let added = Array(ledger.sources.dropFirst(before))
                if !added.isEmpty { emit(.sources(added)) }
                emit(.toolCall(record))
                messages.append(AgentMessage(role: "tool", content: result.text, toolName: record.name))
            }
        }
    }

    /// Runs one call; a malformed call or an unknown tool is an error result the model reads.
    func execute(_ call: ToolCall, tools: RunbookTools, offered: [ToolDefinition], ledger: SourceLedger) async
        -> (AgentToolCall, ToolResult)
    {
        let name = call.name ?? ""
        var arguments: [String: ToolValue]?
        var failure: String?
        switch call.arguments {
        case nil: arguments = [:]
        case .object(let object)?: arguments = object
        case .string(let text)?:
            // Some models send the arguments as a JSON string, as OpenAI's API does.
            arguments = ToolValue(json: text)?.objectValue
            if arguments == nil {
                failure = "the arguments of the call to \(name.isEmpty ? "a tool" : name) are not a JSON object: "
                    + "\(text.prefix(120)); send them as an object, e.g. {\"question\": \"disk full\"}"
            }
        case let other?:
            failure = "the arguments of the call to \(name.isEmpty ? "a tool" : name) must be a JSON object, not "
                + "\(other.typeName == "array" ? "an" : "a") \(other.typeName)"
        }
        if name.isEmpty {
            failure = "the tool call names no tool; call " + offered.map(\.name).joined(separator: " or ")
                + " with its arguments as a JSON object"
        } else if failure == nil, !offered.contains(where: { $0.name == name }) {
            failure = ToolError.unknownTool(name, known: offered.map(\.name)).description
        }
        let result: ToolResult
        if let failure {
            result = ToolResult(text: failure, isError: true)
        } else {
            result = await tools.call(name, arguments: arguments, ledger: ledger)
        }
        let record = AgentToolCall(name: name, arguments: call.arguments ?? [:], isError: result.isError,
                                   error: result.isError ? result.text : nil, sources: result.sources.map(\.rank))
        return (record, result)
    }

    /// The usual retrieval and answer, for a model or client without tools.
    private func singleShot(_ question: String, history: [ChatMessage], model: String, emit: (AgentEvent) -> Void,
                            note: String) async throws {
        emit(.note(note))
        let prepared = try await answerEngine.prepare(question, options: options, history: history)
        emit(.sources(prepared.query.results))
        for try await event in answerEngine.stream(prepared, model: model) {
            if case .token(let token) = event { emit(.token(token)) }
        }
        emit(.finished(prepared))
    }

    private func prepared(_ question: String, ledger: SourceLedger, toolTime: Duration) -> PreparedAnswer {
        PreparedAnswer(question: question, shown: ledger.sources, mode: options.mode,
                       toolMilliseconds: toolTime.millisecondsDouble)
    }
}

extension PreparedAnswer {
    /// An answer's sources when they are the passages shown over tool calls (`shown`, numbered), with the time the
    /// tools took as the search time.
    public init(question: String, shown: [QueryHit], mode: SearchMode, toolMilliseconds: Double = 0) {
        let query = QueryResult(question: question, mode: mode, results: shown, prompt: "",
                                timings: QueryTimings(embed: 0, search: toolMilliseconds, total: toolMilliseconds))
        self.init(query: query, messages: [], refused: false, sourceNumbers: Set(shown.map(\.rank)))
    }
}
