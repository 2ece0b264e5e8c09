import Foundation
import Testing
@testable import KnowledgeBase

struct FusionTests {
    func hit(_ id: Int64, _ score: Float, document: Int64 = 1) -> Hit { Hit(chunkID: id, documentID: document, score: score) }
    func keyword(_ id: Int64, _ score: Double) -> KeywordHit { KeywordHit(chunkID: id, documentID: 1, score: score) }

    @Test func reciprocalRankFusionPutsAChunkBothListsLikeFirst() {
        let semantic = [hit(1, 0.9), hit(2, 0.8), hit(3, 0.7)]
        let lexical = [keyword(3, 12), keyword(4, 9)]
        let fused = Fusion.fuse(.rrf, semantic: semantic, lexical: lexical, cosines: [4: 0.5])
        let k = Fusion.rrfK
        #expect(fused[3]?.fused == 1 / (k + 3) + 1 / (k + 1))
        #expect(fused[4]?.hit.score == 0.5, "a keyword-only chunk reports its cosine")
        #expect(Fusion.ordered(fused.values).map(\.chunkID) == [3, 1, 2, 4])
    }

    @Test func aKeywordCandidateWithoutACosineIsDropped() {
        let fused = Fusion.fuse(.rrf, semantic: [hit(1, 0.9)], lexical: [keyword(7, 3)], cosines: [:])
        #expect(fused.keys.sorted() == [1])
    }

    @Test func weightedFusionNormalisesEachListBeforeAdding() {
        let semantic = [hit(1, 0.9), hit(2, 0.5)]
        let lexical = [keyword(2, 30), keyword(3, 10)]
        let fused = Fusion.fuse(.weighted, semantic: semantic, lexical: lexical, cosines: [3: 0.4])
        let alpha = Fusion.weightedAlpha
        #expect(fused[1]?.fused == alpha)
        #expect(fused[2]?.fused == 1 - alpha, "the worst cosine normalises to 0, the best BM25 to 1")
        #expect(fused[3]?.fused == 0)
        #expect(Fusion.ordered(fused.values).map(\.chunkID) == [1, 2, 3], "ties go to the higher cosine")
    }

    @Test(arguments: [
        ("etcdMembersDown is firing after a reboot", "alerts/etcdMembersDown.md", "etcdMembersDown › Meaning", true),
        ("[FIRING:1] KubeletTooManyPods node=worker-3", "a/b/KubeletTooManyPods.md", "", true),
        ("CPUThrottlingHigh on the checkout pods", "x/Throttling.md", "CPUThrottlingHigh [Deprecated] › Impact", true),
        ("why is kube_pod_status_phase stuck", "metrics/kube_pod_status_phase.md", "", true),
        ("what does Node Network Receive Errors mean?", "n/Other.md", "Node Network Receive Errors › Meaning", true),
        ("KubeAggregatedAPIErrors keeps firing", "k/Other.md", "Kube Aggregated API Errors", true),
        ("the etcd members are down", "alerts/etcdMembersDown.md", "etcdMembersDown", false),
        ("Redis keeps failing over", "alerts/Redis.md", "Redis", false),
    ])
    func aQuestionNamesARunbookByFileNameOrTitle(question: String, path: String, heading: String, named: Bool) {
        #expect(DocumentNames(question: question).names(path: path, heading: heading) == named)
    }
}
