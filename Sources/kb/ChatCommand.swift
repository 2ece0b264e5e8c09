import ArgumentParser
import Foundation
import KnowledgeBase

struct ChatCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chat",
        abstract: "Ask questions in a session that remembers the conversation.",
        discussion: """
            Follow-up questions ("and on the replicas?") are rewritten into standalone queries for retrieval, and \
            earlier turns are sent to the model. Commands: /sources shows the last sources, /reset forgets the \
            conversation, /quit (or end of input) leaves. Works in a terminal and with piped input.
            """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var embedding: EmbedderOptions
    @OptionGroup var answer: AnswerOptions

    /// Turns kept in the conversation sent to the model (each is a question and its answer).
    @Option(help: ArgumentHelp("Earlier exchanges sent to the model.", valueName: "n"))
    var historyTurns: Int = 6

    func run() async throws {
        let logger = global.makeLogger()
        let (engine, template) = try answer.makeEngine(global: global, embedding: embedding, logger: logger)
        // A session stays open for long: it follows writes by other processes between questions too.
        let follower = Task { await engine.queryEngine.catalog.follow() }
        defer { follower.cancel() }
        let interactive = isatty(STDIN_FILENO) == 1
        var history: [ChatMessage] = []
        var questions: [String] = []
        var lastSources: [QueryHit] = []
        let printer = AnswerPrinter(json: false)
        if interactive { print("kb chat — ask about your runbooks; /sources, /reset, /quit") }
        while true {
            if interactive {
                print("\n> ", terminator: "")
                fflush(nil)
            }
            guard let line = readLine(strippingNewline: true) else { break }
            let input = line.trimmingCharacters(in: .whitespaces)
            if input.isEmpty { continue }
            switch input {
            case "/quit", "/exit":
                return
            case "/reset":
                history = []
                questions = []
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
                if input.hasPrefix("/") {
                    print("unknown command \(input); use /sources, /reset or /quit")
                    continue
                }
            }
            if !interactive { print("> \(input)") }
            if answer.agent {
                // The model words its own searches, so the question goes to it as asked, with the conversation.
                let started = ContinuousClock.now
                let outcome = await printer.stream(answer.makeAgent(engine).run(
                    input, history: Array(history.suffix(historyTurns * 2))))
                lastSources = outcome.shown
                do {
                    try printer.finish(outcome.prepared(input, mode: answer.queryOptions.mode), outcome: outcome,
                                       started: started)
                } catch is ExitCode {
                    continue
                }
                history.append(ChatMessage(role: "user", content: input))
                history.append(ChatMessage(role: "assistant", content: outcome.text))
                continue
            }
            let query = QueryRewriter.standalone(input, previousQuestions: questions)
            let started = ContinuousClock.now
            do {
                var prepared = try await engine.prepare(query, options: answer.queryOptions,
                                                        history: Array(history.suffix(historyTurns * 2)),
                                                        template: template)
                // The model sees the question as asked; only retrieval uses the rewritten one.
                if let last = prepared.messages.indices.last, query != input {
                    prepared.messages[last].content = prepared.messages[last].content.replacingOccurrences(
                        of: "Question: \(query)", with: "Question: \(input)")
                }
                lastSources = prepared.query.results
                printer.sources(prepared)
                let outcome = await printer.stream(engine.stream(prepared, model: answer.chatModel))
                do {
                    try printer.finish(prepared, outcome: outcome, started: started)
                } catch is ExitCode {
                    continue  // the error was printed; the session goes on
                }
                questions.append(input)
                history.append(ChatMessage(role: "user", content: input))
                history.append(ChatMessage(role: "assistant", content: outcome.text))
            } catch {
                Output.note("Error: \(error)")
            }
        }
    }
}
