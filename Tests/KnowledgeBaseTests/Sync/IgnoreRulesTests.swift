import Testing
@testable import KnowledgeBase

struct IgnoreRulesTests {
    /// The decision for `path` under the defaults plus one root `.kbignore` holding `text`.
    func decide(_ text: String, _ path: String, directory: Bool = false) -> (ignored: Bool, rule: String?) {
        IgnoreStack().appending(IgnoreRules(text: text, base: "")).decision(forRelativePath: path,
                                                                          isDirectory: directory)
    }

    func ignored(_ text: String, _ path: String, directory: Bool = false) -> Bool {
        decide(text, path, directory: directory).ignored
    }

    @Test func blankLinesAndCommentsHoldNoPatterns() {
        let rules = IgnoreRules(text: "\n# build.md\n   \n\r\n", base: "")
        #expect(rules.isEmpty)
        #expect(!ignored("# build.md", "build.md"))
        #expect(!ignored("# build.md", "# build.md"))
    }

    @Test func windowsLineEndingsSeparateLines() {
        #expect(ignored("a.md\r\nb.md\r\n", "a.md") && ignored("a.md\r\nb.md\r\n", "b.md"))
        #expect(decide("# c\r\nb.md\r\n", "b.md").rule == ".kbignore:2: b.md")
    }

    @Test func escapedHashAndBangAreLiteral() {
        #expect(ignored("\\#notes.md", "#notes.md"))
        #expect(ignored("\\!important.md", "!important.md"))
        #expect(!ignored("\\!important.md", "important.md"))
    }

    @Test func trailingSpacesAreTrimmedUnlessEscaped() {
        #expect(ignored("build.md   ", "build.md"))
        #expect(ignored("draft\\ ", "draft "))
        #expect(!ignored("draft\\ ", "draft"))
        #expect(decide("build.md   ", "build.md").rule == ".kbignore:1: build.md")
    }

    @Test func aLoneTrailingBackslashNeverMatches() {
        #expect(!ignored("notes\\", "notes\\"))
        #expect(!ignored("notes\\", "notes"))
    }

    @Test func theLastMatchingPatternWins() {
        #expect(!ignored("*.md\n!keep.md", "keep.md"))
        #expect(ignored("*.md\n!keep.md", "other.md"))
        #expect(ignored("!keep.md\n*.md", "keep.md"))
        let decision = decide("*.md\n!keep.md", "keep.md")
        #expect(decision.rule == ".kbignore:2: !keep.md", "a re-inclusion names the negation")
    }

    @Test func aTrailingSlashMatchesDirectoriesOnly() {
        #expect(ignored("build/", "build", directory: true))
        #expect(!ignored("build/", "build"))
        #expect(ignored("build/", "docs/build", directory: true))
        #expect(ignored("build/", "build/guide.md"), "everything inside an ignored directory is ignored")
    }

    @Test func aSlashAtTheStartOrMiddleAnchorsToTheBase() {
        #expect(ignored("/todo.md", "todo.md"))
        #expect(!ignored("/todo.md", "notes/todo.md"))
        #expect(ignored("doc/frotz", "doc/frotz", directory: true))
        #expect(!ignored("doc/frotz", "a/doc/frotz", directory: true))
        #expect(ignored("frotz", "frotz") && ignored("frotz", "a/b/frotz"))
        #expect(ignored("doc/frotz/", "doc/frotz", directory: true))
        #expect(!ignored("doc/frotz/", "a/doc/frotz", directory: true))
    }

    @Test func starAndQuestionMarkStayWithinAComponent() {
        #expect(ignored("doc/*.md", "doc/a.md"))
        #expect(!ignored("doc/*.md", "doc/sub/a.md"))
        #expect(ignored("*.md", "deep/down/a.md"))
        #expect(ignored("v?.txt", "v1.txt"))
        #expect(!ignored("v?.txt", "v10.txt"))
        #expect(ignored("a*b*c.md", "aXXbYYc.md") && !ignored("a*b*c.md", "aXXbYY.md"))
    }

    @Test func characterClasses() {
        #expect(ignored("[a-c].md", "b.md"))
        #expect(!ignored("[a-c].md", "d.md"))
        #expect(ignored("[!a-c].md", "d.md") && !ignored("[!a-c].md", "a.md"))
        #expect(ignored("[^abc].md", "z.md") && !ignored("[^abc].md", "c.md"))
        #expect(ignored("[[:digit:]]*.txt", "2024-notes.txt") && !ignored("[[:digit:]]*.txt", "notes.txt"))
        #expect(ignored("[]x].md", "].md"), "a leading ] is a member")
        #expect(ignored("a[.md", "a[.md"), "an unclosed [ stands for itself")
    }

    @Test func leadingDoubleStarMatchesAtAnyDepth() {
        #expect(ignored("**/logs", "logs", directory: true))
        #expect(ignored("**/logs", "a/b/logs", directory: true))
        #expect(ignored("**/logs/debug.md", "x/logs/debug.md"))
        #expect(ignored("**/logs/debug.md", "logs/debug.md"))
        #expect(!ignored("**/logs/debug.md", "logs/x/debug.md"))
    }

    @Test func trailingDoubleStarMatchesEverythingInside() {
        #expect(ignored("logs/**", "logs/a.md"))
        #expect(ignored("logs/**", "logs/a/b.md"))
        #expect(!ignored("logs/**", "logs", directory: true))
        #expect(!ignored("logs/**", "other/logs/a.md"))
    }

    @Test func middleDoubleStarMatchesZeroOrMoreDirectories() {
        #expect(ignored("a/**/b.md", "a/b.md"))
        #expect(ignored("a/**/b.md", "a/x/b.md"))
        #expect(ignored("a/**/b.md", "a/x/y/b.md"))
        #expect(!ignored("a/**/b.md", "z/a/x/b.md"))
        #expect(ignored("a**b.md", "aXb.md") && !ignored("a**b.md", "a/b.md"), "** inside a component is a *")
    }

    @Test func defaultsSkipGitNodeModulesAndHiddenEntries() {
        let stack = IgnoreStack()
        #expect(stack.decision(forRelativePath: ".git", isDirectory: true) == (true, "default: .git/"))
        #expect(stack.decision(forRelativePath: "web/node_modules", isDirectory: true)
            == (true, "default: node_modules/"))
        #expect(stack.decision(forRelativePath: "docs/.draft.md", isDirectory: false)
            == (true, "default: .* (hidden entries)"))
        #expect(stack.decision(forRelativePath: "docs/guide.md", isDirectory: false) == (false, nil))
    }

    @Test func aKbignoreCanReincludeDefaults() {
        #expect(!ignored("!.github/", ".github", directory: true))
        #expect(!ignored("!.github/", ".github/ci.md"))
        #expect(ignored("!.github/", ".github/.secret.md"), "hidden entries inside stay hidden")
        #expect(!ignored("!node_modules/", "node_modules", directory: true))
    }

    @Test func aFileInsideAnIgnoredDirectoryCannotBeReincluded() {
        let decision = decide("build/\n!build/keep.md", "build/keep.md")
        #expect(decision.ignored)
        #expect(decision.rule == ".kbignore:1: build/")
        #expect(!ignored("build/*\n!build/keep.md", "build/keep.md"), "excluding the contents instead works")
    }

    @Test func nestedFilesApplyBelowTheirDirectoryAndWinOverParents() {
        let stack = IgnoreStack()
            .appending(IgnoreRules(text: "*.log\n", base: ""))
            .appending(IgnoreRules(text: "!keep.log\n/local.md\n", base: "sub"))
        #expect(stack.decision(forRelativePath: "sub/keep.log", isDirectory: false)
            == (false, "sub/.kbignore:1: !keep.log"))
        #expect(stack.decision(forRelativePath: "sub/deep/keep.log", isDirectory: false).ignored == false)
        #expect(stack.decision(forRelativePath: "keep.log", isDirectory: false) == (true, ".kbignore:1: *.log"))
        #expect(stack.decision(forRelativePath: "sub/local.md", isDirectory: false)
            == (true, "sub/.kbignore:2: /local.md"))
        #expect(!stack.decision(forRelativePath: "local.md", isDirectory: false).ignored)
        #expect(!stack.decision(forRelativePath: "sub/deep/local.md", isDirectory: false).ignored)
        #expect(!stack.decision(forRelativePath: "subway/local.md", isDirectory: false).ignored)
    }
}
