import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why a token file could not be read or created.
public enum TokenFileError: Error, Sendable, CustomStringConvertible, Equatable {
    case unreadable(path: String, reason: String)
    case empty(path: String)
    case cannotCreate(path: String, reason: String)

    public var description: String {
        switch self {
        case .unreadable(let path, let reason):
            return "cannot read the token file \(path): \(reason). Check the path and its permissions."
        case .empty(let path):
            return "the token file \(path) is empty; put the token in it (one line), or remove the option."
        case .cannotCreate(let path, let reason):
            return "cannot create the write-token file \(path): \(reason). Set KB_API_TOKEN (or --write-token-file), "
                + "make the directory writable, or pass --allow-unauthenticated to leave writes open."
        }
    }
}

/// Bearer tokens kept in files: read from `--read-token-file`/`--write-token-file` (so they are not visible in
/// `ps`), and the write token `kb serve` generates on first start.
public enum TokenFile {
    /// A token read from a file, and a warning when others than the owner may read the file.
    public struct Loaded: Sendable, Equatable {
        public var token: String
        public var warning: String?
    }

    /// Reads the token in `path`: the whole file minus trailing newlines (CR LF or LF) and spaces.
    /// - Throws: `TokenFileError.unreadable` or `.empty`.
    public static func read(_ path: String) throws -> Loaded {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            var reason = "\(error.localizedDescription)"
            if !FileManager.default.fileExists(atPath: path) { reason = "no such file" }
            throw TokenFileError.unreadable(path: path, reason: reason)
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw TokenFileError.unreadable(path: path, reason: "it is not UTF-8 text")
        }
        var token = Substring(text)
        while let last = token.last, last.isNewline || last == " " || last == "\t" { token = token.dropLast() }
        guard !token.isEmpty else { throw TokenFileError.empty(path: path) }
        var warning: String?
        var status = stat()
        if stat(path, &status) == 0, status.st_mode & 0o077 != 0 {
            warning = "the token file \(path) can be read by other users (mode "
                + String(status.st_mode & 0o777, radix: 8) + "); run chmod 600 \(path)"
        }
        return Loaded(token: String(token), warning: warning)
    }

    /// The token in `path`, created first (32 random bytes as hex, mode 0600) if there is no file yet.
    ///
    /// The file appears complete or not at all: the token is written to a private temporary file that is then
    /// hard-linked to `path`, which fails if another process got there first (its token is then used).
    /// - Returns: the token, and whether this call created it.
    public static func loadOrCreate(_ path: String) throws -> (token: String, created: Bool) {
        if FileManager.default.fileExists(atPath: path) { return (try read(path).token, false) }
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty, !FileManager.default.fileExists(atPath: directory) {
            do {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                        attributes: [.posixPermissions: 0o700])
            } catch {
                throw TokenFileError.cannotCreate(path: path, reason: error.localizedDescription)
            }
        }
        var generator = SystemRandomNumberGenerator()
        let token = (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }
            .joined()
        let temporary = path + ".\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard descriptor >= 0 else {
            throw TokenFileError.cannotCreate(path: path, reason: String(cString: strerror(errno)))
        }
        defer { unlink(temporary) }
        let bytes = Array((token + "\n").utf8)
        let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        let synced = fsync(descriptor)
        close(descriptor)
        guard written == bytes.count, synced == 0 else {
            throw TokenFileError.cannotCreate(path: path, reason: String(cString: strerror(errno)))
        }
        if link(temporary, path) != 0 {
            let error = errno
            if error == EEXIST { return (try read(path).token, false) }
            throw TokenFileError.cannotCreate(path: path, reason: String(cString: strerror(error)))
        }
        return (token, true)
    }

    /// Where `kb serve` keeps the write token it generates for `location`: `<db>.write-token` beside an SQLite
    /// file; for PostgreSQL `$KB_STATE_DIR`, else `$XDG_STATE_HOME/kb`, else `~/.local/state/kb`, in a file named
    /// after the server, database and schema.
    public static func writeTokenPath(for location: StoreLocation, environment: [String: String]) -> String {
        switch location {
        case .sqlite(let path):
            return path + ".write-token"
        case .postgres(let url):
            let directory: String
            if let state = environment["KB_STATE_DIR"], !state.isEmpty {
                directory = state
            } else if let xdg = environment["XDG_STATE_HOME"], !xdg.isEmpty {
                directory = (xdg as NSString).appendingPathComponent("kb")
            } else {
                let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
                directory = (home as NSString).appendingPathComponent(".local/state/kb")
            }
            return (directory as NSString).appendingPathComponent(postgresName(url) + ".write-token")
        }
    }

    /// `postgres-HOST-PORT-DATABASE-SCHEMA`, with anything but letters, digits, `.`, `_` and `-` as `_`.
    static func postgresName(_ url: String) -> String {
        let components = URLComponents(string: url)
        let host = components?.host.flatMap { $0.isEmpty ? nil : $0 } ?? "local"
        let port = components?.port.map(String.init) ?? "5432"
        let database = components.map { String($0.path.drop { $0 == "/" }) }.flatMap { $0.isEmpty ? nil : $0 }
            ?? components?.user ?? "postgres"
        let schema = components?.queryItems?.first { $0.name == "schema" }?.value ?? "kb"
        let name = ["postgres", host, port, database, schema].joined(separator: "-")
        return String(name.unicodeScalars.map { scalar -> Character in
            let allowed = (scalar.properties.isASCIIHexDigit || ("a"..."z").contains(scalar)
                || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar) || "._-".unicodeScalars.contains(scalar))
            return allowed ? Character(scalar) : "_"
        })
    }
}
