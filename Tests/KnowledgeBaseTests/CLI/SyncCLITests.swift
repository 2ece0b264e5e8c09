import Foundation
import Testing
@testable import KnowledgeBase

/// `kb sync` as a user runs it: exit statuses, the dry run's listing, and `--watch` following an edit.
@Suite(.serialized)
struct SyncCLITests {
    @Test func exitStatusSaysWhetherEveryFileWasIndexed() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let database = directory.appendingPathComponent("kb.sqlite")
        let root = directory.appendingPathComponent("runbooks")
        try writeFiles(["ok.md": "# OK\nRestart it.", "notes.pdf": "%PDF"], under: root)
        try Data([0x23, 0xff, 0xfe]).write(to: root.appendingPathComponent("latin1.md"))

        let dry = try CLITests().kb(["sync", root.path, "--dry-run"], database: database)
        #expect(dry.status == 0 && dry.stdout.contains("would add     ok.md") && dry.stdout.contains("nothing changed"))
        #expect(!FileManager.default.fileExists(atPath: database.path), "a dry run on a new file creates nothing")

        let failing = try CLITests().kb(["sync", root.path], database: database)
        #expect(failing.status == 1, "\(failing.stderr)")
        #expect(failing.stderr.contains("skipped notes.pdf: not a runbook format"))
        #expect(failing.stderr.contains("latin1.md") && failing.stderr.contains("--allow-failures"))
        let allowed = try CLITests().kb(["sync", root.path, "--allow-failures", "--json"], database: database)
        #expect(allowed.status == 0)
        let report = try CLITests().json(allowed.stdout)
        #expect(report["source"] as? String == "runbooks" && report["unchanged"] as? Int == 1)
        #expect((report["failed"] as? [String])?.count == 1)

        let stats = try CLITests().kb(["stats"], database: database)
        #expect(stats.stdout.contains("source runbooks: 1 documents, folder"), "\(stats.stdout)")
    }

    @Test func watchSyncsAnEditWithoutBeingRunAgain() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let database = directory.appendingPathComponent("kb.sqlite")
        let root = directory.appendingPathComponent("runbooks")
        try writeFiles(["disk.md": "# Disk\nRotate the logs."], under: root)
        let process = Process()
        process.executableURL = CLITests.executable
        process.arguments = ["sync", root.path, "--watch", "--db", database.path, "--embedder", "hash"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer {
            process.terminate()
            process.waitUntilExit()
        }
        func text(_ path: String) throws -> String? {
            guard FileManager.default.fileExists(atPath: database.path) else { return nil }
            let store = try SQLiteStore(path: database.path)
            guard let document = try store.document(path: path, source: "runbooks") else { return nil }
            return try store.chunks(documentID: document.id).map(\.text).joined(separator: "\n")
        }
        try await eventually("the first sync") { try text("disk.md")?.contains("Rotate") == true }
        try writeFiles(["disk.md": "# Disk\nCompress the logs instead.", "new.md": "# New\nA new runbook."],
                       under: root)
        try await eventually("the watcher syncs the edit") {
            try text("disk.md")?.contains("Compress") == true && text("new.md") != nil
        }
        try FileManager.default.removeItem(at: root.appendingPathComponent("new.md"))
        try await eventually("the watcher syncs the removal") { try text("new.md") == nil }
    }
}
