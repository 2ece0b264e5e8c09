import Hummingbird
import NIOCore
import NIOHTTP1

/// Reads a request body up to a limit, with the client's mistakes as 4xx errors.
///
/// The body arrives while it is read, so its framing errors surface here: a body over the limit (Hummingbird's
/// `HTTPError` when `Content-Length` says so, NIO's `NIOTooManyBytesError` for a chunked or lying one) is 413, and a
/// malformed one (a bad chunk size, a connection closed before `Content-Length` bytes came, …: NIO's
/// `HTTPParserError`) is 400 with `Connection: close`, since the connection cannot be read any further.
enum RequestBody {
    static func collect(_ request: inout Request, upTo limit: Int, tooLarge: @autoclosure () -> APIError) async throws
        -> ByteBuffer
    {
        do {
            return try await request.collectBody(upTo: limit)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw tooLarge()
        } catch is NIOTooManyBytesError {
            throw tooLarge()
        } catch let error as HTTPParserError {
            throw APIError(.badRequest, code: "malformed_body",
                           "the request body could not be read (\(error)); check its Content-Length or chunked encoding",
                           headers: [.connection: "close"])
        }
    }
}
