/// How chunks are put into and found in the FTS5 table `chunks_fts` (SQLite's `unicode61` tokenizer).
///
/// `unicode61` keeps a run of CJK characters as one token, so a word inside it could never be found; kb puts a
/// space between CJK characters on both sides (indexed text and queries) and searches them as phrases, which
/// matches any CJK substring without a second, trigram index. Identifiers split at `_` and `-` by the
/// tokenizer (`kube_pod_status_phase`) are searched as phrases of their parts, so they still match exactly.
enum FullText {
    /// The context column: the document path (its file name usually carries the alert name) and heading path.
    static func context(path: String, heading: String) -> String {
        spacedCJK("\(path) \(heading)")
    }

    static func spacedCJK(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: TokenEstimator.isCJK) else { return text }
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if TokenEstimator.isCJK(scalar) {
                out.append(" ")
                out.append(scalar)
                out.append(" ")
            } else {
                out.append(scalar)
            }
        }
        return String(out)
    }

    /// An FTS5 MATCH expression for a question: each term (see `phrases`) quoted, OR-ed, so BM25 ranks chunks by
    /// how many and how rare the matched words are. Nil when nothing is left to search.
    static func matchExpression(_ question: String) -> String? {
        matchExpression(phrases(question))
    }

    /// The MATCH expression for `phrases` (each quoted, OR-ed); nil for none.
    static func matchExpression(_ phrases: [String]) -> String? {
        phrases.isEmpty ? nil : phrases.map { "\"\($0)\"" }.joined(separator: " OR ")
    }

    /// The searchable terms of a question, in order and without repeats: each word with stop words dropped, as a
    /// phrase of its tokenizer parts (`kube_pod_status_phase` → `kube pod status phase`, CJK split per character).
    static func phrases(_ question: String) -> [String] {
        var phrases: [String] = []
        var seen = Set<String>()
        // Words are cut from Unicode scalars, not Characters: a Character's letter test looks at its first scalar
        // only, so a letter combined with a following `"` would carry the quote into the MATCH string.
        var words: [String] = []
        var current = String.UnicodeScalarView()
        for scalar in question.lowercased().unicodeScalars {
            if isWordScalar(scalar) {
                current.append(scalar)
            } else if !current.isEmpty {
                words.append(String(current))
                current = String.UnicodeScalarView()
            }
        }
        if !current.isEmpty { words.append(String(current)) }
        for raw in words {
            let word = raw.trimmingCharacters(in: "_-")
            guard !word.isEmpty, !HashEmbedder.stopWords.contains(word) else { continue }
            let parts = spacedCJK(word).split(whereSeparator: { $0 == "_" || $0 == "-" || $0 == " " })
            let phrase = parts.joined(separator: " ")
            guard !phrase.isEmpty, seen.insert(phrase).inserted else { continue }
            phrases.append(phrase)
        }
        return phrases
    }

    // Letters, digits and combining marks (which belong to the letter before them), `_` and `-`; never a quote.
    private static func isWordScalar(_ scalar: Unicode.Scalar) -> Bool {
        if scalar == "_" || scalar == "-" { return true }
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
             .decimalNumber, .letterNumber, .otherNumber, .nonspacingMark, .spacingMark, .enclosingMark:
            return true
        default:
            return false
        }
    }

    /// Fills the index from every stored chunk (when the table is created on an existing knowledge base).
    static func indexAllChunks(_ connection: SQLiteConnection) throws {
        let select = try connection.prepare("""
            SELECT c.id, d.path, c.heading, c.text FROM chunks c JOIN documents d ON d.id = c.document_id
            """)
        let insert = try connection.prepare("INSERT INTO chunks_fts(rowid, context, text) VALUES (?, ?, ?)")
        while try select.step() {
            insert.reset()
            try insert.bind(.integer(select.int(0)), .text(context(path: select.text(1), heading: select.text(2))),
                            .text(spacedCJK(select.text(3)))).run()
        }
    }
}
