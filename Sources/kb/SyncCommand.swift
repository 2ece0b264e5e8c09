import ArgumentParser
import Foundation
import KnowledgeBase

struct SyncCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync",
        abstract: "Keep the knowledge base equal to a folder or git tree of runbooks (add, update, remove).",
        discussion: """
            A sync makes one source of the knowledge base equal to SOURCE: new and changed runbooks are indexed \
            (only changed chunks are embedded), runbooks that are gone are removed, unchanged ones cost nothing. The \
            source is named by --source (default: the folder's name) and its paths are relative to the folder, so \
            syncing ~/runbooks and ~/other never touch each other's documents; a folder inside another source's \
            folder is refused, since it would index the same files twice. Documents added over HTTP (source `api`) \
            or with `kb ingest` (source `ingest`) are never removed by a sync.

            Skipped: .git/, node_modules/, hidden files and folders, files of other formats, and whatever .kbignore \
            files (gitignore syntax, in any folder) exclude; each skipped file is listed with its reason. Symlinks \
            are followed inside the folder; links that leave it, loops and second paths to one file are skipped. \
            Front matter (YAML between --- lines at the top of a runbook) becomes the document's metadata, \
            filterable with `kb query --where key=value`.

            With --git, the committed tree at HEAD (or --ref) is read instead of the files on disk, so uncommitted \
            edits are not indexed; the commit is recorded (`kb stats`). --watch keeps running and syncs again on \
            every change (inotify, or polling where it is missing; for --git, when the ref moves). Every running \
            `kb serve` sees the changes within a fraction of a second.

            `kb ingest` stays for one-off files: it adds or updates what it is given and removes nothing unless \
            --prune (and then only from the `ingest` source). Use `kb sync` for a runbook repository.

            Exit status: 0 when every file was indexed, 1 when some failed (unless --allow-failures), 2 when the \
            run stopped early (embedder unreachable).
            """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var embedding: EmbedderOptions
    @OptionGroup var batching: EmbeddingBatchOptions
    @OptionGroup var ignoredIndex: IgnoredIndexOptions

    @Argument(help: ArgumentHelp("The folder (or git working tree) to mirror.", valueName: "source"))
    var folder: String

    @Option(help: ArgumentHelp("Name of the source (default: the folder's name).", valueName: "name"))
    var source: String?

    @Flag(help: "Read the committed tree of the git repository (HEAD, or --ref) instead of the files on disk.")
    var git = false

    @Option(help: ArgumentHelp("With --git: the branch, tag or commit to read.", valueName: "ref"))
    var ref: String = "HEAD"

    @Flag(help: "Print what would be added, updated and removed, and change nothing.")
    var dryRun = false

    @Flag(help: "Keep running and sync again whenever the folder (or, with --git, the ref) changes.")
    var watch = false

    @Flag(help: "Exit 0 even when some files could not be indexed.")
    var allowFailures = false

    @Option(help: ArgumentHelp("Target chunk size in estimated tokens.", valueName: "n"))
    var chunkTokens: Int = 350

    @Flag(help: "Print the report as JSON on stdout (one object per sync with --watch).")
    var json = false

    func validate() throws {
        guard (32...8192).contains(chunkTokens) else { throw ValidationError("--chunk-tokens must be 32–8192.") }
        if ref != "HEAD" && !git { throw ValidationError("--ref needs --git.") }
        if watch && dryRun { throw ValidationError("--watch and --dry-run do not go together.") }
    }

    func run() async throws {
        let logger = global.makeLogger()
        // A dry run against a knowledge base that does not exist yet plans against an empty one and creates nothing.
        let exists = try global.storeLocation.exists
        let catalog = dryRun && !exists
            ? Catalog(store: try SQLiteStore(path: ":memory:"), logger: logger)
            : try global.openCatalog(logger: logger, create: true)
        let client = try embedding.makeClient(for: try catalog.store.fingerprint(), logger: logger, batching: batching)
        let options = ChunkerOptions(maxTokens: min(chunkTokens, client.contextTokens - 16),
                                     contextTokens: client.contextTokens)
        let syncer = Syncer(catalog: catalog, embedder: client, chunker: Chunker(options: options), logger: logger)
        let syncOptions = SyncOptions(source: source, git: git, ref: ref, dryRun: dryRun)
        let report = try await syncer.sync(folder, options: syncOptions)
        try show(report)
        guard watch else { return try exit(for: report) }

        let watcher = SourceWatcher(root: report.root, gitRef: git ? ref : nil)
        // A change between the first sync and the watcher's start is caught by one more sync.
        try show(try await syncer.sync(folder, options: syncOptions))
        let stop = StopFlag()
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let signalSource = DispatchSource.makeSignalSource(signal: number, queue: .global())
            signalSource.setEventHandler { stop.set() }
            signalSource.resume()
            stop.keep(signalSource)
        }
        Output.note("watching \(report.root) for changes (Ctrl-C to stop)")
        while await Self.waitOffThread(watcher, stop: stop) {
            do {
                try show(try await syncer.sync(folder, options: syncOptions))
            } catch {
                Output.note("error: \(error)")  // a bad moment (a file half written) must not end the watch
            }
        }
    }

    private func show(_ report: SyncReport) throws {
        defer { fflush(nil) }  // with --watch, each report shows as it happens, also through a pipe
        if json { return try Output.printJSON(report) }
        for skipped in report.skipped { Output.note("skipped \(skipped.path): \(skipped.reason)") }
        for failure in report.failed { Output.note("failed: \(failure)") }
        let verb = report.dryRun ? "would " : ""
        for path in report.added { print("\(verb)add     \(path)") }
        for path in report.updated { print("\(verb)update  \(path)") }
        for path in report.removed { print("\(verb)remove  \(path)") }
        print(report.line)
    }

    private func exit(for report: SyncReport) throws {
        if let reason = report.abortedBecause {
            Output.note("stopped early: \(reason)\nEverything committed before that is kept; run the same command again.")
            throw ExitCode(2)
        }
        if !report.failed.isEmpty && !allowFailures {
            Output.note("\(report.failed.count) file(s) could not be indexed (their stored versions are kept); fix them "
                + "or pass --allow-failures")
            throw ExitCode(1)
        }
    }

    // The watcher blocks (inotify, sleeps): it runs on a thread of its own, not on Swift's cooperative pool.
    private static func waitOffThread(_ watcher: SourceWatcher, stop: StopFlag) async -> Bool {
        await withCheckedContinuation { continuation in
            Thread { continuation.resume(returning: watcher.waitForChange(stop: { stop.isSet })) }.start()
        }
    }
}

/// Set from a signal handler; read by the watcher between waits.
final class StopFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var stopped = false
    private var sources: [DispatchSourceSignal] = []

    var isSet: Bool { lock.withLock { stopped } }
    func set() { lock.withLock { stopped = true } }
    func keep(_ source: DispatchSourceSignal) { lock.withLock { sources.append(source) } }
}
