import Foundation
import Testing
@testable import KnowledgeBase

struct QuestionFileTests {
    @Test func malformedLinesAreReportedWithTheirNumbersAndTheRestIsKept() {
        let text = """
            {"id": "q1", "question": "disk full?", "relevant": ["ops/Disk.md"], "answer_contains": ["df"], "kind": "howto"}

            not json at all
            {"id": "q2"}
            {"id": "q1", "question": "again?", "relevant": ["x.md"], "kind": "factoid"}
            {"id": "q3", "question": "what?", "relevant": ["x.md"], "kind": "weird"}
            {"id": "q4", "question": "budget?", "relevant": ["x.md"], "kind": "unanswerable"}
            {"id": "q5", "question": "how?", "relevant": [], "kind": "howto"}
            {"id": "q6", "question": "cdn cert?", "relevant": [], "answer_contains": [], "kind": "unanswerable"}
            ["a", "list"]
            {"id": 7, "question": "numbers as ids?", "relevant": "ops/Disk.md#Fix"}
            {"id": "q8", "question": "bad list", "relevant": [1, 2], "kind": "factoid"}
            """
        let (questions, malformed) = QuestionFile.parse(text)
        #expect(questions.map(\.id) == ["q1", "q6", "7"])
        #expect(questions.map(\.line) == [1, 9, 11])
        #expect(malformed.map(\.line) == [3, 4, 5, 6, 7, 8, 10, 12])
        #expect(malformed[0].error.contains("not valid JSON"))
        #expect(malformed[1].error.contains("question"))
        #expect(malformed[2].error.contains("duplicate id \"q1\" (first used on line 1)"))
        #expect(malformed[3].error.contains("unknown \"kind\""))
        #expect(malformed[4].error.contains("unanswerable"))
        #expect(malformed[5].error.contains("\"relevant\" is empty"))
        #expect(malformed[6].error.contains("JSON object"))
        #expect(malformed[7].error.contains("list of strings"))
        #expect(questions[0] == EvalQuestion(id: "q1", question: "disk full?", relevant: [RelevantTarget(path: "ops/Disk.md")],
                                              answerContains: ["df"], kind: .howto, line: 1))
        #expect(questions[1].kind == .unanswerable && !questions[1].isAnswerable)
        #expect(questions[2].kind == .factoid, "kind defaults to factoid when documents are listed")
        #expect(questions[2].relevant == [RelevantTarget(path: "ops/Disk.md", heading: "Fix")])
    }

    @Test func aMissingFileIsAnErrorThatSaysWhatToGive() throws {
        #expect { try QuestionFile.load(path: "/nonexistent/q.jsonl") } throws: { "\($0)".contains("JSON Lines") }
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("q.jsonl")
        try Data("{\"id\":\"a\",\"question\":\"q\",\"relevant\":[\"x.md\"]}\r\n{broken\r\n".utf8).write(to: file)
        let (questions, malformed) = try QuestionFile.load(path: file.path)
        #expect(questions.count == 1 && malformed.map(\.line) == [2])
    }
}
