import Foundation
import Logging
@testable import KnowledgeBase

/// A logger that drops everything, for library calls in tests.
let quietLogger: Logger = {
    var logger = Logger(label: "kb.test", factory: { _ in SwiftLogNoOpLogHandler() })
    logger.logLevel = .critical
    return logger
}()

/// A fresh temporary directory, removed by the caller with `removeItem` when done.
func temporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("kb-test-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// Writes `files` (relative path → content) under `directory`.
func writeFiles(_ files: [String: String], under directory: URL) throws {
    for (path, content) in files {
        let url = directory.appendingPathComponent(path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(content.utf8).write(to: url)
    }
}

/// The project's root directory (for `Corpus/`).
let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent()

/// A catalog on a new temporary database file.
func makeCatalog(in directory: URL) throws -> Catalog {
    Catalog(store: try SQLiteStore(path: directory.appendingPathComponent("kb.sqlite").path), logger: quietLogger)
}
