import Foundation
import Synchronization

extension OllamaChatClient: ToolChatClient {
    /// Streams one turn from `/api/chat` with `tools`; tool calls may come in any line before `done`.
    public func chat(model: String, messages: [AgentMessage], tools: [ToolDefinition])
        -> AsyncThrowingStream<ToolChatEvent, any Error>
    {
        let url = host + "/api/chat", host = self.host
        let connectTimeout = self.connectTimeout, stallTimeout = self.stallTimeout, pool = self.pool
        return AsyncThrowingStream { continuation in
            let parser = ToolLineParser(continuation: continuation)
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

/// Splits `/api/chat` NDJSON into tokens, tool calls and `done`; shared with the libcurl thread.
private final class ToolLineParser: Sendable {
    private let state = Mutex<(lines: NDJSONLines, errorStatus: Int?, finished: Bool, received: Bool)>(
        (NDJSONLines(), nil, false, false))
    let continuation: AsyncThrowingStream<ToolChatEvent, any Error>.Continuation
    let cancelled = Atomic<Bool>(false)

    init(continuation: AsyncThrowingStream<ToolChatEvent, any Error>.Continuation) {
        self.continuation = continuation
    }

    var finished: Bool { state.withLock { $0.finished } }
    var errorBody: Data { state.withLock { $0.lines.errorBody } }
    /// The HTTP status of an error answer, once one arrived.
    var errorStatus: Int? { state.withLock { $0.errorStatus } }
    var receivedAny: Bool { state.withLock { $0.received } }

    func receive(status: Int, bytes: UnsafeRawBufferPointer) -> Bool {
        if cancelled.load(ordering: .relaxed) { return false }
        state.withLock { $0.received = true }
        if status >= 400 {
            // Enough of the body is kept for the message; the transfer stops there (see `errorStatus`).
            return state.withLock { state in
                state.errorStatus = status
                return !state.lines.keepError(bytes)
            }
        }
        let lines: [Data]
        do {
            lines = try state.withLock { try $0.lines.lines(in: bytes) }
        } catch {
            continuation.finish(throwing: error)
            return false
        }
        for line in lines where !line.allSatisfy({ $0 == 0x20 || $0 == 0x0D }) {
            guard let object = (try? JSONDecoder().decode(ToolValue.self, from: line))?.objectValue else {
                continuation.finish(throwing: ChatError.invalidResponse(String(decoding: line.prefix(200), as: UTF8.self)))
                return false
            }
            if let error = object["error"]?.stringValue {
                continuation.finish(throwing: ChatError.cutOff(error))
                return false
            }
            let message = object["message"]?.objectValue ?? [:]
            if let content = message["content"]?.stringValue, !content.isEmpty { continuation.yield(.token(content)) }
            if let calls = message["tool_calls"]?.arrayValue, !calls.isEmpty {
                continuation.yield(.toolCalls(calls.map { call in
                    let function = call.objectValue?["function"]?.objectValue
                    return ToolCall(name: function?["name"]?.stringValue, arguments: function?["arguments"])
                }))
            }
            if object["done"] == true {
                state.withLock { $0.finished = true }
                continuation.yield(.done(ChatStats(doneReason: object["done_reason"]?.stringValue,
                                                   promptEvalCount: object["prompt_eval_count"]?.intValue,
                                                   evalCount: object["eval_count"]?.intValue,
                                                   totalDurationNanoseconds: object["total_duration"]?.intValue)))
            }
        }
        return true
    }
}
