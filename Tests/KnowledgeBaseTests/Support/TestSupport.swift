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

/// Commits documents `d0.md`, `d1.md`, … of `chunks` chunks each under `fingerprint`, with random vectors of twice unit
/// scale (so the index's normalisation is exercised); document `n` uses seed `seed + n`.
func commitRandomDocuments(_ catalog: Catalog, documents: Int, chunks: Int, fingerprint: EmbeddingFingerprint,
                           seed: UInt64) throws {
    for document in 0..<documents {
        let vectors = VectorIndexTests().randomVectors(chunks, dimension: fingerprint.dimension,
                                                       seed: seed + UInt64(document)).map { $0.map { $0 * 2 } }
        let texts = (0..<chunks).map { Chunk(ordinal: $0, headingPath: ["D\(document)"], text: "t\(document)-\($0)",
                                             firstLine: $0, lastLine: $0, tokens: 3) }
        _ = try catalog.commit(DocumentWrite(path: "d\(document).md", title: "D\(document)", format: .markdown,
                                             sha256: "\(document)", size: 1, chunker: "c", chunks: texts,
                                             vectors: vectors), fingerprint: fingerprint)
    }
}
