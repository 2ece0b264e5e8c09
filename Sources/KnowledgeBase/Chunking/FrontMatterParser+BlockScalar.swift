extension FrontMatterParser {
    private enum Chomping { case clip, strip, keep }

    /// A `|` (literal: newlines kept) or `>` (folded: lines joined by spaces) scalar whose header is `header`,
    /// its text on the following lines indented past `parent`.
    mutating func parseBlockScalar(header: Substring, line: FrontMatterLine, parent: Int) throws -> String {
        let folded = header.first == ">"
        var chomping = Chomping.clip
        var explicitIndent: Int?
        var rest = header.dropFirst()
        for _ in 0..<2 {
            guard let indicator = rest.first else { break }
            if indicator == "-" || indicator == "+", chomping == .clip {
                chomping = indicator == "-" ? .strip : .keep
            } else if let digit = indicator.wholeNumberValue, (1...9).contains(digit), explicitIndent == nil {
                explicitIndent = digit
            } else {
                break
            }
            rest = rest.dropFirst()
        }
        let afterHeader = rest.drop(while: { $0 == " " || $0 == "\t" })
        guard afterHeader.isEmpty || (afterHeader.first == "#" && afterHeader.startIndex != rest.startIndex) else {
            throw FrontMatterError(line: line.number, message:
                "unexpected `\(rest)` after the block scalar indicator `\(header.first!)`; write `|` or `>` "
                + "(optionally with `-` or `+`) and put the text on the lines below, indented")
        }

        let contentIndent: Int
        if let explicitIndent {
            contentIndent = parent + explicitIndent
        } else {
            var probe = index
            while probe < lines.count, lines[probe].isBlank { probe += 1 }
            contentIndent = probe < lines.count && lines[probe].indent > parent ? lines[probe].indent : parent + 1
        }
        var content: [Substring] = []
        while index < lines.count {
            let current = lines[index]
            if current.isBlank {
                content.append(current.indent > contentIndent ? current.text.dropFirst(contentIndent) : "")
            } else if current.indent >= contentIndent {
                content.append(current.text.dropFirst(contentIndent))
            } else {
                break
            }
            index += 1
        }
        var trailingBreaks = 0
        while let last = content.last, last.isEmpty {
            content.removeLast()
            trailingBreaks += 1
        }

        var text = folded ? Self.fold(content) : content.joined(separator: "\n")
        switch chomping {
        case .strip: break
        case .clip: if !content.isEmpty { text += "\n" }
        case .keep: text += String(repeating: "\n", count: (content.isEmpty ? 0 : 1) + trailingBreaks)
        }
        return text
    }

    // YAML line folding: a break between two lines of text becomes a space, a run of N empty lines between them
    // N newlines; breaks next to a more-indented line (code, lists) are kept.
    private static func fold(_ lines: [Substring]) -> String {
        func isMoreIndented(_ line: Substring) -> Bool { line.first == " " || line.first == "\t" }
        var text = ""
        var position = 0
        while position < lines.count, lines[position].isEmpty {
            text += "\n"
            position += 1
        }
        while position < lines.count {
            let line = lines[position]
            text += line
            position += 1
            var breaks = 0
            while position < lines.count, lines[position].isEmpty {
                breaks += 1
                position += 1
            }
            guard position < lines.count else { break }
            if !isMoreIndented(line), !isMoreIndented(lines[position]) {
                text += breaks == 0 ? " " : String(repeating: "\n", count: breaks)
            } else {
                text += String(repeating: "\n", count: breaks + 1)
            }
        }
        return text
    }
}
