import Foundation
import Synchronization
import Testing
@testable import KnowledgeBase

struct AnswerEngineTests {
    final class RecordingChat: ChatClient {
        let calls = Mutex<[[ChatMessage]]>([])
        func chat(model: String, messages: [ChatMessage]) -> AsyncThrowingStream<ChatEvent, any Error> {
            calls.withLock { $0.append(messages) }
            return AsyncThrowingStream { continuation in
                continuation.yield(.token("Use certbot [1]."))
                continuation.yield(.done(ChatStats(doneReason: "stop")))
                continuation.finish()
            }
        }
    }

    func engine(_ directory: URL, chat: RecordingChat) async throws -> AnswerEngine {
        try writeFiles([
            "cert-expiry.md": "# Certificate expiry\n## Renew\nRun certbot renew and reload nginx.\n## Verify\nopenssl s_client shows the new date.",
            "disk-full.md": "# Disk full\n## Fix\nRotate the logs.",
        ], under: directory)
        let catalog = try makeCatalog(in: directory)
        let (files, _) = try SourceDiscovery.discover([directory.path])
        _ = try await Ingester(catalog: catalog, embedder: HashEmbedder(), chunker: Chunker(), logger: quietLogger).ingest(files)
        return AnswerEngine(queryEngine: QueryEngine(catalog: catalog, embedder: HashEmbedder(), logger: quietLogger),
                            chat: chat, chatModel: "m")
    }

    @Test func refusesWithoutCallingTheModelWhenNoSourceMatches() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let chat = RecordingChat()
        let engine = try await engine(directory, chat: chat)
        let prepared = try await engine.prepare("quarterly marketing budget", options: QueryOptions(minScore: 0.3))
        #expect(prepared.refused)
        var text = ""
        for try await event in engine.stream(prepared) { if case .token(let token) = event { text += token } }
        #expect(text == AnswerEngine.refusal)
        #expect(chat.calls.withLock { $0.isEmpty })
    }

    @Test func sendsInstructionsHistoryAndContextToTheModel() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let chat = RecordingChat()
        let engine = try await engine(directory, chat: chat)
        let history = [ChatMessage(role: "user", content: "hi"), ChatMessage(role: "assistant", content: "hello")]
        let prepared = try await engine.prepare("renew the certificate with certbot", history: history)
        for try await _ in engine.stream(prepared) {}
        let messages = try #require(chat.calls.withLock { $0.first })
        #expect(messages.map(\.role) == ["system", "user", "assistant", "user"])
        #expect(messages[3].content.contains("[1] cert-expiry.md › Certificate expiry › Renew"))
        #expect(prepared.sourceNumbers.contains(1))
    }

    /// /v1/ask, the page and `kb chat` send the conversation as history: a follow-up that leans on it is retrieved
    /// with the earlier question's words, and the model is asked the question as typed.
    @Test func aFollowUpIsRetrievedWithTheEarlierQuestionAndAskedAsTyped() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let engine = try await engine(directory, chat: RecordingChat())
        let history = [ChatMessage(role: "user", content: "how do I renew the certificate with certbot?"),
                       ChatMessage(role: "assistant", content: "Run certbot renew [1].")]
        let prepared = try await engine.prepare("and then?", options: QueryOptions(k: 1), history: history)
        #expect(prepared.query.results.first?.path == "cert-expiry.md")
        #expect(!prepared.refused)
        #expect(prepared.query.question == "and then?")
        let asked = try #require(prepared.messages.last?.content)
        #expect(asked.contains("and then?") && !asked.contains("(renew certificate certbot)"), "\(asked)")
        let alone = try await engine.prepare("and then?", options: QueryOptions(k: 1))
        #expect(alone.query.results.first?.path != "cert-expiry.md" || alone.refused)
    }

    @Test func summarizeUsesTheWholeNamedRunbookInOrder() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let engine = try await engine(directory, chat: RecordingChat())
        let template = try TemplateLibrary().template(named: "summarize")
        let byPath = try await engine.prepare("cert-expiry.md", template: template)
        #expect(byPath.query.results.map(\.heading) == ["Certificate expiry › Renew", "Certificate expiry › Verify"])
        #expect(byPath.messages.last?.content.hasPrefix("Summarize the runbook below") == true)
        let byTopic = try await engine.prepare("certificate renew certbot", template: template)
        #expect(Set(byTopic.query.results.map(\.path)) == ["cert-expiry.md"])
        #expect(byTopic.query.results.count == 2)
    }

    @Test(arguments: [
        ("what about the replicas?", ["how do I fail over the postgres primary?"], "what about the replicas? (fail over postgres primary)"),
        ("and then?", ["rotate the TLS certificate on the ingress"], "and then? (rotate tls certificate ingress)"),
        ("how do I check whether etcd fsync latency is high on the control plane nodes", ["disk full"],
         "how do I check whether etcd fsync latency is high on the control plane nodes"),
        ("does it need a restart afterwards", ["rotate the redis password"], "does it need a restart afterwards (rotate redis password)"),
        ("kafka lag", [], "kafka lag"),
    ])
    func followUpsAreRewrittenIntoStandaloneQueries(question: String, previous: [String], expected: String) {
        #expect(QueryRewriter.standalone(question, previousQuestions: previous) == expected)
    }
}
