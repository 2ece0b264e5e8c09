import Foundation

/// Text as PostgreSQL's keyword index sees it: the words SQLite's `unicode61` tokenizer would cut (letters, digits
/// and combining marks; `_`, `-` and everything else separate), lower-cased, diacritics removed, CJK characters one
/// word each, joined by spaces. Indexed text and questions go through the same function, and PostgreSQL's `simple`
/// configuration then only splits at the spaces, so both backends find the same words.
enum PostgresText {
    static func words(_ text: String) -> String {
        let folded = FullText.spacedCJK(text).folding(options: [.diacriticInsensitive, .caseInsensitive], locale: nil)
        var out = String.UnicodeScalarView()
        var pendingSpace = false
        for scalar in folded.unicodeScalars {
            if isWordScalar(scalar) {
                if pendingSpace && !out.isEmpty { out.append(" ") }
                pendingSpace = false
                out.append(scalar)
            } else {
                pendingSpace = true
            }
        }
        return String(out)
    }

    private static func isWordScalar(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
             .decimalNumber, .letterNumber, .otherNumber, .nonspacingMark, .spacingMark, .enclosingMark:
            return true
        default:
            return false
        }
    }
}
