import Foundation
import Testing
@testable import KnowledgeBase

struct TokenFileTests {
    func mode(_ path: String) throws -> Int {
        try #require(FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
    }

    @Test func aTokenFileIsReadWithoutItsTrailingNewline() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("token").path
        try Data("s3cret\r\n\n".utf8).write(to: URL(fileURLWithPath: path))
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
        #expect(try TokenFile.read(path) == TokenFile.Loaded(token: "s3cret", warning: nil))

        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path)
        let open = try TokenFile.read(path)
        #expect(open.token == "s3cret")
        #expect(open.warning?.contains("chmod 600") == true && open.warning?.contains("644") == true)

        try Data("\n".utf8).write(to: URL(fileURLWithPath: path))
        #expect(throws: TokenFileError.empty(path: path)) { try TokenFile.read(path) }
        let missing = directory.appendingPathComponent("nope").path
        #expect(throws: TokenFileError.unreadable(path: missing, reason: "no such file")) { try TokenFile.read(missing) }
    }

    @Test func theWriteTokenIsCreatedPrivateOnceAndReused() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("state/kb.sqlite.write-token").path
        let first = try TokenFile.loadOrCreate(path)
        #expect(first.created)
        #expect(first.token.count == 64 && first.token.allSatisfy(\.isHexDigit))
        #expect(try mode(path) == 0o600)
        let second = try TokenFile.loadOrCreate(path)
        #expect(!second.created && second.token == first.token)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: (path as NSString).deletingLastPathComponent)
        #expect(leftovers == ["kb.sqlite.write-token"], "no temporary file is left behind")
        #expect(try TokenFile.loadOrCreate(directory.appendingPathComponent("other").path).token != first.token)
    }

    @Test func theWriteTokenLivesBesideTheFileOrInTheStateDirectory() {
        #expect(TokenFile.writeTokenPath(for: .sqlite(path: "/srv/kb/kb.sqlite"), environment: [:])
            == "/srv/kb/kb.sqlite.write-token")
        let postgres = StoreLocation.postgres(url: "postgres://kb:pw@db.internal:5433/runbooks?schema=team_a")
        #expect(TokenFile.writeTokenPath(for: postgres, environment: ["KB_STATE_DIR": "/var/lib/kb", "HOME": "/h"])
            == "/var/lib/kb/postgres-db.internal-5433-runbooks-team_a.write-token")
        #expect(TokenFile.writeTokenPath(for: postgres, environment: ["XDG_STATE_HOME": "/x", "HOME": "/h"])
            == "/x/kb/postgres-db.internal-5433-runbooks-team_a.write-token")
        #expect(TokenFile.writeTokenPath(for: .postgres(url: "postgres://u@h/d"), environment: ["HOME": "/h"])
            == "/h/.local/state/kb/postgres-h-5432-d-kb.write-token")
    }
}
