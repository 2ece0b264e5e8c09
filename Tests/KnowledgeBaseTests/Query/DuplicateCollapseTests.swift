import Foundation
import Testing
@testable import KnowledgeBase

struct DuplicateCollapseTests {
    func record(_ id: Int64, document: Int64, heading: String, text: String) -> ChunkRecord {
        ChunkRecord(id: id, documentID: document, path: "repo-\(document)/Runbook.md", ordinal: Int(id), heading: heading,
                    text: text, firstLine: 1, lastLine: 9, tokens: 10, sha256: "\(id)")
    }

    func unit(_ values: [Float]) -> [Float] {
        let norm = values.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return values.map { $0 / norm }
    }

    @Test func identicalOrNearIdenticalCopiesUnderOneHeadingFoldIntoTheFirst() {
        let records: [Int64: ChunkRecord] = [
            1: record(1, document: 1, heading: "KubeJobFailed › Mitigation", text: "Make jobs idempotent."),
            // The same text in another repository's copy, under another title: folded (identical text).
            2: record(2, document: 2, heading: "Job failed › Steps", text: "Make  jobs\nidempotent."),
            // Near-identical (cosine 0.995) under the same last heading: folded.
            3: record(3, document: 3, heading: "KubeJobFailed › Mitigation", text: "Make the jobs idempotent."),
            // As close, but under another heading: another passage.
            4: record(4, document: 4, heading: "KubeJobFailed › Impact", text: "Jobs are not retried."),
            // The same document's other chunk is never a copy of its own passage.
            5: record(5, document: 1, heading: "KubeJobFailed › Mitigation", text: "Delete the failed job."),
        ]
        let vectors: [Int64: [Float]] = [
            1: unit([1, 0, 0]), 2: unit([0, 1, 0]), 3: unit([1, 0.1, 0]), 4: unit([1, 0.1, 0]), 5: unit([1, 0, 0]),
        ]
        let hits = (1...5).map { Hit(chunkID: Int64($0), documentID: records[Int64($0)]!.documentID, score: 0.9) }
        var asked = Set<Int64>()
        let groups = DuplicateCollapse.collapse(hits, records: records, limit: 5) { ids in
            asked = ids
            return vectors.filter { ids.contains($0.key) }
        }
        #expect(groups.map(\.hit.chunkID) == [1, 4, 5])
        #expect(groups[0].copies.map(\.chunkID) == [2, 3])
        #expect(asked == [1, 3, 5], "vectors are read only for chunks sharing a heading with another document's")
        // The limit counts groups, not hits: copies never take a place.
        #expect(DuplicateCollapse.collapse(hits, records: records, limit: 2) { ids in
            vectors.filter { ids.contains($0.key) }
        }.map(\.hit.chunkID) == [1, 4])
    }

    @Test func aCopyFromASecondRepositoryIsOneResultListingTheOther() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let catalog = try makeCatalog(in: directory)
        let ingester = Ingester(catalog: catalog, embedder: HashEmbedder(), chunker: Chunker(), logger: quietLogger)
        let runbook = """
            # KubeJobFailed
            ## Meaning
            A Kubernetes job failed to complete.
            ## Mitigation
            Write jobs so they are idempotent, then delete the failed job and re-run it.
            """
        for path in ["upstream/KubeJobFailed.md", "vendored/KubeJobFailed.md"] {
            _ = try await ingester.add(path: path, content: runbook, format: .markdown, source: "runbooks")
        }
        _ = try await ingester.add(path: "other/DiskFull.md", content: "# Disk full\n## Mitigation\nRotate the logs.",
                                   format: .markdown, source: "runbooks")
        let engine = QueryEngine(catalog: catalog, embedder: HashEmbedder(), logger: quietLogger)
        var options = QueryOptions(k: 2, minScore: -1, refusal: .minScore)
        options.context = .retrieved
        let result = try await engine.query("the job failed: make jobs idempotent and re-run", options: options)
        #expect(result.results.count == 2)
        #expect(Set(result.results.map(\.heading)).count == 2, "the second place is another passage, not the copy")
        let first = try #require(result.results.first)
        let copy = try #require(first.alsoIn?.first)
        #expect(copy.path != first.path && copy.path.hasSuffix("KubeJobFailed.md") && copy.heading == first.heading)
        #expect(copy.lines == first.lines)
        let json = String(decoding: try JSONEncoder().encode(first), as: UTF8.self)
        #expect(json.contains("\"also_in\":[{") && json.contains("\"included\":\"retrieved\""))
    }

    @Test func textDigestIgnoresWhitespaceOnlyAsTheComparisonDoes() {
        let digest = DuplicateCollapse.textDigest
        #expect(digest("Make  jobs\nidempotent.") == digest(" Make jobs idempotent.\n"))
        #expect(digest("Make jobs idempotent.") != digest("Make jobs idempotent!"))
        #expect(digest("Réglez\u{00A0}le  job") == digest("Réglez le job"), "non-ASCII whitespace too")
        #expect(digest("ab") != digest("a b"))
        #expect(digest("Redémarrez le job") == digest("Rede\u{301}marrez  le job"), "composed or not, one text")
    }

    @Test func theLastHeadingIsThePathsLastPartLowerCased() {
        #expect(DuplicateCollapse.lastHeading("KubeJobFailed › Mitigation") == "mitigation")
        #expect(DuplicateCollapse.lastHeading("A › B ›  Steps To Fix ") == "steps to fix")
        #expect(DuplicateCollapse.lastHeading("Only") == "only")
        #expect(DuplicateCollapse.lastHeading("a›b") == "a›b", "the separator has spaces around it")
        #expect(DuplicateCollapse.lastHeading("Runbook › Über\tdie Lösung") == "über\tdie lösung")
        #expect(DuplicateCollapse.lastHeading(" › ") == "")
    }
}
