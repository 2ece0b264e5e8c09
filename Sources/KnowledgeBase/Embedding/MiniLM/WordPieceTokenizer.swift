import Foundation

/// BERT's uncased WordPiece tokenizer, giving the ids of Hugging Face `tokenizers` for all-MiniLM-L6-v2's
/// `tokenizer.json` (BertNormalizer + BertPreTokenizer + WordPiece).
///
/// In order: the special tokens `[PAD] [UNK] [CLS] [SEP] [MASK]` are matched in the raw text; the rest is
/// cleaned (NUL, U+FFFD and control/format characters dropped, whitespace made a space), CJK ideographs are
/// split off, accents stripped (NFD, non-spacing marks dropped) and letters lower-cased; words are split at
/// whitespace and punctuation; each word becomes its greedy longest-match-first word pieces, or `[UNK]` when it
/// has more than 100 characters or a piece is not in the vocabulary.
public struct WordPieceTokenizer: Sendable {
    /// A word with more characters than this becomes one `[UNK]`.
    public static let maxInputCharsPerWord = 100
    static let specialTokens = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]

    let vocabulary: [String: Int32]
    /// The longest vocabulary entry in Unicode scalars, `##` included: no longer piece can match.
    let longestPiece: Int
    public let unknownID: Int32
    public let classifierID: Int32
    public let separatorID: Int32
    private let special: [(scalars: [Unicode.Scalar], id: Int32)]

    /// Reads `vocab.txt`: one token per line, the line number is the id.
    ///
    /// - Throws: `MiniLMError.modelMissing` when it cannot be read, `.invalidModelFile` when it lacks a
    ///   special token.
    public init(vocabularyFile url: URL) throws {
        guard let data = try? Data(contentsOf: url) else {
            throw MiniLMError.modelMissing(directory: url.deletingLastPathComponent().path, file: url.lastPathComponent)
        }
        var tokens = String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
            .map(String.init)
        if tokens.last == "" { tokens.removeLast() }
        try self.init(tokens: tokens, source: url.path)
    }

    /// A tokenizer over `tokens`, where a token's index is its id.
    public init(tokens: [String], source: String = "vocabulary") throws {
        var vocabulary: [String: Int32] = [:]
        vocabulary.reserveCapacity(tokens.count)
        var longest = 0
        for (index, token) in tokens.enumerated() where vocabulary[token] == nil {
            vocabulary[token] = Int32(index)
            longest = max(longest, token.unicodeScalars.count)
        }
        func id(_ token: String) throws -> Int32 {
            guard let id = vocabulary[token] else {
                throw MiniLMError.invalidModelFile(file: source, reason: "the vocabulary has no \(token) token "
                    + "(\(tokens.count) lines read; all-MiniLM-L6-v2's vocab.txt has 30,522)")
            }
            return id
        }
        self.vocabulary = vocabulary
        self.longestPiece = longest
        self.unknownID = try id("[UNK]")
        self.classifierID = try id("[CLS]")
        self.separatorID = try id("[SEP]")
        self.special = try Self.specialTokens.map { (Array($0.unicodeScalars), try id($0)) }
    }

    /// The number of entries in the vocabulary.
    public var vocabularySize: Int { vocabulary.count }

    /// The ids of `text` without `[CLS]`/`[SEP]`, never truncated.
    public func encode(_ text: String) -> [Int32] {
        var ids: [Int32] = []
        var segment: [Unicode.Scalar] = []
        let scalars = Array(text.unicodeScalars)
        var index = 0
        while index < scalars.count {
            if scalars[index] == "[", let match = specialToken(in: scalars, at: index) {
                appendWords(of: segment, to: &ids)
                segment.removeAll(keepingCapacity: true)
                ids.append(match.id)
                index += match.length
            } else {
                segment.append(scalars[index])
                index += 1
            }
        }
        appendWords(of: segment, to: &ids)
        return ids
    }

    /// Tokens the model sees for `text`, `[CLS]` and `[SEP]` included, before any truncation.
    public func tokenCount(_ text: String) -> Int { encode(text).count + 2 }

    /// The model's input for `text`: `[CLS] ids [SEP]`, cut to `maxTokens` (both markers included).
    ///
    /// - Returns: the ids, and how many tokens the text had before the cut (markers included).
    public func modelInput(_ text: String, maxTokens: Int) -> (ids: [Int32], fullLength: Int) {
        precondition(maxTokens >= 2)
        let content = encode(text)
        return ([classifierID] + content.prefix(maxTokens - 2) + [separatorID], content.count + 2)
    }

    private func specialToken(in scalars: [Unicode.Scalar], at start: Int) -> (id: Int32, length: Int)? {
        for token in special where start + token.scalars.count <= scalars.count {
            if scalars[start..<start + token.scalars.count].elementsEqual(token.scalars) {
                return (token.id, token.scalars.count)
            }
        }
        return nil
    }

    private func appendWords(of segment: [Unicode.Scalar], to ids: inout [Int32]) {
        guard !segment.isEmpty else { return }
        for word in Self.preTokenize(Self.normalize(segment)) { appendPieces(of: word, to: &ids) }
    }

    /// Greedy longest-match-first word pieces; `[UNK]` for the whole word if any part has no piece.
    private func appendPieces(of word: ArraySlice<Unicode.Scalar>, to ids: inout [Int32]) {
        guard word.count <= Self.maxInputCharsPerWord else {
            ids.append(unknownID)
            return
        }
        var pieces: [Int32] = []
        var start = word.startIndex
        while start < word.endIndex {
            let prefixLength = start == word.startIndex ? 0 : 2
            var end = min(word.endIndex, start + max(1, longestPiece - prefixLength))
            var found: Int32?
            while start < end {
                var candidate = start == word.startIndex ? "" : "##"
                candidate.unicodeScalars.append(contentsOf: word[start..<end])
                if let id = vocabulary[candidate] {
                    found = id
                    break
                }
                end -= 1
            }
            guard let id = found else {
                ids.append(unknownID)
                return
            }
            pieces.append(id)
            start = end
        }
        ids.append(contentsOf: pieces)
    }
}
