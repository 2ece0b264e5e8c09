extension OpenAPIDocument {
    /// `GET /v1/models` and `POST /v1/chat/completions`, OpenAI's shapes with kb's extension fields.
    static let chatCompletions = """
        {
          "paths": {
            "/v1/models": {
              "get": {
                "operationId": "listModels", "tags": ["openai"],
                "summary": "The chat models the configured Ollama has, each also as kb:<model> (answers grounded in the runbooks).",
                "parameters": [{"$ref": "#/components/parameters/RequestID"}],
                "responses": {
                  "200": {"description": "OpenAI's model list: the kb:<model> entries first, then the plain Ollama models.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ModelList"}}}},
                  "401": {"$ref": "#/components/responses/OpenAIUnauthorized"}, "403": {"$ref": "#/components/responses/OpenAIError"},
                  "502": {"$ref": "#/components/responses/OpenAIError"}, "503": {"$ref": "#/components/responses/OpenAIError"}
                }
              }
            },
            "/v1/chat/completions": {
              "post": {
                "operationId": "createChatCompletion", "tags": ["openai"],
                "summary": "OpenAI-compatible chat completion; kb:<model> answers from the runbooks with citations.",
                "description": "model kb:<model> (or kb for the server's default chat model): the last user message is the question, earlier messages are history, and the answer is retrieved, refused, templated and citation-checked exactly as /v1/ask. The answer cites sources inline as [n]; the sources (path, heading, lines, score, cited) are on choices[0].message.sources, or on the final chunk's choices[0].delta.sources when streamed, and the top-level kb object says whether it was refused and which citations were invalid. A plain model name passes the messages to that Ollama model without the runbooks (kb.grounded false, no sources). Streamed answers are Server-Sent Events, data: {chat.completion.chunk} each, ending with data: [DONE]; a failure after the stream began is one data: {\\"error\\":{…}} event.",
                "parameters": [{"$ref": "#/components/parameters/RequestID"}],
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ChatCompletionRequest"},
                  "example": {"model": "kb", "messages": [{"role": "user", "content": "The disk is full on a host: what is the mitigation?"}]}}}},
                "responses": {
                  "200": {"description": "A chat.completion, or with stream true an event stream of chat.completion.chunk.",
                          "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ChatCompletion"}}, "text/event-stream": {"schema": {"$ref": "#/components/schemas/ChatCompletionEvent"}}}},
                  "400": {"$ref": "#/components/responses/OpenAIError"}, "401": {"$ref": "#/components/responses/OpenAIUnauthorized"},
                  "403": {"$ref": "#/components/responses/OpenAIError"}, "404": {"$ref": "#/components/responses/OpenAIError"},
                  "409": {"$ref": "#/components/responses/OpenAIError"}, "413": {"$ref": "#/components/responses/OpenAIError"},
                  "415": {"$ref": "#/components/responses/OpenAIError"}, "422": {"$ref": "#/components/responses/OpenAIError"},
                  "501": {"$ref": "#/components/responses/OpenAIError"}, "502": {"$ref": "#/components/responses/OpenAIError"},
                  "503": {"$ref": "#/components/responses/OpenAIError"}
                }
              }
            }
          },
          "responses": {
            "OpenAIError": {"description": "An error in OpenAI's shape.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/OpenAIError"}}}},
            "OpenAIUnauthorized": {"description": "No bearer token, and this server needs one, or a token that is not valid (invalid_token).", "headers": {"WWW-Authenticate": {"schema": {"type": "string"}}}, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/OpenAIError"}}}}
          },
          "schemas": {
            "Model": {
              "type": "object", "required": ["id", "object", "created", "owned_by"],
              "properties": {"id": {"type": "string"}, "object": {"const": "model"}, "created": {"type": "integer"}, "owned_by": {"type": "string", "enum": ["kb", "ollama"]}}
            },
            "ModelList": {
              "type": "object", "required": ["object", "data"],
              "properties": {"object": {"const": "list"}, "data": {"type": "array", "items": {"$ref": "#/components/schemas/Model"}}}
            },
            "TextPart": {
              "type": "object", "required": ["type", "text"],
              "properties": {"type": {"const": "text"}, "text": {"type": "string"}}
            },
            "ChatMessageIn": {
              "type": "object", "required": ["role"], "description": "content may be null or left out only on an assistant message.",
              "properties": {
                "role": {"type": "string", "enum": ["system", "developer", "user", "assistant"], "description": "developer is taken as system."},
                "content": {"anyOf": [{"type": "string"}, {"type": "array", "items": {"$ref": "#/components/schemas/TextPart"}}, {"type": "null"}]},
                "name": {"type": ["string", "null"]},
                "tool_calls": {"type": "null"},
                "tool_call_id": {"type": ["string", "null"]}
              }
            },
            "RetrievalSettings": {
              "type": "object", "additionalProperties": false, "description": "kb's extension: how a kb:<model> answer retrieves its sources (as /v1/ask's fields).",
              "properties": {
                "k": {"$ref": "#/components/schemas/K"},
                "template": {"type": "string"},
                "mode": {"$ref": "#/components/schemas/SearchMode"},
                "fusion": {"$ref": "#/components/schemas/Fusion"},
                "refusal": {"$ref": "#/components/schemas/Refusal"},
                "where": {"$ref": "#/components/schemas/Where"}
              }
            },
            "ChatCompletionRequest": {
              "type": "object", "required": ["model", "messages"], "additionalProperties": false,
              "description": "Accepted and ignored: user, store, metadata, service_tier, parallel_tool_calls. Refused with 400 (unsupported_parameter): n other than 1, logprobs true, top_logprobs, tools, functions, logit_bias, a response_format other than text, a tool_choice or function_call naming a tool.",
              "properties": {
                "model": {"type": "string", "minLength": 1, "maxLength": 200, "description": "kb:<model> or kb (grounded), or a plain Ollama model (passthrough)."},
                "messages": {"type": "array", "minItems": 1, "items": {"$ref": "#/components/schemas/ChatMessageIn"}, "description": "For kb:<model> the last must be the user's question (1–4,000 characters); the 50 messages before it are history."},
                "stream": {"type": "boolean", "default": false},
                "stream_options": {"type": "object", "properties": {"include_usage": {"type": ["boolean", "null"]}}},
                "temperature": {"type": "number", "minimum": 0, "maximum": 2},
                "top_p": {"type": "number", "minimum": 0, "maximum": 1},
                "max_tokens": {"type": "integer", "minimum": 1, "maximum": 1000000},
                "max_completion_tokens": {"type": "integer", "minimum": 1, "maximum": 1000000},
                "stop": {"oneOf": [{"type": "string", "minLength": 1, "maxLength": 500}, {"type": "array", "maxItems": 4, "items": {"type": "string", "minLength": 1, "maxLength": 500}}]},
                "seed": {"type": "integer"},
                "presence_penalty": {"type": "number", "minimum": -2, "maximum": 2},
                "frequency_penalty": {"type": "number", "minimum": -2, "maximum": 2},
                "n": {"const": 1},
                "logprobs": {"const": false},
                "top_logprobs": {"const": 0},
                "response_format": {"type": "object", "required": ["type"], "properties": {"type": {"const": "text"}}},
                "tools": {"type": "array", "maxItems": 0},
                "functions": {"type": "array", "maxItems": 0},
                "tool_choice": {"enum": ["none", "auto"]},
                "function_call": {"enum": ["none", "auto"]},
                "parallel_tool_calls": {"type": "boolean"},
                "logit_bias": {"type": "object", "maxProperties": 0},
                "user": {"type": "string"},
                "store": {"type": "boolean"},
                "metadata": {"type": "object", "additionalProperties": {"type": "string"}},
                "service_tier": {"type": "string"},
                "kb": {"$ref": "#/components/schemas/RetrievalSettings"}
              }
            },
            "ChatSource": {
              "allOf": [{"$ref": "#/components/schemas/AskSource"}], "required": ["cited"],
              "description": "A source of a grounded answer; cited says whether the answer cites [number]."
            },
            "KBInfo": {
              "type": "object", "required": ["grounded"], "description": "kb's extension: how the answer was made.",
              "properties": {
                "grounded": {"type": "boolean", "description": "Answered from the runbooks (kb:<model>)."},
                "refused": {"type": "boolean", "description": "The runbooks do not cover the question; the answer says so and no model was called."},
                "invalid_citations": {"type": "array", "items": {"type": "integer"}},
                "timings_ms": {"type": "object", "additionalProperties": {"type": "number"}}
              }
            },
            "ChatCompletionEvent": {
              "type": "object", "required": ["data"], "description": "One Server-Sent Event: a chunk, an error, or the final [DONE].",
              "properties": {"data": {"anyOf": [
                {"const": "[DONE]"},
                {"type": "string", "contentMediaType": "application/json",
                 "contentSchema": {"anyOf": [{"$ref": "#/components/schemas/ChatCompletionChunk"}, {"$ref": "#/components/schemas/OpenAIError"}]}}]}}
            },
            "ChatCompletionChunk": {
              "type": "object", "required": ["id", "object", "created", "model", "choices"],
              "description": "The first chunk's delta has the role; the chunk with a finish_reason has the sources in its delta (grounded answers) and the kb object; with stream_options.include_usage a last chunk has no choices and the usage.",
              "properties": {
                "id": {"type": "string"}, "object": {"const": "chat.completion.chunk"}, "created": {"type": "integer"}, "model": {"type": "string"},
                "choices": {"type": "array", "maxItems": 1, "items": {
                  "type": "object", "required": ["index", "delta", "finish_reason", "logprobs"],
                  "properties": {
                    "index": {"const": 0},
                    "delta": {"type": "object", "properties": {
                      "role": {"const": "assistant"}, "content": {"type": "string"},
                      "sources": {"type": "array", "items": {"$ref": "#/components/schemas/ChatSource"}}}},
                    "finish_reason": {"enum": ["stop", "length", null]},
                    "logprobs": {"type": "null"}
                  }}},
                "usage": {"type": "object", "required": ["prompt_tokens", "completion_tokens", "total_tokens"], "properties": {
                  "prompt_tokens": {"type": "integer"}, "completion_tokens": {"type": "integer"}, "total_tokens": {"type": "integer"}}},
                "kb": {"$ref": "#/components/schemas/KBInfo"}
              }
            },
            "ChatCompletion": {
              "type": "object", "required": ["id", "object", "created", "model", "choices", "usage"],
              "properties": {
                "id": {"type": "string"}, "object": {"const": "chat.completion"}, "created": {"type": "integer"}, "model": {"type": "string"},
                "choices": {"type": "array", "minItems": 1, "maxItems": 1, "items": {
                  "type": "object", "required": ["index", "message", "finish_reason", "logprobs"],
                  "properties": {
                    "index": {"const": 0},
                    "message": {"type": "object", "required": ["role", "content"], "properties": {
                      "role": {"const": "assistant"}, "content": {"type": "string"},
                      "sources": {"type": "array", "items": {"$ref": "#/components/schemas/ChatSource"}}}},
                    "finish_reason": {"type": "string", "enum": ["stop", "length"]},
                    "logprobs": {"type": "null"}
                  }}},
                "usage": {"type": "object", "required": ["prompt_tokens", "completion_tokens", "total_tokens"], "properties": {
                  "prompt_tokens": {"type": "integer"}, "completion_tokens": {"type": "integer"}, "total_tokens": {"type": "integer"}}},
                "kb": {"$ref": "#/components/schemas/KBInfo"}
              }
            }
          }
        }
        """
}
