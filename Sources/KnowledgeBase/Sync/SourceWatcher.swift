#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Waits until something under a folder changes: inotify on every folder where the kernel has it, a comparison of
/// every file's size and modification time once a second otherwise; for a git source, until the ref moves.
public struct SourceWatcher: Sendable {
    public let root: String
    /// For `--git`: the ref whose commit is watched instead of the files.
    public let gitRef: String?
    /// Quiet time after the last event before a change is reported, so one save or checkout syncs once.
    public let debounce: Duration

    public init(root: String, gitRef: String? = nil, debounce: Duration = .milliseconds(300)) {
        self.root = root
        self.gitRef = gitRef
        self.debounce = debounce
    }

    /// Returns once a change happened (debounced) or `stop` is set; true for a change.
    public func waitForChange(stop: @Sendable () -> Bool) -> Bool {
        if let gitRef { return waitForCommit(gitRef, stop: stop) }
        #if canImport(Glibc)
        if let changed = waitWithInotify(stop: stop) { return changed }
        #endif
        return waitByPolling(stop: stop)
    }

    private func waitForCommit(_ ref: String, stop: @Sendable () -> Bool) -> Bool {
        let current = try? GitTree.run(["rev-parse", "--verify", "--quiet", "\(ref)^{commit}"], in: root, failure: "")
        while !stop() {
            Thread.sleep(forTimeInterval: 0.5)
            let now = try? GitTree.run(["rev-parse", "--verify", "--quiet", "\(ref)^{commit}"], in: root, failure: "")
            if now != current { return true }
        }
        return false
    }

    private func waitByPolling(stop: @Sendable () -> Bool) -> Bool {
        let before = signature()
        while !stop() {
            Thread.sleep(forTimeInterval: 1)
            if signature() != before {
                Thread.sleep(forTimeInterval: Self.seconds(debounce))
                return true
            }
        }
        return false
    }

    // Path, size and modification time of everything under the root (hidden folders and node_modules left out).
    func signature() -> [String: String] {
        var result: [String: String] = [:]
        let enumerator = FileManager.default.enumerator(atPath: root)
        while let path = enumerator?.nextObject() as? String {
            if path.split(separator: "/").contains(where: { $0.hasPrefix(".") && $0 != ".kbignore" || $0 == "node_modules" }) {
                continue
            }
            let attributes = enumerator?.fileAttributes ?? [:]
            result[path] = "\(attributes[.size] ?? 0)-\((attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0)"
        }
        return result
    }

    #if canImport(Glibc)
    // nil when inotify cannot be used here (then the caller polls).
    private func waitWithInotify(stop: @Sendable () -> Bool) -> Bool? {
        let fd = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        let mask = UInt32(IN_CLOSE_WRITE | IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_MODIFY | IN_ATTRIB
            | IN_DELETE_SELF | IN_MOVE_SELF)
        var folders = [root]
        let enumerator = FileManager.default.enumerator(at: URL(fileURLWithPath: root),
                                                        includingPropertiesForKeys: [.isDirectoryKey])
        while let url = enumerator?.nextObject() as? URL {
            let name = url.lastPathComponent
            guard (try? url.resourceValues(forKeys: [.isDirectoryKey]).isDirectory) == true else { continue }
            if name == ".git" || name == "node_modules" {
                enumerator?.skipDescendants()
                continue
            }
            folders.append(url.path)
        }
        for folder in folders where inotify_add_watch(fd, folder, mask) < 0 {
            if errno == ENOSPC { return nil }  // out of watches: poll instead
        }
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        func drain() -> Bool { read(fd, &buffer, buffer.count) > 0 }
        var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        while !stop() {
            guard poll(&descriptor, 1, 200) > 0, drain() else { continue }
            // Debounce: wait until the folder has been quiet for a while.
            let quiet = Int32(Self.seconds(debounce) * 1000)
            while poll(&descriptor, 1, quiet) > 0 && drain() {}
            return true
        }
        return false
    }
    #endif

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
