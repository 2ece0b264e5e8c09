import Foundation

/// The committed files of a git working tree at one commit, read with the `git` command (never the working files,
/// so uncommitted edits are not indexed).
public struct GitTree: Sendable {
    /// One entry of `git ls-tree -r`: a path relative to the synced folder, its mode and blob id.
    public struct Entry: Sendable, Equatable {
        public var path: String
        public var mode: String
        public var object: String
        /// A regular (or executable) file; symlinks (120000) and submodules (160000) are not.
        public var isFile: Bool { mode == "100644" || mode == "100755" }
    }

    public var commit: String
    public var entries: [Entry]
    let root: String

    /// The tree of `ref` (a branch, tag or commit; HEAD by default) below `root`, which is the repository's top
    /// level or a folder inside it.
    public static func read(root: String, ref: String) throws -> GitTree {
        let commit = try run(["rev-parse", "--verify", "--quiet", "\(ref)^{commit}"], in: root,
                             failure: "\(ref) is not a commit in the git repository at \(root) (try HEAD or a branch name)")
        let hash = String(decoding: commit, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        // Without --full-tree, ls-tree lists what is below the current folder, with paths relative to it.
        let listing = try run(["ls-tree", "-r", "-z", hash], in: root, failure: "cannot list the tree of \(hash)")
        var entries: [Entry] = []
        for record in listing.split(separator: 0) {
            guard let tab = record.firstIndex(of: 9) else { continue }
            let fields = String(decoding: record[record.startIndex..<tab], as: UTF8.self).split(separator: " ")
            guard fields.count == 3 else { continue }
            entries.append(Entry(path: String(decoding: record[(tab + 1)...], as: UTF8.self), mode: String(fields[0]),
                                 object: String(fields[2])))
        }
        return GitTree(commit: hash, entries: entries.sorted { $0.path < $1.path }, root: root)
    }

    /// The contents of `objects` (blob ids), read in one `git cat-file --batch`.
    public func contents(of objects: [String]) throws -> [String: Data] {
        guard !objects.isEmpty else { return [:] }
        let input = Data(objects.map { $0 + "\n" }.joined().utf8)
        let output = try Self.run(["cat-file", "--batch"], in: root, input: input, failure: "cannot read blobs")
        var result: [String: Data] = [:]
        var position = output.startIndex
        while position < output.endIndex {
            guard let newline = output[position...].firstIndex(of: 10) else { break }
            let header = String(decoding: output[position..<newline], as: UTF8.self).split(separator: " ")
            position = newline + 1
            guard header.count == 3, let size = Int(header[2]) else { continue }  // "<id> missing"
            let end = position + size
            guard end <= output.endIndex else { break }
            result[String(header[0])] = Data(output[position..<end])
            position = end + 1  // the newline after each object
        }
        return result
    }

    /// Runs `git ARGUMENTS` in `folder`; standard output, or `SyncError.git` with git's message.
    static func run(_ arguments: [String], in folder: String, input: Data? = nil, failure: String) throws -> Data {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["git", "-C", folder] + arguments
        var environment = ProcessInfo.processInfo.environment
        environment["GIT_TERMINAL_PROMPT"] = "0"
        process.environment = environment
        let out = Pipe()
        let err = Pipe()
        let stdin = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input == nil ? FileHandle.nullDevice : stdin
        do { try process.run() } catch {
            throw SyncError.git("cannot run git (\(error.localizedDescription)); install git or sync the folder without --git")
        }
        if let input {
            // Written on another thread: git answers while it reads, and a full pipe would stall both.
            let writer = stdin.fileHandleForWriting
            Thread {
                writer.write(input)
                try? writer.close()
            }.start()
        }
        let errors = ErrorCollector(err.fileHandleForReading)
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let message = errors.text.trimmingCharacters(in: .whitespacesAndNewlines)
            throw SyncError.git(message.isEmpty ? failure : "\(failure): \(message)")
        }
        return data
    }
}

/// Reads a pipe to its end on another thread (so neither of a child's two pipes can fill up and stall it).
private final class ErrorCollector: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private var data = Data()

    init(_ handle: FileHandle) {
        Thread { [self] in
            data = handle.readDataToEndOfFile()
            done.signal()
        }.start()
    }

    var text: String {
        done.wait()
        return String(decoding: data, as: UTF8.self)
    }
}
