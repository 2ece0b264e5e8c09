import Hummingbird
import NIOCore

/// The request context of kb's routes: Hummingbird's core storage plus the request id.
public struct KBRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// `X-Request-Id` as received (when sane) or generated; echoed on the response and in logs.
    public var requestID: String
    /// The client's connection: a streamed answer ends, and its upstream request is cancelled, when it closes.
    public var channel: (any Channel)?
    /// How an answer ended when that is not the response's status (a stream that failed after its 200).
    var outcome = RequestOutcome()

    public init(source: Source) {
        self.coreContext = .init(source: source)
        self.requestID = ""
        self.channel = source.channel
    }

    // Body limits are enforced per route by `JSONBody`; this is the ceiling for anything else.
    public var maxUploadSize: Int { 64 * 1024 * 1024 }
}
