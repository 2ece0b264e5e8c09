import ArgumentParser
import Foundation
import Testing
@testable import kb

/// Every subcommand's help lists exactly the options it uses, and every `kb` command line the README, docs/,
/// Scripts/ and deploy/ show still parses.
struct CommandHelpTests {
    /// Each visible command and the options (long names, or the short name when it has no long one) its help lists,
    /// besides -h/--help and --version.
    static let store = ["--db", "--store", "--log-level"]
    static let index = ["--precision"]
    static let embedder = ["--embedder", "--model", "--embed-api", "--timeout", "--model-dir", "--threads"]
    static let batching = ["--batch-size", "--concurrency"]
    static let retrieval = ["--mode", "--fusion", "--refusal", "--context", "--where"]
    static let answer = ["--chat-model", "--template", "-k", "--min-score"] + retrieval + ["--agent", "--agent-steps"]

    static let expected: [(path: [String], type: any ParsableCommand.Type, options: [String])] = [
        (["ingest"], IngestCommand.self, store + embedder + batching + ["--chunk-tokens", "--prune", "--json"]),
        (["sync"], SyncCommand.self, store + embedder + batching
            + ["--source", "--git", "--ref", "--dry-run", "--watch", "--allow-failures", "--chunk-tokens", "--json"]),
        (["query"], QueryCommand.self, store + index + embedder
            + ["-k", "--min-score", "--path-prefix"] + retrieval + ["--json", "--no-prompt"]),
        (["ask"], AskCommand.self, store + index + embedder + answer + ["--json"]),
        (["chat"], ChatCommand.self, store + index + embedder + answer + ["--history-turns"]),
        (["docs", "list"], DocsCommand.List.self, store + ["--json"]),
        (["docs", "show"], DocsCommand.Show.self, store + ["--json"]),
        (["docs", "remove"], DocsCommand.Remove.self, store),
        (["embed"], EmbedCommand.self, store + embedder + ["--json"]),
        (["reindex"], ReindexCommand.self, store + embedder + batching + ["--json"]),
        (["stats"], StatsCommand.self, store + index + ["--json"]),
        (["migrate"], MigrateCommand.self, ["--from", "--to", "--log-level", "--json"]),
        (["eval"], EvalCommand.self, store + index + embedder + batching
            + ["-k", "--min-score", "--json"] + retrieval
            + ["--all-modes", "--out", "--compare", "--corpus", "--chunk-tokens", "--sweep", "--sweep-chunk-tokens",
               "--sweep-k", "--sweep-min-score"]),
        (["serve"], ServeCommand.self, store + index + embedder + batching
            + ["--host", "--port", "--read-token", "--read-token-file", "--write-token-file", "--allowed-host",
               "--idle-timeout", "--create", "--allow-unauthenticated", "--max-query-bytes", "--max-document-bytes",
               "--max-chat-bytes", "--chat-model", "--chat-models", "--max-answer-tokens", "--chat-timeout",
               "--blocking-threads", "--blocking-queue", "--max-answers"]),
        (["model", "fetch"], ModelFetchCommand.self, ["--log-level", "--model-dir", "--force"]),
        (["model", "status"], ModelStatusCommand.self, ["--log-level", "--model-dir", "--full"]),
        (["model", "bench"], ModelBenchCommand.self,
         ["--log-level", "--model-dir", "--threads", "--batch-size", "--ollama-host", "--ollama-batch", "--json"]),
        (["mcp"], MCPCommand.self, store + index + embedder + ["--chat-model"]),
    ]

    /// The options a help text lists: the first name on each line of its OPTIONS section.
    static func listedOptions(_ help: String) -> [String] {
        guard let start = help.range(of: "OPTIONS:") else { return [] }
        var names: [String] = []
        for line in help[start.upperBound...].split(separator: "\n") {
            let trimmed = line.drop { $0 == " " }
            guard trimmed.hasPrefix("-"), line.hasPrefix("  ") else { continue }
            // "-k <n>", "--db <path>", "-h, --help", "--json": the long name when there is one.
            let words = trimmed.split(separator: " ").map { String($0).trimmingCharacters(in: CharacterSet(charactersIn: ",")) }
            let flagWords = words.prefix { $0.hasPrefix("-") }
            guard let name = flagWords.first(where: { $0.hasPrefix("--") }) ?? flagWords.first else { continue }
            if !["--help", "--version"].contains(name) { names.append(name) }
        }
        return names
    }

    @Test func everySubcommandsHelpListsOnlyTheOptionsItUses() {
        for (path, type, options) in Self.expected {
            let help = KB.helpMessage(for: type, columns: 2000)
            let listed = Self.listedOptions(help)
            #expect(Set(listed) == Set(options), "kb \(path.joined(separator: " ")): help lists \(listed)")
        }
        // The examples of the issue, spelled out.
        let query = Self.listedOptions(KB.helpMessage(for: QueryCommand.self, columns: 2000))
        #expect(!query.contains("--batch-size") && !query.contains("--concurrency") && query.contains("--precision"))
        let stats = Self.listedOptions(KB.helpMessage(for: StatsCommand.self, columns: 2000))
        #expect(!stats.contains("--embedder") && !stats.contains("--model"))
        let ingest = Self.listedOptions(KB.helpMessage(for: IngestCommand.self, columns: 2000))
        #expect(!ingest.contains("--precision") && ingest.contains("--batch-size"))
        let fetch = Self.listedOptions(KB.helpMessage(for: ModelFetchCommand.self, columns: 2000))
        #expect(!fetch.contains("--db") && !fetch.contains("--precision"))
    }

    /// A command added later must be listed above, so its help is checked too.
    @Test func everyVisibleSubcommandIsChecked() {
        func leaves(_ type: any ParsableCommand.Type, _ path: [String]) -> [[String]] {
            let configuration = type.configuration
            guard configuration.shouldDisplay else { return [] }
            let name = type._commandName
            let here = type == KB.self ? [] : path + [name]
            if configuration.subcommands.isEmpty { return [here] }
            return configuration.subcommands.flatMap { leaves($0, here) }
        }
        // Hidden helpers (kb bench, kb model tokenize) are left out; kb model bench is hidden but checked.
        let visible = Set(leaves(KB.self, []))
        let checked = Set(Self.expected.map(\.path))
        #expect(visible.isSubset(of: checked), "not checked: \(visible.subtracting(checked))")
        #expect(visible.count >= 17)
    }

    /// `kb` command lines from the project's own text: README.md and docs/*.md (shell code blocks), deploy/ and the
    /// scripts (the argument lists they pass). Each must parse, flags and all.
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static func documentedCommandLines() throws -> [[String]] {
        var files = [root.appendingPathComponent("README.md")]
        let docs = root.appendingPathComponent("docs")
        files += try FileManager.default.contentsOfDirectory(atPath: docs.path).filter { $0.hasSuffix(".md") }
            .sorted().map { docs.appendingPathComponent($0) }
        var lines: [[String]] = []
        for file in files {
            var inShell = false
            var pending = ""
            for line in try String(contentsOf: file, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false) {
                let trimmed = line.trimmingCharacters(in: .whitespaces)
                if trimmed.hasPrefix("```") { inShell = trimmed == "```bash" || trimmed == "```sh"; pending = ""; continue }
                guard inShell else { continue }
                if trimmed.hasSuffix("\\") { pending += trimmed.dropLast() + " "; continue }
                let joined = pending + trimmed
                pending = ""
                for segment in ShellWords.commands(joined) {
                    if let arguments = kbArguments(segment) { lines.append(arguments) }
                }
            }
        }
        return lines
    }

    static let subcommandNames: Set<String> = Set(KB.configuration.subcommands.compactMap { $0.configuration.commandName })

    /// The arguments after `kb` (or `…/kb`) when the words run kb with a subcommand.
    static func kbArguments(_ words: [String]) -> [String]? {
        for (index, word) in words.enumerated() where word == "kb" || word.hasSuffix("/kb") {
            let rest = Array(words[(index + 1)...])
            if let first = rest.first, subcommandNames.contains(first) { return rest }
        }
        return nil
    }

    /// What Scripts/ and deploy/ pass (written out from their argument lists), beside the documentation's lines.
    static var scriptCommandLines: [[String]] { [
        ["serve", "--create", "--host", "0.0.0.0", "--port", "8080"],  // deploy/Dockerfile, deploy/kubernetes
        ["serve", "--create", "--host", "127.0.0.1", "--port", "8080"],  // deploy/debian/kb.service
        ["mcp", "--db", "/srv/kb/kb.sqlite"],  // README, the Claude Desktop configuration
        ["model", "fetch", "--log-level", "warning"],  // Scripts/bench-minilm
        ["model", "bench", "corpus", "--ollama-host", "http://127.0.0.1:1"],
        ["ingest", "corpus", "--embedder", "builtin", "--db", "x.sqlite"],
        ["ingest", "corpus", "--db", "x.sqlite", "--log-level", "error", "--json"],  // Scripts/bench_long_question.py
        ["ingest", "--db", "x.sqlite", "--embedder", "ollama", "--json", "corpus"],  // Scripts/bench_run.py
        ["ingest", "corpus", "--store", "postgres://kb@db/kb", "--embedder", "hash"],  // Scripts/bench_postgres.py
        ["sync", "corpus", "--db", "x.sqlite", "--embedder", "hash", "--json"],  // Scripts/bench_live.py
        ["serve", "--db", "x.sqlite", "--embedder", "hash", "--port", "0"],
        ["serve", "--db", "x.sqlite", "--create", "--embedder", "ollama", "--port", "0"],  // Scripts/bench_readyz.py
        ["mcp", "--db", "x.sqlite", "--embedder", "hash"],  // Scripts/bench_mcp.py
        ["ask", "--db", "x.sqlite", "--chat-model", "llama3.2", "the disk is full"],  // Scripts/browser_test.py
        ["chat", "--db", "x.sqlite", "--chat-model", "llama3.2"],  // Scripts/chat_pty_test.py
        ["query", "q", "--json", "-k", "3", "--mode", "vector", "--precision", "fp16"],  // PrecisionCLITests
        ["stats", "--precision", "fp32"],
        ["eval", questions, "--db", "x.sqlite", "--all-modes", "--json", "--mode", "keyword"],
        ["eval", questions, "--corpus", corpus, "--sweep", "--batch-size", "16", "--concurrency", "2"],
    ] }

    static var questions: String { root.appendingPathComponent("Tests/Eval/heldout.jsonl").path }
    static var corpus: String { root.appendingPathComponent("Corpus").path }

    @Test func theCommandLinesTheProjectShowsStillParse() throws {
        let documented = try Self.documentedCommandLines()
        // The README's quick start, Deploy and Operate sections are among them.
        #expect(documented.contains(["sync", "~/runbooks"]))
        #expect(documented.contains { $0.first == "migrate" } && documented.contains { $0.first == "serve" })
        #expect(documented.count > 30, "\(documented.count) command lines found")
        for arguments in documented + Self.scriptCommandLines {
            do {
                _ = try KB.parseAsRoot(arguments)
            } catch {
                // Validation also checks that the files an example names exist (eval's question file, --corpus
                // DIR): those are the reader's files, not flags. Every other error is a command line that broke.
                let message = KB.message(for: error)
                if !message.hasSuffix("does not exist.") {
                    Issue.record("kb \(arguments.joined(separator: " ")) does not parse: \(message)")
                }
            }
        }
    }

    /// Options a command listed before without using them are hidden now, but still accepted (and ignored, with a
    /// note), so a script that passes them keeps working.
    @Test func optionsACommandIgnoresAreHiddenButStillAccepted() throws {
        let cases: [(arguments: [String], type: any ParsableCommand.Type, hidden: [String])] = [
            (["query", "q", "--batch-size", "8", "--concurrency", "2"], QueryCommand.self, ["--batch-size", "--concurrency"]),
            (["ask", "q", "--concurrency", "2"], AskCommand.self, ["--concurrency"]),
            (["chat", "--batch-size", "8"], ChatCommand.self, ["--batch-size"]),
            (["mcp", "--batch-size", "8"], MCPCommand.self, ["--batch-size"]),
            (["embed", "t", "--batch-size", "8", "--precision", "fp16"], EmbedCommand.self, ["--batch-size", "--precision"]),
            (["ingest", "x", "--precision", "fp16"], IngestCommand.self, ["--precision"]),
            (["sync", "x", "--precision", "fp16"], SyncCommand.self, ["--precision"]),
            (["reindex", "--embedder", "hash", "--precision", "fp16"], ReindexCommand.self, ["--precision"]),
            (["docs", "list", "--precision", "fp16"], DocsCommand.List.self, ["--precision"]),
            (["model", "fetch", "--db", "x.sqlite", "--store", "x.sqlite", "--precision", "fp16"], ModelFetchCommand.self,
             ["--db", "--store", "--precision"]),
            (["model", "status", "--db", "x.sqlite"], ModelStatusCommand.self, ["--db"]),
        ]
        for (arguments, type, hidden) in cases {
            let parsed = try KB.parseAsRoot(arguments)
            #expect(Swift.type(of: parsed) == type, "kb \(arguments.joined(separator: " "))")
            let listed = Self.listedOptions(KB.helpMessage(for: type, columns: 2000))
            #expect(Set(listed).isDisjoint(with: hidden), "kb \(arguments[0]) lists \(listed)")
        }
        // Still validated as before where they are used.
        #expect(throws: (any Error).self) { _ = try KB.parseAsRoot(["ingest", "x", "--batch-size", "0"]) }
        #expect(throws: (any Error).self) { _ = try KB.parseAsRoot(["query", "q", "--precision", "fp8"]) }
    }

    @Test func topLevelHelpSaysWhatKbIsAndHowToStart() {
        let help = KB.helpMessage(columns: 120)
        #expect(help.contains("runbooks"))
        #expect(help.contains("kb model fetch && kb ingest"))
        #expect(help.contains("kb query") && help.contains("kb serve"))
        for variable in ["KB_STORE", "KB_DB", "KB_EMBEDDER", "KB_CHAT_MODEL", "KB_API_TOKEN", "KB_READ_TOKEN",
                         "KB_PRECISION", "KB_ALLOWED_HOSTS", "OLLAMA_HOST"] {
            #expect(help.contains(variable), "kb --help names \(variable)")
        }
    }
}

/// Just enough of the shell's word splitting for the documentation's command lines: quotes, backslashes, comments,
/// and the operators that separate commands (&&, ||, |, ;).
enum ShellWords {
    static func commands(_ line: String) -> [[String]] {
        var commands: [[String]] = [[]]
        var word = ""
        var inWord = false
        var quote: Character?
        var characters = Array(line)[...]
        func finishWord() {
            if inWord { commands[commands.count - 1].append(word) }
            word = ""
            inWord = false
        }
        while let character = characters.popFirst() {
            if let open = quote {
                if character == open { quote = nil } else if character == "\\", open == "\"", let next = characters.popFirst() {
                    word.append(next)
                } else { word.append(character) }
                continue
            }
            switch character {
            case "'", "\"": quote = character; inWord = true
            case "\\": if let next = characters.popFirst() { word.append(next); inWord = true }
            case " ", "\t": finishWord()
            case "#" where !inWord: return commands.filter { !$0.isEmpty }
            case "&", "|", ";":
                finishWord()
                if characters.first == character { characters.removeFirst() }
                commands.append([])
            default: word.append(character); inWord = true
            }
        }
        finishWord()
        return commands.filter { !$0.isEmpty }
    }
}
