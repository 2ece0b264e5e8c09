import Foundation

/// A file found for ingestion, with the path it is stored under.
public struct SourceFile: Sendable, Equatable {
    /// Where the file is on disk.
    public var url: URL
    /// The path stored in the knowledge base: relative to the directory given, or the file name for a file.
    public var storedPath: String
    public var format: DocumentFormat
    /// The file's bytes when they do not come from `url` (a blob of a git commit).
    public var content: Data? = nil
}

/// Why ingestion could not start.
public enum IngestError: Error, Sendable, CustomStringConvertible {
    case pathNotFound(String)
    case noSupportedFiles([String])

    public var description: String {
        switch self {
        case .pathNotFound(let path):
            return "\(path) does not exist; give files or directories of runbooks (.md, .markdown, .txt)."
        case .noSupportedFiles(let paths):
            return "found no .md, .markdown or .txt files under \(paths.joined(separator: ", "))."
        }
    }
}

/// Finds the runbook files under the paths given on the command line.
public enum SourceDiscovery {
    /// Files under `paths` (recursively for directories, skipping hidden entries), sorted by stored path.
    ///
    /// - Returns: the files, plus warnings for files skipped because another root already used their path.
    public static func discover(_ paths: [String]) throws -> (files: [SourceFile], warnings: [String]) {
        var files: [SourceFile] = []
        var seen: [String: URL] = [:]
        var warnings: [String] = []
        let manager = FileManager.default
        for path in paths {
            var isDirectory: ObjCBool = false
            guard manager.fileExists(atPath: path, isDirectory: &isDirectory) else { throw IngestError.pathNotFound(path) }
            let root = URL(fileURLWithPath: path).standardizedFileURL
            var found: [SourceFile] = []
            if isDirectory.boolValue {
                let enumerator = manager.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey],
                                                    options: [.skipsHiddenFiles])
                while let url = enumerator?.nextObject() as? URL {
                    guard let format = DocumentFormat(fileName: url.lastPathComponent),
                          (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true
                    else { continue }
                    let relative = relativePath(of: url.standardizedFileURL, under: root)
                    found.append(SourceFile(url: url, storedPath: relative, format: format))
                }
            } else {
                // A file named directly is read whatever its extension says; plain text unless it is Markdown.
                let format = DocumentFormat(fileName: root.lastPathComponent) ?? .text
                found.append(SourceFile(url: root, storedPath: root.lastPathComponent, format: format))
            }
            for file in found.sorted(by: { $0.storedPath < $1.storedPath }) {
                if let earlier = seen[file.storedPath] {
                    warnings.append("skipped \(file.url.path): its path \(file.storedPath) is already taken by "
                        + "\(earlier.path); ingest the two roots into separate knowledge bases or rename one")
                    continue
                }
                seen[file.storedPath] = file.url
                files.append(file)
            }
        }
        return (files.sorted { $0.storedPath < $1.storedPath }, warnings)
    }

    static func relativePath(of url: URL, under root: URL) -> String {
        let rootComponents = root.resolvingSymlinksInPath().pathComponents
        let components = url.resolvingSymlinksInPath().pathComponents
        if components.starts(with: rootComponents) {
            return components.dropFirst(rootComponents.count).joined(separator: "/")
        }
        return url.lastPathComponent
    }
}
