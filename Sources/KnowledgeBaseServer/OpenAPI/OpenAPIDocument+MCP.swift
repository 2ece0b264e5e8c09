extension OpenAPIDocument {
    /// `/mcp`: the MCP server over the streamable HTTP transport (stateless, JSON responses). Bodies are JSON-RPC 2.0
    /// messages as the MCP specification defines them; only their envelope is described here.
    static let mcp = """
        {
          "paths": {
            "/mcp": {
              "post": {
                "operationId": "mcp", "tags": ["integrations"],
                "summary": "Model Context Protocol over streamable HTTP: tools search_runbooks, get_runbook, list_runbooks (and ask_runbooks with a chat model), resources kb://runbook/{path}.",
                "description": "Stateless: every request is answered on its own, so any replica can serve it. Send `Accept: application/json, text/event-stream` and a JSON-RPC message (or batch); `initialize`, then `tools/list`, `tools/call`, `resources/list`, `resources/read`. Protocol errors are JSON-RPC errors; a tool's bad arguments are a tool result with isError true.",
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/JSONRPCPayload"}}}},
                "responses": {
                  "200": {"description": "The JSON-RPC response(s).", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/JSONRPCPayload"}}}},
                  "202": {"description": "A notification or response was accepted; nothing to answer."},
                  "400": {"description": "Not a JSON-RPC message, or a header the transport requires is wrong.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/JSONRPCPayload"}}}},
                  "401": {"$ref": "#/components/responses/Unauthorized"},
                  "403": {"description": "A read token without access, or an Origin/Host that is not this server.", "content": {"application/json": {"schema": {"type": "object"}}}},
                  "404": {"description": "Unknown session (the server keeps none).", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/JSONRPCPayload"}}}},
                  "406": {"description": "Accept does not allow application/json.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/JSONRPCPayload"}}}},
                  "413": {"description": "The message is larger than --max-query-bytes.", "content": {"application/json": {"schema": {"type": "object"}}}},
                  "415": {"description": "The body is not application/json.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/JSONRPCPayload"}}}}
                }
              }
            }
          },
          "schemas": {
            "JSONRPCPayload": {
              "description": "A JSON-RPC 2.0 message or a batch of them.",
              "oneOf": [
                {"$ref": "#/components/schemas/JSONRPCMessage"},
                {"type": "array", "items": {"$ref": "#/components/schemas/JSONRPCMessage"}}
              ]
            },
            "JSONRPCMessage": {
              "type": "object", "required": ["jsonrpc"],
              "properties": {
                "jsonrpc": {"const": "2.0"},
                "id": {"type": ["string", "integer", "null"]},
                "method": {"type": "string"},
                "params": {"type": "object"},
                "result": {"type": "object"},
                "error": {"type": "object", "required": ["code", "message"], "properties": {"code": {"type": "integer"}, "message": {"type": "string"}}}
              }
            }
          }
        }
        """
}
