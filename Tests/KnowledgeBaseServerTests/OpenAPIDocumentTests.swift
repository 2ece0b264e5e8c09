import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
@testable import KnowledgeBaseServer

/// `GET /openapi.json` describes exactly the routes the router serves, and its references resolve.
struct OpenAPIDocumentTests {
    static func document() throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: OpenAPIDocument.data) as? [String: Any])
    }

    /// `METHOD /path` of every operation, in the router's spelling (`{id}`; a catch-all `{path}` is `**`).
    static func documentedOperations() throws -> Set<String> {
        let paths = try #require(try document()["paths"] as? [String: [String: Any]])
        let methods: Set<String> = ["get", "head", "post", "put", "delete", "patch"]
        return Set(paths.flatMap { path, item in
            item.keys.filter(methods.contains).map {
                "\($0.uppercased()) " + path.replacingOccurrences(of: "by-path/{path}", with: "by-path/**")
            }
        })
    }

    @Test func everyRouteTheRouterServesIsDocumentedAndNothingElse() async throws {
        let server = try await TestServer()
        defer { server.cleanUp() }
        let router = buildRouter(server.dependencies)
        let registered = router.routes.map { (method: $0.method, path: "\($0.path)") }
        let served = try await Application(router: router).test(.router) { client in
            var served = Set<String>()
            for route in registered {
                let uri = route.path.replacingOccurrences(of: "{id}", with: "1")
                    .replacingOccurrences(of: "**", with: "disk-full.md")
                let response = try await client.send(route.method, uri)
                // `restrict` answers the methods a path does not serve with 405; those are not operations.
                if response.status == .methodNotAllowed && response.errorCode == "method_not_allowed" { continue }
                served.insert("\(route.method.rawValue) \(route.path)")
            }
            return served
        }
        let documented = try Self.documentedOperations()
        #expect(served.subtracting(documented).sorted() == [], "served but not in the OpenAPI document")
        #expect(documented.subtracting(served).sorted() == [], "in the OpenAPI document but not served")
        #expect(served.count > 20)
    }

    @Test func everyReferenceResolvesAndEveryOperationHasAnIDAndResponses() throws {
        let document = try Self.document()
        #expect(document["openapi"] as? String == "3.1.0")
        var references: [String] = []
        func walk(_ value: Any) {
            if let object = value as? [String: Any] {
                if let reference = object["$ref"] as? String { references.append(reference) }
                object.values.forEach(walk)
            } else if let array = value as? [Any] {
                array.forEach(walk)
            }
        }
        walk(document)
        #expect(references.count > 50)
        for reference in Set(references) {
            #expect(reference.hasPrefix("#/"))
            var node: Any? = document
            for part in reference.dropFirst(2).split(separator: "/") { node = (node as? [String: Any])?[String(part)] }
            #expect(node != nil, "\(reference) does not resolve")
        }
        var operationIDs: [String] = []
        for (path, item) in try #require(document["paths"] as? [String: [String: Any]]) {
            for (method, value) in item where method != "parameters" {
                let operation = try #require(value as? [String: Any])
                operationIDs.append(try #require(operation["operationId"] as? String, "\(method) \(path)"))
                #expect((operation["responses"] as? [String: Any])?.isEmpty == false, "\(method) \(path)")
            }
        }
        #expect(Set(operationIDs).count == operationIDs.count, "operation ids are unique")
    }

    @Test func theDocumentIsServedAsJSONWithoutAToken() async throws {
        let server = try await TestServer(configuration: ServerConfiguration(apiToken: "w", readToken: "r"))
        defer { server.cleanUp() }
        try await server.application.test(.router) { client in
            let response = try await client.send(.get, "/openapi.json")
            #expect(response.status == .ok && response.headers[.contentType]?.hasPrefix("application/json") == true)
            #expect(Data(buffer: response.body) == OpenAPIDocument.data)
        }
    }
}
