import Foundation
import Testing
@testable import KnowledgeBase

struct TermNormaliserTests {
    @Test func identifiersSplitAtCaseChanges() {
        #expect(TermNormaliser.camelParts("KubeHpaMaxedOut") == ["kube", "hpa", "maxed", "out"])
        #expect(TermNormaliser.camelParts("KubeAPIDown") == ["kube", "api", "down"])
        #expect(TermNormaliser.camelParts("etcdHighFsyncDurations") == ["etcd", "high", "fsync", "durations"])
        #expect(TermNormaliser.words("kube_pod_status KubeHpaMaxedOut.md") == [
            "kube_pod_status", "kube", "pod", "status", "kubehpamaxedout.md", "kube", "hpa", "maxed", "out", "md",
        ])
    }

    @Test func inflectionsShareAStem() {
        #expect(TermNormaliser.stem("losing") == TermNormaliser.stem("lose"))
        #expect(TermNormaliser.stem("configured") == TermNormaliser.stem("configure"))
        #expect(TermNormaliser.stem("stopped") == TermNormaliser.stem("stops"))
        #expect(TermNormaliser.stem("replicas") == TermNormaliser.stem("replica"))
        #expect(TermNormaliser.stem("pod") == "pod", "short words are left alone")
    }

    @Test func aRunbookIsNamedInWordsThroughCaseSplitsAndAbbreviations() {
        func concepts(_ question: String) -> Set<String> {
            TermNormaliser.concepts(TermNormaliser.words(question).filter { !HashEmbedder.stopWords.contains($0) })
        }
        let path = "prometheus-operator-runbooks/content/runbooks/kubernetes/KubeHpaMaxedOut.md"
        #expect(TermNormaliser.names(path: path, question: concepts("the HPA is maxed out")))
        #expect(TermNormaliser.names(path: path, question: concepts("horizontal pod autoscaler maxed out for hours")))
        #expect(!TermNormaliser.names(path: path, question: concepts("the HPA cannot read metrics")))
        #expect(TermNormaliser.names(path: "KubePersistentVolumeFillingUp.md", question: concepts("a PV keeps filling up")))
        #expect(!TermNormaliser.names(path: "runbook.md", question: concepts("runbook")), "one word never names one")
    }

    @Test func coverageCountsATermKnownInAnotherForm() throws {
        let known = TermNormaliser.concepts(TermNormaliser.words(
            "# NodeClockNotSynchronising\nThe clock may lose time; check that NTP is configured. Horizontal Pod Autoscaler"))
        #expect(TermNormaliser.covered("losing", known: known))
        #expect(TermNormaliser.covered("synchronising", known: known))
        #expect(TermNormaliser.covered("hpa", known: known), "an abbreviation is known through its long form")
        #expect(!TermNormaliser.covered("karpenter", known: known))
        let terms = [QueryTerm(phrase: "losing", chunkCount: 0), QueryTerm(phrase: "ntp", chunkCount: 3),
                     QueryTerm(phrase: "karpenter", chunkCount: 0)]
        var asked = 0
        let evidence = RefusalEvidence(topCosine: 0.5, terms: terms) { asked += 1; return known }
        #expect(abs(evidence.termCoverage - 2.0 / 3) < 1e-9 && asked == 1)
        let exact = RefusalEvidence(topCosine: 0.5, terms: [QueryTerm(phrase: "ntp", chunkCount: 3)]) {
            Issue.record("not asked when every term is found as written")
            return []
        }
        #expect(exact.termCoverage == 1)
    }
}
