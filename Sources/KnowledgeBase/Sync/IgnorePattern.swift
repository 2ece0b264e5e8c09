/// One parsed line of an ignore file.
struct IgnorePattern: Sendable {
    enum Segment: Sendable {
        /// `**` standing alone between slashes: any number of path components.
        case globstar
        case glob(Glob)
    }

    let negated: Bool
    let directoryOnly: Bool
    /// Anchored patterns match the whole path below the base; others match the last component at any depth.
    let anchored: Bool
    let segments: [Segment]
    /// Where the pattern came from and its text: `docs/.kbignore:3: build/`.
    var rule: String

    /// Parses one line; nil for blank lines, comments and invalid patterns.
    init?(line: Substring, place: String) {
        var text = IgnorePattern.trimTrailingSpaces(line)
        guard !text.isEmpty, !text.hasPrefix("#") else { return nil }
        rule = "\(place): \(text)"
        negated = text.hasPrefix("!")
        if negated { text = text.dropFirst() }
        directoryOnly = text.hasSuffix("/")
        while text.hasSuffix("/") { text = text.dropLast() }
        anchored = text.contains("/")
        if text.hasPrefix("/") { text = text.drop { $0 == "/" } }
        guard !text.isEmpty else { return nil }
        if anchored {
            var segments: [Segment] = []
            for part in text.split(separator: "/") {
                if part == "**" {
                    segments.append(.globstar)
                } else {
                    guard let glob = Glob(part) else { return nil }
                    segments.append(.glob(glob))
                }
            }
            self.segments = segments
        } else {
            guard let glob = Glob(text) else { return nil }
            segments = [.glob(glob)]
        }
    }

    /// Whether the pattern matches a path given as its components below the base.
    func matches(_ components: [Substring], isDirectory: Bool) -> Bool {
        if directoryOnly && !isDirectory { return false }
        guard anchored else {
            guard case .glob(let glob) = segments[0], let last = components.last else { return false }
            return glob.matches(last)
        }
        return match(segment: 0, component: 0, components)
    }

    private func match(segment: Int, component: Int, _ components: [Substring]) -> Bool {
        guard segment < segments.count else { return component == components.count }
        switch segments[segment] {
        case .globstar:
            // A trailing `/**` needs at least one component inside; elsewhere `**` may match none.
            if segment == segments.count - 1 { return component < components.count }
            for next in component...components.count where match(segment: segment + 1, component: next, components) {
                return true
            }
            return false
        case .glob(let glob):
            guard component < components.count, glob.matches(components[component]) else { return false }
            return match(segment: segment + 1, component: component + 1, components)
        }
    }

    /// Drops trailing spaces not escaped by a backslash, the way git's `trim_trailing_spaces` does.
    static func trimTrailingSpaces(_ line: Substring) -> Substring {
        var firstTrailingSpace: String.Index?
        var index = line.startIndex
        while index < line.endIndex {
            let character = line[index]
            if character == " " {
                if firstTrailingSpace == nil { firstTrailingSpace = index }
            } else {
                firstTrailingSpace = nil
                if character == "\\" {
                    index = line.index(after: index)
                    if index == line.endIndex { break }
                }
            }
            index = line.index(after: index)
        }
        return line[..<(firstTrailingSpace ?? line.endIndex)]
    }
}

/// A shell-style pattern for one path component: `*`, `?`, `[...]` and `\` escapes.
struct Glob: Sendable {
    enum Token: Sendable, Equatable {
        case literal(Character)
        case anyCharacter
        case anySequence
        case set(BracketSet)
    }

    /// A bracket expression: `[a-z]`, `[!abc]`, `[[:digit:]]`.
    struct BracketSet: Sendable, Equatable {
        var negated = false
        var characters: [Character] = []
        var ranges: [ClosedRange<Character>] = []
        var classes: [String] = []

        func contains(_ character: Character) -> Bool {
            let found = characters.contains(character) || ranges.contains { $0.contains(character) }
                || classes.contains { BracketSet.named($0, contains: character) }
            return found != negated
        }

        static func named(_ name: String, contains c: Character) -> Bool {
            switch name {
            case "alpha": return c.isASCII && c.isLetter
            case "digit": return c.isASCII && c.isNumber
            case "alnum": return c.isASCII && (c.isLetter || c.isNumber)
            case "lower": return c.isASCII && c.isLowercase
            case "upper": return c.isASCII && c.isUppercase
            case "space": return c.isASCII && c.isWhitespace
            case "blank": return c == " " || c == "\t"
            case "punct": return c.isASCII && (c.isPunctuation || c.isSymbol)
            case "xdigit": return c.isHexDigit
            case "cntrl": return c.asciiValue.map { $0 < 32 || $0 == 127 } ?? false
            case "print": return c.asciiValue.map { $0 >= 32 && $0 < 127 } ?? false
            case "graph": return c.asciiValue.map { $0 > 32 && $0 < 127 } ?? false
            default: return false
            }
        }
    }

    let tokens: [Token]

    /// Compiles `pattern`; nil when it ends in a lone backslash.
    init?(_ pattern: Substring) {
        let characters = Array(pattern)
        var tokens: [Token] = []
        var index = 0
        while index < characters.count {
            let character = characters[index]
            index += 1
            switch character {
            case "\\":
                guard index < characters.count else { return nil }
                tokens.append(.literal(characters[index]))
                index += 1
            case "*":
                if tokens.last != .anySequence { tokens.append(.anySequence) }
            case "?":
                tokens.append(.anyCharacter)
            case "[":
                if let (set, next) = Glob.parseSet(characters, from: index) {
                    tokens.append(.set(set))
                    index = next
                } else {
                    tokens.append(.literal("["))  // an unclosed `[` stands for itself
                }
            default:
                tokens.append(.literal(character))
            }
        }
        self.tokens = tokens
    }

    /// Parses a bracket expression whose `[` came just before `start`; returns the set and the index after `]`.
    private static func parseSet(_ characters: [Character], from start: Int) -> (BracketSet, Int)? {
        var set = BracketSet()
        var index = start
        if index < characters.count, characters[index] == "!" || characters[index] == "^" {
            set.negated = true
            index += 1
        }
        var first = true
        while index < characters.count {
            var character = characters[index]
            if character == "]" && !first { return (set, index + 1) }
            first = false
            if character == "[", index + 1 < characters.count, characters[index + 1] == ":",
               let close = (index + 2..<characters.count).first(where: {
                   characters[$0] == ":" && $0 + 1 < characters.count && characters[$0 + 1] == "]"
               }) {
                set.classes.append(String(characters[(index + 2)..<close]))
                index = close + 2
                continue
            }
            if character == "\\" {
                index += 1
                guard index < characters.count else { return nil }
                character = characters[index]
            }
            index += 1
            if index + 1 < characters.count, characters[index] == "-", characters[index + 1] != "]" {
                var upper = characters[index + 1]
                index += 2
                if upper == "\\" {
                    guard index < characters.count else { return nil }
                    upper = characters[index]
                    index += 1
                }
                if character <= upper { set.ranges.append(character...upper) }
            } else {
                set.characters.append(character)
            }
        }
        return nil
    }

    /// Whether the whole of `name` matches.
    func matches(_ name: Substring) -> Bool {
        let name = Array(name)
        var token = 0, position = 0
        var starToken = -1, starPosition = 0
        while position < name.count {
            if token < tokens.count {
                switch tokens[token] {
                case .anySequence:
                    starToken = token
                    starPosition = position
                    token += 1
                    continue
                case .anyCharacter:
                    token += 1
                    position += 1
                    continue
                case .literal(let character) where character == name[position]:
                    token += 1
                    position += 1
                    continue
                case .set(let set) where set.contains(name[position]):
                    token += 1
                    position += 1
                    continue
                default:
                    break
                }
            }
            // Mismatch: let the last `*` swallow one more character and retry, or fail if there was none.
            guard starToken >= 0 else { return false }
            starPosition += 1
            position = starPosition
            token = starToken + 1
        }
        while token < tokens.count, tokens[token] == .anySequence { token += 1 }
        return token == tokens.count
    }
}
