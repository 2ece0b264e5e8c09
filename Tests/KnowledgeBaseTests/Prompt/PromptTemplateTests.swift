import Foundation
import Testing
@testable import KnowledgeBase

struct PromptTemplateTests {
    static let golden = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden")

    static let sources = [
        PromptSource(number: 1, path: "platform/disk-full.md", heading: "Disk Full › Mitigation",
                     text: "1. Find the largest directories:\n   ```bash\n   du -xh / | sort -h | tail -20\n   ```\n2. Rotate logs with `logrotate -f /etc/logrotate.conf` if <50% free."),
        PromptSource(number: 2, path: "kubernetes/node-not-ready.md", heading: "Node NotReady › Diagnosis",
                     text: "Check `kubectl describe node` for DiskPressure & MemoryPressure conditions."),
    ]

    /// Rendering every built-in template gives exactly the committed golden text (set KB_UPDATE_GOLDEN=1 to rewrite).
    @Test(arguments: ["answer", "diagnose", "next-steps", "summarize"])
    func builtInTemplatesMatchTheirGoldenFiles(name: String) throws {
        let library = try TemplateLibrary()
        var builder = PromptBuilder(template: try library.template(named: name))
        let withSources = builder.build(question: "The disk on db-3 is full: no space left on device", sources: Self.sources)
        builder.contextTokens = 3000
        let without = builder.build(question: "quarterly budget", sources: [])
        let rendered = "\(withSources.prompt)\n\n=== no sources ===\n\n\(without.prompt)\n"
        let file = Self.golden.appendingPathComponent("\(name).txt")
        if ProcessInfo.processInfo.environment["KB_UPDATE_GOLDEN"] == "1" {
            try Data(rendered.utf8).write(to: file)
        }
        let expected = try String(contentsOf: file, encoding: .utf8)
        #expect(rendered == expected)
        #expect(withSources.included == 2)
        #expect(!rendered.contains("&lt;") && !rendered.contains("&amp;"), "prompts are not HTML-escaped")
    }

    @Test func theAnswerTemplateKeepsTheQueryPromptShape() {
        let prompt = PromptBuilder().build(question: "q?", sources: Self.sources).prompt
        #expect(prompt.hasPrefix(PromptBuilder.instructions + "\n\nContext:\n[1] platform/disk-full.md › Disk Full › Mitigation\n1. Find"))
        #expect(prompt.hasSuffix("MemoryPressure conditions.\n\nQuestion: q?\nAnswer:"))
    }

    @Test func userTemplatesOverrideAndAddByName() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try writeFiles([
            "answer.mustache": "Q={{question}}{{#sources}} [{{number}}:{{path}}]{{/sources}}",
            "postmortem.mustache": "{{! a comment }}Write a postmortem for: {{question}}\n{{#sources}}{{label}}\n{{/sources}}",
            "notes.txt": "not a template {{nonsense}}",
        ], under: directory)
        let library = try TemplateLibrary(directory: directory.path)
        #expect(library.names == ["answer", "diagnose", "next-steps", "postmortem", "summarize"])
        let answer = PromptBuilder(template: try library.template(named: "answer")).messages(question: "disk?", sources: Self.sources)
        #expect(answer.user == "Q=disk? [1:platform/disk-full.md] [2:kubernetes/node-not-ready.md]")
        #expect(answer.system == PromptBuilder.instructions, "the guard instructions stay whatever the template")
    }

    @Test func anUnknownVariableIsRejectedWithFileAndLine() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try writeFiles(["bad.mustache": "Line one {{question}}\nline two\n{{#sources}}{{txet}}{{/sources}}\n"], under: directory)
        #expect {
            try TemplateLibrary(directory: directory.path)
        } throws: { error in
            let text = "\(error)"
            return text.contains("bad.mustache:3") && text.contains("\"txet\"") && text.contains("question")
        }
    }

    @Test func aSyntaxErrorIsRejectedWithFileAndLine() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try writeFiles(["broken.mustache": "ok {{question}}\n\n{{#sources}}\n[{{number}}]\n{{/source}}\n"], under: directory)
        #expect {
            try TemplateLibrary(directory: directory.path)
        } throws: { error in
            let text = "\(error)"
            return text.contains("broken.mustache:5") && text.contains("syntax")
        }
    }

    @Test func anUnknownTemplateNameListsTheAvailableOnes() throws {
        #expect {
            try TemplateLibrary().template(named: "haiku")
        } throws: { "\($0)".contains("answer, diagnose, next-steps, summarize") }
    }

    @Test(arguments: ["answer", "diagnose", "next-steps", "summarize"])
    func theDirectRenderingOfABuiltinIsMustachesToTheByte(name: String) throws {
        let template = PromptTemplate.builtin(name)
        #expect(template.direct != nil, "every built-in has the direct shape")
        let sources = [
            PromptSource(number: 1, path: "runbooks/disk.md", heading: "Disk full › Mitigation",
                         text: "Run `df -h`.\r\nThen {{not a tag}} <b>&amp;</b> \"quoted\"."),
            PromptSource(number: 12, path: "r/ünïcode.md", heading: "", text: "日本語\n\n  indented\n"),
            PromptSource(number: 3, path: "p.md", heading: "H", text: ""),
        ]
        for question in ["why is the disk full?", "a \"quoted\" {{question}} & <tag>\nsecond line", ""] {
            for count in [0, 1, 3] {
                let chosen = Array(sources.prefix(count))
                #expect(template.direct!.render(question: question, sources: chosen)
                            == template.mustache(question: question, sources: chosen, scores: [:], lines: [:]),
                        "\(name), \(count) sources, question \(question.debugDescription)")
            }
        }
    }

    @Test func aTemplateOfAnotherShapeIsRenderedByMustache() throws {
        let scored = try PromptTemplate(name: "scored", text: """
            {{#sources}}
            [{{number}}] {{label}} ({{score}})
            {{text}}

            {{/sources}}
            {{question}}
            """, origin: "scored.mustache")
        #expect(scored.direct == nil)
        #expect(scored.render(question: "q", sources: [PromptSource(number: 1, path: "a.md", heading: "", text: "t")],
                              scores: [1: 0.5]).contains("[1] a.md (0.500)"))
        // The built-ins' shape with one more tag in its text is not taken for it either.
        let extra = BuiltinTemplates.answer.replacingOccurrences(of: "Answer:", with: "Answer ({{path}}):")
        #expect(try PromptTemplate(name: "x", text: extra, origin: "x").direct == nil)
    }
}
