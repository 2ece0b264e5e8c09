/// Why a sync could not run; nothing was changed.
public enum SyncError: Error, Sendable, CustomStringConvertible {
    case rootNotFound(String)
    case rootNotDirectory(String)
    case rootUnreadable(String, reason: String)
    case badSourceName(String)
    case reservedSourceName(String)
    case sourceMoved(name: String, stored: String, given: String)
    case overlappingSource(name: String, root: String, other: String, otherRoot: String)
    case git(String)

    public var description: String {
        switch self {
        case .rootNotFound(let path):
            return "\(path) does not exist; give the folder (or git working tree) of runbooks to sync."
        case .rootNotDirectory(let path):
            return "\(path) is a file, not a folder; `kb sync` mirrors a folder (use `kb ingest \(path)` for one file)."
        case .rootUnreadable(let path, let reason):
            return "cannot read the folder \(path): \(reason). Check its permissions."
        case .badSourceName(let name):
            return "\"\(name)\" cannot name a source: use 1–200 characters without \"/\" or control characters "
                + "(--source NAME)."
        case .reservedSourceName(let name):
            return "the source name \"\(name)\" is kb's own (`api` holds documents added over HTTP, `ingest` those "
                + "of `kb ingest`); pass --source with another name."
        case .sourceMoved(let name, let stored, let given):
            return "source \(name) is synced from \(stored), not \(given). Sync it from there, or give this folder "
                + "a source of its own with --source NAME (a sync only removes documents of the source it syncs)."
        case .overlappingSource(let name, let root, let other, let otherRoot):
            return "\(root) (source \(name)) overlaps source \(other) at \(otherRoot): the same runbooks would be "
                + "indexed twice. Sync \(otherRoot) as \(other), or choose folders that do not contain each other."
        case .git(let message):
            return message
        }
    }
}
