import Foundation

extension RunbookTools {
    /// `search_runbooks`: the query engine's passages, numbered by `ledger`.
    func search(_ arguments: [String: ToolValue], ledger: SourceLedger) async throws -> ToolResult {
        let question = arguments["question"]?.stringValue ?? ""
        guard !question.trimmingSpaces().isEmpty else {
            throw ToolError.invalidArguments(tool: Self.search.name, problems: ["\"question\" holds only spaces"])
        }
        let options = try options(arguments)
        let result = try await queryEngine.query(question, options: options)
        let hits = ledger.number(result.results)
        var text: String
        if hits.isEmpty {
            text = "No runbook passage matches \"\(result.question)\" closely enough: the runbooks do not appear to "
                + "cover it. Try other words, mode \"keyword\" for an exact error string, or list_runbooks to browse."
        } else {
            text = "\(hits.count) passage\(hits.count == 1 ? "" : "s") for \"\(result.question)\" "
                + "(\(result.mode.rawValue) search), best first; cite them by number.\n"
            for hit in hits { text += "\n" + Self.passage(hit) + "\n" }
        }
        let structured: ToolValue = [
            "question": .string(result.question), "mode": .string(result.mode.rawValue),
            "refused": .bool(result.refused), "results": .array(hits.map(Self.json)),
        ]
        return ToolResult(text: text, structured: structured, sources: hits)
    }

    /// One numbered passage as a model reads it.
    static func passage(_ hit: QueryHit) -> String {
        let title = hit.heading.isEmpty ? hit.path : "\(hit.path) › \(hit.heading)"
        let lines = lineRange(hit.lines)
        return "[\(hit.rank)] \(title) (\(lines), score \(String(format: "%.3f", hit.score)))\n\(hit.text)"
    }

    /// "line 3" or "lines 3–9".
    static func lineRange(_ lines: [Int]) -> String {
        guard lines.count == 2 else { return "lines unknown" }
        return lines[0] == lines[1] ? "line \(lines[0])" : "lines \(lines[0])–\(lines[1])"
    }

    static func json(_ hit: QueryHit) -> ToolValue {
        var object: [String: ToolValue] = [
            "number": .number(Double(hit.rank)), "path": .string(hit.path), "heading": .string(hit.heading),
            "lines": .array(hit.lines.map { .number(Double($0)) }),
            "score": .number((Double(hit.score) * 10000).rounded() / 10000),
            "text": .string(hit.text), "uri": .string(resourceURI(path: hit.path)),
        ]
        if let source = hit.source { object["source"] = .string(source) }
        if let metadata = hit.metadata, !metadata.isEmpty, let value = try? ToolValue(encoding: metadata) {
            object["metadata"] = value
        }
        return .object(object)
    }
}
