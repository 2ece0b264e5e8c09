import Foundation

/// The OpenAPI 3.1 description of every route of `kb serve`, served at `GET /openapi.json`.
///
/// Hand-written, one JSON fragment per group of routes (`OpenAPIDocument+Query.swift` and its siblings), merged
/// here. `OpenAPIDocumentTests` checks that it names exactly the routes the router has, and CI runs schemathesis
/// against a live server with it. A new route goes into a fragment listed in `fragments`.
enum OpenAPIDocument {
    /// Path and component fragments, each a JSON object with `paths` and any of `schemas`, `responses`.
    static let fragments = [query, chatCompletions, documents, health, web, mcp]

    /// The document, as served.
    static let data: Data = {
        var document = parse(top)
        var components = document["components"] as? [String: Any] ?? [:]
        components["schemas"] = parse(commonSchemas)
        var paths: [String: Any] = [:]
        for fragment in fragments {
            let object = parse(fragment)
            for (path, operations) in object["paths"] as? [String: Any] ?? [:] {
                precondition(paths[path] == nil, "OpenAPI path \(path) is described twice")
                paths[path] = operations
            }
            for kind in ["schemas", "responses"] {
                var merged = components[kind] as? [String: Any] ?? [:]
                for (name, value) in object[kind] as? [String: Any] ?? [:] {
                    precondition(merged[name] == nil, "OpenAPI \(kind) \(name) is described twice")
                    merged[name] = value
                }
                components[kind] = merged
            }
        }
        var schemas = components["schemas"] as? [String: Any] ?? [:]
        for name in nullableOptionals {
            guard let schema = schemas[name] as? [String: Any] else { preconditionFailure("no OpenAPI schema \(name)") }
            schemas[name] = allowingNull(schema)
        }
        components["schemas"] = schemas
        document["paths"] = paths
        document["components"] = components
        // Failing here is a typo in a fragment above, caught by the first test that loads the document.
        guard let data = try? JSONSerialization.data(withJSONObject: document, options: [.sortedKeys, .withoutEscapingSlashes])
        else { preconditionFailure("the OpenAPI document cannot be serialised") }
        return data
    }()

    /// Request bodies in which an explicit `null` in an optional field means the field is left out, as JSON decoding
    /// reads it (and as OpenAI's API takes it).
    static let nullableOptionals = ["QueryRequest", "AskRequest", "AddDocument", "PutDocument", "ChatCompletionRequest",
                                    "RetrievalSettings"]

    private static func allowingNull(_ schema: [String: Any]) -> [String: Any] {
        var schema = schema
        let required = Set(schema["required"] as? [String] ?? [])
        var properties = schema["properties"] as? [String: Any] ?? [:]
        for (name, property) in properties where !required.contains(name) {
            properties[name] = ["anyOf": [property, ["type": "null"]]]
        }
        schema["properties"] = properties
        return schema
    }

    private static func parse(_ text: String) -> [String: Any] {
        guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
            preconditionFailure("an OpenAPI fragment is not a JSON object:\n\(text.prefix(300))")
        }
        return object
    }

    static let top = """
        {
          "openapi": "3.1.0",
          "info": {
            "title": "kb",
            "version": "1",
            "summary": "A retrieval-augmented knowledge base for operations runbooks.",
            "description": "Query and ask the runbooks (answers cite their sources), an OpenAI-compatible chat API, documents, health and metrics. Errors are {\\"error\\":{\\"code\\",\\"message\\"}}; on /v1/models and /v1/chat/completions they are OpenAI's {\\"error\\":{\\"message\\",\\"type\\",\\"param\\",\\"code\\"}}. Reads need the read token when the server has one (KB_READ_TOKEN); writes need the write token (KB_API_TOKEN), which also reads."
          },
          "servers": [{"url": "/"}],
          "security": [{}, {"bearer": []}],
          "components": {
            "securitySchemes": {
              "bearer": {"type": "http", "scheme": "bearer", "description": "KB_READ_TOKEN for reads (when set), KB_API_TOKEN for writes and reads."}
            },
            "parameters": {
              "Source": {"name": "source", "in": "query", "required": false, "description": "The source holding the path, when several do.", "schema": {"type": "string"}},
              "RequestID": {"name": "X-Request-Id", "in": "header", "required": false, "description": "Echoed on the response and logged; generated when missing or not 1–128 printable ASCII characters.", "schema": {"type": "string"}}
            },
            "headers": {
              "RequestID": {"description": "The request's id, as logged.", "schema": {"type": "string"}}
            },
            "responses": {
              "BadRequest": {"description": "The body or a parameter is wrong; the message says which and why.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
              "Unauthorized": {"description": "No bearer token, and this server needs one (WWW-Authenticate: Bearer), or a token that is neither the read nor the write token (Bearer error=\\"invalid_token\\").", "headers": {"WWW-Authenticate": {"schema": {"type": "string"}}}, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
              "Forbidden": {"description": "The read token on a write (Bearer error=\\"insufficient_scope\\"), or a Host or Origin that is not this server (host_not_allowed, origin_not_allowed).", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
              "ModelNotFound": {"description": "Ollama does not have the chat model named.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
              "NotFound": {"description": "No such document.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
              "Conflict": {"description": "The knowledge base is empty, or built with another embedder; or a path is in several sources.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
              "TooLarge": {"description": "The body is larger than this endpoint accepts.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
              "UnsupportedMediaType": {"description": "The body is not sent as application/json.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
              "Unprocessable": {"description": "The embedder rejected the text.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
              "BadGateway": {"description": "The embedder or chat model failed (501: the chat client cannot do this).", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
              "Unavailable": {"description": "The embedder is unreachable, or the index changed under the query; retry after Retry-After seconds.", "headers": {"Retry-After": {"schema": {"type": "string"}}}, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
            }
          }
        }
        """

    static let commonSchemas = """
        {
          "Error": {
            "type": "object", "required": ["error"], "additionalProperties": false,
            "properties": {
              "error": {
                "type": "object", "required": ["code", "message"], "additionalProperties": false,
                "properties": {
                  "code": {"type": "string", "description": "Stable, machine-readable: invalid_request, unknown_fields, invalid_field, unauthorized, forbidden, not_found, method_not_allowed, empty_knowledge_base, embedder_mismatch, body_too_large, unsupported_media_type, embedder_unavailable, …"},
                  "message": {"type": "string", "description": "For a person: what was wrong and how to fix it."}
                }
              }
            }
          },
          "OpenAIError": {
            "type": "object", "required": ["error"], "additionalProperties": false,
            "properties": {
              "error": {
                "type": "object", "required": ["message", "type", "param", "code"], "additionalProperties": false,
                "properties": {
                  "message": {"type": "string"},
                  "type": {"type": "string", "enum": ["invalid_request_error", "authentication_error", "permission_error", "rate_limit_error", "server_error"]},
                  "param": {"type": ["string", "null"], "description": "The request field at fault, e.g. temperature or messages[2].role."},
                  "code": {"type": ["string", "null"], "description": "kb's error code, or model_not_found, unsupported_parameter, upstream_unavailable, upstream_error, upstream_rejected."}
                }
              }
            }
          },
          "SearchMode": {"type": "string", "enum": ["vector", "keyword", "hybrid"], "default": "hybrid"},
          "Fusion": {"type": "string", "enum": ["rrf", "weighted"], "default": "rrf"},
          "Refusal": {"type": "string", "enum": ["rule", "min-score"], "default": "rule", "description": "Whether the fitted refusal rule or the minimum score alone decides that the runbooks do not cover a question."},
          "Where": {
            "type": "object", "maxProperties": 16, "description": "Metadata filters: each key must equal the value (a list in the metadata matches when it holds the value).",
            "propertyNames": {"minLength": 1, "maxLength": 200},
            "additionalProperties": {"type": ["string", "number", "boolean"]}
          },
          "Lines": {"type": "array", "items": {"type": "integer"}, "minItems": 2, "maxItems": 2, "description": "First and last line in the document."}
        }
        """
}
