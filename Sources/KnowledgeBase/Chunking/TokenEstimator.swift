/// An estimate of how many BERT WordPiece tokens a text becomes, without a vocabulary, erring high.
///
/// Words are split at whitespace and punctuation as BERT's basic tokenizer does; each punctuation mark, symbol
/// and CJK character is one token. A word then costs by its shape, calibrated on the all-MiniLM tokenizer over
/// the 390 public runbooks of the evaluation corpus: letters only, 1 token up to 7 characters and one more per
/// 3 beyond (common long words are single tokens, identifiers break up); digits only, 1 up to 3 digits, then
/// 0.6 per digit; letters and digits mixed (hashes, pod names), 0.65 per character.
public enum TokenEstimator {
    /// Estimated tokens of `text`, excluding the [CLS] and [SEP] the model adds.
    public static func count(_ text: String) -> Int {
        var total = 0
        var length = 0
        var letters = 0
        var digits = 0
        func flush() {
            if length > 0 {
                if digits == 0 {
                    total += length <= 7 ? 1 : 1 + (length - 7 + 2) / 3
                } else if letters == 0 {
                    total += length <= 3 ? 1 : (length * 6 + 9) / 10
                } else {
                    total += (length * 65 + 99) / 100
                }
            }
            length = 0
            letters = 0
            digits = 0
        }
        for scalar in text.unicodeScalars {
            let value = scalar.value
            if (0x61...0x7a).contains(value) || (0x41...0x5a).contains(value) {
                letters += 1
                length += 1
            } else if (0x30...0x39).contains(value) {
                digits += 1
                length += 1
            } else if value < 0x80 {
                flush()
                // Whitespace and control characters are dropped; every other ASCII character is punctuation.
                if value > 0x20 && value != 0x7f { total += 1 }
            } else if isCJK(scalar) {
                flush()
                total += 1
            } else if scalar.properties.generalCategory == .nonspacingMark {
                continue  // accents are stripped by the tokenizer
            } else if scalar.properties.isAlphabetic {
                letters += 1
                length += 1
            } else if scalar.properties.isWhitespace {
                flush()
            } else {
                flush()
                total += 1
            }
        }
        flush()
        return total
    }

    static func isCJK(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x4E00...0x9FFF, 0x3400...0x4DBF, 0x20000...0x2A6DF, 0x2A700...0x2B73F, 0x2B740...0x2B81F,
             0x2B820...0x2CEAF, 0xF900...0xFAFF, 0x2F800...0x2FA1F:
            return true
        default:
            return false
        }
    }
}
