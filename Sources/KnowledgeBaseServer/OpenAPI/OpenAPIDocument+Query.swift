extension OpenAPIDocument {
    /// `POST /v1/query` and `POST /v1/ask`.
    static let query = """
        {
          "paths": {
            "/v1/query": {
              "post": {
                "operationId": "query", "tags": ["query"],
                "summary": "Retrieve the passages that answer a question, with the prompt kb would send.",
                "parameters": [{"$ref": "#/components/parameters/RequestID"}],
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/QueryRequest"},
                  "example": {"question": "the disk is full: how do I free space?", "k": 3}}}},
                "responses": {
                  "200": {"description": "The sources, best first, and the prompt (as kb query --json).", "headers": {"X-Request-Id": {"$ref": "#/components/headers/RequestID"}}, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/QueryResult"}}}},
                  "400": {"$ref": "#/components/responses/BadRequest"}, "401": {"$ref": "#/components/responses/Unauthorized"},
                  "403": {"$ref": "#/components/responses/Forbidden"}, "409": {"$ref": "#/components/responses/Conflict"},
                  "413": {"$ref": "#/components/responses/TooLarge"}, "415": {"$ref": "#/components/responses/UnsupportedMediaType"},
                  "422": {"$ref": "#/components/responses/Unprocessable"}, "502": {"$ref": "#/components/responses/BadGateway"},
                  "503": {"$ref": "#/components/responses/Unavailable"}
                }
              }
            },
            "/v1/ask": {
              "post": {
                "operationId": "ask", "tags": ["query"],
                "summary": "Answer a question from the runbooks, citing sources by number; refuses when they do not cover it.",
                "description": "Streamed (the default) as NDJSON: one {\\"type\\":\\"sources\\"} line, {\\"type\\":\\"token\\",\\"text\\"} lines, then {\\"type\\":\\"done\\"} with the checked citations, or {\\"type\\":\\"error\\"} when the model fails mid-answer. With \\"stream\\": false, one JSON object.",
                "parameters": [{"$ref": "#/components/parameters/RequestID"}],
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/AskRequest"},
                  "example": {"question": "the disk is full: how do I free space?", "stream": false}}}},
                "responses": {
                  "200": {"description": "The answer: an NDJSON stream, or one object with \\"stream\\": false.", "headers": {"X-Request-Id": {"$ref": "#/components/headers/RequestID"}},
                          "content": {"application/x-ndjson": {"schema": {"type": "string"}}, "application/json": {"schema": {"$ref": "#/components/schemas/AskAnswer"}}}},
                  "400": {"$ref": "#/components/responses/BadRequest"}, "401": {"$ref": "#/components/responses/Unauthorized"},
                  "403": {"$ref": "#/components/responses/Forbidden"}, "409": {"$ref": "#/components/responses/Conflict"},
                  "413": {"$ref": "#/components/responses/TooLarge"}, "415": {"$ref": "#/components/responses/UnsupportedMediaType"},
                  "422": {"$ref": "#/components/responses/Unprocessable"}, "502": {"$ref": "#/components/responses/BadGateway"},
                  "404": {"$ref": "#/components/responses/ModelNotFound"}, "501": {"$ref": "#/components/responses/BadGateway"},
                  "503": {"$ref": "#/components/responses/Unavailable"}
                }
              }
            }
          },
          "schemas": {
            "Question": {"type": "string", "minLength": 1, "maxLength": 4000, "description": "1–4,000 characters (Unicode scalars), not only white space."},
            "K": {"type": "integer", "minimum": 1, "maximum": 100, "default": 5, "description": "How many sources to retrieve."},
            "QueryRequest": {
              "type": "object", "required": ["question"], "additionalProperties": false,
              "properties": {
                "question": {"$ref": "#/components/schemas/Question"},
                "k": {"$ref": "#/components/schemas/K"},
                "min_score": {"type": "number", "minimum": -1, "maximum": 1, "description": "Drop hits below this cosine (default per embedder)."},
                "path_prefix": {"type": "string", "maxLength": 1024, "description": "Only documents whose path starts with this; no .. segment or NUL."},
                "mode": {"$ref": "#/components/schemas/SearchMode"},
                "fusion": {"$ref": "#/components/schemas/Fusion"},
                "refusal": {"$ref": "#/components/schemas/Refusal"},
                "where": {"$ref": "#/components/schemas/Where"}
              }
            },
            "Hit": {
              "type": "object", "required": ["rank", "chunk_id", "path", "heading", "score", "text", "lines"],
              "properties": {
                "rank": {"type": "integer", "description": "The source's number, as cited: [rank]."},
                "chunk_id": {"type": "integer"}, "path": {"type": "string"}, "heading": {"type": "string"},
                "score": {"type": "number", "description": "Cosine similarity to the question."},
                "text": {"type": "string"}, "lines": {"$ref": "#/components/schemas/Lines"},
                "source": {"type": "string"}, "metadata": {"type": "object"},
                "included": {"type": "string", "enum": ["retrieved", "section", "runbook"], "description": "Why the passage is in the prompt: retrieved by the search (one of the k), or added from a ranked runbook: a section of the kind the question asks for (Mitigation, Steps, Diagnosis for how-to questions), or the rest of a small runbook. An added passage's score is its cosine to the question."},
                "also_in": {"type": "array", "description": "The same passage in other documents (identical text, or near-identical under the same heading), folded into this result.", "items": {"$ref": "#/components/schemas/DuplicateCopy"}}
              }
            },
            "DuplicateCopy": {
              "type": "object", "required": ["path", "heading", "lines"],
              "properties": {"path": {"type": "string"}, "heading": {"type": "string"}, "lines": {"$ref": "#/components/schemas/Lines"}}
            },
            "QueryResult": {
              "type": "object", "required": ["question", "mode", "refused", "results", "prompt", "timings_ms"],
              "properties": {
                "question": {"type": "string"}, "mode": {"$ref": "#/components/schemas/SearchMode"},
                "refused": {"type": "boolean", "description": "The runbooks do not appear to cover the question; results is then empty."},
                "evidence": {"type": "object", "description": "What the refusal decision looked at."},
                "results": {"type": "array", "items": {"$ref": "#/components/schemas/Hit"}},
                "prompt": {"type": "string"},
                "timings_ms": {"type": "object", "additionalProperties": {"type": "number"}}
              }
            },
            "HistoryMessage": {
              "type": "object", "required": ["role", "content"],
              "properties": {"role": {"type": "string", "enum": ["user", "assistant"]}, "content": {"type": "string"}}
            },
            "AskRequest": {
              "type": "object", "required": ["question"], "additionalProperties": false,
              "properties": {
                "question": {"$ref": "#/components/schemas/Question"},
                "k": {"$ref": "#/components/schemas/K"},
                "model": {"type": "string", "minLength": 1, "maxLength": 200, "description": "Ollama chat model; default KB_CHAT_MODEL."},
                "stream": {"type": "boolean", "default": true},
                "history": {"type": "array", "maxItems": 50, "items": {"$ref": "#/components/schemas/HistoryMessage"}},
                "template": {"type": "string", "description": "Prompt template: answer (default), summarize, or one loaded from KB_TEMPLATES."},
                "mode": {"$ref": "#/components/schemas/SearchMode"},
                "fusion": {"$ref": "#/components/schemas/Fusion"},
                "refusal": {"$ref": "#/components/schemas/Refusal"},
                "where": {"$ref": "#/components/schemas/Where"}
              }
            },
            "AskSource": {
              "type": "object", "required": ["number", "chunk_id", "path", "heading", "score", "text", "lines"],
              "properties": {
                "number": {"type": "integer", "description": "Cited in the answer as [number]."},
                "chunk_id": {"type": "integer"}, "path": {"type": "string"}, "heading": {"type": "string"},
                "score": {"type": "number"}, "text": {"type": "string"}, "lines": {"$ref": "#/components/schemas/Lines"},
                "cited": {"type": "boolean", "description": "Whether the answer cites this source (chat completions)."}
              }
            },
            "Citation": {
              "type": "object", "required": ["number", "path", "heading"],
              "properties": {"number": {"type": "integer"}, "path": {"type": "string"}, "heading": {"type": "string"}}
            },
            "AskAnswer": {
              "type": "object", "required": ["question", "answer", "sources", "citations", "invalid_citations", "refused", "timings_ms"],
              "properties": {
                "question": {"type": "string"}, "answer": {"type": "string"},
                "sources": {"type": "array", "items": {"$ref": "#/components/schemas/AskSource"}},
                "citations": {"type": "array", "items": {"$ref": "#/components/schemas/Citation"}},
                "invalid_citations": {"type": "array", "items": {"type": "integer"}, "description": "Numbers the answer cites that no source has."},
                "refused": {"type": "boolean"},
                "timings_ms": {"type": "object", "additionalProperties": {"type": "number"}}
              }
            }
          }
        }
        """
}
