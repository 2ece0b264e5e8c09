import Testing
@testable import KnowledgeBase

struct ToolSchemaTests {
    let schema = RunbookTools.search.inputSchema

    @Test func conformingArgumentsHaveNoProblems() {
        #expect(ToolSchema.problems(["question": "disk full", "k": 3, "mode": "keyword", "path_prefix": "db/",
                                     "where": ["service": "postgres", "severity": 2, "paged": true]],
                                    schema: schema).isEmpty)
    }

    @Test(arguments: [
        (ToolValue.object([:]), "\"question\" is required"),
        (["question": ""], "\"question\" must not be empty"),
        (["question": "x", "k": 0], "\"k\" must be at least 1, not 0"),
        (["question": "x", "k": 51], "\"k\" must be at most 50, not 51"),
        (["question": "x", "k": .number(2.5)], "\"k\" must be an integer, not a number"),
        (["question": "x", "k": "3"], "\"k\" must be an integer, not a string"),
        (["question": "x", "mode": "fuzzy"], "\"mode\" must be one of \"hybrid\", \"vector\", \"keyword\""),
        (["question": "x", "colour": "red"], "unknown argument \"colour\"; known: \"k\", \"mode\""),
        (["question": "x", "where": ["tags": ["a"]]], "\"where.tags\" must be a string, number or boolean, not an array"),
        (["question": "x", "where": "service=postgres"], "\"where\" must be an object, not a string"),
        (.string("disk"), "the arguments must be an object, not a string"),
    ] as [(ToolValue, String)])
    func eachProblemNamesTheArgumentAndWhatWasExpected(arguments: ToolValue, message: String) {
        let problems = ToolSchema.problems(arguments, schema: schema)
        #expect(problems.contains { $0.hasPrefix(message) }, "\(problems)")
    }

    @Test func everyProblemIsReportedNotJustTheFirst() {
        let problems = ToolSchema.problems(["k": 0, "extra": 1], schema: schema)
        #expect(problems.count == 3)
    }

    @Test func tooManyWhereConditionsAreRefused() {
        let conditions = Dictionary(uniqueKeysWithValues: (0..<17).map { ("key\($0)", ToolValue.string("v")) })
        let problems = ToolSchema.problems(["question": "x", "where": .object(conditions)], schema: schema)
        #expect(problems == ["\"where\" may hold at most 16 entries, not 17"])
    }

    @Test func everyToolSchemaIsAClosedObjectWhoseRequiredArgumentsAreDeclared() {
        for tool in [RunbookTools.search, RunbookTools.get, RunbookTools.list, RunbookTools.ask] {
            let schema = tool.inputSchema.objectValue ?? [:]
            #expect(schema["type"] == "object" && schema["additionalProperties"] == .bool(false), "\(tool.name)")
            let properties = schema["properties"]?.objectValue ?? [:]
            for required in schema["required"]?.arrayValue ?? [] {
                #expect(properties[required.stringValue ?? ""] != nil, "\(tool.name): \(required)")
            }
            for (name, property) in properties {
                #expect(property.objectValue?["description"]?.stringValue?.isEmpty == false, "\(tool.name).\(name)")
            }
            #expect(tool.description.count > 100, "\(tool.name) says when to use it")
        }
    }

    @Test func wholeNumbersEncodeWithoutAFraction() {
        #expect(ToolValue.object(["k": 3, "score": .number(0.5)]).jsonText == #"{"k":3,"score":0.5}"#)
    }
}
