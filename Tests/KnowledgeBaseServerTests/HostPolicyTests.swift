import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import KnowledgeBase
import Testing
@testable import KnowledgeBaseServer

/// DNS rebinding and other sites' pages: `Host` must name this server, a write's `Origin` one of its hosts.
struct HostPolicyTests {
    static let host = HTTPField.Name("Host")!

    @Test func hostPartsDropPortBracketsAndCase() {
        #expect(HostPolicy.hostPart(of: "LocalHost:8080") == "localhost")
        #expect(HostPolicy.hostPart(of: "[::1]:8080") == "::1")
        #expect(HostPolicy.hostPart(of: "[::1]") == "::1")
        #expect(HostPolicy.hostPart(of: "::1") == "::1")
        #expect(HostPolicy.hostPart(of: "127.0.0.1") == "127.0.0.1")
        #expect(HostPolicy.hostPart(of: "evil.example.:80") == "evil.example")
        #expect(HostPolicy.originHost("http://localhost:8080") == "localhost")
        #expect(HostPolicy.originHost("https://[::1]:8443/x") == "::1")
        #expect(HostPolicy.originHost("null") == nil)
    }

    @Test func theAllowListHasTheLocalNamesTheBoundAddressAndTheAllowedHosts() {
        let loopback = HostPolicy(configuration: ServerConfiguration())
        for name in ["localhost:8080", "127.0.0.1:1", "[::1]:8080", "localhost"] { #expect(loopback.allows(name)) }
        for name in ["evil.example", "127.0.0.2:8080", "kb.internal", "0.0.0.0"] { #expect(!loopback.allows(name)) }

        var configuration = ServerConfiguration(host: "10.1.2.3", apiToken: "w")
        configuration.allowedHosts = ["KB.internal:8080", " wiki.internal "]
        let bound = HostPolicy(configuration: configuration)
        for name in ["10.1.2.3:8080", "kb.internal", "wiki.internal:443", "localhost"] { #expect(bound.allows(name)) }
        #expect(!bound.allows("evil.example"))

        // A wildcard bind: the machine's names and addresses, not the wildcard itself.
        let wildcard = HostPolicy(configuration: ServerConfiguration(host: "0.0.0.0", apiToken: "w"),
                                  machineNames: ["box.example.org", "box", "192.168.1.5", "fe80::1%eth0"])
        for name in ["box:8080", "box.example.org", "192.168.1.5:8080", "[fe80::1]:80"] { #expect(wildcard.allows(name)) }
        #expect(!wildcard.allows("evil.example") && !wildcard.allows("0.0.0.0"))

        configuration.allowedHosts = ["*"]
        #expect(HostPolicy(configuration: configuration).allows("anything.example"))
        #expect(!HostPolicy.machineNames().isEmpty, "the machine has a host name or an address")
    }

    @Test func aRequestForAnotherHostIsRefusedOnEveryRoute() async throws {
        let server = try await TestServer()
        defer { server.cleanUp() }
        try await server.application.test(.router) { client in
            for (method, path) in [(HTTPRequest.Method.get, "/healthz"), (.get, "/v1/documents"), (.get, "/"),
                                   (.post, "/v1/query"), (.get, "/no-such-route")] {
                let refused = try await client.send(method, path, json: method == .post ? #"{"question":"disk"}"# : nil,
                                                    headers: [Self.host: "rebound.example:8080"])
                #expect(refused.status == .forbidden, "\(method) \(path)")
                let error = try #require(refused.object["error"] as? [String: Any])
                #expect(error["code"] as? String == "host_not_allowed")
                let message = try #require(error["message"] as? String)
                #expect(message.contains("rebound.example:8080") && message.contains("--allowed-host rebound.example"))
            }
            for name in ["localhost:8080", "127.0.0.1:8080", "[::1]:8080"] {
                #expect(try await client.send(.get, "/healthz", headers: [Self.host: name]).status == .ok, "\(name)")
            }
        }
    }

    @Test func aWriteFromAnotherOriginIsRefusedAndChangesNothing() async throws {
        let server = try await TestServer()
        defer { server.cleanUp() }
        let before = try server.stats.documents
        let body = ##"{"path":"dns.md","content":"# DNS\nCheck resolv.conf."}"##
        try await server.application.test(.router) { client in
            for origin in ["http://evil.example", "http://localhost.evil.example:8080", "null"] {
                let refused = try await client.send(.post, "/v1/documents", json: body, headers: [.origin: origin])
                #expect(refused.status == .forbidden, "\(origin)")
                #expect((refused.object["error"] as? [String: Any])?["code"] as? String == "origin_not_allowed")
                let delete = try await client.send(.delete, "/v1/documents/1", headers: [.origin: origin])
                #expect(delete.status == .forbidden)
            }
            let chat = try await client.send(.post, "/v1/chat/completions",
                                             json: #"{"model":"kb","messages":[{"role":"user","content":"disk"}]}"#,
                                             headers: [.origin: "https://evil.example"])
            #expect(chat.status == .forbidden)
            let mcp = try await client.send(.post, "/mcp", json: #"{"jsonrpc":"2.0","id":1,"method":"ping"}"#,
                                            headers: [.origin: "https://evil.example",
                                                      .accept: "application/json, text/event-stream"])
            #expect(mcp.status == .forbidden)
            #expect(try server.stats.documents == before, "refused writes change nothing")
            // A read from another origin is not refused (the browser keeps its answer from the page, no CORS).
            #expect(try await client.send(.get, "/v1/documents", headers: [.origin: "http://evil.example"]).status == .ok)
            // No Origin (curl, SDKs) and this server's own origin are fine.
            #expect(try await client.send(.post, "/v1/documents", json: body).status == .created)
            let own = try await client.send(.post, "/v1/documents", json: body.replacingOccurrences(of: "dns", with: "ntp"),
                                            headers: [.origin: "http://127.0.0.1:8080"])
            #expect(own.status == .created)
        }
    }

    @Test func allowedHostsAreAcceptedInHostAndOrigin() async throws {
        var configuration = ServerConfiguration(apiToken: "w")
        configuration.allowedHosts = ["kb.local"]
        let server = try await TestServer(configuration: configuration)
        defer { server.cleanUp() }
        try await server.application.test(.router) { client in
            let headers: HTTPFields = [Self.host: "kb.local:8080", .origin: "http://kb.local:8080",
                                       .authorization: "Bearer w"]
            let put = try await client.send(.put, "/v1/documents/by-path/a.md", json: ##"{"content":"# A\nText."}"##,
                                            headers: headers)
            #expect(put.status == .created, "\(put.text)")
        }
    }
}
