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

    @Test func wordsOfOtherScriptsAndMarksAreKeptWhole() {
        // A combining accent belongs to its letter; non-ASCII capitals split identifiers like ASCII ones.
        #expect(TermNormaliser.words("Cafe\u{301} ÜberLast-Fehler, naïve.") == [
            "cafe\u{301}", "überlast-fehler", "über", "last", "fehler", "naïve",
        ])
        #expect(TermNormaliser.words("--x-- 42 ._.") == ["x", "42"], "joiners alone are no word")
        #expect(TermNormaliser.words("Cafe\u{301}Down") == ["cafe\u{301}down", "cafe\u{301}", "down"],
                "a mark before a capital still ends the part")
        #expect(TermNormaliser.stem("überprüfungs") == "überprüfung", "a non-ASCII word loses its suffix too")
    }

    @Test func asciiTextIsCutExactlyAsByCharacters() throws {
        // The byte path must give what the Character path gives, on every runbook the project ships.
        let corpus = packageRoot.appendingPathComponent("Corpus")
        let files = try #require(FileManager.default.enumerator(atPath: corpus.path)).compactMap { $0 as? String }
            .filter { $0.hasSuffix(".md") }
        #expect(files.count >= 5)
        for file in files {
            let text = try String(contentsOf: corpus.appendingPathComponent(file), encoding: .utf8)
            #expect(TermNormaliser.words(text) == TermNormaliser.wordsByCharacter(text), "\(file)")
        }
        for word in ["KubeAPIDown", "etcdHighFsyncDurations", "HTTP2Errors", "ABC", "a", "x9Y", "NodeRAIDDegraded"] {
            #expect(TermNormaliser.camelParts(Substring(word)) == TermNormaliser.camelPartsByCharacter(Substring(word)))
        }
    }

    @Test func chunkConceptsAreKeptUntilTheChunkChanges() {
        let cache = ChunkConcepts(capacity: 2)
        var record = ChunkRecord(id: 7, documentID: 1, path: "r/KubeHpaMaxedOut.md", ordinal: 0,
                                 heading: "KubeHpaMaxedOut › Mitigation", text: "Raise maxReplicas.", firstLine: 1,
                                 lastLine: 2, tokens: 4, sha256: "a")
        let first = cache.concepts(of: record)
        #expect(first.contains(TermNormaliser.stem("replicas")) && first.contains("hpa"))
        #expect(cache.concepts(of: record) == first && cache.count == 1)
        // The same id with another text (a rewritten chunk under a reused id) is computed again, not served stale.
        record.text = "Check the metrics server."
        let second = cache.concepts(of: record)
        #expect(second.contains(TermNormaliser.stem("server")) && !second.contains(TermNormaliser.stem("replicas")))
        for id in 8...9 {
            record.id = Int64(id)
            _ = cache.concepts(of: record)
        }
        #expect(cache.count <= 2, "the cache is bounded")
    }

    @Test func termCountsAreKeptPerIndexVersion() throws {
        let cache = TermCountCache(capacity: 10)
        var fetched: [[String]] = []
        func fetch(_ phrases: [String], _ limit: Int) -> [Int] {
            fetched.append(phrases)
            return phrases.map { $0.count + limit }
        }
        #expect(try cache.counts(["disk", "full"], limit: 100, sequence: 1, fetch: fetch) == [104, 104])
        #expect(try cache.counts(["full", "inode"], limit: 100, sequence: 1, fetch: fetch) == [104, 105])
        #expect(fetched == [["disk", "full"], ["inode"]], "a word counted at this version is not counted again")
        #expect(try cache.counts(["disk"], limit: 5, sequence: 1, fetch: fetch) == [9], "another limit, another count")
        // A change applied from the feed moves the sequence on: every count is taken again.
        #expect(try cache.counts(["disk"], limit: 100, sequence: 2, fetch: fetch) == [104])
        #expect(fetched.last == ["disk"] && cache.count == 1)
        // A write of this process drops them too (its index changes before the sequence does).
        cache.invalidate()
        _ = try cache.counts(["disk"], limit: 100, sequence: 2, fetch: fetch)
        #expect(fetched.count == 5 && cache.count == 1)
        // A pasted log's long one-off tokens are counted, not kept.
        let long = String(repeating: "x", count: TermCountCache.longestKept + 1)
        _ = try cache.counts([long], limit: 100, sequence: 2, fetch: fetch)
        _ = try cache.counts([long], limit: 100, sequence: 2, fetch: fetch)
        #expect(fetched.suffix(2) == [[long], [long]] && cache.count == 1)
    }
}
