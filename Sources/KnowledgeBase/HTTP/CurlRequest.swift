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

/// Blocking HTTP GETs and POSTs with libcurl, run on a `BlockingPool` so they never block Swift's cooperative pool
/// and a burst of calls cannot start a thread each.
///
/// Cancelling the calling task aborts the transfer: libcurl's progress callback, called at least once a second
/// even while nothing arrives, checks for it.
enum CurlRequest {
    private static let initialised: Bool = {
        curl_global_init(Int(CURL_GLOBAL_DEFAULT)) == CURLE_OK
    }()

    /// POSTs `body` as JSON to `url`.
    static func postJSON(url: String, body: Data, connectTimeout: Double, timeout: Double,
                         pool: BlockingPool) async throws -> HTTPReply {
        try await pool.run { cancellation in
            try perform(url: url, body: body, connectTimeout: connectTimeout, timeout: timeout,
                        cancellation: cancellation)
        }
    }

    /// GETs `url`.
    static func get(url: String, connectTimeout: Double, timeout: Double, pool: BlockingPool) async throws -> HTTPReply {
        try await pool.run { cancellation in
            try perform(url: url, body: nil, connectTimeout: connectTimeout, timeout: timeout,
                        cancellation: cancellation)
        }
    }

    /// POSTs `body` as JSON and hands each piece of the response body to `onData` as it arrives.
    ///
    /// `onData` gets the HTTP status and the bytes; returning false aborts the transfer (the caller went away).
    /// With `stallTimeout`, the transfer fails when no byte arrives for that long, however long it runs overall.
    static func stream(url: String, body: Data, connectTimeout: Double, timeout: Double?, stallTimeout: Double? = nil,
                       pool: BlockingPool,
                       onData: @escaping @Sendable (Int, UnsafeRawBufferPointer) -> Bool) async throws -> Int {
        try await pool.run { cancellation in
            try perform(url: url, body: body, connectTimeout: connectTimeout, timeout: timeout,
                        stallTimeout: stallTimeout, cancellation: cancellation, onData: onData)
        }
    }

    private final class Receiver {
        let handle: UnsafeMutableRawPointer?
        let onData: (Int, UnsafeRawBufferPointer) -> Bool
        let cancellation: BlockingCancellation
        var aborted = false

        init(handle: UnsafeMutableRawPointer?, cancellation: BlockingCancellation,
             onData: @escaping (Int, UnsafeRawBufferPointer) -> Bool) {
            self.handle = handle
            self.cancellation = cancellation
            self.onData = onData
        }
    }

    /// Largest whole answer collected (a batch of embeddings is a few MiB at most).
    static let maxCollectedBytes = 64 << 20

    private static func perform(url: String, body: Data?, connectTimeout: Double, timeout: Double,
                                cancellation: BlockingCancellation) throws -> HTTPReply {
        final class Collected: @unchecked Sendable {
            var data = Data()
            var overflowed = false
        }
        let collected = Collected()
        do {
            let status = try perform(url: url, body: body, connectTimeout: connectTimeout, timeout: timeout,
                                     stallTimeout: nil, cancellation: cancellation) { _, bytes in
                guard collected.data.count + bytes.count <= maxCollectedBytes else {
                    collected.overflowed = true
                    return false
                }
                collected.data.append(contentsOf: bytes)
                return true
            }
            return HTTPReply(status: status, body: collected.data)
        } catch is CancellationError where collected.overflowed {
            throw CurlFailure(kind: .other, message: "the answer is larger than \(maxCollectedBytes >> 20) MiB; "
                + "kb stopped reading it")
        }
    }

    // A nil `body` makes the request a GET.
    private static func perform(url: String, body: Data?, connectTimeout: Double, timeout: Double?,
                                stallTimeout: Double?, cancellation: BlockingCancellation,
                                onData: @escaping (Int, UnsafeRawBufferPointer) -> Bool) throws
        -> Int
    {
        _ = initialised
        guard let handle = curl_easy_init() else { throw CurlFailure(kind: .other, message: "curl_easy_init failed") }
        defer { curl_easy_cleanup(handle) }
        var headers: UnsafeMutablePointer<curl_slist>? = curl_slist_append(nil, "Content-Type: application/json")
        headers = curl_slist_append(headers, "Expect:")  // no 100-continue round trip on large bodies
        defer { curl_slist_free_all(headers) }
        let receiver = Receiver(handle: handle, cancellation: cancellation, onData: onData)
        let unmanaged = Unmanaged.passRetained(receiver)
        defer { unmanaged.release() }

        var errorBuffer = [CChar](repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        let code: CURLcode = (body ?? Data()).withUnsafeBytes { raw in
            errorBuffer.withUnsafeMutableBufferPointer { errors in
                ccurl_setopt_string(handle, CURLOPT_URL, url)
                if body != nil {
                    ccurl_setopt_long(handle, CURLOPT_POST, 1)
                    ccurl_setopt_pointer(handle, CURLOPT_POSTFIELDS, UnsafeMutableRawPointer(mutating: raw.baseAddress))
                    ccurl_setopt_long(handle, CURLOPT_POSTFIELDSIZE, raw.count)
                    ccurl_setopt_slist(handle, CURLOPT_HTTPHEADER, headers)
                }
                ccurl_setopt_long(handle, CURLOPT_CONNECTTIMEOUT_MS, Int(connectTimeout * 1000))
                if let timeout { ccurl_setopt_long(handle, CURLOPT_TIMEOUT_MS, Int(timeout * 1000)) }
                if let stallTimeout {
                    ccurl_setopt_long(handle, CURLOPT_LOW_SPEED_LIMIT, 1)
                    ccurl_setopt_long(handle, CURLOPT_LOW_SPEED_TIME, max(1, Int(stallTimeout)))
                }
                ccurl_setopt_long(handle, CURLOPT_NOSIGNAL, 1)
                ccurl_setopt_long(handle, CURLOPT_TCP_NODELAY, 1)
                ccurl_setopt_pointer(handle, CURLOPT_ERRORBUFFER, errors.baseAddress)
                ccurl_setopt_pointer(handle, CURLOPT_WRITEDATA, unmanaged.toOpaque())
                ccurl_setopt_write_function(handle) { data, size, count, context in
                    let bytes = size * count
                    guard let data, let context else { return bytes }
                    let receiver = Unmanaged<Receiver>.fromOpaque(context).takeUnretainedValue()
                    var status: Int = 0
                    ccurl_getinfo_long(receiver.handle, CURLINFO_RESPONSE_CODE, &status)
                    guard receiver.onData(status, UnsafeRawBufferPointer(start: data, count: bytes)) else {
                        receiver.aborted = true
                        return 0  // makes libcurl stop with CURLE_WRITE_ERROR
                    }
                    return bytes
                }
                ccurl_setopt_xferinfo(handle, { context, _, _, _, _ in
                    guard let context else { return 0 }
                    let receiver = Unmanaged<Receiver>.fromOpaque(context).takeUnretainedValue()
                    guard receiver.cancellation.isCancelled else { return 0 }
                    receiver.aborted = true
                    return 1  // makes libcurl stop with CURLE_ABORTED_BY_CALLBACK
                }, unmanaged.toOpaque())
                return curl_easy_perform(handle)
            }
        }
        if receiver.aborted { throw CancellationError() }
        guard code == CURLE_OK else {
            let detail = String(decoding: errorBuffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            let message = detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail
            switch code {
            case CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY:
                throw CurlFailure(kind: .connect, message: message)
            case CURLE_OPERATION_TIMEDOUT:
                // A connect time-out is a connection error; a slow or stalled answer is a time-out.
                throw CurlFailure(kind: message.contains("onnect") ? .connect : .timeout, message: message)
            case CURLE_GOT_NOTHING, CURLE_RECV_ERROR, CURLE_SEND_ERROR, CURLE_PARTIAL_FILE:
                throw CurlFailure(kind: .connect, message: message)
            default:
                throw CurlFailure(kind: .other, message: message)
            }
        }
        var status: Int = 0
        ccurl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
        return status
    }
}
