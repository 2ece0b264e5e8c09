/// Checks on the path a document is stored under: it is printed by `kb docs`, in citations and in logs, so it must
/// not hold characters that steer a terminal or reorder what a reader sees.
public enum DocumentPath {
    /// True for C0 controls, DEL, C1 controls, and the bidi and format controls that reorder text (LRM, RLM, ALM,
    /// the embeddings and overrides U+202A–U+202E, the isolates U+2066–U+2069).
    public static func isForbidden(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F, 0x80...0x9F: return true
        case 0x200E, 0x200F, 0x061C, 0x202A...0x202E, 0x2066...0x2069: return true
        default: return false
        }
    }

    /// Why `path` cannot be stored, or nil when it can: names the first forbidden character and where it is.
    public static func problem(_ path: String) -> String? {
        guard let (offset, scalar) = path.unicodeScalars.enumerated().first(where: { isForbidden($0.element) }) else {
            return nil
        }
        let kind = scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
            ? "the control character" : "the bidirectional-text control"
        return "the path \(escaped(path)) holds \(kind) \(code(scalar)) at character \(offset + 1); paths with "
            + "control or bidi characters are refused (they would reach terminals and reorder text). Rename it."
    }

    /// `text` with every forbidden character written as `\u{XXXX}`, safe to print on a terminal.
    public static func escaped(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: isForbidden) else { return text }
        var result = ""
        for scalar in text.unicodeScalars {
            if isForbidden(scalar) {
                result += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
            } else {
                result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    static func code(_ scalar: Unicode.Scalar) -> String {
        let hex = String(scalar.value, radix: 16, uppercase: true)
        return "U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
    }
}
