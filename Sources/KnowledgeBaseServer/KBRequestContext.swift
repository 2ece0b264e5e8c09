import Hummingbird

/// The request context of kb's routes: Hummingbird's core storage plus the request id.
public struct KBRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// `X-Request-Id` as received (when sane) or generated; echoed on the response and in logs.
    public var requestID: String

    public init(source: Source) {
        self.coreContext = .init(source: source)
        self.requestID = ""
    }

    // Body limits are enforced per route by `JSONBody`; this is the ceiling for anything else.
    public var maxUploadSize: Int { 64 * 1024 * 1024 }
}
