/// A conservative estimate of how many BERT WordPiece tokens a text becomes, without a vocabulary.
///
/// Each punctuation mark, symbol and CJK character is one token; a run of letters is one token up to six
/// characters and one per four characters beyond (long identifiers break into many word pieces); a run of
/// digits is one token per two digits. On English runbook prose this overestimates real all-MiniLM counts
/// by about 10–25 %, which keeps chunks safely under the model's context.
public enum TokenEstimator {
    /// Estimated tokens of `text`, excluding the [CLS] and [SEP] the model adds.
    public static func count(_ text: String) -> Int {
        var total = 0
        var letters = 0
        var digits = 0
        func flush() {
            if letters > 0 { total += letters <= 6 ? 1 : 1 + (letters - 6 + 3) / 4 }
            if digits > 0 { total += (digits + 1) / 2 }
            letters = 0
            digits = 0
        }
        for scalar in text.unicodeScalars {
            let properties = scalar.properties
            if scalar.value < 0x80 {
                if (0x61...0x7a).contains(scalar.value) || (0x41...0x5a).contains(scalar.value) {
                    if digits > 0 { flush() }
                    letters += 1
                } else if (0x30...0x39).contains(scalar.value) {
                    if letters > 0 { flush() }
                    digits += 1
                } else if properties.isWhitespace || scalar.value < 0x20 || scalar.value == 0x7f {
                    flush()
                } else {
                    flush()
                    total += 1
                }
            } else if isCJK(scalar) {
                flush()
                total += 1
            } else if properties.isAlphabetic {
                if digits > 0 { flush() }
                letters += 1
            } else if properties.generalCategory == .nonspacingMark {
                continue  // accents are stripped by the tokenizer
            } else if properties.isWhitespace {
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
