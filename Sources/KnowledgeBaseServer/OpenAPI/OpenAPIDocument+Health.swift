extension OpenAPIDocument {
    /// `/healthz`, `/readyz`, `/metrics` and `/openapi.json`.
    static let health = """
        {
          "paths": {
            "/healthz": {
              "get": {
                "operationId": "health", "tags": ["operations"], "summary": "The process is alive.", "security": [{}],
                "responses": {"200": {"description": "Alive.", "content": {"application/json": {"schema": {
                  "type": "object", "required": ["status"], "properties": {"status": {"const": "ok"}}}}}}}
              }
            },
            "/readyz": {
              "get": {
                "operationId": "ready", "tags": ["operations"], "summary": "The database answers, the index is loaded and the embedder answers a probe.", "security": [{}],
                "responses": {
                  "200": {"description": "Ready.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Readiness"}}}},
                  "503": {"description": "Not ready; checks say which part failed.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Readiness"}}}}
                }
              }
            },
            "/metrics": {
              "get": {
                "operationId": "metrics", "tags": ["operations"], "summary": "Prometheus text exposition.",
                "description": "HTTP requests (kb_http_requests_total, kb_http_request_duration_seconds: a streamed answer until its last byte; one that failed after its 200 counts with the failure's status, 502 or 503, and a client hang-up as 499), answers (kb_answer_duration_seconds by route, answer, stream and outcome ok|refused|upstream_error|cap|cancelled|busy|error; kb_answer_first_token_seconds; kb_answers_refused_total; kb_answer_tokens_total by kind prompt|generated and counted_by ollama|kb), queries, documents and the index.",
                "responses": {
                  "200": {"description": "Metrics.", "content": {"text/plain": {"schema": {"type": "string"}}}},
                  "401": {"$ref": "#/components/responses/Unauthorized"}, "403": {"$ref": "#/components/responses/Forbidden"}
                }
              }
            },
            "/openapi.json": {
              "get": {
                "operationId": "openapi", "tags": ["operations"], "summary": "This document.", "security": [{}],
                "responses": {"200": {"description": "OpenAPI 3.1.", "content": {"application/json": {"schema": {"type": "object", "required": ["openapi", "paths"]}}}}}
              }
            }
          },
          "schemas": {
            "Readiness": {
              "type": "object", "required": ["status", "checks"],
              "properties": {
                "status": {"type": "string", "enum": ["ready", "not ready"]},
                "checks": {"type": "object", "additionalProperties": {"type": "string"}},
                "index_sequence": {"type": ["integer", "null"]},
                "index_lag_seconds": {"type": ["number", "null"]}
              }
            }
          }
        }
        """

    /// The web page and its two assets.
    static let web = """
        {
          "paths": {
            "/": \(asset("webPage", "The web page: ask, search and browse the runbooks; it calls the JSON API with the token you give it.", "text/html")),
            "/app.css": \(asset("webStyle", "The web page's style sheet.", "text/css")),
            "/app.js": \(asset("webScript", "The web page's script.", "text/javascript"))
          }
        }
        """

    private static func asset(_ id: String, _ summary: String, _ type: String) -> String {
        let responses = """
            {"200": {"description": "The file (Cache-Control: no-cache, with an ETag).", "content": {"\(type)": {"schema": {"type": "string"}}}},
             "304": {"description": "Not modified: If-None-Match holds the current ETag."}}
            """
        let parameters = #"[{"name": "If-None-Match", "in": "header", "required": false, "schema": {"type": "string"}}]"#
        return """
            {"get": {"operationId": "\(id)", "tags": ["web"], "summary": "\(summary)", "security": [{}], "parameters": \(parameters), "responses": \(responses)},
             "head": {"operationId": "\(id)Head", "tags": ["web"], "summary": "\(summary) Headers only.", "security": [{}], "parameters": \(parameters), "responses": \(responses)}}
            """
    }
}
