import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A runbook found under a source root.
public struct WalkedFile: Sendable, Equatable {
    /// Where to read the file: the root as given joined with `relativePath` (it may pass through symlinks).
    public var url: URL
    /// The path below the root, `/`-separated, never starting with `/` and never containing `..`.
    public var relativePath: String
    public var format: DocumentFormat

    public init(url: URL, relativePath: String, format: DocumentFormat) {
        self.url = url
        self.relativePath = relativePath
        self.format = format
    }
}

/// An entry under a source root that was not synced, and why.
public struct SkippedFile: Sendable, Equatable, Codable {
    /// The path below the root, `/`-separated.
    public var path: String
    /// Why it was skipped, for a person: `ignored by .kbignore:3: build/`.
    public var reason: String

    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }
}

/// Walks a source root for the runbooks to sync, honouring `.kbignore` files and following safe symlinks.
public enum SourceWalker {
    /// The runbooks under `root` and the entries skipped, each sorted by relative path.
    ///
    /// Ignored directories are listed once and not descended. Symlinks are followed when they resolve inside the
    /// root; ones leading outside it, back to an ancestor (a loop), or nowhere are skipped. A file or directory
    /// reached twice is kept under its first path in sorted order. `.kbignore` files are read, never listed.
    /// - Throws: `SyncError` when `root` is missing, not a directory, or cannot be listed.
    public static func walk(root: String) throws -> (files: [WalkedFile], skipped: [SkippedFile]) {
        var rootPath = root.isEmpty ? "." : root
        while rootPath.count > 1 && rootPath.hasSuffix("/") { rootPath.removeLast() }
        var info = stat()
        guard stat(rootPath, &info) == 0 else {
            let code = errno
            if code == ENOENT || code == ENOTDIR { throw SyncError.rootNotFound(root) }
            throw SyncError.rootUnreadable(root, reason: errorText(code))
        }
        guard FileKind(info) == .directory else { throw SyncError.rootNotDirectory(root) }
        guard let realRoot = resolvedPath(rootPath) else {
            throw SyncError.rootUnreadable(root, reason: errorText(errno))
        }
        let names: [String]
        switch listDirectory(rootPath) {
        case .success(let list): names = list
        case .failure(let failure): throw SyncError.rootUnreadable(root, reason: errorText(failure.code))
        }
        var walk = Walk(rootPath: rootPath, realRoot: realRoot)
        let top = Walk.Directory(diskPath: rootPath, realPath: realRoot, relativePath: "", ancestors: [],
                                 ignores: IgnoreStack())
        walk.visited[realRoot] = ""
        walk.visit(top, names: names)
        return (walk.files.sorted { $0.relativePath < $1.relativePath },
                walk.skipped.sorted { $0.path < $1.path })
    }

    /// The text of an errno value: `Permission denied`.
    static func errorText(_ code: Int32) -> String {
        String(cString: strerror(code))
    }

    /// realpath(3) of `path`, or nil with errno set.
    static func resolvedPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// The names in a directory, without `.` and `..`.
    static func listDirectory(_ path: String) -> Result<[String], ListingFailure> {
        guard let directory = opendir(path) else { return .failure(ListingFailure(code: errno)) }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { bytes in
                String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return .success(names)
    }

    /// Where a symlink points, as written in the link.
    static func linkTarget(_ path: String) -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlink(path, &buffer, buffer.count - 1)
        guard count >= 0 else { return "?" }
        return String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// The errno of a failed opendir(3).
struct ListingFailure: Error {
    let code: Int32
}

/// What an entry is, after following a symlink.
private enum FileKind: Equatable {
    case directory, regular, symlink, other

    init(_ info: stat) {
        switch info.st_mode & S_IFMT {
        case S_IFDIR: self = .directory
        case S_IFREG: self = .regular
        case S_IFLNK: self = .symlink
        default: self = .other
        }
    }
}

/// The state of one walk: what was found, and every real path seen so far.
private struct Walk {
    struct Directory {
        var diskPath: String
        var realPath: String
        var relativePath: String
        /// Real and relative paths of the directories above, the root first.
        var ancestors: [(real: String, relative: String)]
        var ignores: IgnoreStack
    }

    /// One directory entry, classified before ordering.
    struct Entry {
        var name: String
        var diskPath: String
        var relativePath: String
        var isLink: Bool
        /// The kind of the entry, or of a symlink's target; nil with `problem` set when it cannot be told.
        var kind: FileKind?
        var problem: String?

        /// Directories sort as `name/`, so the walk meets files in the order of their sorted relative paths.
        var sortKey: String { kind == .directory ? name + "/" : name }
    }

    let rootPath: String
    let realRoot: String
    var files: [WalkedFile] = []
    var skipped: [SkippedFile] = []
    /// Real path of every file and directory taken → the relative path it was taken under.
    var visited: [String: String] = [:]

    init(rootPath: String, realRoot: String) {
        self.rootPath = rootPath
        self.realRoot = realRoot
    }

    mutating func visit(_ directory: Directory, names: [String]) {
        var ignores = directory.ignores
        if names.contains(".kbignore") {
            let path = (directory.diskPath == "/" ? "" : directory.diskPath) + "/.kbignore"
            do {
                let text = String(decoding: try Data(contentsOf: URL(fileURLWithPath: path)), as: UTF8.self)
                ignores.add(IgnoreRules(text: text, base: directory.relativePath))
            } catch {
                skip(join(directory.relativePath, ".kbignore"),
                     "could not read this ignore file, so its rules were not applied: \(error.localizedDescription)")
            }
        }
        let entries = names.filter { $0 != ".kbignore" }.map { classify($0, in: directory) }
            .sorted { $0.sortKey < $1.sortKey }
        for entry in entries { take(entry, in: directory, ignores: ignores) }
    }

    func classify(_ name: String, in directory: Directory) -> Entry {
        let parent = directory.diskPath == "/" ? "" : directory.diskPath
        var entry = Entry(name: name, diskPath: parent + "/" + name,
                          relativePath: join(directory.relativePath, name), isLink: false)
        var info = stat()
        guard lstat(entry.diskPath, &info) == 0 else {
            entry.problem = "could not be read: \(SourceWalker.errorText(errno))"
            return entry
        }
        entry.kind = FileKind(info)
        guard entry.kind == .symlink else { return entry }
        entry.isLink = true
        entry.kind = nil
        let target = SourceWalker.linkTarget(entry.diskPath)
        if stat(entry.diskPath, &info) == 0 {
            entry.kind = FileKind(info)
        } else if errno == ELOOP {
            entry.problem = "symlink loop: \(target) never resolves to a file"
        } else {
            entry.problem = "broken symlink to \(target) (\(SourceWalker.errorText(errno)))"
        }
        return entry
    }

    mutating func take(_ entry: Entry, in directory: Directory, ignores: IgnoreStack) {
        let path = entry.relativePath
        let isDirectory = entry.kind == .directory
        let decision = ignores.shallowDecision(forRelativePath: path, isDirectory: isDirectory)
        if decision.ignored { return skip(path, "ignored by \(decision.rule ?? "an ignore rule")") }
        guard let kind = entry.kind else { return skip(path, entry.problem ?? "could not be read") }
        let realPath: String
        if entry.isLink {
            guard let resolved = SourceWalker.resolvedPath(entry.diskPath) else {
                return skip(path, "could not resolve symlink: \(SourceWalker.errorText(errno))")
            }
            let inside = realRoot == "/" || resolved == realRoot || resolved.hasPrefix(realRoot + "/")
            guard inside else { return skip(path, "symlink to \(resolved) outside the source root") }
            realPath = resolved
        } else {
            realPath = (directory.realPath == "/" ? "" : directory.realPath) + "/" + entry.name
        }
        switch kind {
        case .directory:
            let chain = directory.ancestors + [(directory.realPath, directory.relativePath)]
            if let ancestor = chain.first(where: { $0.real == realPath }) {
                let place = ancestor.relative.isEmpty ? "the source root" : ancestor.relative
                return skip(path, "symlink loop: leads back to \(place), which contains it")
            }
            if let first = visited[realPath] { return skip(path, "same directory as \(first)") }
            visited[realPath] = path
            let names: [String]
            switch SourceWalker.listDirectory(entry.diskPath) {
            case .success(let list): names = list
            case .failure(let failure):
                return skip(path, "unreadable directory: \(SourceWalker.errorText(failure.code))")
            }
            visit(Directory(diskPath: entry.diskPath, realPath: realPath, relativePath: path, ancestors: chain,
                            ignores: ignores), names: names)
        case .regular:
            guard let format = DocumentFormat(fileName: entry.name) else {
                return skip(path, "not a runbook format (.md, .markdown, .txt)")
            }
            if let first = visited[realPath] { return skip(path, "same file as \(first)") }
            visited[realPath] = path
            let url = URL(fileURLWithPath: (rootPath == "/" ? "" : rootPath) + "/" + path, isDirectory: false)
            files.append(WalkedFile(url: url, relativePath: path, format: format))
        case .symlink, .other:
            skip(path, "not a regular file or directory")
        }
    }

    mutating func skip(_ path: String, _ reason: String) {
        skipped.append(SkippedFile(path: path, reason: reason))
    }

    func join(_ parent: String, _ name: String) -> String {
        parent.isEmpty ? name : parent + "/" + name
    }
}
