import Foundation
import Testing
@testable import KnowledgeBase

struct WordPieceTokenizerTests {
    /// A tiny vocabulary: ids are the positions.
    static let tokens = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "un", "##aff", "##able", "runbook", "run",
                         "##book", "##s", "disk", "full", ",", ".", "!", "[", "]", "sep", "cafe", "日", "本", "a", "##a",
                         "e", "$", "-", "x"]
    static func id(_ token: String) -> Int32 { Int32(tokens.firstIndex(of: token)!) }

    let tokenizer = try! WordPieceTokenizer(tokens: Self.tokens)

    @Test func greedyLongestMatchFirstWithContinuationPieces() {
        #expect(tokenizer.encode("unaffable runbooks") == ["un", "##aff", "##able", "runbook", "##s"].map(Self.id))
        #expect(tokenizer.encode("run") == [Self.id("run")])
    }

    @Test func aWordWithAnUnknownPieceIsOneUnknownToken() {
        #expect(tokenizer.encode("disk unzzz full") == ["disk", "[UNK]", "full"].map(Self.id))
    }

    @Test func wordsOverOneHundredCharactersAreUnknown() {
        let hundred = [Self.id("a")] + Array(repeating: Self.id("##a"), count: 99)
        #expect(tokenizer.encode(String(repeating: "a", count: 100)) == hundred)
        #expect(tokenizer.encode(String(repeating: "a", count: 101)) == [Self.id("[UNK]")])
    }

    @Test func lowerCasesStripsAccentsAndSplitsPunctuationAndCJK() {
        #expect(tokenizer.encode("Disk FULL!") == ["disk", "full", "!"].map(Self.id))
        #expect(tokenizer.encode("Café, cafe\u{301}.") == ["cafe", ",", "cafe", "."].map(Self.id))
        #expect(tokenizer.encode("日本") == ["日", "本"].map(Self.id))
        #expect(tokenizer.encode("$-x") == ["$", "-", "x"].map(Self.id))
    }

    @Test func controlCharactersVanishAndWhitespaceSeparates() {
        #expect(tokenizer.encode("di\u{0}sk\u{7} fu\u{200B}ll\u{FFFD}") == ["disk", "full"].map(Self.id))
        #expect(tokenizer.encode("disk\tfull\r\ndisk\u{00A0}full\u{3000}x")
            == ["disk", "full", "disk", "full", "x"].map(Self.id))
        // VT and FF are control characters first, so they vanish instead of separating.
        #expect(tokenizer.encode("x\u{0B}disk") == [Self.id("[UNK]")])
    }

    @Test func specialTokensAreMatchedInTheRawTextOnly() {
        #expect(tokenizer.encode("disk[SEP]full [MASK]") == ["disk", "[SEP]", "full", "[MASK]"].map(Self.id))
        #expect(tokenizer.encode("[sep]") == ["[", "sep", "]"].map(Self.id))
    }

    @Test func modelInputAddsMarkersAndReportsTheCut() {
        let (ids, length) = tokenizer.modelInput("disk full disk full", maxTokens: 4)
        #expect(ids == ["[CLS]", "disk", "full", "[SEP]"].map(Self.id))
        #expect(length == 6)
        #expect(tokenizer.tokenCount("") == 2)
    }

    @Test func aVocabularyWithoutSpecialTokensIsRejected() {
        #expect(throws: MiniLMError.self) { try WordPieceTokenizer(tokens: ["a", "b"]) }
    }

    @Test(.enabled(if: MiniLMFixtures.modelAvailable))
    func idsEqualTheReferenceTokenizer() throws {
        let tokenizer = try WordPieceTokenizer(vocabularyFile: MiniLMFixtures.locator.url("vocab.txt"))
        let cases = try MiniLMFixtures.tokenCases()
        #expect(cases.count > 80)
        for testCase in cases {
            #expect(tokenizer.encode(testCase.text) == testCase.ids, "\(testCase.text.debugDescription.prefix(80))")
        }
    }
}
