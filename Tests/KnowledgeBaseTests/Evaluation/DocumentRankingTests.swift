import Testing
@testable import KnowledgeBase

struct DocumentRankingTests {
    @Test(arguments: [
        ("runbooks/x/Disk.md", "x/Disk.md", true),
        ("runbooks/x/Disk.md", "Disk.md", true),
        ("runbooks/x/Disk.md", "runbooks/x/Disk.md", true),
        ("runbooks/x/Disk.md", "./x/Disk.md", true),
        ("runbooks/x/Disk.md", "isk.md", false),
        ("runbooks/x/Disk.md", "y/Disk.md", false),
        ("Disk.md", "x/Disk.md", false),
    ])
    func pathSuffixMatchesAtDirectoryBoundaries(document: String, target: String, expected: Bool) {
        #expect(RelevantTarget(parsing: target).matchesDocument(document) == expected)
    }

    @Test func headingTargetsNeedTheHeadingInTheChunksHeadingPath() {
        let target = RelevantTarget(parsing: "ops/Disk.md#mitigation")
        #expect(target == RelevantTarget(path: "ops/Disk.md", heading: "mitigation"))
        #expect(target.description == "ops/Disk.md#mitigation")
        #expect(target.matches(path: "ops/Disk.md", heading: "Disk full › Mitigation"))
        #expect(!target.matches(path: "ops/Disk.md", heading: "Disk full › Diagnosis"))
        #expect(!target.matches(path: "ops/Other.md", heading: "Other › Mitigation"))
    }

    let chunks = [
        RetrievedChunk(chunkID: 1, path: "a.md", heading: "A › Intro", score: 0.9),
        RetrievedChunk(chunkID: 2, path: "a.md", heading: "A › Fix", score: 0.8),
        RetrievedChunk(chunkID: 3, path: "b.md", heading: "B", score: 0.7),
        RetrievedChunk(chunkID: 4, path: "sub/c.md", heading: "C › Install", score: 0.6),
        RetrievedChunk(chunkID: 5, path: "b.md", heading: "B › Rollback", score: 0.5),
        RetrievedChunk(chunkID: 6, path: "d.md", heading: "D", score: 0.2),
    ]

    @Test func aDocumentRanksWhereItsBestChunkDoes() {
        let documents = DocumentRanking.documents(from: chunks)
        #expect(documents.map(\.path) == ["a.md", "b.md", "sub/c.md", "d.md"])
        #expect(documents.map(\.rank) == [1, 2, 3, 4])
        #expect(documents[1].score == 0.7 && documents[1].heading == "B")
        #expect(DocumentRanking.documents(from: chunks, minScore: 0.65).map(\.path) == ["a.md", "b.md"])
    }

    @Test func targetsAreFoundAtTheirDocumentsRank() {
        let targets = ["c.md", "b.md#rollback", "b.md#missing", "zzz.md", "a.md#fix"].map(RelevantTarget.init(parsing:))
        let judgement = DocumentRanking.judge(chunks, targets: targets)
        // b.md#rollback matches chunk 5, but b.md ranks 2nd by its best chunk.
        #expect(judgement.targetRanks == [3, 2, nil, nil, 1])
        #expect(judgement.relevantRanks == [1, 2, 3])
        #expect(DocumentRanking.judge(chunks, targets: targets, depth: 2).targetRanks == [nil, 2, nil, nil, 1])
        // Below the minimum score a chunk is not retrieved at all.
        #expect(DocumentRanking.judge(chunks, targets: targets, minScore: 0.55).targetRanks == [3, nil, nil, nil, 1])
    }
}
