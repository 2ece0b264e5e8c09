#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Waits until something under a folder changes: inotify on every folder where the kernel has it, a comparison of
/// every file's size and modification time once a second otherwise; for a git source, until the ref moves.
///
/// One watcher lives for the whole `--watch` session, so a change made while a sync runs is not lost: inotify
/// queues it, and polling compares against what was seen when the last wait ended.
public final class SourceWatcher: @unchecked Sendable {
    public let root: String
    /// For `--git`: the ref whose commit is watched instead of the files.
    public let gitRef: String?
    /// Quiet time after the last event before a change is reported, so one save or checkout syncs once.
    public let debounce: Duration
    private var inotify: Int32 = -1
    private var baseline: [String: String] = [:]
    private var commit: Data?

    public init(root: String, gitRef: String? = nil, debounce: Duration = .milliseconds(300)) {
        self.root = root
        self.gitRef = gitRef
        self.debounce = debounce
        if let gitRef {
            commit = try? GitTree.run(["rev-parse", "--verify", "--quiet", "\(gitRef)^{commit}"], in: root, failure: "")
            return
        }
        #if canImport(Glibc)
        inotify = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        if inotify >= 0 && !watchFolders() {
            close(inotify)
            inotify = -1
        }
        #endif
        if inotify < 0 { baseline = signature() }
    }

    deinit {
        #if canImport(Glibc)
        if inotify >= 0 { close(inotify) }
        #endif
    }

    /// Returns once a change happened (debounced) or `stop` is set; true for a change.
    public func waitForChange(stop: @Sendable () -> Bool) -> Bool {
        if let gitRef { return waitForCommit(gitRef, stop: stop) }
        #if canImport(Glibc)
        if inotify >= 0 { return waitWithInotify(stop: stop) }
        #endif
        return waitByPolling(stop: stop)
    }

    private func waitForCommit(_ ref: String, stop: @Sendable () -> Bool) -> Bool {
        while !stop() {
            Thread.sleep(forTimeInterval: 0.5)
            let now = try? GitTree.run(["rev-parse", "--verify", "--quiet", "\(ref)^{commit}"], in: root, failure: "")
            if now != commit {
                commit = now
                return true
            }
        }
        return false
    }

    private func waitByPolling(stop: @Sendable () -> Bool) -> Bool {
        while !stop() {
            if signature() != baseline {
                Thread.sleep(forTimeInterval: Self.seconds(debounce))
                baseline = signature()
                return true
            }
            Thread.sleep(forTimeInterval: 1)
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
    // Watches every folder under the root (again after each change, for new folders); false when the kernel has no
    // watches left (then the caller polls).
    private func watchFolders() -> Bool {
        let mask = UInt32(IN_CLOSE_WRITE | IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_MODIFY | IN_ATTRIB
            | IN_DELETE_SELF | IN_MOVE_SELF)
        var folders = [root]
        let enumerator = FileManager.default.enumerator(at: URL(fileURLWithPath: root),
                                                        includingPropertiesForKeys: [.isDirectoryKey])
        while let url = enumerator?.nextObject() as? URL {
            guard (try? url.resourceValues(forKeys: [.isDirectoryKey]).isDirectory) == true else { continue }
            if url.lastPathComponent == ".git" || url.lastPathComponent == "node_modules" {
                enumerator?.skipDescendants()
                continue
            }
            folders.append(url.path)
        }
        for folder in folders where inotify_add_watch(inotify, folder, mask) < 0 {
            if errno == ENOSPC { return false }
        }
        return true
    }

    private func waitWithInotify(stop: @Sendable () -> Bool) -> Bool {
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        func drain() -> Bool { read(inotify, &buffer, buffer.count) > 0 }
        var descriptor = pollfd(fd: inotify, events: Int16(POLLIN), revents: 0)
        while !stop() {
            guard poll(&descriptor, 1, 200) > 0, drain() else { continue }
            // Debounce: wait until the folder has been quiet for a while.
            let quiet = Int32(Self.seconds(debounce) * 1000)
            while poll(&descriptor, 1, quiet) > 0 && drain() {}
            _ = watchFolders()
            return true
        }
        return false
    }
    #endif

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
