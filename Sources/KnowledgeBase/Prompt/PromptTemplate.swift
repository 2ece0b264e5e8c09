import Foundation
import Mustache

/// Why a template could not be loaded or found.
public enum TemplateError: Error, Sendable, CustomStringConvertible {
    case syntax(file: String, line: Int, column: Int, message: String)
    case unknownVariable(file: String, line: Int, name: String)
    case unknownTemplate(name: String, available: [String])
    case unreadable(file: String, reason: String)

    public var description: String {
        switch self {
        case .syntax(let file, let line, let column, let message):
            return "\(file):\(line):\(column): template syntax error: \(message)"
        case .unknownVariable(let file, let line, let name):
            return "\(file):\(line): unknown template variable \"\(name)\"; templates can use "
                + PromptTemplate.variables.sorted().joined(separator: ", ")
        case .unknownTemplate(let name, let available):
            return "no template named \"\(name)\"; available: \(available.joined(separator: ", ")) "
                + "(add your own as NAME.mustache in the directory named by KB_TEMPLATES)"
        case .unreadable(let file, let reason):
            return "cannot read template \(file): \(reason)"
        }
    }
}

/// A Mustache prompt template, checked when loaded: syntax, and every variable one kb provides.
public struct PromptTemplate: Sendable {
    public let name: String
    /// Where it came from: `built-in` or a file path.
    public let origin: String
    let template: MustacheTemplate
    /// The same template rendered without Mustache, when it has the built-ins' shape (`DirectTemplate`).
    let direct: DirectTemplate?

    /// The built-in `answer` template, the default.
    public static let answer: PromptTemplate = builtin("answer")

    /// A built-in template by name; they are constants checked by the tests, so failing to parse one is a bug.
    static func builtin(_ name: String) -> PromptTemplate {
        do {
            return try PromptTemplate(name: name, text: BuiltinTemplates.all[name] ?? "", origin: "built-in \(name)")
        } catch {
            fatalError("built-in template \(name) is invalid: \(error)")
        }
    }

    /// The variables a template may use.
    static let variables: Set<String> = [
        "question", "sources", "number", "path", "heading", "label", "text", "score", "first_line", "last_line",
    ]

    /// Parses and checks `text`; `origin` names the file in errors.
    public init(name: String, text: String, origin: String) throws {
        do {
            // Prompts are plain text: without this pragma Mustache would HTML-escape `<` in commands. It sits on
            // the first line with no newline after it, so line numbers in errors stay the user's.
            template = try MustacheTemplate(string: "{{% CONTENT_TYPE: TEXT}}" + text)
        } catch let error as MustacheTemplate.ParserError {
            throw TemplateError.syntax(file: origin, line: error.context.lineNumber, column: error.context.columnNumber,
                                       message: Self.explain(error.error))
        }
        try Self.checkVariables(text, origin: origin)
        direct = DirectTemplate(text)
        self.name = name
        self.origin = origin
    }

    /// Renders the user message for `question` and `sources`.
    func render(question: String, sources: [PromptSource], scores: [Int: Float] = [:], lines: [Int: [Int]] = [:])
        -> String
    {
        let rendered = direct?.render(question: question, sources: sources)
            ?? mustache(question: question, sources: sources, scores: scores, lines: lines)
        // Foundation's replace copies the whole prompt through NSString; most prompts hold no carriage return.
        return rendered.utf8.contains(13) ? rendered.replacingOccurrences(of: "\r\n", with: "\n") : rendered
    }

    /// The user message as Mustache renders it (every template can be rendered so; `direct` is a shortcut).
    func mustache(question: String, sources: [PromptSource], scores: [Int: Float], lines: [Int: [Int]]) -> String {
        let items: [[String: Any]] = sources.map { source in
            [
                "number": source.number, "path": source.path, "heading": source.heading, "label": source.label,
                "text": source.text, "score": String(format: "%.3f", scores[source.number] ?? 0),
                "first_line": lines[source.number]?.first ?? 0, "last_line": lines[source.number]?.last ?? 0,
            ]
        }
        let context: [String: Any] = ["question": question, "sources": items]
        return template.render(context, library: nil)
    }

    // Finds `{{name}}`, `{{#name}}`, `{{^name}}`, `{{/name}}`, `{{&name}}`, `{{{name}}}` tags and checks each name.
    static func checkVariables(_ text: String, origin: String) throws {
        var line = 1
        var index = text.startIndex
        while index < text.endIndex {
            if text[index...].hasPrefix("{{") {
                guard let close = text[index...].range(of: "}}") else { return }
                var name = text[text.index(index, offsetBy: 2)..<close.lowerBound].trimmingCharacters(in: .whitespaces)
                let sigil = name.first
                if let sigil, "#^/&{".contains(sigil) { name = String(name.dropFirst()).trimmingCharacters(in: .whitespaces) }
                if name.hasSuffix("}") { name = String(name.dropLast()).trimmingCharacters(in: .whitespaces) }
                if sigil != "!" && sigil != ">" && sigil != "=" && sigil != "%" && name != "." {
                    let root = String(name.split(separator: ".").first ?? "")
                    if !variables.contains(root) { throw TemplateError.unknownVariable(file: origin, line: line, name: name) }
                }
                line += text[index..<close.upperBound].filter { $0 == "\n" }.count
                index = close.upperBound
                continue
            }
            if text[index] == "\n" { line += 1 }
            index = text.index(after: index)
        }
    }

    private static func explain(_ error: any Error) -> String {
        switch error {
        case MustacheTemplate.Error.sectionCloseNameIncorrect: return "a section is closed with another name than it was opened"
        case MustacheTemplate.Error.unfinishedName: return "a tag is not closed with }}"
        case MustacheTemplate.Error.expectedSectionEnd: return "a section is opened but never closed"
        default: return "\(error)"
        }
    }
}

/// The built-in templates plus the user's (`*.mustache` files in `KB_TEMPLATES`, which may override by name).
public struct TemplateLibrary: Sendable {
    public private(set) var templates: [String: PromptTemplate] = [:]

    /// Loads the built-ins and every `NAME.mustache` in `directory`.
    ///
    /// - Throws: `TemplateError` naming the file and line of the first bad template; none is half-loaded.
    public init(directory: String? = nil) throws {
        for name in BuiltinTemplates.all.keys { templates[name] = PromptTemplate.builtin(name) }
        guard let directory, !directory.isEmpty else { return }
        let url = URL(fileURLWithPath: directory)
        let files: [URL]
        do {
            files = try FileManager.default.contentsOfDirectory(at: url, includingPropertiesForKeys: nil)
        } catch {
            throw TemplateError.unreadable(file: directory, reason: "not a readable directory (KB_TEMPLATES)")
        }
        for file in files.sorted(by: { $0.path < $1.path }) where file.pathExtension == "mustache" {
            let text: String
            do {
                text = try String(contentsOf: file, encoding: .utf8)
            } catch {
                throw TemplateError.unreadable(file: file.path, reason: "not UTF-8 text")
            }
            let name = file.deletingPathExtension().lastPathComponent
            templates[name] = try PromptTemplate(name: name, text: text, origin: file.path)
        }
    }

    public var names: [String] { templates.keys.sorted() }

    /// The template called `name`.
    public func template(named name: String) throws -> PromptTemplate {
        guard let template = templates[name] else { throw TemplateError.unknownTemplate(name: name, available: names) }
        return template
    }
}

/// A template of the built-ins' shape, rendered by concatenation: Mustache's generic rendering (a dictionary per
/// source, a lookup per tag) was an eighth of a query's time. The shape is
///
///     TEXT
///     {{#sources}}
///     [{{number}}] {{label}}
///     {{text}}
///
///     {{/sources}}
///     {{^sources}}
///     TEXT
///
///     {{/sources}}
///     TEXT
///
/// where each TEXT may hold `{{question}}` and no other tag. Anything else is rendered by Mustache. The tests check
/// that both give the same prompt.
struct DirectTemplate: Sendable {
    /// The text before the sources, the text when there are none, and the text after; split at `{{question}}`.
    let before: [String]
    let empty: [String]
    let after: [String]

    private static let loop = "{{#sources}}\n[{{number}}] {{label}}\n{{text}}\n\n{{/sources}}\n"
    private static let emptyOpen = "{{^sources}}\n"
    private static let emptyClose = "\n\n{{/sources}}\n"

    init?(_ text: String) {
        guard let loop = text.range(of: Self.loop) else { return nil }
        let head = text[..<loop.lowerBound]
        let rest = text[loop.upperBound...]
        guard head.isEmpty || head.hasSuffix("\n"), rest.hasPrefix(Self.emptyOpen) else { return nil }
        let emptyStart = rest.index(rest.startIndex, offsetBy: Self.emptyOpen.count)
        guard let close = rest[emptyStart...].range(of: Self.emptyClose) else { return nil }
        let parts = [String(head), String(rest[emptyStart..<close.lowerBound]) + "\n\n", String(rest[close.upperBound...])]
            .map { $0.components(separatedBy: "{{question}}") }
        // Any other tag (or a `{{question}}` written another way) goes to Mustache.
        guard parts.allSatisfy({ $0.allSatisfy { !$0.contains("{{") && !$0.contains("}}") } }) else { return nil }
        (before, empty, after) = (parts[0], parts[1], parts[2])
    }

    func render(question: String, sources: [PromptSource]) -> String {
        var out = before.joined(separator: question)
        for source in sources {
            out += "[\(source.number)] \(source.label)\n\(source.text)\n\n"
        }
        if sources.isEmpty { out += empty.joined(separator: question) }
        out += after.joined(separator: question)
        return out
    }
}
