import Foundation
import Logging

/// What `kb sync` is asked to do.
public struct SyncOptions: Sendable {
    /// The source's name; nil for the root folder's name.
    public var source: String?
    /// Read the committed tree at `ref` instead of the files on disk.
    public var git: Bool
    public var ref: String
    /// Work out what would change and change nothing.
    public var dryRun: Bool

    public init(source: String? = nil, git: Bool = false, ref: String = "HEAD", dryRun: Bool = false) {
        self.source = source
        self.git = git
        self.ref = ref
        self.dryRun = dryRun
    }
}

/// What a sync did (or, with `--dry-run`, would do).
public struct SyncReport: Sendable, Codable {
    public var source: String
    public var root: String
    public var kind: String
    public var revision: String?
    public var dryRun: Bool
    public var added: [String] = []
    public var updated: [String] = []
    public var removed: [String] = []
    public var unchanged = 0
    public var skipped: [SkippedFile] = []
    /// Files that could not be indexed (unreadable, not UTF-8, bad front matter, rejected by the embedder); their
    /// stored versions, if any, are kept.
    public var failed: [String] = []
    public var embeddingRequests = 0
    public var embeddedChunks = 0
    public var seconds = 0.0
    public var abortedBecause: String?

    enum CodingKeys: String, CodingKey {
        case source, root, kind, revision, added, updated, removed, unchanged, skipped, failed, seconds
        case dryRun = "dry_run"
        case embeddingRequests = "embedding_requests"
        case embeddedChunks = "embedded_chunks"
        case abortedBecause = "aborted_because"
    }

    /// One line for people.
    public var line: String {
        var line = dryRun
            ? "dry run, nothing changed: would add \(added.count), update \(updated.count), remove \(removed.count)"
            : "synced \(source): \(added.count) added, \(updated.count) updated, \(removed.count) removed"
        line += ", \(unchanged) unchanged, \(skipped.count) skipped, \(failed.count) failed"
        if let revision { line += " at \(revision.prefix(12))" }
        if !dryRun { line += String(format: "; %d embedding requests; %.2f s", embeddingRequests, seconds) }
        return line
    }
}

/// Keeps one source of the knowledge base equal to a folder or a git tree: adds and updates what changed, removes
/// what is gone, and never touches another source's documents.
public struct Syncer: Sendable {
    public let catalog: Catalog
    public let embedder: any EmbeddingClient
    public let chunker: Chunker
    let logger: Logger

    /// Sources kb writes itself, which a sync may not take the name of.
    public static let reservedSources: Set<String> = [DocumentSource.api, DocumentSource.ingest]

    public init(catalog: Catalog, embedder: any EmbeddingClient, chunker: Chunker, logger: Logger) {
        self.catalog = catalog
        self.embedder = embedder
        self.chunker = chunker
        self.logger = logger
    }

    public func sync(_ path: String, options: SyncOptions = SyncOptions()) async throws -> SyncReport {
        let started = ContinuousClock.now
        let root = try Self.resolveRoot(path)
        let name = options.source ?? URL(fileURLWithPath: root).lastPathComponent
        try Self.validateName(name)
        try checkOwnership(name: name, root: root)
        var report = SyncReport(source: name, root: root, kind: options.git ? "git" : "folder", dryRun: options.dryRun)
        var files: [SourceFile]
        if options.git {
            let tree = try GitTree.read(root: root, ref: options.ref)
            report.revision = tree.commit
            (files, report.skipped) = try Self.files(of: tree)
        } else {
            let walked = try SourceWalker.walk(root: root)
            files = walked.files.map { SourceFile(url: $0.url, storedPath: $0.relativePath, format: $0.format) }
            report.skipped = walked.skipped
        }
        // A path with control or bidi characters is reported (escaped) and skipped; the others go on.
        let refused = files.compactMap { file in
            DocumentPath.problem(file.storedPath).map { SkippedFile(path: DocumentPath.escaped(file.storedPath),
                                                                    reason: $0) }
        }
        if !refused.isEmpty {
            files.removeAll { DocumentPath.problem($0.storedPath) != nil }
            report.skipped = (report.skipped + refused).sorted { $0.path < $1.path }
        }
        // Folders that could not be read and blobs git could not give keep what is stored under them.
        let unreadable = report.skipped.filter { $0.reason.hasPrefix("unreadable") || $0.reason.hasPrefix("missing") }
        let protected = unreadable.map(\.path)
        try plan(files, source: name, protecting: protected, into: &report)
        guard !options.dryRun else { return report }

        try catalog.store.claimSource(name: name, root: root, kind: report.kind)
        let summary = try await Ingester(catalog: catalog, embedder: embedder, chunker: chunker, logger: logger)
            .ingest(files, source: name, prune: true, protecting: protected)
        report.failed = unreadable.map { "\($0.path): \($0.reason); its stored runbooks are kept" } + summary.problems
        if summary.abortedBecause != nil { report.removed = [] }  // the prune did not run
        report.embeddingRequests = summary.embeddingRequests
        report.embeddedChunks = summary.embeddedChunks
        report.abortedBecause = summary.abortedBecause
        if summary.abortedBecause == nil {
            try catalog.store.recordSource(name: name, root: root, kind: report.kind,
                                           ref: options.git ? options.ref : nil, revision: report.revision)
        }
        report.seconds = started.duration(to: .now).millisecondsDouble / 1000
        logger.info("sync finished", metadata: [
            "sync.source": "\(name)", "sync.added": "\(report.added.count)", "sync.updated": "\(report.updated.count)",
            "sync.removed": "\(report.removed.count)", "sync.failed": "\(report.failed.count)",
            "duration_ms": "\(Int(report.seconds * 1000))",
        ])
        return report
    }

    // Sorts the files into added, updated and unchanged against what the source holds, and lists what would go.
    private func plan(_ files: [SourceFile], source: String, protecting protected: [String],
                      into report: inout SyncReport) throws {
        let stored = Dictionary(try catalog.store.documents(source: source).map { ($0.path, $0) },
                                uniquingKeysWith: { first, _ in first })
        for file in files {
            guard let existing = stored[file.storedPath] else {
                report.added.append(file.storedPath)
                continue
            }
            let data = try? file.content ?? Data(contentsOf: file.url)
            if let data, SHA256.hex(data) == existing.sha256, existing.chunker == chunker.options.signature,
               existing.format == file.format {
                report.unchanged += 1
            } else {
                report.updated.append(file.storedPath)
            }
        }
        let present = Set(files.map(\.storedPath))
        report.removed = stored.keys.filter { path in
            !present.contains(path) && !protected.contains { path == $0 || path.hasPrefix($0 + "/") }
        }.sorted()
    }

    /// The folder a source is synced from, resolved (symlinks and `..`), or a clear error.
    static func resolveRoot(_ path: String) throws -> String {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw SyncError.rootNotFound(path)
        }
        guard isDirectory.boolValue else { throw SyncError.rootNotDirectory(path) }
        return URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
    }

    static func validateName(_ name: String) throws {
        guard !name.isEmpty, name.count <= 200, !name.contains("/"),
              !name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
        else {
            throw SyncError.badSourceName(name)
        }
        if reservedSources.contains(name) { throw SyncError.reservedSourceName(name) }
    }

    // A source stays where it was first synced from, and two sources never cover the same files.
    private func checkOwnership(name: String, root: String) throws {
        for source in try catalog.store.sources() {
            if source.name == name {
                guard source.root == root else {
                    throw SyncError.sourceMoved(name: name, stored: source.root, given: root)
                }
            } else if Self.contains(source.root, root) || Self.contains(root, source.root) {
                throw SyncError.overlappingSource(name: name, root: root, other: source.name, otherRoot: source.root)
            }
        }
    }

    static func contains(_ outer: String, _ inner: String) -> Bool {
        inner == outer || inner.hasPrefix(outer.hasSuffix("/") ? outer : outer + "/")
    }

    // The runbooks of a git tree, with the same ignore rules and formats as a folder; symlinks and submodules are
    // listed as skipped (a commit's symlink may point anywhere).
    static func files(of tree: GitTree) throws -> ([SourceFile], [SkippedFile]) {
        var skipped: [SkippedFile] = []
        let ignoreFiles = tree.entries.filter { $0.isFile && ($0.path == ".kbignore" || $0.path.hasSuffix("/.kbignore")) }
        let ignoreTexts = try tree.contents(of: ignoreFiles.map(\.object))
        var stack = IgnoreStack()
        for file in ignoreFiles.sorted(by: { $0.path.split(separator: "/").count < $1.path.split(separator: "/").count }) {
            let base = file.path.split(separator: "/").dropLast().joined(separator: "/")
            stack.add(IgnoreRules(text: String(decoding: ignoreTexts[file.object] ?? Data(), as: UTF8.self), base: base,
                                  file: file.path))
        }
        var wanted: [(GitTree.Entry, DocumentFormat)] = []
        var ignoredFolders: [String] = []
        for entry in tree.entries {
            if entry.path == ".kbignore" || entry.path.hasSuffix("/.kbignore") { continue }
            if ignoredFolders.contains(where: { entry.path.hasPrefix($0 + "/") }) { continue }
            // Folders are checked from the top, so one rule on a folder skips it once, as on disk.
            let components = entry.path.split(separator: "/").map(String.init)
            var folderIgnored = false
            for depth in 1..<max(1, components.count) {
                let folder = components.prefix(depth).joined(separator: "/")
                let decision = stack.decision(forRelativePath: folder, isDirectory: true)
                if decision.ignored {
                    skipped.append(SkippedFile(path: folder, reason: "ignored by \(decision.rule ?? "a rule")"))
                    ignoredFolders.append(folder)
                    folderIgnored = true
                    break
                }
            }
            if folderIgnored { continue }
            let decision = stack.decision(forRelativePath: entry.path, isDirectory: false)
            if decision.ignored {
                skipped.append(SkippedFile(path: entry.path, reason: "ignored by \(decision.rule ?? "a rule")"))
            } else if entry.mode == "120000" {
                skipped.append(SkippedFile(path: entry.path, reason: "symlink in the commit (not followed in --git mode)"))
            } else if entry.mode == "160000" {
                skipped.append(SkippedFile(path: entry.path, reason: "git submodule (sync it as a source of its own)"))
            } else if let format = DocumentFormat(fileName: entry.path), entry.isFile {
                wanted.append((entry, format))
            } else {
                skipped.append(SkippedFile(path: entry.path, reason: "not a runbook format (.md, .markdown, .txt)"))
            }
        }
        let contents = try tree.contents(of: wanted.map(\.0.object))
        var files: [SourceFile] = []
        for (entry, format) in wanted {
            guard let content = contents[entry.object] else {
                skipped.append(SkippedFile(path: entry.path, reason: "missing blob \(entry.object) (a partial clone?)"))
                continue
            }
            files.append(SourceFile(url: URL(fileURLWithPath: tree.root).appendingPathComponent(entry.path),
                                    storedPath: entry.path, format: format, content: content))
        }
        return (files, skipped)
    }
}
