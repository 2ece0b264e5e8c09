import Foundation
import HTTPTypes
import Hummingbird

/// Which `Host` and `Origin` a request may carry: the defence against DNS rebinding, where a web page whose name
/// re-resolves to 127.0.0.1 would otherwise reach the server with the page's own name as `Host`.
///
/// Allowed: `localhost`, `127.0.0.1`, `::1`, the bound address, and `--allowed-host` names, on any port. On a
/// wildcard bind (0.0.0.0, ::) also the machine's host names and interface addresses. `*` accepts any host.
struct HostPolicy: Sendable {
    /// Lower-case names without port or brackets; nil accepts any.
    let allowed: Set<String>?

    init(allowed: Set<String>?) { self.allowed = allowed }

    init(configuration: ServerConfiguration, machineNames: @autoclosure () -> [String] = HostPolicy.machineNames()) {
        let extra = configuration.allowedHosts.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        if extra.contains("*") {
            allowed = nil
            return
        }
        var names: Set<String> = ["localhost", "127.0.0.1", "::1"]
        if configuration.isWildcard {
            names.formUnion(machineNames().map { Self.hostPart(of: $0) })
        } else {
            names.insert(Self.hostPart(of: configuration.host))
        }
        names.formUnion(extra.map { Self.hostPart(of: $0) })
        allowed = names
    }

    /// True when `authority` (`name`, `name:port`, `[v6]:port`) names an allowed host.
    func allows(_ authority: String) -> Bool {
        guard let allowed else { return true }
        return allowed.contains(Self.hostPart(of: authority))
    }

    /// The host of an authority, lower-case, without port, brackets, zone or trailing dot.
    static func hostPart(of authority: String) -> String {
        var text = Substring(authority.lowercased())
        if let at = text.lastIndex(of: "@") { text = text[text.index(after: at)...] }
        if text.hasPrefix("[") {
            let end = text.firstIndex(of: "]") ?? text.endIndex
            text = text[text.index(after: text.startIndex)..<end]
        } else if text.filter({ $0 == ":" }).count == 1, let colon = text.firstIndex(of: ":") {
            text = text[..<colon]
        }
        if let zone = text.firstIndex(of: "%") { text = text[..<zone] }
        while text.hasSuffix(".") { text = text.dropLast() }
        return String(text)
    }

    /// The host of an `Origin` (`scheme://host[:port]`); nil for `null` or anything without a host.
    static func originHost(_ origin: String) -> String? {
        guard let separator = origin.range(of: "://") else { return nil }
        let authority = origin[separator.upperBound...].prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        let host = hostPart(of: String(authority))
        return host.isEmpty ? nil : host
    }

    /// Methods that change state: their `Origin`, when sent, must be an allowed host too.
    static let stateChanging: Set<HTTPRequest.Method> = [.post, .put, .patch, .delete]

    /// Throws 403 for a request whose `Host` (or a state-changing request whose `Origin`) is not allowed.
    func check(_ request: Request) throws {
        guard allowed != nil else { return }
        var hosts: [String] = []
        if let authority = request.head.authority { hosts.append(authority) }
        hosts += request.headers[values: HTTPField.Name("Host")!]
        for host in hosts where !allows(host) {
            let name = Self.shown(Self.hostPart(of: host))
            throw APIError(.forbidden, code: "host_not_allowed",
                           "Host \"\(Self.shown(host))\" is not a name this server answers to (a guard against "
                               + "DNS rebinding). If it is this server's name, start kb serve with --allowed-host "
                               + "\(name) (or KB_ALLOWED_HOSTS=\(name)).")
        }
        guard Self.stateChanging.contains(request.method) else { return }
        for origin in request.headers[values: .origin] {
            let host = Self.originHost(origin)
            guard let host, allows(host) else {
                let hint = host.map { "start kb serve with --allowed-host \(Self.shown($0)) (or KB_ALLOWED_HOSTS)" }
                    ?? "send the request from a page of this server"
                throw APIError(.forbidden, code: "origin_not_allowed",
                               "Origin \"\(Self.shown(origin))\" may not change anything on this server (a page of "
                                   + "another site). If the page is trusted, \(hint).")
            }
        }
    }

    /// A client's value, cut short for a message.
    static func shown(_ value: String) -> String {
        value.count > 100 ? String(value.prefix(100)) + "…" : value
    }
}

/// Refuses requests whose `Host` or `Origin` the `HostPolicy` does not allow (403, JSON error).
struct HostCheckMiddleware: RouterMiddleware {
    typealias Context = KBRequestContext
    let policy: HostPolicy

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        try policy.check(request)
        return try await next(request, context)
    }
}
