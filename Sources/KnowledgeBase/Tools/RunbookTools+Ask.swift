extension RunbookTools {
    /// `ask_runbooks`: the answer engine's cited answer, collected, with its citations checked.
    func ask(_ arguments: [String: ToolValue]) async throws -> ToolResult {
        guard let answerEngine else { throw ToolError.unknownTool(Self.ask.name, known: definitions.map(\.name)) }
        let question = arguments["question"]?.stringValue ?? ""
        guard !question.trimmingSpaces().isEmpty else {
            throw ToolError.invalidArguments(tool: Self.ask.name, problems: ["\"question\" holds only spaces"])
        }
        let started = ContinuousClock.now
        let prepared = try await answerEngine.prepare(question, options: try options(arguments))
        var answer = ""
        for try await event in answerEngine.stream(prepared) {
            if case .token(let token) = event { answer += token }
        }
        let summary = prepared.summary(answer: answer, started: started, firstToken: nil)
        var text = answer
        if !summary.invalidCitations.isEmpty {
            text += "\n\n(Note: the answer cites " + summary.invalidCitations.map { "[\($0)]" }.joined(separator: ", ")
                + ", which are not among the passages it was given; ignore those citations.)"
        }
        if !prepared.query.results.isEmpty {
            text += "\n\nPassages:\n" + prepared.query.results.map { hit in
                "[\(hit.rank)] " + (hit.heading.isEmpty ? hit.path : "\(hit.path) › \(hit.heading)")
                    + (summary.citations.contains { $0.number == hit.rank } ? " (cited)" : "")
            }.joined(separator: "\n")
        }
        let structured: ToolValue = [
            "question": .string(prepared.query.question), "answer": .string(answer), "refused": .bool(prepared.refused),
            "sources": .array(prepared.query.results.map { hit in
                var source = Self.json(hit)
                if case .object(var object) = source {
                    object["cited"] = .bool(summary.citations.contains { $0.number == hit.rank })
                    source = .object(object)
                }
                return source
            }),
            "invalid_citations": .array(summary.invalidCitations.map { .number(Double($0)) }),
        ]
        return ToolResult(text: text, structured: structured, sources: prepared.query.results)
    }
}
