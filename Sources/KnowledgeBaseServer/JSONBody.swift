import Foundation
import HTTPTypes
import Hummingbird

/// Strict reading of JSON request bodies: content type, size, UTF-8, known fields only, types.
///
/// Every check fails before any work is done, with a message naming what was wrong.
enum JSONBody {
    static func decode<T: Decodable>(_ type: T.Type, from request: Request, limit: Int, fields: Set<String>)
        async throws -> T
    {
        let contentType = request.headers[.contentType]?.lowercased() ?? ""
        guard contentType.split(separator: ";").first?.trimmingCharacters(in: .whitespaces) == "application/json" else {
            throw APIError(.unsupportedMediaType, code: "unsupported_media_type",
                           "send the body as JSON with Content-Type: application/json"
                               + (contentType.isEmpty ? "" : " (got \(contentType))"))
        }
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limit {
            throw tooLarge(limit)
        }
        var request = request
        let buffer = try await RequestBody.collect(&request, upTo: limit, tooLarge: tooLarge(limit))
        let bytes = Data(buffer: buffer)
        guard String(validating: bytes, as: UTF8.self) != nil else {
            throw APIError.badRequest("the body is not valid UTF-8")
        }
        let object: [String: Any]
        do {
            guard let parsed = try JSONSerialization.jsonObject(with: bytes, options: [.fragmentsAllowed]) as? [String: Any]
            else { throw APIError.badRequest("the body must be a JSON object") }
            object = parsed
        } catch let error as APIError {
            throw error
        } catch {
            throw APIError.badRequest("the body is not valid JSON")
        }
        let unknown = Set(object.keys).subtracting(fields).sorted()
        if !unknown.isEmpty {
            throw APIError(.badRequest, code: "unknown_fields",
                           "unknown field\(unknown.count == 1 ? "" : "s") \(unknown.map { "\"\($0)\"" }.joined(separator: ", ")); "
                               + "allowed: \(fields.sorted().joined(separator: ", "))")
        }
        do {
            return try JSONDecoder().decode(T.self, from: bytes)
        } catch let error as DecodingError {
            throw APIError(.badRequest, code: "invalid_field", describe(error))
        }
    }

    static func tooLarge(_ limit: Int) -> APIError {
        APIError(.contentTooLarge, code: "body_too_large",
                 "the body is larger than \(limit) bytes, the limit for this endpoint")
    }

    static func describe(_ error: DecodingError) -> String {
        func path(_ codingPath: [any CodingKey]) -> String {
            codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
        }
        switch error {
        case .typeMismatch(let type, let context):
            return "field \"\(path(context.codingPath))\" must be \(name(type))"
        case .valueNotFound(let type, let context):
            return "field \"\(path(context.codingPath))\" must be \(name(type)), not null"
        case .keyNotFound(let key, let context):
            let parent = path(context.codingPath)
            return "missing field \"\(parent.isEmpty ? key.stringValue : parent + "." + key.stringValue)\""
        case .dataCorrupted(let context):
            return "field \"\(path(context.codingPath))\": \(context.debugDescription)"
        @unknown default:
            return "the body does not match the expected fields"
        }
    }

    private static func name(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: return "a string"
        case is Int.Type: return "an integer"
        case is Double.Type, is Float.Type: return "a number"
        case is Bool.Type: return "true or false"
        default: return "\(type)".contains("Array") ? "an array" : "an object"
        }
    }
}

extension Data {
    init(buffer: ByteBuffer) {
        self = buffer.withUnsafeReadableBytes { Data($0) }
    }
}
