import Foundation
import KnowledgeBase
import Logging
import MCP
import Testing
@testable import KnowledgeBaseMCP

let quietLogger: Logger = {
    var logger = Logger(label: "kb.mcp.test", factory: { _ in SwiftLogNoOpLogHandler() })
    logger.logLevel = .critical
    return logger
}()

/// An MCP client connected over an in-memory transport to a server on a fresh knowledge base of two runbooks.
struct ConnectedServer {
    let directory: URL
    let client: Client

    init(pageSize: Int = 200) async throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("kb-mcp-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let catalog = Catalog(store: try SQLiteStore(path: directory.appendingPathComponent("kb.sqlite").path),
                              logger: quietLogger)
        let ingester = Ingester(catalog: catalog, embedder: HashEmbedder(), chunker: Chunker(), logger: quietLogger)
        _ = try await ingester.add(path: "platform/disk full.md", content: """
            # Disk full
            ## Diagnosis
            Run df -h to find the full filesystem.
            ## Mitigation
            Rotate and compress logs with logrotate.
            """, format: .markdown)
        _ = try await ingester.add(path: "networking/cert-expiry.md", content: """
            # Certificate expiry
            ## Renew
            Run certbot renew and reload nginx.
            """, format: .markdown)
        let tools = RunbookTools(queryEngine: QueryEngine(catalog: catalog, embedder: HashEmbedder(), logger: quietLogger))
        var factory = RunbookMCPServer(tools: tools, logger: quietLogger)
        factory.pageSize = pageSize
        let server = await factory.makeServer()
        let (clientTransport, serverTransport) = await InMemoryTransport.createConnectedPair()
        try await server.start(transport: serverTransport)
        client = Client(name: "test", version: "1")
        _ = try await client.connect(transport: clientTransport)
    }

    func cleanUp() { try? FileManager.default.removeItem(at: directory) }
}

func text(_ content: [Tool.Content]) -> String {
    content.compactMap { if case .text(let text, _, _) = $0 { text } else { nil } }.joined()
}

struct RunbookMCPServerTests {
    @Test func listsTheToolsWithSchemasAndReadOnlyAnnotations() async throws {
        let connected = try await ConnectedServer()
        defer { connected.cleanUp() }
        let tools = try await connected.client.listTools().tools
        #expect(tools.map(\.name) == ["search_runbooks", "get_runbook", "list_runbooks"])
        let search = try #require(tools.first)
        #expect(search.inputSchema.objectValue?["required"] == .array([.string("question")]))
        #expect(search.annotations.readOnlyHint == true && search.annotations.openWorldHint == false)
    }

    @Test func callsATool() async throws {
        let connected = try await ConnectedServer()
        defer { connected.cleanUp() }
        let (content, isError) = try await connected.client.callTool(name: "search_runbooks",
                                                                      arguments: ["question": "certbot renew"])
        #expect(isError == false)
        #expect(text(content).contains("[1] networking/cert-expiry.md › Certificate expiry › Renew"))
    }

    @Test func badArgumentsAndUnknownToolsAreToolErrorsAndTheServerGoesOn() async throws {
        let connected = try await ConnectedServer()
        defer { connected.cleanUp() }
        let (bad, badError) = try await connected.client.callTool(name: "search_runbooks",
                                                                  arguments: ["question": 42, "k": "all"])
        #expect(badError == true)
        #expect(text(bad).contains("\"k\" must be an integer, not a string; \"question\" must be a string"))
        let (unknown, unknownError) = try await connected.client.callTool(name: "rm_rf", arguments: [:])
        #expect(unknownError == true && text(unknown).contains("there is no tool \"rm_rf\""))
        let (_, fine) = try await connected.client.callTool(name: "list_runbooks")
        #expect(fine == false)
    }

    @Test func listsAndReadsRunbooksAsResources() async throws {
        let connected = try await ConnectedServer(pageSize: 1)
        defer { connected.cleanUp() }
        let first = try await connected.client.listResources()
        #expect(first.resources.map(\.uri) == ["kb://runbook/networking/cert-expiry.md"])
        let second = try await connected.client.listResources(cursor: try #require(first.nextCursor))
        #expect(second.resources.map(\.uri) == ["kb://runbook/platform/disk%20full.md"] && second.nextCursor == nil)
        #expect(second.resources.first?.title == "Disk full" && second.resources.first?.mimeType == "text/markdown")
        let contents = try await connected.client.readResource(uri: "kb://runbook/platform/disk%20full.md")
        let body = try #require(contents.first?.text)
        #expect(body.hasPrefix("# Disk full\npath: platform/disk full.md"))
        #expect(body.contains("## Disk full › Mitigation (line 5)\nRotate and compress logs"))
        let templates = try await connected.client.listResourceTemplates().templates
        #expect(templates.map(\.uriTemplate) == ["kb://runbook/{path}"])
    }

    @Test func readingAnUnknownRunbookIsAResourceNotFoundError() async throws {
        let connected = try await ConnectedServer()
        defer { connected.cleanUp() }
        do {
            _ = try await connected.client.readResource(uri: "kb://runbook/nothing.md")
            Issue.record("expected an error")
        } catch let error as MCPError {
            #expect(error.code == -32002)
            #expect("\(error.errorDescription ?? "")".contains("no runbook has the path nothing.md"))
        }
        await #expect(throws: MCPError.self) { _ = try await connected.client.readResource(uri: "file:///etc/passwd") }
        await #expect(throws: MCPError.self) { _ = try await connected.client.listResources(cursor: "bogus") }
    }
}

struct ValueConversionTests {
    @Test func toolValuesAndMCPValuesConvertBothWays() {
        let value: ToolValue = ["k": 3, "score": .number(0.25), "where": ["paged": true, "none": .null],
                                "tags": ["a", "b"]]
        let converted = RunbookMCPServer.value(value)
        #expect(converted.objectValue?["k"] == .int(3) && converted.objectValue?["score"] == .double(0.25))
        #expect(RunbookMCPServer.toolValue(converted) == value)
        #expect(RunbookMCPServer.toolValue(.data(mimeType: "text/plain", Data("hi".utf8)))
            == .string("data:text/plain;base64,aGk="))
    }
}
