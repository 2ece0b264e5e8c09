/// A run of source lines that the chunker keeps together or splits as a unit.
struct Block {
    enum Kind {
        /// Paragraphs, bullet lists, tables, quotes: may be split between lines when too large.
        case prose
        /// A fenced code block: never split unless it alone exceeds the embedder's context.
        case code
        /// A numbered step list: never split unless it alone exceeds the embedder's context.
        case steps
    }

    var kind: Kind
    /// (1-based line number, text) pairs.
    var lines: [(number: Int, text: String)]

    var text: String { lines.map(\.text).joined(separator: "\n") }
    var firstLine: Int { lines.first?.number ?? 0 }
    var lastLine: Int { lines.last?.number ?? 0 }
}

/// A heading and the blocks under it up to the next heading.
struct Section {
    var headingPath: [String]
    var blocks: [Block]
}

/// Splits Markdown into sections of blocks: ATX and setext headings, fenced code, numbered steps, paragraphs.
struct MarkdownBlockParser {
    private(set) var sections: [Section] = []
    private(set) var title: String?
    private var headingStack: [(level: Int, text: String)] = []
    private var blocks: [Block] = []
    private var current: Block?

    /// Parses `lines` (already split, without line terminators).
    static func parse(_ lines: [String]) -> (title: String?, sections: [Section]) {
        var parser = MarkdownBlockParser()
        parser.run(lines)
        return (parser.title, parser.sections)
    }

    private mutating func run(_ lines: [String]) {
        var index = frontMatterEnd(lines)
        while index < lines.count {
            let line = lines[index]
            let number = index + 1
            if let fence = Self.fenceOpening(line) {
                // Inside a numbered step, an indented fence belongs to the step.
                if current?.kind == .steps && Self.indentation(line) > 0 {
                    index = consumeFence(lines, from: index, fence: fence, into: .steps)
                } else {
                    finishBlock()
                    index = consumeFence(lines, from: index, fence: fence, into: .code)
                    finishBlock()
                }
                continue
            }
            if let (level, text) = Self.atxHeading(line) {
                finishBlock()
                startSection(level: level, text: text)
            } else if let level = Self.setextLevel(line), let paragraph = current, paragraph.kind == .prose,
                      paragraph.lines.count == 1, Self.indentation(paragraph.lines[0].text) < 4 {
                current = nil
                startSection(level: level, text: paragraph.lines[0].text.trimmingSpaces())
            } else if line.trimmingSpaces().isEmpty {
                // A blank line ends a paragraph; a step list goes on if the next text is a step or indented.
                if current?.kind == .steps, continuesSteps(lines, after: index) {
                    current?.lines.append((number, line))
                } else {
                    finishBlock()
                }
            } else if Self.isNumberedItem(line) {
                if current?.kind != .steps { finishBlock() }
                append(number, line, kind: .steps)
            } else if current?.kind == .steps && Self.indentation(line) > 0 {
                append(number, line, kind: .steps)
            } else {
                if current?.kind == .steps || current?.kind == .code { finishBlock() }
                append(number, line, kind: .prose)
            }
            index += 1
        }
        finishBlock()
        flushSection()
    }

    private mutating func append(_ number: Int, _ line: String, kind: Block.Kind) {
        if current == nil { current = Block(kind: kind, lines: []) }
        current?.lines.append((number, line))
    }

    private mutating func finishBlock() {
        guard var block = current else { return }
        current = nil
        while let last = block.lines.last, last.text.trimmingSpaces().isEmpty { block.lines.removeLast() }
        if !block.lines.isEmpty { blocks.append(block) }
    }

    private mutating func startSection(level: Int, text: String) {
        flushSection()
        if level == 1 && title == nil && !text.isEmpty { title = text }
        while let last = headingStack.last, last.level >= level { headingStack.removeLast() }
        headingStack.append((level, text))
    }

    private mutating func flushSection() {
        if !blocks.isEmpty { sections.append(Section(headingPath: headingStack.map(\.text), blocks: blocks)) }
        blocks = []
    }

    // Consumes an opening fence through its closing fence (or the end of the file) into the current block.
    private mutating func consumeFence(_ lines: [String], from start: Int, fence: (char: Character, length: Int),
                                       into kind: Block.Kind) -> Int {
        append(start + 1, lines[start], kind: kind)
        var index = start + 1
        while index < lines.count {
            append(index + 1, lines[index], kind: kind)
            index += 1
            if Self.isFenceClosing(lines[index - 1], fence: fence) { break }
        }
        return index
    }

    private func continuesSteps(_ lines: [String], after index: Int) -> Bool {
        var next = index + 1
        while next < lines.count && lines[next].trimmingSpaces().isEmpty { next += 1 }
        guard next < lines.count else { return false }
        return Self.isNumberedItem(lines[next]) || Self.indentation(lines[next]) >= 2
    }

    // YAML front matter (`---` … `---`) is metadata, not text; its `title:` names the document.
    private mutating func frontMatterEnd(_ lines: [String]) -> Int {
        guard lines.first?.trimmingSpaces() == "---" else { return 0 }
        for index in 1..<min(lines.count, 200) {
            let line = lines[index].trimmingSpaces()
            if line.hasPrefix("title:") {
                let value = line.dropFirst("title:".count).trimmingSpaces()
                title = value.trimmingCharacters(in: "\"'")
            }
            if line == "---" || line == "..." { return index + 1 }
        }
        title = nil
        return 0
    }

    // MARK: line classification

    static func indentation(_ line: String) -> Int {
        var count = 0
        for character in line {
            if character == " " { count += 1 } else if character == "\t" { count += 4 } else { break }
        }
        return count
    }

    static func atxHeading(_ line: String) -> (Int, String)? {
        guard indentation(line) < 4 else { return nil }
        let trimmed = line.drop { $0 == " " }
        let hashes = trimmed.prefix { $0 == "#" }.count
        guard (1...6).contains(hashes) else { return nil }
        let rest = trimmed.dropFirst(hashes)
        guard rest.isEmpty || rest.first == " " || rest.first == "\t" else { return nil }
        var text = rest.trimmingSpaces()
        // A closing sequence of #s preceded by a space is not part of the heading.
        if let closing = text.lastIndex(where: { $0 != "#" }), closing < text.index(before: text.endIndex) {
            if text[closing] == " " { text = String(text[...closing]).trimmingSpaces() }
        } else if text.allSatisfy({ $0 == "#" }) {
            text = ""
        }
        return (hashes, text)
    }

    static func setextLevel(_ line: String) -> Int? {
        guard indentation(line) < 4 else { return nil }
        let trimmed = line.trimmingSpaces()
        guard !trimmed.isEmpty else { return nil }
        if trimmed.allSatisfy({ $0 == "=" }) { return 1 }
        if trimmed.allSatisfy({ $0 == "-" }) && trimmed.count >= 2 { return 2 }
        return nil
    }

    static func fenceOpening(_ line: String) -> (char: Character, length: Int)? {
        let trimmed = line.drop { $0 == " " || $0 == "\t" }
        guard let first = trimmed.first, first == "`" || first == "~" else { return nil }
        let length = trimmed.prefix { $0 == first }.count
        guard length >= 3 else { return nil }
        // A backtick fence's info string cannot contain backticks (that is inline code).
        if first == "`" && trimmed.dropFirst(length).contains("`") { return nil }
        return (first, length)
    }

    static func isFenceClosing(_ line: String, fence: (char: Character, length: Int)) -> Bool {
        let trimmed = line.trimmingSpaces()
        return trimmed.count >= fence.length && trimmed.allSatisfy { $0 == fence.char }
    }

    static func isNumberedItem(_ line: String) -> Bool {
        guard indentation(line) < 4 else { return false }
        let trimmed = line.drop { $0 == " " }
        let digits = trimmed.prefix { $0.isASCII && $0.isNumber }.count
        guard (1...9).contains(digits) else { return false }
        let rest = trimmed.dropFirst(digits)
        guard let marker = rest.first, marker == "." || marker == ")" else { return false }
        let after = rest.dropFirst()
        return after.isEmpty || after.first == " " || after.first == "\t"
    }
}

extension StringProtocol {
    /// The text without leading and trailing spaces and tabs.
    func trimmingSpaces() -> String {
        trimmingCharacters(in: " \t")
    }

    func trimmingCharacters(in characters: String) -> String {
        let set = Set(characters)
        guard let start = firstIndex(where: { !set.contains($0) }) else { return "" }
        let end = lastIndex(where: { !set.contains($0) })!
        return String(self[start...end])
    }
}
