import Foundation
import Testing
@testable import KnowledgeBase

struct FrontMatterTests {
    /// The metadata of `yaml` wrapped in fences.
    func metadata(_ yaml: String) throws -> [String: MetadataValue] {
        try FrontMatter.split("---\n\(yaml)\n---\nbody\n").metadata
    }

    /// The error `text` throws.
    func error(_ text: String) -> FrontMatterError? {
        do {
            _ = try FrontMatter.split(text)
            return nil
        } catch {
            return error as? FrontMatterError
        }
    }

    func number(_ text: String) -> MetadataValue { .number(Double(text)!, text: text) }

    @Test(arguments: ["# Title\nbody", "", "---", "---\n", "--- x\na: 1\n---\n", "\n---\na: 1\n---\n"])
    func textWithoutFrontMatterIsUnchanged(text: String) throws {
        let result = try FrontMatter.split(text)
        #expect(result == FrontMatter(body: text))
        #expect(!result.isPresent)
    }

    @Test func openingRuleWithoutClosingLineIsAHorizontalRule() throws {
        let text = "---\n# Title\nSome text: with a colon\n"
        #expect(try FrontMatter.split(text) == FrontMatter(body: text))
    }

    @Test func bodyKeepsLineNumbers() throws {
        let text = "---\ntitle: Disk full\nowner: sre\n---\n# Disk full\nText\n"
        let result = try FrontMatter.split(text)
        #expect(result.metadata == ["title": .string("Disk full"), "owner": .string("sre")])
        #expect(result.body == "\n\n\n\n# Disk full\nText\n")
        #expect(result.lineCount == 4)
        let lines = Chunker.splitLines(result.body)
        #expect(lines.count == Chunker.splitLines(text).count)
        #expect(lines[4] == "# Disk full")
    }

    @Test func closingFenceVariants() throws {
        #expect(try FrontMatter.split("---\na: 1\n---").body == "\n\n")
        #expect(try FrontMatter.split("---\na: 1\n...\nx").body == "\n\n\nx")
        #expect(try FrontMatter.split("---  \na: x\n--- \nb").metadata == ["a": .string("x")])
        let crlf = try FrontMatter.split("---\r\na: 1\r\n---\r\nline4\r\n")
        #expect(crlf.metadata == ["a": number("1")])
        #expect(Chunker.splitLines(crlf.body)[3] == "line4")
    }

    @Test func emptyFrontMatterIsPresentWithoutKeys() throws {
        let result = try FrontMatter.split("---\n# only a comment\n\n---\nbody")
        #expect(result.isPresent)
        #expect(result.metadata.isEmpty)
        #expect(result.body == "\n\n\n\nbody")
    }

    @Test func byteOrderMarkBeforeOpeningFence() throws {
        let result = try FrontMatter.split("\u{FEFF}---\nowner: sre\n---\nx")
        #expect(result.metadata == ["owner": .string("sre")])
        #expect(result.body == "\n\n\nx")
    }

    @Test func plainScalarsFollowTheCoreSchema() throws {
        let values = try metadata("""
            s: hello world
            i: 3
            neg: -12
            f: 2.50
            e: 1e3
            hex: 0x1F
            t: true
            T: True
            TT: TRUE
            fa: false
            yes: yes
            n: null
            tilde: ~
            empty:
            version: 1.2.3
            mixed: tRUE
            inf: .inf
            url: http://example.com:8080/x
            """)
        #expect(values["s"] == .string("hello world"))
        #expect(values["i"] == .number(3, text: "3"))
        #expect(values["neg"] == .number(-12, text: "-12"))
        #expect(values["f"] == .number(2.5, text: "2.50"))
        #expect(values["e"] == .number(1000, text: "1e3"))
        #expect(values["hex"] == .number(31, text: "0x1F"))
        #expect([values["t"], values["T"], values["TT"]] == [.bool(true), .bool(true), .bool(true)])
        #expect(values["fa"] == .bool(false))
        #expect(values["yes"] == .string("yes"))
        #expect([values["n"], values["tilde"], values["empty"]] == [.null, .null, .null])
        #expect(values["version"] == .string("1.2.3"))
        #expect(values["mixed"] == .string("tRUE"))
        #expect(values["inf"] == .string(".inf"))
        #expect(values["url"] == .string("http://example.com:8080/x"))
    }

    @Test func quotedScalarsWithEscapesAndHashes() throws {
        let values = try metadata(#"""
            d: "say \"hi\"\\ \n\t\u00e9 \U0001F600 \uD83D\uDE00"
            sq: 'it''s # not a comment'
            hash: "a # b"
            quotedNumber: "3"
            quotedBool: 'true'
            "quoted key": v
            'k2': "x" # comment
            """#)
        #expect(values["d"] == .string("say \"hi\"\\ \n\té 😀 😀"))
        #expect(values["sq"] == .string("it's # not a comment"))
        #expect(values["hash"] == .string("a # b"))
        #expect(values["quotedNumber"] == .string("3"))
        #expect(values["quotedBool"] == .string("true"))
        #expect(values["quoted key"] == .string("v"))
        #expect(values["k2"] == .string("x"))
    }

    @Test func commentsOnlyAfterWhitespace() throws {
        let values = try metadata("""
            # leading comment
            a: value # trailing
            b: a#b
            c: x  #y
              # indented comment
            d: 1 # one
            """)
        #expect(values == ["a": .string("value"), "b": .string("a#b"), "c": .string("x"), "d": number("1")])
    }

    @Test func flowCollections() throws {
        let values = try metadata("""
            tags: [disk, "b c", 3, true, 'x, y']
            empty: []
            nested: [[a, b], {k: v}]
            map: {a: 1, "b": [x], c: }
            multi: [one,
              two, # comment
              three]
            trailing: [a, b,]
            """)
        #expect(values["tags"] == .list([.string("disk"), .string("b c"), number("3"), .bool(true), .string("x, y")]))
        #expect(values["empty"] == .list([]))
        #expect(values["nested"] == .list([.list([.string("a"), .string("b")]), .map(["k": .string("v")])]))
        #expect(values["map"] == .map(["a": number("1"), "b": .list([.string("x")]), "c": .null]))
        #expect(values["multi"] == .list([.string("one"), .string("two"), .string("three")]))
        #expect(values["trailing"] == .list([.string("a"), .string("b")]))
    }

    @Test func blockSequences() throws {
        let values = try metadata("""
            tags:
              - disk
              - "b c"
              - 3
            same:
            - a
            - b
            after: x
            maps:
              - name: one
                n: 1
                tags:
                  - t
              - name: two
            nested:
              - - a
                - b
              - c
            empties:
              -
              - # comment
              - z
            """)
        #expect(values["tags"] == .list([.string("disk"), .string("b c"), number("3")]))
        #expect(values["same"] == .list([.string("a"), .string("b")]))
        #expect(values["after"] == .string("x"))
        #expect(values["maps"] == .list([
            .map(["name": .string("one"), "n": number("1"), "tags": .list([.string("t")])]),
            .map(["name": .string("two")]),
        ]))
        #expect(values["nested"] == .list([.list([.string("a"), .string("b")]), .string("c")]))
        #expect(values["empties"] == .list([.null, .null, .string("z")]))
    }

    @Test func nestedMapping() throws {
        let values = try metadata("""
            owner:
              team: sre
              pager: "#oncall"
              deep:
                x: 1
            next: y
            """)
        #expect(values["owner"] == .map([
            "team": .string("sre"), "pager": .string("#oncall"), "deep": .map(["x": number("1")]),
        ]))
        #expect(values["next"] == .string("y"))
    }

    @Test func plainScalarContinuesOnIndentedLines() throws {
        #expect(try metadata("d: a long\n  description\n\n  here\ne: 1")["d"] == .string("a long description\nhere"))
    }

    @Test func blockScalars() throws {
        let values = try metadata("""
            literal: |
              line one
                indented
              # not a comment
              key: not a key

            folded: >
              folded one
              folded two

              new para
                code
              end
            strip: |-
              x
            keep: |+
              x

            indented: |2
                two extra
            last: >-
              a
              b
            """)
        #expect(values["literal"] == .string("line one\n  indented\n# not a comment\nkey: not a key\n"))
        #expect(values["folded"] == .string("folded one folded two\nnew para\n  code\nend\n"))
        #expect(values["strip"] == .string("x"))
        #expect(values["keep"] == .string("x\n\n"))
        #expect(values["indented"] == .string("  two extra\n"))
        #expect(values["last"] == .string("a b"))
        #expect(try metadata("a: |\nb: 1") == ["a": .string(""), "b": number("1")])
        let list = try metadata("l:\n  - |\n    text\n    more\n  - x")["l"]
        #expect(list == .list([.string("text\nmore\n"), .string("x")]))
    }

    @Test func malformedLineNamesLineAndFix() {
        let failure = error("---\ntitle: x\nowner sre\n---\n")
        #expect(failure?.line == 3)
        #expect(failure?.description.hasPrefix(
            "line 3 of the front matter: expected `key: value`, found `owner sre`") == true)
        #expect(error("---\nowner:sre\n---\n")?.message.contains("space after the colon") == true)
        #expect(error("---\nSome intro text\n---\n")?.message.contains("horizontal rule") == true)
    }

    @Test func duplicateKeyNamesBothLines() {
        let failure = error("---\nowner: a\ntags: []\nowner: b\n---\n")
        #expect(failure?.line == 4)
        #expect(failure?.message.contains("duplicate key `owner` (first set on line 2)") == true)
        #expect(error("---\na: {x: 1, x: 2}\n---\n")?.message.contains("duplicate key `x`") == true)
    }

    @Test func emptyKeysAreErrors() {
        #expect(error("---\n: x\n---\n")?.message.contains("empty key") == true)
        #expect(error("---\n\"\": x\n---\n")?.message.contains("empty key") == true)
    }

    @Test(arguments: [
        ("---\ntitle: Disk: full\n---\n", 2),
        ("---\na: \"open\n---\n", 2),
        ("---\na: [x, y\nb: 1\n---\n", 2),
        ("---\na: \"x\" y\n---\n", 2),
        ("---\na: \"\\q\"\n---\n", 2),
        ("---\na: &x 1\n---\n", 2),
        ("---\na: *x\n---\n", 2),
        ("---\na: !!str 1\n---\n", 2),
        ("---\n  a: 1\n---\n", 2),
        ("---\na: 1\n  b: 2\n---\n", 3),
        ("---\n- a\n---\n", 2),
        ("---\na: 1\n- b\n---\n", 3),
        ("---\na: - b\n---\n", 2),
        ("---\n\ta: 1\n---\n", 2),
        ("---\na: {x:1}\n---\n", 2),
        ("---\na: [x: 1]\n---\n", 2),
        ("---\na: |x\n---\n", 2),
        ("---\n? a\n---\n", 2),
        ("---\na:\n  - x\n  y: 1\n---\n", 4),
        ("---\na: x\n  # c\n  y\n---\n", 4),
        ("---\na: " + String(repeating: "[", count: 10_000) + "\n---\n", 2),
    ])
    func unsupportedOrInvalidYAMLIsAnError(text: String, line: Int) {
        #expect(error(text)?.line == line)
    }

    @Test func matchesScalarsByTextAndListsByMembership() throws {
        #expect(MetadataValue.string("sre").matches("sre"))
        #expect(!MetadataValue.string("sre").matches("SRE"))
        #expect(MetadataValue.number(3, text: "3").matches("3"))
        #expect(!MetadataValue.number(3, text: "3").matches("3.0"))
        #expect(try metadata("v: 2.50")["v"]?.matches("2.50") == true)
        #expect(MetadataValue.bool(true).matches("true"))
        #expect(!MetadataValue.bool(true).matches("True"))
        #expect(try metadata("t: True")["t"]?.matches("true") == true)
        #expect(MetadataValue.list([.string("a"), .number(2, text: "2")]).matches("2"))
        #expect(!MetadataValue.list([.string("a")]).matches("b"))
        #expect(!MetadataValue.null.matches("null"))
        #expect(!MetadataValue.null.matches(""))
        #expect(!MetadataValue.map(["a": .string("b")]).matches("b"))
    }

    @Test func jsonIsCompactSortedAndRoundTrips() throws {
        let values: [String: MetadataValue] = [
            "s": .string("q\"\\\n\u{01}é/"), "n": .number(2.5, text: "2.50"), "i": .number(3, text: "3"),
            "b": .bool(false), "z": .null, "l": .list([.string("a"), .list([])]),
            "m": .map(["y": .number(1, text: "1"), "x": .map([:])]),
        ]
        let json = FrontMatter.json(values)
        #expect(json == #"{"b":false,"i":3,"l":["a",[]],"m":{"x":{},"y":1},"n":2.50,"s":"q\"\\\n\u0001é/","z":null}"#)
        #expect(FrontMatter.parseJSON(json) == values)
        #expect(FrontMatter.json([:]) == "{}")
        let parsed = try metadata("title: Disk full\ntags: [disk, 3]\nowner:\n  team: sre\nd: |\n  x\n")
        #expect(FrontMatter.parseJSON(FrontMatter.json(parsed)) == parsed)
    }

    @Test func jsonWritesYAMLOnlyNumberSpellingsAsJSONNumbers() {
        let values: [String: MetadataValue] = [
            "hex": .number(31, text: "0x1F"), "plus": .number(1, text: "+1"), "big": .number(.infinity, text: "+1e400"),
        ]
        #expect(FrontMatter.json(values) == #"{"big":"+1e400","hex":31,"plus":1}"#)
    }

    @Test(arguments: ["", "[]", "null", "{", #"{"a":}"#, #"{"a":1} x"#, "{'a':1}", #"{"a":01}"#, "not json"])
    func parseJSONOfNonObjectIsEmpty(text: String) {
        #expect(FrontMatter.parseJSON(text).isEmpty)
    }

    @Test func parseJSONReadsEscapesAndNumbers() {
        #expect(FrontMatter.parseJSON(#" { "a" : [1, -2.5e3, true, null, "\u00e9\ud83d\ude00"] } "#) == [
            "a": .list([.number(1, text: "1"), .number(-2500, text: "-2.5e3"), .bool(true), .null, .string("é😀")]),
        ])
    }

    @Test func codableEncodesPlainJSON() throws {
        let values: [String: MetadataValue] = [
            "s": .string("x"), "n": .number(2.5), "i": .number(3), "b": .bool(true), "z": .null,
            "l": .list([.string("a")]), "m": .map(["k": .number(-1)]),
        ]
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(values)
        #expect(String(decoding: data, as: UTF8.self) == FrontMatter.json(values))
        #expect(try JSONDecoder().decode([String: MetadataValue].self, from: data) == values)
    }
}
