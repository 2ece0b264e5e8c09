import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
@testable import KnowledgeBaseServer

/// Length limits count Unicode scalars, as JSON Schema's maxLength does: a base letter followed by thousands of
/// modifiers is one Character to Swift, and must not slip megabytes past a "500 characters" check.
struct UnicodeLengthTests {
    static let oneGraphemeOf501Scalars = "x" + String(repeating: "\u{1F3FB}", count: 500)

    @Test func aTitleOfOneGraphemeButTooManyScalarsIsRefused() async throws {
        #expect(Self.oneGraphemeOf501Scalars.count == 1 && Self.oneGraphemeOf501Scalars.unicodeScalars.count == 501)
        let server = try await TestServer()
        defer { server.cleanUp() }
        try await server.application.test(.router) { client in
            let response = try await client.send(.put, "/v1/documents/by-path/a.md",
                                                 json: ##"{"content":"# A","title":""## + Self.oneGraphemeOf501Scalars + "\"}")
            #expect(response.status == .badRequest && response.errorMessage.contains("title"))
        }
    }

    @Test func aQuestionOverTheLimitInScalarsIsRefusedOnEveryRoute() async throws {
        let question = "disk " + String(repeating: "e\u{301}", count: 2000)  // 2,005 Characters, 4,005 scalars
        let server = try await TestServer()
        defer { server.cleanUp() }
        try await server.application.test(.router) { client in
            for (path, body) in [("/v1/query", #"{"question":"\#(question)"}"#),
                                 ("/v1/ask", #"{"question":"\#(question)"}"#),
                                 ("/v1/chat/completions", #"{"model":"kb","messages":[{"role":"user","content":"\#(question)"}]}"#)] {
                let response = try await client.send(.post, path, json: body)
                #expect(response.status == .badRequest, "\(path): \(response.text)")
                #expect(response.text.contains("4000"), "\(path): \(response.text)")
            }
        }
        #expect(server.chat.received.isEmpty)
    }
}
