import CCurl
import Foundation

/// The outcome of one HTTP exchange.
struct HTTPReply: Sendable {
    var status: Int
    var body: Data
}

/// A transport failure: no HTTP status was received.
struct CurlFailure: Error, Sendable {
    enum Kind: Sendable { case connect, timeout, other }
    var kind: Kind
    var message: String
}

/// Blocking HTTP POSTs with libcurl, each on a thread of its own so they never block Swift's cooperative pool.
///
/// A thread per request (tens of microseconds) next to a request of milliseconds; a shared dispatch queue
/// was tried, but on Linux its pool can be as narrow as the core count, which serialised requests.
enum CurlRequest {
    private static let initialised: Bool = {
        curl_global_init(Int(CURL_GLOBAL_DEFAULT)) == CURLE_OK
    }()

    /// POSTs `body` as JSON to `url`.
    static func postJSON(url: String, body: Data, connectTimeout: Double, timeout: Double) async throws -> HTTPReply {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread {
                continuation.resume(with: Result {
                    try perform(url: url, body: body, connectTimeout: connectTimeout, timeout: timeout)
                })
            }
            thread.start()
        }
    }

    private final class ResponseBuffer {
        var data = Data()
    }

    private static func perform(url: String, body: Data, connectTimeout: Double, timeout: Double) throws -> HTTPReply {
        _ = initialised
        guard let handle = curl_easy_init() else { throw CurlFailure(kind: .other, message: "curl_easy_init failed") }
        defer { curl_easy_cleanup(handle) }
        var headers: UnsafeMutablePointer<curl_slist>? = curl_slist_append(nil, "Content-Type: application/json")
        headers = curl_slist_append(headers, "Accept: application/json")
        headers = curl_slist_append(headers, "Expect:")  // no 100-continue round trip on large bodies
        defer { curl_slist_free_all(headers) }
        let buffer = ResponseBuffer()
        let unmanaged = Unmanaged.passRetained(buffer)
        defer { unmanaged.release() }

        var errorBuffer = [CChar](repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        let code: CURLcode = body.withUnsafeBytes { raw in
            errorBuffer.withUnsafeMutableBufferPointer { errors in
                ccurl_setopt_string(handle, CURLOPT_URL, url)
                ccurl_setopt_long(handle, CURLOPT_POST, 1)
                ccurl_setopt_pointer(handle, CURLOPT_POSTFIELDS, UnsafeMutableRawPointer(mutating: raw.baseAddress))
                ccurl_setopt_long(handle, CURLOPT_POSTFIELDSIZE, raw.count)
                ccurl_setopt_slist(handle, CURLOPT_HTTPHEADER, headers)
                ccurl_setopt_long(handle, CURLOPT_CONNECTTIMEOUT_MS, Int(connectTimeout * 1000))
                ccurl_setopt_long(handle, CURLOPT_TIMEOUT_MS, Int(timeout * 1000))
                ccurl_setopt_long(handle, CURLOPT_NOSIGNAL, 1)
                ccurl_setopt_long(handle, CURLOPT_TCP_NODELAY, 1)
                ccurl_setopt_pointer(handle, CURLOPT_ERRORBUFFER, errors.baseAddress)
                ccurl_setopt_pointer(handle, CURLOPT_WRITEDATA, unmanaged.toOpaque())
                ccurl_setopt_write_function(handle) { data, size, count, context in
                    let bytes = size * count
                    guard let data, let context else { return bytes }
                    let buffer = Unmanaged<ResponseBuffer>.fromOpaque(context).takeUnretainedValue()
                    buffer.data.append(UnsafeRawPointer(data).assumingMemoryBound(to: UInt8.self), count: bytes)
                    return bytes
                }
                return curl_easy_perform(handle)
            }
        }
        guard code == CURLE_OK else {
            let detail = String(decoding: errorBuffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            let message = detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail
            switch code {
            case CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY:
                throw CurlFailure(kind: .connect, message: message)
            case CURLE_OPERATION_TIMEDOUT:
                // A connect time-out is a connection error; a slow answer is a time-out.
                throw CurlFailure(kind: message.contains("onnect") ? .connect : .timeout, message: message)
            case CURLE_GOT_NOTHING, CURLE_RECV_ERROR, CURLE_SEND_ERROR, CURLE_PARTIAL_FILE:
                throw CurlFailure(kind: .connect, message: message)
            default:
                throw CurlFailure(kind: .other, message: message)
            }
        }
        var status: Int = 0
        ccurl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
        return HTTPReply(status: status, body: buffer.data)
    }
}
