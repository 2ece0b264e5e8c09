/// Settings that decide chunk sizes; stored with each document so a change re-chunks it.
public struct ChunkerOptions: Sendable, Equatable {
    /// Target size of a chunk in estimated tokens, context prefix included.
    public var maxTokens: Int
    /// The embedder's context in tokens ([CLS]/[SEP] included): no chunk may exceed it, even a code block.
    public var contextTokens: Int

    public static let version = 1

    public init(maxTokens: Int = 350, contextTokens: Int = 512) {
        self.maxTokens = maxTokens
        self.contextTokens = contextTokens
    }

    /// Recorded on each document: chunker version and settings.
    public var signature: String { "chunker-v\(Self.version)/\(maxTokens)/\(contextTokens)" }
}

/// A document split into chunks, with the title found in it.
public struct ChunkedDocument: Sendable {
    public var title: String
    public var chunks: [Chunk]
}

/// Splits Markdown at headings (keeping code fences and numbered steps whole) and plain text at paragraphs.
///
/// Every chunk carries its heading path and line range, and its embedded text (prefix included) stays within
/// `maxTokens` where the source allows and always within the embedder's context, so nothing is truncated.
public struct Chunker: Sendable {
    public var options: ChunkerOptions

    public init(options: ChunkerOptions = ChunkerOptions()) {
        self.options = options
    }

    /// Chunks `text`, the content of the document at `path` (used for the title fallback and context prefix).
    public func chunk(_ text: String, path: String, format: DocumentFormat) -> ChunkedDocument {
        let lines = Self.splitLines(text)
        switch format {
        case .markdown:
            let (title, sections) = MarkdownBlockParser.parse(lines)
            var chunks: [Chunk] = []
            for section in sections { pack(section, path: path, into: &chunks) }
            return ChunkedDocument(title: title ?? EmbeddingText.fileStem(path), chunks: chunks)
        case .text:
            var chunks: [Chunk] = []
            pack(Section(headingPath: [], blocks: Self.paragraphs(lines)), path: path, into: &chunks)
            return ChunkedDocument(title: EmbeddingText.fileStem(path), chunks: chunks)
        }
    }

    /// Lines without terminators; accepts LF, CRLF and lone CR, and drops a leading byte-order mark.
    static func splitLines(_ text: String) -> [String] {
        var body = Substring(text)
        if body.hasPrefix("\u{FEFF}") { body = body.dropFirst() }
        // Swift treats "\r\n" as one Character, so splitting on newlines handles every convention.
        return body.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).map(String.init)
    }

    static func paragraphs(_ lines: [String]) -> [Block] {
        var blocks: [Block] = []
        var current = Block(kind: .prose, lines: [])
        for (offset, line) in lines.enumerated() {
            if line.trimmingSpaces().isEmpty {
                if !current.lines.isEmpty { blocks.append(current) }
                current = Block(kind: .prose, lines: [])
            } else {
                current.lines.append((offset + 1, line))
            }
        }
        if !current.lines.isEmpty { blocks.append(current) }
        return blocks
    }

    // MARK: packing

    private func pack(_ section: Section, path: String, into chunks: inout [Chunk]) {
        let heading = section.headingPath.joined(separator: " › ")
        let prefixTokens = TokenEstimator.count(EmbeddingText.prefix(path: path, heading: heading)) + 1
        // [CLS] and [SEP] take two tokens of the context. The estimate runs up to ~13 % under the real count on
        // identifier-heavy chunks (measured on the eval corpus), so the hard limit keeps 15 % in reserve.
        let hardLimit = max(16, (options.contextTokens - 2) * 85 / 100 - prefixTokens)
        let budget = max(16, min(options.maxTokens - prefixTokens, hardLimit))
        var pending: [Block] = []
        var pendingTokens = 0

        func flush() {
            guard !pending.isEmpty else { return }
            let text = pending.map(\.text).joined(separator: "\n\n")
            chunks.append(Chunk(ordinal: chunks.count, headingPath: section.headingPath, text: text,
                                firstLine: pending.first!.firstLine, lastLine: pending.last!.lastLine,
                                tokens: TokenEstimator.count(text) + prefixTokens))
            pending = []
            pendingTokens = 0
        }

        for block in section.blocks {
            let tokens = TokenEstimator.count(block.text)
            // Blank lines between blocks cost nothing; 2 tokens of slack per join keeps the sum an upper bound.
            if pendingTokens + tokens + 2 <= budget {
                pending.append(block)
                pendingTokens += tokens + 2
                continue
            }
            flush()
            if tokens <= budget || (block.kind != .prose && tokens <= hardLimit) {
                pending = [block]
                pendingTokens = tokens
                if tokens > budget { flush() }
                continue
            }
            for piece in split(block, budget: budget) {
                pending = [piece]
                flush()
            }
        }
        flush()
    }

    /// Splits a block that is too large: code at lines (each piece re-fenced), steps at items, prose at lines
    /// and then sentences, with the last short line of one piece repeated at the start of the next.
    private func split(_ block: Block, budget: Int) -> [Block] {
        switch block.kind {
        case .code: return splitCode(block, budget: budget)
        case .steps: return packUnits(stepItems(block), budget: budget, overlap: false)
        case .prose: return packUnits(proseUnits(block, budget: budget), budget: budget, overlap: true)
        }
    }

    private func splitCode(_ block: Block, budget: Int) -> [Block] {
        let opening = block.lines[0]
        let hasClosing = block.lines.count > 1
            && MarkdownBlockParser.fenceOpening(opening.text).map {
                MarkdownBlockParser.isFenceClosing(block.lines[block.lines.count - 1].text, fence: $0)
            } == true
        let body = Array(block.lines.dropFirst().dropLast(hasClosing ? 1 : 0))
        let fenceIndent = String(opening.text.prefix { $0 == " " || $0 == "\t" })
        let fenceChars = String(opening.text.drop { $0 == " " || $0 == "\t" }.prefix { $0 == "`" || $0 == "~" })
        let closing = fenceIndent + fenceChars
        let fenceTokens = TokenEstimator.count(opening.text) + TokenEstimator.count(closing) + 2
        let units = body.map { Block(kind: .code, lines: [$0]) }
        return packUnits(units, budget: max(8, budget - fenceTokens), overlap: false).map { piece in
            // Each piece is a valid fenced block of its own; its line range is that of its body lines.
            var lines = piece.lines
            lines.insert((piece.firstLine, opening.text), at: 0)
            lines.append((piece.lastLine, closing))
            return Block(kind: .code, lines: lines)
        }
    }

    private func stepItems(_ block: Block) -> [Block] {
        var items: [Block] = []
        for line in block.lines {
            if MarkdownBlockParser.isNumberedItem(line.text) || items.isEmpty {
                items.append(Block(kind: .steps, lines: [line]))
            } else {
                items[items.count - 1].lines.append(line)
            }
        }
        return items
    }

    private func proseUnits(_ block: Block, budget: Int) -> [Block] {
        var units: [Block] = []
        for line in block.lines {
            if TokenEstimator.count(line.text) <= budget {
                units.append(Block(kind: .prose, lines: [line]))
            } else {
                for piece in Self.sentences(line.text, budget: budget) {
                    units.append(Block(kind: .prose, lines: [(line.number, piece)]))
                }
            }
        }
        return units
    }

    // Packs units greedily into pieces of at most `budget` tokens; a unit over budget is split at words.
    private func packUnits(_ units: [Block], budget: Int, overlap: Bool) -> [Block] {
        var pieces: [Block] = []
        var current: [Block] = []
        var tokens = 0
        func emit() {
            guard !current.isEmpty else { return }
            pieces.append(Block(kind: current[0].kind, lines: current.flatMap(\.lines)))
        }
        for unit in units.flatMap({ TokenEstimator.count($0.text) > budget ? wordPieces($0, budget: budget) : [$0] }) {
            let unitTokens = TokenEstimator.count(unit.text) + 1
            if tokens + unitTokens > budget && !current.isEmpty {
                emit()
                let carried = current.last!
                let carriedTokens = TokenEstimator.count(carried.text) + 1
                if overlap && carriedTokens * 6 <= budget && carriedTokens + unitTokens <= budget {
                    current = [carried]
                    tokens = carriedTokens
                } else {
                    current = []
                    tokens = 0
                }
            }
            current.append(unit)
            tokens += unitTokens
        }
        emit()
        return pieces
    }

    private func wordPieces(_ unit: Block, budget: Int) -> [Block] {
        let number = unit.firstLine
        var pieces: [Block] = []
        var words: [Substring] = []
        var tokens = 0
        for word in unit.text.split(separator: " ", omittingEmptySubsequences: true) {
            let wordTokens = TokenEstimator.count(String(word))
            if tokens + wordTokens > budget && !words.isEmpty {
                pieces.append(Block(kind: unit.kind, lines: [(number, words.joined(separator: " "))]))
                words = []
                tokens = 0
            }
            if wordTokens > budget {
                // One "word" larger than the budget (a base64 blob, say): cut it by characters.
                let characters = Array(word)
                let step = max(1, budget)  // no character estimates at more than one token
                for start in stride(from: 0, to: characters.count, by: step) {
                    let slice = String(characters[start..<min(start + step, characters.count)])
                    pieces.append(Block(kind: unit.kind, lines: [(number, slice)]))
                }
                continue
            }
            words.append(word)
            tokens += wordTokens
        }
        if !words.isEmpty { pieces.append(Block(kind: unit.kind, lines: [(number, words.joined(separator: " "))])) }
        return pieces
    }

    /// Splits a long line at sentence ends (". ", "! ", "? ").
    static func sentences(_ text: String, budget: Int) -> [String] {
        var result: [String] = []
        var current = ""
        var previous: Character?
        for character in text {
            if character == " ", let previous, ".!?".contains(previous), !current.isEmpty {
                result.append(current)
                current = ""
                continue
            }
            current.append(character)
            previous = character
        }
        if !current.trimmingSpaces().isEmpty { result.append(current) }
        return result
    }
}
