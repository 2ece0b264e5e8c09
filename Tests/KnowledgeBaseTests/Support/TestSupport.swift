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

/// Turns a current file back into the version 3 layout (before sources and the change feed), as an older kb left it.
func downgradeToVersion3(_ connection: SQLiteConnection) throws {
    try connection.execute("""
        PRAGMA foreign_keys = OFF;
        DROP TRIGGER documents_added; DROP TRIGGER documents_replaced; DROP TRIGGER documents_removed;
        DROP TRIGGER fingerprint_set; DROP TRIGGER fingerprint_changed;
        DROP TABLE changes; DROP TABLE readers; DROP TABLE sources; DROP INDEX documents_by_path;
        CREATE TABLE documents_v3 (id INTEGER PRIMARY KEY AUTOINCREMENT, path TEXT NOT NULL UNIQUE,
            title TEXT NOT NULL, format TEXT NOT NULL, sha256 TEXT NOT NULL, size INTEGER NOT NULL,
            chunker TEXT NOT NULL, metadata TEXT NOT NULL DEFAULT '{}', created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL);
        INSERT INTO documents_v3 SELECT id, path, title, format, sha256, size, chunker, metadata, created_at, updated_at
            FROM documents;
        DELETE FROM sqlite_sequence WHERE name = 'documents_v3';
        INSERT INTO sqlite_sequence(name, seq) SELECT 'documents_v3', seq FROM sqlite_sequence WHERE name = 'documents';
        DROP TABLE documents;
        ALTER TABLE documents_v3 RENAME TO documents;
        DELETE FROM meta WHERE key = 'changes_pruned_through';
        PRAGMA user_version = 3;
        PRAGMA foreign_keys = ON;
        """)
}

extension Catalog {
    /// The store of a catalog the test made on SQLite, for tests that look at the file itself.
    var sqlite: SQLiteStore { store as! SQLiteStore }
}
