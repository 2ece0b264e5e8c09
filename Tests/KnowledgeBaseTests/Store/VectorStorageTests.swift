import Foundation
import Testing
@testable import KnowledgeBase

/// How vectors sit in the file: in line in rowid tables (schema 3), read back in one pass whatever order or gaps the
/// chunk ids have, and carried over unchanged from a version 2 file.
struct VectorStorageTests {
    let fingerprint = EmbeddingFingerprint(embedder: "hash", model: "hash-v1", dimension: 16)

    private func fill(_ catalog: Catalog, documents: Int) throws {
        try commitRandomDocuments(catalog, documents: documents, chunks: 7, fingerprint: fingerprint, seed: 100)
    }

    private func expectSameResults(_ a: VectorIndex, _ b: VectorIndex, sourceLocation: SourceLocation = #_sourceLocation) throws {
        #expect(a.count == b.count, sourceLocation: sourceLocation)
        for query in VectorIndexTests().randomVectors(5, dimension: 16, seed: 9) {
            let x = try a.search(query, k: 50)
            let y = try b.search(query, k: 50)
            #expect(x.map(\.chunkID) == y.map(\.chunkID), sourceLocation: sourceLocation)
            #expect(x.map(\.documentID) == y.map(\.documentID), sourceLocation: sourceLocation)
        }
    }

    @Test func vectorsAreStoredInLineInRowidTablesOnLargePages() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let catalog = try makeCatalog(in: directory)
        try fill(catalog, documents: 2)
        try catalog.sqlite.withConnection { connection in
            let statement = try connection.prepare("""
                SELECT name, sql FROM sqlite_master WHERE name IN ('vectors', 'embedding_cache') ORDER BY name
                """)
            var tables: [String: String] = [:]
            while try statement.step() { tables[statement.text(0)] = statement.text(1) }
            #expect(tables.count == 2)
            for (name, sql) in tables { #expect(!sql.uppercased().contains("WITHOUT ROWID"), "\(name): \(sql)") }
            #expect(try SQLiteStore.scalar(connection, "PRAGMA page_size") == 16384)
        }
    }

    @Test func aDocumentWhoseChunkIdsAreNotConsecutiveStillLoadsUnderItsOwnDocument() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let catalog = try makeCatalog(in: directory)
        try fill(catalog, documents: 4)
        // Move one chunk of the second document far beyond the others (as another writer could leave ids), and
        // leave a vector behind whose chunk is gone, as a file written with foreign keys off could hold.
        try catalog.sqlite.withConnection { connection in
            try connection.execute("""
                PRAGMA foreign_keys = OFF;
                UPDATE vectors SET chunk_id = 9000 WHERE chunk_id = (SELECT min(id) + 3 FROM chunks WHERE document_id = 2);
                UPDATE chunks SET id = 9000 WHERE id = (SELECT min(id) + 3 FROM chunks WHERE document_id = 2);
                INSERT INTO vectors(chunk_id, fingerprint, vector) SELECT 8000, fingerprint, vector FROM vectors LIMIT 1;
                PRAGMA foreign_keys = ON;
                """)
        }
        let loaded = try #require(try makeCatalog(in: directory).loadIndex())
        #expect(loaded.count == 28)
        let hits = try loaded.search(VectorIndexTests().randomVectors(1, dimension: 16, seed: 3)[0], k: 28)
        #expect(hits.first { $0.chunkID == 9000 }?.documentID == 2)
        #expect(!hits.contains { $0.chunkID == 8000 })
        #expect(Dictionary(grouping: hits, by: \.documentID).mapValues(\.count) == [1: 7, 2: 7, 3: 7, 4: 7])
    }

    @Test func moreRowsThanReservedStillLoadInFullInEitherPrecision() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let catalog = try makeCatalog(in: directory)
        try fill(catalog, documents: 6)
        let live = try #require(try catalog.loadIndex())
        for precision in IndexPrecision.allCases {
            // As when another process adds documents between counting the vectors and reading them.
            let loaded = try #require(try catalog.sqlite.loadIndex(precision: precision, reservingRows: 5).index)
            #expect(loaded.precision == precision)
            if precision == .fp32 { try expectSameResults(live, loaded) } else { #expect(loaded.count == 42) }
        }
    }

    @Test func upgradingAVersion2FileKeepsEveryVectorAndCachedEmbedding() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let catalog = try makeCatalog(in: directory)
        try fill(catalog, documents: 3)
        let before = try #require(try catalog.loadIndex())
        let cacheBefore = try catalog.store.stats().cachedEmbeddings
        // Rebuild the version 2 layout: both tables WITHOUT ROWID, keyed by (chunk, fingerprint) / (text, fingerprint).
        try catalog.sqlite.withConnection { connection in
            try downgradeToVersion3(connection)
            try connection.execute("""
                CREATE TABLE old_vectors (chunk_id INTEGER NOT NULL REFERENCES chunks(id) ON DELETE CASCADE,
                    fingerprint TEXT NOT NULL, vector BLOB NOT NULL, PRIMARY KEY (chunk_id, fingerprint)) WITHOUT ROWID;
                INSERT INTO old_vectors SELECT chunk_id, fingerprint, vector FROM vectors;
                DROP TABLE vectors;
                ALTER TABLE old_vectors RENAME TO vectors;
                CREATE INDEX vectors_by_fingerprint ON vectors(fingerprint);
                CREATE TABLE old_cache (text_sha256 TEXT NOT NULL, fingerprint TEXT NOT NULL, vector BLOB NOT NULL,
                    PRIMARY KEY (text_sha256, fingerprint)) WITHOUT ROWID;
                INSERT INTO old_cache SELECT text_sha256, fingerprint, vector FROM embedding_cache;
                DROP TABLE embedding_cache;
                ALTER TABLE old_cache RENAME TO embedding_cache;
                PRAGMA user_version = 2;
                """)
        }
        let upgraded = try makeCatalog(in: directory)
        let stats = try upgraded.store.stats()
        #expect(stats.schemaVersion == Schema.currentVersion)
        #expect(stats.vectors == 21 && stats.cachedEmbeddings == cacheBefore && cacheBefore == 21)
        try expectSameResults(before, try #require(try upgraded.loadIndex()))
        // The upgraded file goes on working: a document replaced and one removed.
        try fill(upgraded, documents: 1)
        _ = try upgraded.remove(documentID: 3)
        #expect(try upgraded.store.stats().vectors == 14)
        try expectSameResults(try #require(try upgraded.loadIndex()), try #require(try makeCatalog(in: directory).loadIndex()))
    }
}
