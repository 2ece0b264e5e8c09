import Foundation
import Testing
@testable import KnowledgeBase

struct ChunkerTests {
    let chunker = Chunker()

    func chunks(_ text: String, format: DocumentFormat = .markdown, options: ChunkerOptions = ChunkerOptions())
        -> [Chunk]
    {
        Chunker(options: options).chunk(text, path: "runbooks/disk-full.md", format: format).chunks
    }

    @Test func nestedHeadingsGiveEveryChunkItsPath() {
        let text = """
            # Disk full
            Intro line.
            ## Diagnosis
            Check df.
            ### Inodes
            Check df -i.
            ## Mitigation
            Delete old logs.
            """
        let result = chunks(text)
        #expect(result.map(\.headingPath) == [
            ["Disk full"], ["Disk full", "Diagnosis"], ["Disk full", "Diagnosis", "Inodes"], ["Disk full", "Mitigation"],
        ])
        #expect(result.map(\.text) == ["Intro line.", "Check df.", "Check df -i.", "Delete old logs."])
        #expect(result.map(\.firstLine) == [2, 4, 6, 8])
        #expect(result[2].heading == "Disk full › Diagnosis › Inodes")
        #expect(result.map(\.ordinal) == [0, 1, 2, 3])
    }

    @Test func hashLinesInsideCodeFencesAreNotHeadings() {
        let text = """
            # Runbook
            ## Clean up
            ```bash
            # remove rotated logs
            rm /var/log/*.gz
            ## not a heading either
            ```
            After the fence.
            ~~~
            # tilde fence too
            ~~~
            """
        let result = chunks(text)
        #expect(result.count == 1)
        #expect(result[0].headingPath == ["Runbook", "Clean up"])
        #expect(result[0].text.contains("# remove rotated logs"))
        #expect(result[0].text.contains("# tilde fence too"))
        #expect(result[0].firstLine == 3 && result[0].lastLine == 11)
    }

    @Test func unclosedFenceRunsToTheEndWithoutCrashing() {
        let result = chunks("# A\n```\n# inside\nstill inside")
        #expect(result.count == 1)
        #expect(result[0].text == "```\n# inside\nstill inside")
    }

    @Test func emptyAndBlankFilesGiveNoChunks() {
        #expect(chunks("").isEmpty)
        #expect(chunks("\n\n   \n").isEmpty)
        #expect(chunks("# Only a heading\n## And another").isEmpty)
        #expect(chunks("", format: .text).isEmpty)
    }

    @Test func crlfAndLoneCRAreHandledLikeLF() {
        let lf = chunks("# T\n## A\nline one\nline two\n\n## B\nthree\n")
        let crlf = chunks("# T\r\n## A\r\nline one\r\nline two\r\n\r\n## B\r\nthree\r\n")
        let cr = chunks("# T\r## A\rline one\rline two\r\r## B\rthree\r")
        #expect(lf == crlf)
        #expect(lf == cr)
        #expect(!crlf.contains { $0.text.contains("\r") })
    }

    @Test func numberedStepsStayTogetherEvenWhenOverBudget() {
        var lines = ["# Failover", "## Steps"]
        for step in 1...8 {
            lines.append("\(step). Run step \(step) of the failover carefully and check the replication lag value.")
            lines.append("   Continuation of step \(step) with more words about what to verify afterwards.")
        }
        let options = ChunkerOptions(maxTokens: 120, contextTokens: 512)
        let result = chunks(lines.joined(separator: "\n"), options: options)
        #expect(result.count == 1, "a step list that fits the embedder's context is never split")
        #expect(result[0].text.hasPrefix("1. Run step 1"))
        #expect(result[0].text.hasSuffix("verify afterwards."))
        #expect(result[0].tokens <= 512)
    }

    @Test func stepListWithBlankLinesAndIndentedCodeIsOneBlock() {
        let text = """
            # R
            1. First
               ```bash
            # a comment at column 0 inside the step's fence
               kubectl get pods
               ```

            2. Second

            After the list.
            """
        let result = chunks(text, options: ChunkerOptions(maxTokens: 40))
        #expect(result.contains { $0.text.hasPrefix("1. First") && $0.text.contains("2. Second") })
        #expect(result.allSatisfy { $0.headingPath == ["R"] })
    }

    @Test func hugeSectionsAreSplitWithinBudgetAndKeepTheirHeading() {
        let sentence = "The primary database refuses writes when the disk is full so check the volume first."
        let body = (1...200).map { "\(sentence) Line \($0)." }.joined(separator: "\n")
        let options = ChunkerOptions(maxTokens: 100, contextTokens: 512)
        let result = chunks("# Huge\n## Section\n" + body, options: options)
        #expect(result.count > 10)
        for chunk in result {
            #expect(chunk.headingPath == ["Huge", "Section"])
            #expect(chunk.tokens <= 100, "chunk \(chunk.ordinal) has \(chunk.tokens) tokens")
        }
        // Every line of the section is in some chunk, in order.
        #expect(result.first!.firstLine == 3)
        #expect(result.last!.lastLine == 202)
        #expect(result.map(\.firstLine) == result.map(\.firstLine).sorted())
    }

    @Test func codeBlockLargerThanTheContextIsSplitIntoFencedPieces() {
        let code = (1...400).map { "echo step-\($0) && systemctl restart service-\($0)" }.joined(separator: "\n")
        let result = chunks("# Big script\n```bash\n\(code)\n```\n", options: ChunkerOptions(maxTokens: 350))
        #expect(result.count > 1)
        for chunk in result {
            #expect(chunk.text.hasPrefix("```bash\n"))
            #expect(chunk.text.hasSuffix("\n```"))
            #expect(chunk.tokens <= 512)
        }
        let allLines = result.flatMap { $0.text.split(separator: "\n").dropFirst().dropLast() }
        #expect(allLines.count == 400, "no line lost or repeated")
    }

    @Test func aSingleEnormousWordIsCutToFit() {
        let blob = String(repeating: "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo", count: 300)
        let result = chunks("# Cert\n\(blob)", options: ChunkerOptions(maxTokens: 100))
        #expect(result.count > 1)
        #expect(result.allSatisfy { $0.tokens <= 100 })
        #expect(result.map(\.text).joined().replacingOccurrences(of: "\n", with: "") == blob)
    }

    @Test func setextHeadingsAndFrontMatter() {
        let text = """
            ---
            title: Certificate renewal
            owner: platform
            ---
            Overview
            ========
            Renew before expiry.

            Steps
            -----
            Run certbot.
            """
        let document = chunker.chunk(text, path: "tls.md", format: .markdown)
        #expect(document.title == "Overview" || document.title == "Certificate renewal")
        #expect(document.chunks.map(\.headingPath) == [["Overview"], ["Overview", "Steps"]])
        #expect(!document.chunks.contains { $0.text.contains("owner: platform") })
    }

    @Test func titleFallsBackToTheFileName() {
        let document = chunker.chunk("Some text without heading.", path: "alerts/KubeJobFailed.md", format: .markdown)
        #expect(document.title == "KubeJobFailed")
        #expect(document.chunks[0].headingPath.isEmpty)
    }

    @Test func plainTextIsSplitIntoParagraphs() {
        let one = "alpha bravo charlie delta\necho foxtrot golf hotel"
        let two = "india juliet kilo lima mike november oscar papa"
        let three = "quebec romeo sierra tango uniform victor whiskey xray"
        let text = "\(one)\n\n\(two)\n\n\n\(three)\n"
        // Budget 32 minus the file-name prefix holds two 8-word paragraphs but not three.
        let small = chunks(text, format: .text, options: ChunkerOptions(maxTokens: 32))
        #expect(small.map(\.text) == ["\(one)\n\n\(two)", three])
        #expect(small.map(\.firstLine) == [1, 7])
        #expect(small.map(\.lastLine) == [4, 7])
        #expect(chunks(text, format: .text).count == 1, "small paragraphs are packed together")
        // '#' lines in plain text are text, not headings.
        let hashes = chunks("# not a heading\nbody", format: .text)
        #expect(hashes.count == 1 && hashes[0].headingPath.isEmpty && hashes[0].text.hasPrefix("# not"))
    }

    @Test func embeddingTextPutsTheFileNameInFrontUnlessTheHeadingRepeatsIt() {
        #expect(EmbeddingText.prefix(path: "alerts/KubeJobFailed.md", heading: "KubeJobFailed › Diagnosis")
            == "KubeJobFailed › Diagnosis")
        #expect(EmbeddingText.prefix(path: "platform/disk-full.md", heading: "Runbook › Mitigation")
            == "disk-full › Runbook › Mitigation")
        #expect(EmbeddingText.make(path: "a.md", heading: "", text: "body") == "a\nbody")
    }

    @Test func tokenEstimateIsConservativeForIdentifiers() {
        #expect(TokenEstimator.count("") == 0)
        #expect(TokenEstimator.count("the disk is full") == 4)
        #expect(TokenEstimator.count("kube_pod_status_phase") >= 7)
        #expect(TokenEstimator.count("etcdHighFsyncDurations") >= 5)
        #expect(TokenEstimator.count("日本語") == 3)
        #expect(TokenEstimator.count("12345678") == 5)
        #expect(TokenEstimator.count("7475b9d64") == 6)
    }
}
