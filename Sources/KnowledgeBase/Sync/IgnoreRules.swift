/// The patterns of one `.kbignore` file, in gitignore(5) syntax.
///
/// Supported: blank lines, `#` comments, `\#`, `\!` and `\ ` escapes, trailing-space trimming, `!` negation, a
/// trailing `/` for directories only, anchoring by a leading or middle `/`, `*`, `?`, `[a-z]`, `[!a-z]`, `[^a-z]`,
/// `[[:alpha:]]`, and `**` as a whole segment (leading `**/`, trailing `/**`, middle `/**/`). Matching is
/// case-sensitive. A line ending in a lone `\` is invalid and never matches, as in git.
public struct IgnoreRules: Sendable {
    /// The directory the file lives in, relative to the source root ("" for the root).
    public let base: String
    /// Where the patterns came from, as shown in rule descriptions (`docs/.kbignore`, `default`).
    public let origin: String
    private(set) var patterns: [IgnorePattern]

    /// Parses the text of the ignore file in `base` (relative to the source root, "" for the root).
    ///
    /// - Parameter file: the file's path as shown in rule descriptions; `BASE/.kbignore` when nil.
    public init(text: String, base: String, file: String? = nil) {
        let base = IgnoreRules.normalise(base)
        self.init(text: text, base: base, origin: file ?? (base.isEmpty ? ".kbignore" : "\(base)/.kbignore"),
                  numbered: true)
    }

    /// Parses `text`; descriptions read `origin:LINE: pattern`, or `origin: pattern` when not `numbered`.
    init(text: String, base: String, origin: String, numbered: Bool) {
        self.base = IgnoreRules.normalise(base)
        self.origin = origin
        var patterns: [IgnorePattern] = []
        // `\r\n` is one Character, so split on any newline to read Windows line endings too.
        for (index, line) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let place = numbered ? "\(origin):\(index + 1)" : origin
            if let pattern = IgnorePattern(line: line, place: place) { patterns.append(pattern) }
        }
        self.patterns = patterns
    }

    /// These rules with each description passed through `rename`.
    func describing(_ rename: (String) -> String) -> IgnoreRules {
        var copy = self
        copy.patterns = patterns.map { pattern in
            var renamed = pattern
            renamed.rule = rename(pattern.rule)
            return renamed
        }
        return copy
    }

    /// True when the file holds no patterns (only blank lines and comments).
    public var isEmpty: Bool { patterns.isEmpty }

    /// The last pattern of this file matching `path` (relative to the source root), or nil.
    func lastMatch(_ path: String, isDirectory: Bool) -> IgnorePattern? {
        let relative: Substring
        if base.isEmpty {
            relative = Substring(path)
        } else if path.hasPrefix(base + "/") {
            relative = path.dropFirst(base.count + 1)
        } else {
            return nil
        }
        let components = relative.split(separator: "/")
        guard !components.isEmpty else { return nil }
        return patterns.last { $0.matches(components, isDirectory: isDirectory) }
    }

    static func normalise(_ path: String) -> String {
        path.split(separator: "/").filter { $0 != "." }.joined(separator: "/")
    }
}

/// The default rules followed by every `.kbignore` found so far; the last matching pattern wins.
public struct IgnoreStack: Sendable {
    /// Rules applied before any `.kbignore`: hidden entries, `.git/` and `node_modules/`.
    public static let defaults = IgnoreRules(text: ".*\n.git/\nnode_modules/\n", base: "", origin: "default",
                                             numbered: false)
        .describing { $0 == "default: .*" ? "default: .* (hidden entries)" : $0 }

    /// The rule files in the order they apply: the defaults first, deeper files later.
    public private(set) var rules: [IgnoreRules]

    /// A stack holding only the defaults.
    public init() { rules = [IgnoreStack.defaults] }

    /// Adds the rules of an ignore file, which then win over every earlier file.
    public mutating func add(_ file: IgnoreRules) {
        if !file.isEmpty { rules.append(file) }
    }

    /// This stack with `file` added on top.
    public func appending(_ file: IgnoreRules) -> IgnoreStack {
        var copy = self
        copy.add(file)
        return copy
    }

    /// Whether `path` (relative to the source root) is ignored, and the pattern that decided it.
    ///
    /// A path inside an ignored directory is ignored by that directory's rule whatever later patterns say, since
    /// git cannot re-include a file whose parent is excluded. `rule` is nil when no pattern matched (not ignored);
    /// it names a `!` pattern when a negation re-included the path.
    public func decision(forRelativePath path: String, isDirectory: Bool) -> (ignored: Bool, rule: String?) {
        let components = path.split(separator: "/").filter { $0 != "." }
        guard !components.isEmpty else { return (false, nil) }
        for depth in 1..<components.count {
            let parent = components[..<depth].joined(separator: "/")
            let verdict = shallowDecision(forRelativePath: parent, isDirectory: true)
            if verdict.ignored { return verdict }
        }
        return shallowDecision(forRelativePath: components.joined(separator: "/"), isDirectory: isDirectory)
    }

    /// The decision for `path` alone, assuming no parent directory is ignored (true in a walk that does not
    /// descend into ignored directories); cheaper than `decision(forRelativePath:isDirectory:)`.
    public func shallowDecision(forRelativePath path: String, isDirectory: Bool) -> (ignored: Bool, rule: String?) {
        for file in rules.reversed() {
            if let pattern = file.lastMatch(path, isDirectory: isDirectory) {
                return (!pattern.negated, pattern.rule)
            }
        }
        return (false, nil)
    }
}

