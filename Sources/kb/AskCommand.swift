import ArgumentParser
import Foundation
import KnowledgeBase
import Logging

/// Options shared by `kb ask` and `kb chat`.
struct AnswerOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Ollama chat model (env KB_CHAT_MODEL, default llama3.2).", valueName: "name"))
    var chatModel: String?

    @Option(help: ArgumentHelp("""
        Prompt template: answer (default), diagnose (paste an alert or error log), next-steps, summarize (name a \
        runbook), or one of yours from KB_TEMPLATES.
        """, valueName: "name"))
    var template: String = "answer"

    @Option(name: .short, help: ArgumentHelp("Number of sources.", valueName: "n"))
    var k: Int = 5

    @Option(help: ArgumentHelp("Minimum cosine score for a source (default per embedder).", valueName: "score"))
    var minScore: Float?

    @OptionGroup var retrieval: RetrievalOptions

    @Flag(help: ArgumentHelp("""
        Let the chat model search and read the runbooks itself with tools (search_runbooks, get_runbook) before         it answers; citations are checked against every passage it was shown. A model without tool support         answers from one search instead, with a note.
        """))
    var agent = false

    @Option(help: ArgumentHelp("With --agent: rounds of tool calls before the model must answer.", valueName: "n"))
    var agentSteps: Int = 4

    func validate() throws {
        guard (1...100).contains(k) else { throw ValidationError("-k must be between 1 and 100.") }
        guard (1...16).contains(agentSteps) else { throw ValidationError("--agent-steps must be between 1 and 16.") }
        if agent && template != "answer" {
            throw ValidationError("--agent uses its own instructions; drop --template \(template) or --agent.")
        }
        if let minScore, !(-1...1).contains(minScore) { throw ValidationError("--min-score must be between -1 and 1.") }
    }

    var queryOptions: QueryOptions {
        retrieval.queryOptions(k: k, minScore: minScore)
    }

    /// The answer engine over the knowledge base, and the chosen template (checked before any work).
    func makeEngine(global: GlobalOptions, index: IndexOptions, embedding: EmbedderOptions, logger: Logger) throws
        -> (AnswerEngine, PromptTemplate)
    {
        let environment = ProcessInfo.processInfo.environment
        let library = try TemplateLibrary(directory: environment["KB_TEMPLATES"])
        let template = try library.template(named: template)
        let catalog = try global.openCatalog(logger: logger, create: false, precision: index.indexPrecision)
        let embedder = try embedding.makeClient(for: try catalog.store.fingerprint(), logger: logger)
        let chat = OllamaChatClient(host: OllamaConfiguration.normaliseHost(environment["OLLAMA_HOST"]))
        let model = chatModel ?? environment["KB_CHAT_MODEL"].flatMap { $0.isEmpty ? nil : $0 } ?? "llama3.2"
        let engine = AnswerEngine(queryEngine: QueryEngine(catalog: catalog, embedder: embedder, logger: logger),
                                  chat: chat, chatModel: model)
        return (engine, template)
    }

    /// The tool-calling agent over `engine`, when --agent is given.
    func makeAgent(_ engine: AnswerEngine) -> RunbookAgent {
        var agent = RunbookAgent(answerEngine: engine, chat: engine.chat as? any ToolChatClient, model: chatModel,
                                 options: queryOptions)
        agent.maxSteps = agentSteps
        return agent
    }
}

struct AskCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ask",
        abstract: "Answer a question from the runbooks with a chat model, citing its sources.",
        discussion: """
            Prints the sources first, then the answer as it streams from Ollama's /api/chat, then the citations \
            resolved to path › heading. Citations of sources that were not given are flagged and dropped. When the \
            refusal rule judges the evidence too weak (top cosine and share of the question's words the runbooks \
            know; --refusal) or no source reaches the minimum score, kb says the runbooks do not cover the \
            question and calls no model.
            """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var index: IndexOptions
    @OptionGroup var embedding: EmbedderOptions
    @OptionGroup var ignoredBatching: IgnoredBatchOptions
    @OptionGroup var answer: AnswerOptions

    @Argument(help: "The question (or, with --template diagnose, the alert or error text).")
    var question: String

    @Flag(help: "Print one JSON object: question, answer, sources, citations, invalid_citations, refused, timings_ms.")
    var json = false

    func validate() throws {
        guard !question.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw ValidationError("the question is empty.")
        }
    }

    func run() async throws {
        let logger = global.makeLogger()
        let (engine, template) = try answer.makeEngine(global: global, index: index, embedding: embedding, logger: logger)
        let started = ContinuousClock.now
        let printer = AnswerPrinter(json: json)
        if answer.agent {
            let outcome = await printer.stream(answer.makeAgent(engine).run(question))
            return try printer.finish(outcome.prepared(question, mode: answer.queryOptions.mode), outcome: outcome,
                                      started: started)
        }
        let prepared = try await engine.prepare(question, options: answer.queryOptions, template: template)
        printer.sources(prepared)
        let outcome = await printer.stream(engine.stream(prepared, model: answer.chatModel))
        try printer.finish(prepared, outcome: outcome, started: started)
    }
}

/// Prints an answer for people (sources, streamed text, citations) or as one JSON object.
struct AnswerPrinter {
    let json: Bool

    struct Outcome {
        var text = ""
        var firstToken: ContinuousClock.Instant?
        var error: (any Error)?
        /// With --agent: the tool calls made, the notes, the passages shown, and the finished answer's sources.
        var toolCalls: [AgentToolCall]?
        var notes: [String] = []
        var shown: [QueryHit] = []
        var finished: PreparedAnswer?

        /// The sources to check the answer against: the agent's, or what it showed before it failed.
        func prepared(_ question: String, mode: SearchMode) -> PreparedAnswer {
            finished ?? PreparedAnswer(question: question, shown: shown, mode: mode)
        }
    }

    func sources(_ prepared: PreparedAnswer) {
        guard !json else { return }
        if prepared.query.results.isEmpty { return }
        print("Sources:")
        for hit in prepared.query.results {
            print("  [\(hit.rank)] \(hit.heading.isEmpty ? hit.path : "\(hit.path) › \(hit.heading)")  "
                + String(format: "(%.3f)", hit.score))
        }
        print("")
    }

    func stream(_ events: AsyncThrowingStream<ChatEvent, any Error>) async -> Outcome {
        var outcome = Outcome()
        do {
            for try await event in events {
                guard case .token(let text) = event else { continue }
                if outcome.firstToken == nil { outcome.firstToken = .now }
                outcome.text += text
                if !json {
                    // Through stdout's buffer like every other line, flushed so each token shows as it arrives.
                    print(text, terminator: "")
                    fflush(nil)
                }
            }
        } catch {
            outcome.error = error
        }
        if !json && !outcome.text.isEmpty { print("") }
        return outcome
    }

    /// Streams an agent's work: each tool call and note as a line, the answer as it arrives, then all passages shown.
    func stream(_ events: AsyncThrowingStream<AgentEvent, any Error>) async -> Outcome {
        var outcome = Outcome(toolCalls: [])
        var midLine = false
        // A tool call or note after part of the answer starts on a line of its own.
        func line(_ text: String) {
            guard !json else { return }
            if midLine { print("") }
            print(text)
            midLine = false
        }
        do {
            for try await event in events {
                switch event {
                case .token(let text):
                    if outcome.firstToken == nil { outcome.firstToken = .now }
                    outcome.text += text
                    if !json {
                        print(text, terminator: "")
                        fflush(nil)
                        midLine = !text.hasSuffix("\n")
                    }
                case .toolCall(let call):
                    outcome.toolCalls?.append(call)
                    let result = call.isError ? "error: \(call.error ?? "")"
                        : call.sources.isEmpty ? "no passages" : call.sources.map { "[\($0)]" }.joined(separator: " ")
                    line("→ \(call.name.isEmpty ? "(no tool)" : call.name) \(call.arguments.jsonText) → \(result)")
                case .sources(let hits):
                    outcome.shown += hits
                case .note(let note):
                    outcome.notes.append(note)
                    line("Note: \(note)")
                case .finished(let prepared):
                    outcome.finished = prepared
                }
            }
        } catch {
            outcome.error = error
        }
        if !json {
            if midLine { print("") }
            if !outcome.shown.isEmpty { print("\nSources shown:") }
            for hit in outcome.shown {
                print("  [\(hit.rank)] \(hit.heading.isEmpty ? hit.path : "\(hit.path) › \(hit.heading)")  "
                    + String(format: "(%.3f)", hit.score))
            }
        }
        return outcome
    }

    func finish(_ prepared: PreparedAnswer, outcome: Outcome, started: ContinuousClock.Instant) throws {
        let summary = prepared.summary(answer: outcome.text, started: started, firstToken: outcome.firstToken)
        if json {
            struct Answer: Encodable {
                var question: String
                var answer: String
                var sources: [QueryHit]
                var citations: [ResolvedCitation]
                var invalid_citations: [Int]
                var refused: Bool
                var error: String?
                var timings_ms: [String: Double]
                var tool_calls: [AgentToolCall]?
                var notes: [String]?
            }
            try Output.printJSON(Answer(
                question: prepared.query.question, answer: outcome.text, sources: prepared.query.results,
                citations: summary.citations, invalid_citations: summary.invalidCitations, refused: prepared.refused,
                error: outcome.error.map { "\($0)" }, timings_ms: summary.timings, tool_calls: outcome.toolCalls,
                notes: outcome.toolCalls == nil ? nil : outcome.notes))
        } else {
            if !summary.citations.isEmpty {
                print("\nCitations:")
                for citation in summary.citations {
                    print("  [\(citation.number)] " + (citation.heading.isEmpty ? citation.path : "\(citation.path) › \(citation.heading)"))
                }
            }
            let invalid = summary.invalidCitations
            if !invalid.isEmpty {
                print("\nWarning: the answer cites " + invalid.map { "[\($0)]" }.joined(separator: ", ")
                    + ", which \(invalid.count == 1 ? "is" : "are") not among the sources given; ignore "
                    + (invalid.count == 1 ? "that citation." : "those citations."))
            }
        }
        if let error = outcome.error {
            Output.note("\nError: \(error)")
            throw ExitCode(3)
        }
    }
}
