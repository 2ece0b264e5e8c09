import Foundation
import Testing
@testable import KnowledgeBase

/// A knowledge base of three runbooks with front matter, embedded with the hash embedder.
struct RunbookFixture {
    let directory: URL
    let catalog: Catalog
    let tools: RunbookTools

    init(answerEngine: ((QueryEngine) -> AnswerEngine)? = nil) async throws {
        directory = try temporaryDirectory()
        let root = directory.appendingPathComponent("runbooks")
        try writeFiles([
            "platform/disk-full.md": """
                ---
                service: linux
                severity: 2
                ---
                # Disk full
                ## Diagnosis
                Run df -h to find the full filesystem.
                ## Mitigation
                Rotate and compress logs with logrotate.
                """,
            "databases/replication-lag.md": """
                ---
                service: postgres
                ---
                # Replication lag
                ## Diagnosis
                Compare pg_current_wal_lsn on the primary with pg_last_wal_replay_lsn on the replica.
                """,
            "networking/cert expiry.md": "# Certificate expiry\n## Renew\nRun certbot renew and reload nginx.\n",
        ], under: root)
        catalog = try makeCatalog(in: directory)
        let (files, _) = try SourceDiscovery.discover([root.path])
        _ = try await Ingester(catalog: catalog, embedder: HashEmbedder(), chunker: Chunker(), logger: quietLogger)
            .ingest(files)
        let engine = QueryEngine(catalog: catalog, embedder: HashEmbedder(), logger: quietLogger)
        tools = RunbookTools(queryEngine: engine, answerEngine: answerEngine?(engine))
    }

    func cleanUp() { try? FileManager.default.removeItem(at: directory) }
}

struct RunbookToolsTests {
    @Test func searchReturnsNumberedCitedPassagesWithPathHeadingLinesAndScore() async throws {
        let fixture = try await RunbookFixture()
        defer { fixture.cleanUp() }
        let result = await fixture.tools.call("search_runbooks", arguments: ["question": "disk full df logrotate", "k": 2])
        #expect(!result.isError, "\(result.text)")
        let top = try #require(result.sources.first)
        #expect(top.rank == 1 && top.path == "platform/disk-full.md" && top.lines.count == 2)
        #expect(result.text.contains("[1] platform/disk-full.md › Disk full"))
        let first = try #require(result.structured?.objectValue?["results"]?.arrayValue?.first?.objectValue)
        #expect(first["path"] == "platform/disk-full.md" && first["number"] == 1)
        #expect(first["uri"] == "kb://runbook/platform/disk-full.md")
        #expect(first["metadata"]?.objectValue?["service"] == "linux")
        #expect(result.sources.count <= 2)
    }

    @Test func searchAppliesModePathPrefixAndWhere() async throws {
        let fixture = try await RunbookFixture()
        defer { fixture.cleanUp() }
        let filtered = await fixture.tools.call("search_runbooks", arguments: [
            "question": "diagnosis", "where": ["service": "postgres"],
        ])
        #expect(!filtered.sources.isEmpty && filtered.sources.allSatisfy { $0.path == "databases/replication-lag.md" })
        let keyword = await fixture.tools.call("search_runbooks", arguments: [
            "question": "certbot", "mode": "keyword", "path_prefix": "networking/",
        ])
        #expect(keyword.sources.map(\.path) == ["networking/cert expiry.md"])
        #expect(keyword.structured?.objectValue?["mode"] == "keyword")
    }

    @Test func anUncoveredQuestionSaysSoInsteadOfReturningWeakPassages() async throws {
        let fixture = try await RunbookFixture()
        defer { fixture.cleanUp() }
        let result = await fixture.tools.call("search_runbooks", arguments: ["question": "quarterly marketing budget"])
        #expect(!result.isError && result.sources.isEmpty)
        #expect(result.text.contains("do not appear to cover"))
    }

    @Test func aLedgerKeepsNumbersStableAcrossCalls() async throws {
        let fixture = try await RunbookFixture()
        defer { fixture.cleanUp() }
        let ledger = SourceLedger()
        let first = await fixture.tools.call("search_runbooks", arguments: ["question": "certbot renew"], ledger: ledger)
        let runbook = await fixture.tools.call("get_runbook", arguments: ["path": "platform/disk-full.md"], ledger: ledger)
        let again = await fixture.tools.call("search_runbooks", arguments: ["question": "certbot renew"], ledger: ledger)
        #expect(again.sources.map(\.rank) == first.sources.map(\.rank))
        #expect(runbook.sources.map(\.rank).min()! > first.sources.map(\.rank).max()!)
        #expect(ledger.sources.map(\.rank) == Array(1...ledger.sources.count))
        #expect(runbook.text.contains("## [\(runbook.sources[0].rank)] "))
    }

    @Test func getRunbookGivesEverySectionByPathOrId() async throws {
        let fixture = try await RunbookFixture()
        defer { fixture.cleanUp() }
        let byPath = await fixture.tools.call("get_runbook", arguments: ["path": "platform/disk-full.md"])
        #expect(!byPath.isError)
        #expect(byPath.text.hasPrefix("# Disk full\npath: platform/disk-full.md · source: ingest"))
        #expect(byPath.text.contains("Run df -h") && byPath.text.contains("logrotate"))
        #expect(byPath.sources.map { $0.heading.components(separatedBy: " › ").last! }.suffix(2) == ["Diagnosis", "Mitigation"])
        let id = try #require(byPath.structured?.objectValue?["id"]?.intValue)
        let byID = await fixture.tools.call("get_runbook", arguments: ["id": .number(Double(id))])
        #expect(byID.structured?.objectValue?["path"] == "platform/disk-full.md")
    }

    @Test(arguments: [
        (ToolValue.object([:]), "give \"path\" or \"id\""),
        (["path": "a.md", "id": 1], "give \"path\" or \"id\", not both"),
        (["path": "missing.md"], "no runbook has the path missing.md"),
        (["id": 999], "no runbook has id 999"),
        (["path": "platform/disk-full.md", "source": "elsewhere"], "no runbook platform/disk-full.md in source elsewhere"),
    ] as [(ToolValue, String)])
    func getRunbookErrorsSayWhatWasWrong(arguments: ToolValue, message: String) async throws {
        let fixture = try await RunbookFixture()
        defer { fixture.cleanUp() }
        let result = await fixture.tools.call("get_runbook", arguments: arguments.objectValue)
        #expect(result.isError && result.text.contains(message), "\(result.text)")
    }

    @Test func listRunbooksFiltersAndPages() async throws {
        let fixture = try await RunbookFixture()
        defer { fixture.cleanUp() }
        let all = await fixture.tools.call("list_runbooks", arguments: nil)
        #expect(all.structured?.objectValue?["total"] == 3)
        #expect(all.text.contains("- databases/replication-lag.md — Replication lag"))
        let filtered = await fixture.tools.call("list_runbooks", arguments: ["where": ["severity": 2]])
        #expect(filtered.structured?.objectValue?["runbooks"]?.arrayValue?.count == 1)
        let page = await fixture.tools.call("list_runbooks", arguments: ["limit": 1, "offset": 1])
        let paths = page.structured?.objectValue?["runbooks"]?.arrayValue?.compactMap { $0.objectValue?["path"]?.stringValue }
        #expect(paths == ["networking/cert expiry.md"])
        #expect(page.text.contains("More: call again with offset 2."))
        let prefix = await fixture.tools.call("list_runbooks", arguments: ["path_prefix": "nowhere/"])
        #expect(prefix.text == "No runbook matches.")
    }

    @Test func unknownToolsAndBadArgumentsAreErrorResults() async throws {
        let fixture = try await RunbookFixture()
        defer { fixture.cleanUp() }
        let unknown = await fixture.tools.call("drop_tables", arguments: [:])
        #expect(unknown.isError && unknown.text.contains("there is no tool \"drop_tables\""))
        #expect(unknown.text.contains("search_runbooks, get_runbook, list_runbooks."))
        let bad = await fixture.tools.call("search_runbooks", arguments: ["question": "   "])
        #expect(bad.isError && bad.text.contains("\"question\" holds only spaces"))
        let noAsk = await fixture.tools.call("ask_runbooks", arguments: ["question": "disk"])
        #expect(noAsk.isError && noAsk.text.contains("there is no tool \"ask_runbooks\""))
    }

    @Test func anInternalFailureKeepsItsSQLForTheLog() {
        let sql = StoreError.sqlite(code: 11, message: "database disk image is malformed", sql: "SELECT * FROM chunks")
        let result = ToolResult.failure(sql)
        #expect(result.isError && !result.text.contains("SELECT") && result.text.contains("server's log"))
        #expect(result.internalError?.contains("SELECT * FROM chunks") == true)
        let bad = ToolResult.failure(StoreError.invalidInput("field k must be 1-100"))
        #expect(bad.text == "field k must be 1-100" && bad.internalError == nil, "the caller's mistakes are shown")
    }

    @Test func askRunbooksIsOfferedWithAChatModelAndChecksItsCitations() async throws {
        let chat = ScriptedChat(answer: "Rotate the logs [1], see also [9].")
        let fixture = try await RunbookFixture { AnswerEngine(queryEngine: $0, chat: chat, chatModel: "m") }
        defer { fixture.cleanUp() }
        #expect(fixture.tools.definitions.map(\.name).last == "ask_runbooks")
        let result = await fixture.tools.call("ask_runbooks", arguments: ["question": "disk full logrotate", "k": 2])
        #expect(!result.isError, "\(result.text)")
        #expect(result.text.hasPrefix("Rotate the logs [1], see also [9]."))
        #expect(result.text.contains("cites [9], which are not among the passages"))
        let sources = try #require(result.structured?.objectValue?["sources"]?.arrayValue)
        #expect(sources.first?.objectValue?["cited"] == true)
        #expect(result.structured?.objectValue?["invalid_citations"] == [9])
    }

    @Test func resourceURIsEscapeWhatAPathCannotCarry() {
        #expect(RunbookTools.resourceURI(path: "networking/cert expiry.md") == "kb://runbook/networking/cert%20expiry.md")
        #expect(RunbookTools.resourceURI(path: "a?b#c%.md", source: "ops&dev")
            == "kb://runbook/a%3Fb%23c%25.md?source=ops%26dev")
    }
}

/// A chat model that streams one fixed answer.
struct ScriptedChat: ChatClient {
    let answer: String

    func chat(model: String, messages: [ChatMessage]) -> AsyncThrowingStream<ChatEvent, any Error> {
        AsyncThrowingStream { continuation in
            continuation.yield(.token(answer))
            continuation.yield(.done(ChatStats(doneReason: "stop")))
            continuation.finish()
        }
    }
}
