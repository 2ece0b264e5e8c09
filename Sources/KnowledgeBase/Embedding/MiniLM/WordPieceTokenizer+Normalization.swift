import Foundation

extension WordPieceTokenizer {
    /// BertNormalizer with clean_text, handle_chinese_chars, strip_accents and lowercase, in that order.
    static func normalize(_ scalars: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var cleaned = String.UnicodeScalarView()
        var needsDecomposition = false
        for scalar in scalars {
            let value = scalar.value
            // Control characters are dropped before whitespace is mapped, so VT, FF and NEL vanish while
            // tab, newline and carriage return become spaces.
            if value == 0 || value == 0xFFFD || isControl(scalar) { continue }
            if isWhitespace(scalar) {
                cleaned.append(" ")
            } else if isCJK(value) {
                cleaned.append(" ")
                cleaned.append(scalar)
                cleaned.append(" ")
            } else {
                cleaned.append(scalar)
            }
            if value >= 0xC0 { needsDecomposition = true }
        }
        let decomposed = needsDecomposition
            ? Array(String(cleaned).decomposedStringWithCanonicalMapping.unicodeScalars) : Array(cleaned)
        var result: [Unicode.Scalar] = []
        result.reserveCapacity(decomposed.count)
        for scalar in decomposed {
            let value = scalar.value
            if value < 0x80 {
                result.append((0x41...0x5A).contains(value) ? Unicode.Scalar(value + 0x20)! : scalar)
                continue
            }
            if category(of: scalar) == .nonspacingMark { continue }
            if scalar.properties.changesWhenLowercased {
                result.append(contentsOf: scalar.properties.lowercaseMapping.unicodeScalars)
            } else {
                result.append(scalar)
            }
        }
        return result
    }

    /// BertPreTokenizer: words split at whitespace, with every punctuation character a word of its own.
    static func preTokenize(_ scalars: [Unicode.Scalar]) -> [ArraySlice<Unicode.Scalar>] {
        var words: [ArraySlice<Unicode.Scalar>] = []
        var start = 0
        for index in scalars.indices {
            let scalar = scalars[index]
            if isWhitespace(scalar) {
                if start < index { words.append(scalars[start..<index]) }
                start = index + 1
            } else if isPunctuation(scalar) {
                if start < index { words.append(scalars[start..<index]) }
                words.append(scalars[index...index])
                start = index + 1
            }
        }
        if start < scalars.count { words.append(scalars[start...]) }
        return words
    }

    /// Control and format characters and private use (Unicode Cc, Cf, Co), except tab, newline and return.
    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x09, 0x0A, 0x0D: return false
        case 0x20..<0x7F: return false
        default:
            switch category(of: scalar) {
            case .control, .format, .privateUse, .surrogate: return true
            default: return false
            }
        }
    }

    /// Unicode White_Space, as Rust's `char::is_whitespace`.
    static func isWhitespace(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value == 0x20 || (scalar.value > 0x7F || scalar.value < 0x20) && scalar.properties.isWhitespace
    }

    /// ASCII punctuation and symbols (`!` to `/`, `:` to `@`, `[` to `` ` ``, `{` to `~`) and Unicode P*.
    static func isPunctuation(_ scalar: Unicode.Scalar) -> Bool {
        let value = scalar.value
        if value < 0x80 {
            return (0x21...0x2F).contains(value) || (0x3A...0x40).contains(value) || (0x5B...0x60).contains(value)
                || (0x7B...0x7E).contains(value)
        }
        switch category(of: scalar) {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation, .initialPunctuation,
             .finalPunctuation, .otherPunctuation:
            return true
        default:
            return false
        }
    }

    /// The general category as the reference tokenizer sees it: its tables are Unicode 8.0, so a character
    /// assigned later counts as an ordinary letter there (kept, not punctuation, not a mark) and must here too.
    static func category(of scalar: Unicode.Scalar) -> Unicode.GeneralCategory {
        guard let age = scalar.properties.age, age.major < 8 || (age.major == 8 && age.minor == 0) else {
            return .otherLetter
        }
        return unicode8Categories[scalar.value] ?? scalar.properties.generalCategory
    }

    /// The characters whose category changed after Unicode 8.0 (found by comparing every code point with the
    /// reference tokenizer).
    private static let unicode8Categories: [UInt32: Unicode.GeneralCategory] = [
        0x166D: .otherPunctuation, 0x1734: .nonspacingMark, 0x1885: .otherLetter, 0x1886: .otherLetter,
        0xA9BD: .spacingMark, 0x111C9: .otherPunctuation, 0x1171E: .nonspacingMark,
    ]

    /// The CJK ideograph blocks BERT splits into single characters.
    static func isCJK(_ value: UInt32) -> Bool {
        switch value {
        case 0x4E00...0x9FFF, 0x3400...0x4DBF, 0x20000...0x2A6DF, 0x2A700...0x2B73F, 0x2B740...0x2B81F,
             0x2B920...0x2CEAF, 0xF900...0xFAFF, 0x2F800...0x2FA1F:
            return true
        default:
            return false
        }
    }
}
