import Foundation

extension OllamaChatClient: ToolChatClient {
    /// Streams one turn from `/api/chat` with `tools`; tool calls may come in any line before `done`.
    public func chat(model: String, messages: [AgentMessage], tools: [ToolDefinition])
        -> AsyncThrowingStream<ToolChatEvent, any Error>
    {
        let url = host + "/api/chat", host = self.host
        let connectTimeout = self.connectTimeout, stallTimeout = self.stallTimeout, pool = self.pool
        return AsyncThrowingStream { continuation in
            let parser = NDJSONStreamParser(continuation: continuation, decode: Self.toolEvents(in:))
            let task = Task {
                do {
                    let body = try JSONEncoder().encode(Self.toolRequest(model: model, messages: messages, tools: tools))
                    let status = try await CurlRequest.stream(url: url, body: body, connectTimeout: connectTimeout,
                                                              timeout: nil, stallTimeout: stallTimeout,
                                                              pool: pool) { status, bytes in
                        parser.receive(status: status, bytes: bytes)
                    }
                    if status >= 400 {
                        continuation.finish(throwing: Self.classify(status: status, body: parser.errorBody, model: model,
                                                                    host: host))
                    } else if !parser.finished {
                        continuation.finish(throwing: ChatError.cutOff("the connection closed before the turn was done"))
                    } else {
                        continuation.finish()
                    }
                } catch is CancellationError where parser.errorStatus != nil {
                    // The transfer was stopped once enough of the error body was kept.
                    continuation.finish(throwing: Self.classify(status: parser.errorStatus ?? 500, body: parser.errorBody,
                                                                model: model, host: host))
                } catch let failure as CurlFailure {
                    continuation.finish(throwing: failure.kind == .connect && !parser.receivedAny
                        ? ChatError.unreachable(host: host, reason: failure.message) : ChatError.cutOff(failure.message))
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in
                parser.cancelled.store(true, ordering: .relaxed)
                task.cancel()
            }
        }
    }

    /// The `/api/chat` body: messages with their tool calls and tool names, and the tools as functions.
    static func toolRequest(model: String, messages: [AgentMessage], tools: [ToolDefinition]) -> ToolValue {
        var body: [String: ToolValue] = [
            "model": .string(model), "stream": true,
            "messages": .array(messages.map { message in
                var object: [String: ToolValue] = ["role": .string(message.role), "content": .string(message.content)]
                if !message.toolCalls.isEmpty {
                    object["tool_calls"] = .array(message.toolCalls.map { call in
                        ["function": ["name": .string(call.name ?? ""), "arguments": call.arguments ?? [:]]]
                    })
                }
                if let name = message.toolName { object["tool_name"] = .string(name) }
                return .object(object)
            }),
        ]
        if !tools.isEmpty {
            body["tools"] = .array(tools.map { tool in
                ["type": "function", "function": ["name": .string(tool.name), "description": .string(tool.description),
                                                  "parameters": tool.inputSchema]]
            })
        }
        return .object(body)
    }
}

extension OllamaChatClient {
    /// One line of `/api/chat` with tools: a token, tool calls, the end with its counts, or Ollama's error.
    @Sendable static func toolEvents(in line: Data) throws -> (events: [ToolChatEvent], done: Bool) {
        guard let object = (try? JSONDecoder().decode(ToolValue.self, from: line))?.objectValue else {
            throw ChatError.invalidResponse(String(decoding: line.prefix(200), as: UTF8.self))
        }
        if let error = object["error"]?.stringValue { throw ChatError.cutOff(error) }
        var events: [ToolChatEvent] = []
        let message = object["message"]?.objectValue ?? [:]
        if let content = message["content"]?.stringValue, !content.isEmpty { events.append(.token(content)) }
        if let calls = message["tool_calls"]?.arrayValue, !calls.isEmpty {
            events.append(.toolCalls(calls.map { call in
                let function = call.objectValue?["function"]?.objectValue
                return ToolCall(name: function?["name"]?.stringValue, arguments: function?["arguments"])
            }))
        }
        let done = object["done"] == true
        if done {
            events.append(.done(ChatStats(doneReason: object["done_reason"]?.stringValue,
                                          promptEvalCount: object["prompt_eval_count"]?.intValue,
                                          evalCount: object["eval_count"]?.intValue,
                                          totalDurationNanoseconds: object["total_duration"]?.intValue)))
        }
        return (events, done)
    }
}
