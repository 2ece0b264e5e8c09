extension OpenAPIDocument {
    private static let byPathErrors = """
        "400": {"$ref": "#/components/responses/BadRequest"}, "401": {"$ref": "#/components/responses/Unauthorized"},
        "403": {"$ref": "#/components/responses/Forbidden"}, "404": {"$ref": "#/components/responses/NotFound"},
        "409": {"$ref": "#/components/responses/Conflict"}
        """
    private static let byPathGet = """
        {"200": {"description": "The document.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/DocumentShown"}}}},
         \(byPathErrors)}
        """
    private static let byPathDelete = """
        {"200": {"description": "Removed.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/DocumentRemoved"}}}},
         \(byPathErrors)}
        """
    private static let byPathPut = """
        {"200": {"description": "Replaced or unchanged.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/DocumentWritten"}}}},
         "201": {"description": "Created.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/DocumentWritten"}}}},
         "400": {"$ref": "#/components/responses/BadRequest"}, "401": {"$ref": "#/components/responses/Unauthorized"},
         "403": {"$ref": "#/components/responses/Forbidden"}, "409": {"$ref": "#/components/responses/Conflict"},
         "413": {"$ref": "#/components/responses/TooLarge"}, "415": {"$ref": "#/components/responses/UnsupportedMediaType"},
         "422": {"$ref": "#/components/responses/Unprocessable"}, "502": {"$ref": "#/components/responses/BadGateway"},
         "503": {"$ref": "#/components/responses/Unavailable"}}
        """

    /// `/v1/documents` and its by-id and by-path routes.
    static let documents = """
        {
          "paths": {
            "/v1/documents": {
              "get": {
                "operationId": "listDocuments", "tags": ["documents"], "summary": "A page of documents, newest first, with the total.",
                "parameters": [
                  {"$ref": "#/components/parameters/RequestID"},
                  {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100}},
                  {"name": "offset", "in": "query", "schema": {"type": "integer", "minimum": 0, "maximum": 2147483647, "default": 0}},
                  {"name": "source", "in": "query", "description": "Only this source (api for uploads, or a kb sync source name).", "schema": {"type": "string"}}
                ],
                "responses": {
                  "200": {"description": "The page.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/DocumentPage"}}}},
                  "400": {"$ref": "#/components/responses/BadRequest"}, "401": {"$ref": "#/components/responses/Unauthorized"},
                  "403": {"$ref": "#/components/responses/Forbidden"}
                }
              },
              "post": {
                "operationId": "addDocument", "tags": ["documents"], "summary": "Add or replace a document in the api source; the same content again changes nothing.",
                "security": [{}, {"bearer": []}],
                "parameters": [{"$ref": "#/components/parameters/RequestID"}],
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/AddDocument"}}}},
                "responses": {
                  "200": {"description": "Replaced or unchanged.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/DocumentWritten"}}}},
                  "201": {"description": "Created.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/DocumentWritten"}}}},
                  "400": {"$ref": "#/components/responses/BadRequest"}, "401": {"$ref": "#/components/responses/Unauthorized"},
                  "403": {"$ref": "#/components/responses/Forbidden"}, "409": {"$ref": "#/components/responses/Conflict"},
                  "413": {"$ref": "#/components/responses/TooLarge"}, "415": {"$ref": "#/components/responses/UnsupportedMediaType"},
                  "422": {"$ref": "#/components/responses/Unprocessable"}, "502": {"$ref": "#/components/responses/BadGateway"},
                  "503": {"$ref": "#/components/responses/Unavailable"}
                }
              }
            },
            "/v1/documents/{id}": {
              "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer", "minimum": 1}}, {"$ref": "#/components/parameters/RequestID"}],
              "get": {
                "operationId": "getDocument", "tags": ["documents"], "summary": "A document's metadata and chunks.",
                "responses": {
                  "200": {"description": "The document.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/DocumentShown"}}}},
                  "401": {"$ref": "#/components/responses/Unauthorized"}, "403": {"$ref": "#/components/responses/Forbidden"},
                  "404": {"$ref": "#/components/responses/NotFound"}
                }
              },
              "delete": {
                "operationId": "deleteDocument", "tags": ["documents"], "summary": "Remove a document and its chunks.",
                "responses": {
                  "200": {"description": "Removed.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/DocumentRemoved"}}}},
                  "401": {"$ref": "#/components/responses/Unauthorized"}, "403": {"$ref": "#/components/responses/Forbidden"},
                  "404": {"$ref": "#/components/responses/NotFound"}
                }
              }
            },
            "/v1/documents/by-path": {
              "parameters": [
                {"name": "path", "in": "query", "required": true, "description": "The document's path (percent-encoded).", "schema": {"type": "string", "minLength": 1}},
                {"$ref": "#/components/parameters/Source"}, {"$ref": "#/components/parameters/RequestID"}
              ],
              "get": {"operationId": "getDocumentByQueryPath", "tags": ["documents"], "summary": "The document at ?path=.", "responses": \(byPathGet)},
              "put": {"operationId": "putDocumentByQueryPath", "tags": ["documents"], "summary": "Create or replace the document at ?path= in the api source.",
                      "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/PutDocument"}}}},
                      "responses": \(byPathPut)},
              "delete": {"operationId": "deleteDocumentByQueryPath", "tags": ["documents"], "summary": "Remove the document at ?path=.", "responses": \(byPathDelete)}
            },
            "/v1/documents/by-path/{path}": {
              "parameters": [
                {"name": "path", "in": "path", "required": true, "description": "The document's path; it may hold / (the route takes the rest of the URL), or be percent-encoded.", "schema": {"type": "string", "minLength": 1}},
                {"$ref": "#/components/parameters/Source"}, {"$ref": "#/components/parameters/RequestID"}
              ],
              "get": {"operationId": "getDocumentByPath", "tags": ["documents"], "summary": "The document at this path.", "responses": \(byPathGet)},
              "put": {"operationId": "putDocumentByPath", "tags": ["documents"], "summary": "Create or replace the document at this path in the api source; idempotent.",
                      "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/PutDocument"}}}},
                      "responses": \(byPathPut)},
              "delete": {"operationId": "deleteDocumentByPath", "tags": ["documents"], "summary": "Remove the document at this path.", "responses": \(byPathDelete)}
            }
          },
          "schemas": {
            "Metadata": {"type": "object", "description": "Any JSON object; its scalar values (and lists of them) can be filtered on with where."},
            "AddDocument": {
              "type": "object", "required": ["path", "content"], "additionalProperties": false,
              "properties": {
                "path": {"type": "string", "minLength": 1, "maxLength": 1024, "description": "Relative, without .. segments or NUL."},
                "content": {"type": "string"},
                "title": {"type": "string", "maxLength": 500},
                "format": {"type": "string", "enum": ["markdown", "text"], "description": "Default: from the path's extension, else markdown."},
                "metadata": {"$ref": "#/components/schemas/Metadata"}
              }
            },
            "PutDocument": {
              "type": "object", "required": ["content"], "additionalProperties": false,
              "properties": {
                "content": {"type": "string"}, "title": {"type": "string", "maxLength": 500},
                "format": {"type": "string", "enum": ["markdown", "text"]}, "metadata": {"$ref": "#/components/schemas/Metadata"}
              }
            },
            "DocumentWritten": {
              "type": "object", "required": ["id", "source", "path", "status", "chunks"],
              "properties": {"id": {"type": "integer"}, "source": {"type": "string"}, "path": {"type": "string"},
                             "status": {"type": "string", "enum": ["created", "replaced", "unchanged"]}, "chunks": {"type": "integer"}}
            },
            "Document": {
              "type": "object", "required": ["id", "source", "path", "title", "format", "sha256", "size", "chunks", "metadata", "created_at", "updated_at"],
              "properties": {
                "id": {"type": "integer"}, "source": {"type": "string"}, "path": {"type": "string"}, "title": {"type": "string"},
                "format": {"type": "string"}, "sha256": {"type": "string"}, "size": {"type": "integer"}, "chunks": {"type": "integer"},
                "metadata": {"type": "object"}, "created_at": {"type": "string"}, "updated_at": {"type": "string"}
              }
            },
            "DocumentPage": {
              "type": "object", "required": ["documents", "total", "limit", "offset"],
              "properties": {"documents": {"type": "array", "items": {"$ref": "#/components/schemas/Document"}}, "total": {"type": "integer"},
                             "limit": {"type": "integer"}, "offset": {"type": "integer"}, "source": {"type": "string"}}
            },
            "Chunk": {
              "type": "object", "required": ["id", "ordinal", "heading", "text", "lines", "tokens"],
              "properties": {"id": {"type": "integer"}, "ordinal": {"type": "integer"}, "heading": {"type": "string"}, "text": {"type": "string"},
                             "lines": {"$ref": "#/components/schemas/Lines"}, "tokens": {"type": "integer"}}
            },
            "DocumentShown": {
              "type": "object", "required": ["document", "chunks"],
              "properties": {"document": {"$ref": "#/components/schemas/Document"}, "chunks": {"type": "array", "items": {"$ref": "#/components/schemas/Chunk"}}}
            },
            "DocumentRemoved": {
              "type": "object", "required": ["id", "source", "path", "status"],
              "properties": {"id": {"type": "integer"}, "source": {"type": "string"}, "path": {"type": "string"}, "status": {"const": "deleted"}}
            }
          }
        }
        """
}
