import Foundation
import Testing
@testable import KnowledgeBase

struct SyncerTests {
    func syncer(_ catalog: Catalog) -> Syncer {
        Syncer(catalog: catalog, embedder: HashEmbedder(), chunker: Chunker(), logger: quietLogger)
    }

    func paths(_ catalog: Catalog, _ source: String) throws -> [String] {
        try catalog.store.documents(source: source).map(\.path)
    }

    @Test func addEditRenameAndDeleteAreMirrored() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let root = directory.appendingPathComponent("runbooks")
        try writeFiles(["disk.md": "# Disk\nRotate logs.", "net/dns.md": "# DNS\nFlush the cache.", "old.md": "# Old\nx"],
                       under: root)
        let catalog = try makeCatalog(in: directory)
        let first = try await syncer(catalog).sync(root.path)
        #expect(first.source == "runbooks" && first.added == ["disk.md", "net/dns.md", "old.md"] && first.failed.isEmpty)

        try writeFiles(["disk.md": "# Disk\nRotate and compress logs."], under: root)
        try FileManager.default.moveItem(at: root.appendingPathComponent("net/dns.md"),
                                         to: root.appendingPathComponent("net/resolver.md"))
        try FileManager.default.removeItem(at: root.appendingPathComponent("old.md"))
        let second = try await syncer(catalog).sync(root.path)
        #expect(second.added == ["net/resolver.md"] && second.updated == ["disk.md"])
        #expect(second.removed == ["net/dns.md", "old.md"] && second.unchanged == 0)
        #expect(try paths(catalog, "runbooks") == ["disk.md", "net/resolver.md"])
        #expect(try catalog.store.chunks(documentID: try #require(try catalog.store.document(path: "disk.md")).id)
            .contains { $0.text.contains("compress") })

        let third = try await syncer(catalog).sync(root.path)
        #expect(third.unchanged == 2 && third.added.isEmpty && third.updated.isEmpty && third.removed.isEmpty)
        #expect(third.embeddingRequests == 0, "nothing changed: nothing embedded")
    }

    @Test func aDryRunReportsAndChangesNothing() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let root = directory.appendingPathComponent("runbooks")
        try writeFiles(["a.md": "# A\none", "b.md": "# B\ntwo"], under: root)
        let catalog = try makeCatalog(in: directory)
        _ = try await syncer(catalog).sync(root.path)
        try writeFiles(["a.md": "# A\nchanged", "c.md": "# C\nnew"], under: root)
        try FileManager.default.removeItem(at: root.appendingPathComponent("b.md"))
        let sequence = try catalog.store.latestSequence()
        let plan = try await syncer(catalog).sync(root.path, options: SyncOptions(dryRun: true))
        #expect(plan.dryRun && plan.added == ["c.md"] && plan.updated == ["a.md"] && plan.removed == ["b.md"])
        #expect(try catalog.store.latestSequence() == sequence, "a dry run writes nothing")
        #expect(try paths(catalog, "runbooks") == ["a.md", "b.md"])
    }

    @Test func twoSourcesAndHTTPDocumentsNeverTouchEachOther() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let teamA = directory.appendingPathComponent("team-a")
        let teamB = directory.appendingPathComponent("team-b")
        try writeFiles(["README.md": "# Team A\nPager duty.", "a.md": "# A\none"], under: teamA)
        try writeFiles(["README.md": "# Team B\nOn call."], under: teamB)
        let catalog = try makeCatalog(in: directory)
        _ = try await Ingester(catalog: catalog, embedder: HashEmbedder(), chunker: Chunker(), logger: quietLogger)
            .add(path: "a.md", content: "# Uploaded\nover HTTP", format: .markdown)
        _ = try await syncer(catalog).sync(teamA.path)
        _ = try await syncer(catalog).sync(teamB.path)
        #expect(try paths(catalog, "team-a") == ["README.md", "a.md"] && paths(catalog, "team-b") == ["README.md"])

        // Team A empties its folder: only team A's documents go.
        for name in ["README.md", "a.md"] { try FileManager.default.removeItem(at: teamA.appendingPathComponent(name)) }
        let emptied = try await syncer(catalog).sync(teamA.path)
        #expect(emptied.removed == ["README.md", "a.md"])
        #expect(try paths(catalog, "team-a").isEmpty && paths(catalog, "team-b") == ["README.md"])
        #expect(try paths(catalog, DocumentSource.api) == ["a.md"], "documents added over HTTP are never pruned")

        await #expect { try await syncer(catalog).sync(teamB.path, options: SyncOptions(source: "api")) } throws: {
            "\($0)".contains("kb's own")
        }
    }

    @Test func overlappingOrMovedSourcesAreRefused() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let root = directory.appendingPathComponent("runbooks")
        try writeFiles(["team-a/x.md": "# X\nx", "team-b/y.md": "# Y\ny"], under: root)
        let catalog = try makeCatalog(in: directory)
        _ = try await syncer(catalog).sync(root.path)
        let before = try catalog.store.latestSequence()
        await #expect { try await syncer(catalog).sync(root.appendingPathComponent("team-a").path) } throws: {
            "\($0)".contains("overlaps source runbooks")
        }
        await #expect {
            try await syncer(catalog).sync(root.appendingPathComponent("team-b").path,
                                           options: SyncOptions(source: "runbooks"))
        } throws: { "\($0)".contains("is synced from") }
        #expect(try catalog.store.latestSequence() == before, "a refused sync changes nothing")
        #expect(try paths(catalog, "runbooks") == ["team-a/x.md", "team-b/y.md"])
    }

    @Test func ignoredLoopedAndUnreadableFilesAreListedAndFailuresKeepTheStoredVersion() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let root = directory.appendingPathComponent("runbooks")
        try writeFiles([".kbignore": "drafts/\n", "drafts/wip.md": "# WIP", "ok.md": "# OK\nfine", "logo.png": "png",
                        "bad.md": "# Bad\nfine for now"], under: root)
        try FileManager.default.createSymbolicLink(atPath: root.appendingPathComponent("loop").path,
                                                   withDestinationPath: root.path)
        let catalog = try makeCatalog(in: directory)
        let first = try await syncer(catalog).sync(root.path)
        let skipped = Dictionary(uniqueKeysWithValues: first.skipped.map { ($0.path, $0.reason) })
        #expect(skipped["drafts"]?.contains("drafts/") == true || skipped["drafts/"]?.contains("drafts/") == true,
                "\(skipped)")
        #expect(skipped["logo.png"]?.contains("not a runbook") == true)
        #expect(skipped["loop"]?.contains("loop") == true, "\(skipped)")
        #expect(first.added == ["bad.md", "ok.md"])

        // A file that turns into invalid UTF-8 fails; its stored version stays.
        try Data([0x23, 0x20, 0xff, 0xfe]).write(to: root.appendingPathComponent("bad.md"))
        let second = try await syncer(catalog).sync(root.path)
        #expect(second.failed.count == 1 && second.failed[0].contains("UTF-8"))
        #expect(try catalog.store.document(path: "bad.md", source: "runbooks") != nil)
    }

    @Test func aGitSourceIndexesTheCommittedTreeAndRecordsTheCommit() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let root = directory.appendingPathComponent("repo")
        try writeFiles(["disk.md": "# Disk\nCommitted text.", "docs/.kbignore": "private.md\n",
                        "docs/private.md": "# Private", "docs/guide.md": "# Guide\nCommitted guide."], under: root)
        func git(_ arguments: String...) throws {
            _ = try GitTree.run(["-c", "user.email=t@example.invalid", "-c", "user.name=t"] + arguments, in: root.path,
                                failure: "git \(arguments.joined(separator: " "))")
        }
        try git("init", "-q")
        try git("add", ".")
        try git("commit", "-q", "-m", "runbooks")
        try writeFiles(["disk.md": "# Disk\nUncommitted edit.", "untracked.md": "# Untracked"], under: root)
        let catalog = try makeCatalog(in: directory)
        let report = try await syncer(catalog).sync(root.path, options: SyncOptions(git: true))
        #expect(report.added == ["disk.md", "docs/guide.md"], "\(report.skipped)")
        #expect(report.skipped.contains { $0.path == "docs/private.md" && $0.reason.contains("private.md") })
        let disk = try #require(try catalog.store.document(path: "disk.md", source: "repo"))
        #expect(try catalog.store.chunks(documentID: disk.id).allSatisfy { !$0.text.contains("Uncommitted") })
        let head = String(decoding: try GitTree.run(["rev-parse", "HEAD"], in: root.path, failure: ""), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(report.revision == head)
        #expect(try catalog.store.sources().first?.revision == head)

        await #expect { try await syncer(catalog).sync(root.path, options: SyncOptions(git: true, ref: "nope")) } throws: {
            "\($0)".contains("nope is not a commit")
        }
    }
}
