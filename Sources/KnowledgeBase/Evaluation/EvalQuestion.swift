import Foundation

/// What a question tests: a fact, a procedure, or something the runbooks do not cover.
public enum QuestionKind: String, Sendable, Codable, CaseIterable, Comparable {
    case factoid
    case howto
    case unanswerable

    public static func < (lhs: QuestionKind, rhs: QuestionKind) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

/// One evaluation question, as one line of a JSON Lines file (see DESIGN.md, "Evaluation").
public struct EvalQuestion: Sendable, Equatable {
    public var id: String
    public var question: String
    /// Documents (path suffixes, optionally `path#heading`) that answer it; empty for unanswerable questions.
    public var relevant: [RelevantTarget]
    /// Strings the retrieved context should contain (compared case-insensitively).
    public var answerContains: [String]
    public var kind: QuestionKind
    /// 1-based line of the question file it came from.
    public var line: Int

    public init(id: String, question: String, relevant: [RelevantTarget], answerContains: [String] = [],
                kind: QuestionKind, line: Int = 0) {
        self.id = id
        self.question = question
        self.relevant = relevant
        self.answerContains = answerContains
        self.kind = kind
        self.line = line
    }

    public var isAnswerable: Bool { kind != .unanswerable }
}

/// A line of a question file that could not be used, and why.
public struct MalformedLine: Sendable, Codable, Equatable, CustomStringConvertible {
    public var line: Int
    public var error: String

    public var description: String { "line \(line): \(error)" }
}

/// Reads question files: every usable line becomes a question, every other one a `MalformedLine`.
public enum QuestionFile {
    /// Parses the questions at `path`.
    ///
    /// - Throws: `EvalError.cannotReadQuestions` when the file cannot be read at all; bad lines are returned.
    public static func load(path: String) throws -> (questions: [EvalQuestion], malformed: [MalformedLine]) {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw EvalError.cannotReadQuestions(path: path, reason: (error as NSError).localizedDescription)
        }
        return parse(String(decoding: data, as: UTF8.self))
    }

    /// Parses JSON Lines text; blank lines and lines starting with `//` or `#` are skipped.
    public static func parse(_ text: String) -> (questions: [EvalQuestion], malformed: [MalformedLine]) {
        var questions: [EvalQuestion] = []
        var malformed: [MalformedLine] = []
        var seen: [String: Int] = [:]
        let lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
        for (offset, raw) in lines.enumerated() {
            let number = offset + 1
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("//") || line.hasPrefix("#") { continue }
            do {
                let question = try parseLine(line, number: number)
                if let first = seen[question.id] {
                    throw LineError("duplicate id \"\(question.id)\" (first used on line \(first))")
                }
                seen[question.id] = number
                questions.append(question)
            } catch let error as LineError {
                malformed.append(MalformedLine(line: number, error: error.message))
            } catch {
                malformed.append(MalformedLine(line: number, error: "\(error)"))
            }
        }
        return (questions, malformed)
    }

    private struct LineError: Error {
        var message: String
        init(_ message: String) { self.message = message }
    }

    private static func parseLine(_ line: String, number: Int) throws -> EvalQuestion {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: Data(line.utf8), options: [.fragmentsAllowed])
        } catch {
            throw LineError("not valid JSON (\(line.prefix(60))…)")
        }
        guard let fields = object as? [String: Any] else { throw LineError("expected a JSON object") }
        let id: String
        if let text = fields["id"] as? String, !text.isEmpty {
            id = text
        } else if let number = fields["id"] as? NSNumber {
            id = number.stringValue
        } else {
            throw LineError("missing \"id\"")
        }
        guard let question = (fields["question"] as? String)?.trimmingCharacters(in: .whitespacesAndNewlines),
              !question.isEmpty
        else { throw LineError("missing or empty \"question\" (id \(id))") }
        let relevant = try strings(fields["relevant"], key: "relevant", id: id).map(RelevantTarget.init(parsing:))
        let answers = try strings(fields["answer_contains"], key: "answer_contains", id: id)
        let kind: QuestionKind
        if let name = fields["kind"] {
            guard let text = name as? String, let known = QuestionKind(rawValue: text.lowercased()) else {
                throw LineError("unknown \"kind\" \(name) (id \(id)); use factoid, howto or unanswerable")
            }
            kind = known
        } else {
            kind = relevant.isEmpty ? .unanswerable : .factoid
        }
        if kind == .unanswerable && !relevant.isEmpty {
            throw LineError("kind unanswerable but \"relevant\" lists documents (id \(id)); empty it or change kind")
        }
        if kind != .unanswerable && relevant.isEmpty {
            throw LineError("\"relevant\" is empty (id \(id)); name the answering runbook or use kind unanswerable")
        }
        return EvalQuestion(id: id, question: question, relevant: relevant, answerContains: answers, kind: kind,
                            line: number)
    }

    private static func strings(_ value: Any?, key: String, id: String) throws -> [String] {
        guard let value, !(value is NSNull) else { return [] }
        if let single = value as? String { return single.isEmpty ? [] : [single] }
        guard let list = value as? [Any], list.allSatisfy({ $0 is String }) else {
            throw LineError("\"\(key)\" must be a list of strings (id \(id))")
        }
        return (list as! [String]).filter { !$0.isEmpty }
    }
}
