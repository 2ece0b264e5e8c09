/// Source numbers an answer cites, checked against the sources it was given.
public struct Citations: Sendable, Equatable {
    /// Cited numbers that match a given source, in order of first citation.
    public var valid: [Int]
    /// Cited numbers with no such source: the model made them up; they are flagged and dropped.
    public var invalid: [Int]

    /// Finds `[1]`, `[2][3]`, `[1, 2]` and `[1-3]` style citations in `answer`.
    public static func parse(_ answer: String, sourceNumbers: Set<Int>) -> Citations {
        var valid: [Int] = []
        var invalid: [Int] = []
        for number in numbers(in: answer) {
            if sourceNumbers.contains(number) {
                if !valid.contains(number) { valid.append(number) }
            } else if !invalid.contains(number) {
                invalid.append(number)
            }
        }
        return Citations(valid: valid, invalid: invalid)
    }

    static func numbers(in text: String) -> [Int] {
        var result: [Int] = []
        var index = text.startIndex
        while let open = text[index...].firstIndex(of: "[") {
            guard let close = text[open...].firstIndex(of: "]") else { break }
            let inside = text[text.index(after: open)..<close]
            index = text.index(after: open)
            // Only brackets holding numbers, commas, dashes and spaces are citations ([x] in code is not).
            guard !inside.isEmpty, inside.count <= 40,
                  inside.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == "," || $0 == " " || $0 == "-") }) else { continue }
            for part in inside.split(separator: ",") {
                let bounds = part.split(separator: "-").compactMap { Int($0.trimmingSpaces()) }
                if bounds.count == 2, bounds[0] <= bounds[1], bounds[1] - bounds[0] < 50 {
                    result.append(contentsOf: bounds[0]...bounds[1])
                } else if bounds.count == 1 {
                    result.append(bounds[0])
                }
            }
            index = close
        }
        return result
    }
}
