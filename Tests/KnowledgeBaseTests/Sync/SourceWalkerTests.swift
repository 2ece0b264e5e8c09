import Foundation
import Testing
@testable import KnowledgeBase
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

struct SourceWalkerTests {
    /// Runs `body` on a fresh source root holding `files`, removing it afterwards.
    func withRoot(_ files: [String: String], _ body: (URL) throws -> Void) throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let root = directory.appendingPathComponent("root")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        try writeFiles(files, under: root)
        try body(root)
    }

    func link(_ path: String, to destination: String, in root: URL) throws {
        try FileManager.default.createSymbolicLink(atPath: root.appendingPathComponent(path).path,
                                                   withDestinationPath: destination)
    }

    func reasons(_ skipped: [SkippedFile]) -> [String: String] {
        Dictionary(uniqueKeysWithValues: skipped.map { ($0.path, $0.reason) })
    }

    @Test func findsRunbooksSortedAndListsUnsupportedFilesWithAReason() throws {
        let runbooks = ["b.md": "b", "a/z.txt": "z", "a/y.markdown": "y", "a/image.png": "png", "c.MD": "c"]
        try withRoot(runbooks) { root in
            let (files, skipped) = try SourceWalker.walk(root: root.path)
            #expect(files.map(\.relativePath) == ["a/y.markdown", "a/z.txt", "b.md", "c.MD"])
            #expect(files.map(\.format) == [.markdown, .text, .markdown, .markdown])
            let unsupported = SkippedFile(path: "a/image.png", reason: "not a runbook format (.md, .markdown, .txt)")
            #expect(skipped == [unsupported])
            for file in files {
                #expect(FileManager.default.fileExists(atPath: file.url.path))
                #expect(!file.relativePath.hasPrefix("/") && !file.relativePath.contains(".."))
            }
        }
    }

    @Test func nestedKbignoreFilesApplyBelowTheirDirectory() throws {
        try withRoot([
            ".kbignore": "# drafts are private\ndrafts/\n*.txt\n",
            "drafts/a.md": "a", "drafts/deep/b.md": "b",
            "notes.txt": "n",
            "docs/.kbignore": "!*.txt\n/local.md\n",
            "docs/keep.txt": "k", "docs/local.md": "l", "docs/sub/local.md": "s", "local.md": "r",
        ]) { root in
            let (files, skipped) = try SourceWalker.walk(root: root.path)
            #expect(files.map(\.relativePath) == ["docs/keep.txt", "docs/sub/local.md", "local.md"])
            #expect(skipped.map(\.path) == ["docs/local.md", "drafts", "notes.txt"], "an ignored folder is one entry")
            let why = reasons(skipped)
            #expect(why["drafts"] == "ignored by .kbignore:2: drafts/")
            #expect(why["notes.txt"] == "ignored by .kbignore:3: *.txt")
            #expect(why["docs/local.md"] == "ignored by docs/.kbignore:2: /local.md")
        }
    }

    @Test func defaultsSkipHiddenGitAndNodeModulesAndAKbignoreCanReinclude() throws {
        try withRoot([
            ".git/HEAD.md": "h", "web/node_modules/pkg/readme.md": "r", ".draft.md": "d",
            ".github/ci.md": "ci", "guide.md": "g", ".kbignore": "!.github/\n",
        ]) { root in
            let (files, skipped) = try SourceWalker.walk(root: root.path)
            #expect(files.map(\.relativePath) == [".github/ci.md", "guide.md"])
            #expect(reasons(skipped) == [
                ".git": "ignored by default: .git/",
                ".draft.md": "ignored by default: .* (hidden entries)",
                "web/node_modules": "ignored by default: node_modules/",
            ], ".kbignore itself is never listed")
        }
    }

    @Test func aFileInsideAnIgnoredDirectoryStaysIgnored() throws {
        try withRoot([".kbignore": "build/\n!build/keep.md\n", "build/keep.md": "k"]) { root in
            let (files, skipped) = try SourceWalker.walk(root: root.path)
            #expect(files.isEmpty)
            #expect(skipped == [SkippedFile(path: "build", reason: "ignored by .kbignore:1: build/")])
        }
    }

    @Test func symlinksInsideTheRootAreFollowedOnce() throws {
        try withRoot(["store/real/a.md": "a", "store/runbook.text": "r"]) { root in
            try link("aliases", to: "store/real", in: root)
            try link("runbook.md", to: "store/runbook.text", in: root)
            let (files, skipped) = try SourceWalker.walk(root: root.path)
            #expect(files.map(\.relativePath) == ["aliases/a.md", "runbook.md"])
            #expect(try String(contentsOf: files[0].url, encoding: .utf8) == "a")
            #expect(reasons(skipped) == [
                "store/real": "same directory as aliases",
                "store/runbook.text": "not a runbook format (.md, .markdown, .txt)",
            ])
        }
    }

    @Test func aFileReachedTwiceIsIndexedUnderItsFirstPath() throws {
        try withRoot(["docs/a.md": "a"]) { root in
            try link("link.md", to: "docs/a.md", in: root)
            try link("b-link.md", to: "docs/a.md", in: root)
            let (files, skipped) = try SourceWalker.walk(root: root.path)
            #expect(files.map(\.relativePath) == ["b-link.md"])
            #expect(reasons(skipped) == ["docs/a.md": "same file as b-link.md", "link.md": "same file as b-link.md"])
        }
    }

    @Test func symlinksOutsideTheRootAreSkipped() throws {
        let outside = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: outside) }
        try writeFiles(["secret.md": "s"], under: outside)
        let realOutside = outside.resolvingSymlinksInPath().path
        try withRoot(["a.md": "a"]) { root in
            try link("secret.md", to: outside.appendingPathComponent("secret.md").path, in: root)
            try link("elsewhere", to: outside.path, in: root)
            let (files, skipped) = try SourceWalker.walk(root: root.path)
            #expect(files.map(\.relativePath) == ["a.md"])
            #expect(reasons(skipped) == [
                "elsewhere": "symlink to \(realOutside) outside the source root",
                "secret.md": "symlink to \(realOutside)/secret.md outside the source root",
            ])
        }
    }

    @Test func directorySymlinkLoopsAreDetected() throws {
        try withRoot(["docs/a.md": "a"]) { root in
            try link("docs/up", to: "..", in: root)
            try link("docs/here", to: ".", in: root)
            let (files, skipped) = try SourceWalker.walk(root: root.path)
            #expect(files.map(\.relativePath) == ["docs/a.md"])
            #expect(reasons(skipped) == [
                "docs/here": "symlink loop: leads back to docs, which contains it",
                "docs/up": "symlink loop: leads back to the source root, which contains it",
            ])
        }
    }

    @Test func brokenAndSelfReferentialSymlinksAreSkipped() throws {
        try withRoot(["a.md": "a"]) { root in
            try link("gone.md", to: "missing.md", in: root)
            try link("ping.md", to: "pong.md", in: root)
            try link("pong.md", to: "ping.md", in: root)
            let (files, skipped) = try SourceWalker.walk(root: root.path)
            #expect(files.map(\.relativePath) == ["a.md"])
            let why = reasons(skipped)
            #expect(why["gone.md"]?.hasPrefix("broken symlink to missing.md") == true)
            #expect(why["ping.md"]?.hasPrefix("symlink loop:") == true)
            #expect(why["pong.md"]?.hasPrefix("symlink loop:") == true)
        }
    }

    @Test(.enabled(if: getuid() != 0, "root can read any directory"))
    func unreadableDirectoriesAreSkipped() throws {
        try withRoot(["a.md": "a", "locked/b.md": "b"]) { root in
            let locked = root.appendingPathComponent("locked").path
            #expect(chmod(locked, 0) == 0)
            defer { _ = chmod(locked, 0o755) }
            let (files, skipped) = try SourceWalker.walk(root: root.path)
            #expect(files.map(\.relativePath) == ["a.md"])
            #expect(skipped.map(\.path) == ["locked"])
            #expect(skipped.first?.reason.hasPrefix("unreadable directory:") == true)
        }
    }

    @Test func aMissingOrNonDirectoryRootThrows() throws {
        try withRoot(["a.md": "a"]) { root in
            let missing = root.appendingPathComponent("nope").path
            let notFound = #expect(throws: SyncError.self) { try SourceWalker.walk(root: missing) }
            guard case .rootNotFound(missing) = notFound else {
                Issue.record("expected rootNotFound, got \(String(describing: notFound))")
                return
            }
            #expect(notFound?.description.contains("does not exist") == true)
            let file = root.appendingPathComponent("a.md").path
            let notDirectory = #expect(throws: SyncError.self) { try SourceWalker.walk(root: file) }
            guard case .rootNotDirectory(file) = notDirectory else {
                Issue.record("expected rootNotDirectory, got \(String(describing: notDirectory))")
                return
            }
            #expect(notDirectory?.description.contains("not a folder") == true)
        }
    }

    @Test func skippedFilesEncodeAsJSON() throws {
        let skipped = SkippedFile(path: "a.png", reason: "not a runbook format (.md, .markdown, .txt)")
        let decoded = try JSONDecoder().decode(SkippedFile.self, from: JSONEncoder().encode(skipped))
        #expect(decoded == skipped)
    }
}
