import ArgumentParser
import Foundation
import KnowledgeBase

struct ChatCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chat",
        abstract: "Ask questions in a session that remembers the conversation.",
        discussion: """
            Follow-up questions ("and on the replicas?") are rewritten into standalone queries for retrieval, and \
            earlier turns are sent to the model. Commands: /help lists commands and keys, /sources shows the last \
            sources, /reset forgets the conversation, /quit (or Ctrl-D) leaves.

            In a terminal the prompt has line editing (←/→, Home/End, Ctrl-A/E/U/W/K, Backspace) and ↑/↓ recall \
            this session's questions; Ctrl-C stops an answer and keeps the session, Ctrl-C at an empty prompt \
            leaves. With piped input lines are read as they are.
            """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var index: IndexOptions
    @OptionGroup var embedding: EmbedderOptions
    @OptionGroup var ignoredBatching: IgnoredBatchOptions
    @OptionGroup var answer: AnswerOptions

    /// Turns kept in the conversation sent to the model (each is a question and its answer).
    @Option(help: ArgumentHelp("Earlier exchanges sent to the model.", valueName: "n"))
    var historyTurns: Int = 6

    static let help = """
        Commands:
          /help      this list
          /sources   the sources of the last answer, in full
          /reset     forget the conversation (start a new one)
          /quit      leave (also /exit, Ctrl-D, or Ctrl-C at an empty prompt)
        Keys: ←/→ move, Home/End or Ctrl-A/E jump, Ctrl-U/K erase to the start/end, Ctrl-W the word before, \
        ↑/↓ earlier questions, Ctrl-C stops an answer.
        """

    /// One answered question, as the session keeps it.
    struct Turn: Sendable {
        var text: String
        var sources: [QueryHit]
        /// False when the answer failed (the error was printed); such a turn is not sent as history.
        var answered: Bool
    }

    func run() async throws {
        let logger = global.makeLogger()
        let (engine, template) = try answer.makeEngine(global: global, index: index, embedding: embedding, logger: logger)
        // A session stays open for long: it follows writes by other processes between questions too.
        let follower = Task { await engine.queryEngine.catalog.follow() }
        defer { follower.cancel() }
        let interactive = isatty(STDIN_FILENO) == 1
        let input = ChatInput(interactive: interactive)
        // Ctrl-C stops the answer, not the session; with piped input it ends kb as usual.
        let interrupter = interactive ? AnswerInterrupter() : nil
        var history: [ChatMessage] = []
        var lastSources: [QueryHit] = []
        if interactive { print("kb chat — ask about your runbooks; /help for commands and keys") }
        while true {
            if interactive { print("") }
            guard let line = input.next(prompt: "> ") else { break }
            let question = line.trimmingCharacters(in: .whitespaces)
            if question.isEmpty { continue }
            switch question {
            case "/quit", "/exit":
                return
            case "/help", "/?":
                print(Self.help)
                continue
            case "/reset":
                history = []
                lastSources = []
                print("(conversation forgotten)")
                continue
            case "/sources":
                if lastSources.isEmpty { print("(no sources yet)") }
                for hit in lastSources {
                    print("[\(hit.rank)] \(hit.heading.isEmpty ? hit.path : "\(hit.path) › \(hit.heading)")\n\(hit.text)\n")
                }
                continue
            default:
                if question.hasPrefix("/") {
                    print("unknown command \(question); /help lists the commands")
                    continue
                }
            }
            if !interactive { print("> \(question)") }
            let work = answerWork(question, engine: engine, template: template,
                                  history: Array(history.suffix(historyTurns * 2)))
            let turn: Turn
            if let interrupter {
                let (value, stopped) = await interrupter.run(work)
                if stopped {
                    // The partial answer stays on screen; it is not part of the conversation.
                    print("\n(answer stopped)")
                    lastSources = value.sources
                    continue
                }
                turn = value
            } else {
                turn = await work()
            }
            lastSources = turn.sources
            guard turn.answered else { continue }
            history.append(ChatMessage(role: "user", content: question))
            history.append(ChatMessage(role: "assistant", content: turn.text))
        }
    }

    /// Retrieves, streams and prints the answer to `question`; cancelling the task stops it.
    func answerWork(_ question: String, engine: AnswerEngine, template: PromptTemplate, history: [ChatMessage])
        -> @Sendable () async -> Turn {
        let printer = AnswerPrinter(json: false)
        let options = answer.queryOptions
        let chatModel = answer.chatModel
        let agent = answer.agent ? answer.makeAgent(engine) : nil
        return {
            if let agent {
                // The model words its own searches, so the question goes to it as asked, with the conversation.
                let started = ContinuousClock.now
                let outcome = await printer.stream(agent.run(question, history: history))
                if Task.isCancelled { return Turn(text: outcome.text, sources: outcome.shown, answered: false) }
                do {
                    try printer.finish(outcome.prepared(question, mode: options.mode), outcome: outcome, started: started)
                } catch {
                    return Turn(text: outcome.text, sources: outcome.shown, answered: false)
                }
                return Turn(text: outcome.text, sources: outcome.shown, answered: true)
            }
            let started = ContinuousClock.now
            do {
                // Follow-ups are rewritten for retrieval by the engine, from the history.
                let prepared = try await engine.prepare(question, options: options, history: history,
                                                        template: template)
                if Task.isCancelled { return Turn(text: "", sources: prepared.query.results, answered: false) }
                printer.sources(prepared)
                let outcome = await printer.stream(engine.stream(prepared, model: chatModel))
                if Task.isCancelled { return Turn(text: outcome.text, sources: prepared.query.results, answered: false) }
                do {
                    try printer.finish(prepared, outcome: outcome, started: started)
                } catch {
                    return Turn(text: outcome.text, sources: prepared.query.results, answered: false)  // printed
                }
                return Turn(text: outcome.text, sources: prepared.query.results, answered: true)
            } catch {
                if !Task.isCancelled { Output.note("Error: \(error)") }
                return Turn(text: "", sources: [], answered: false)
            }
        }
    }
}
