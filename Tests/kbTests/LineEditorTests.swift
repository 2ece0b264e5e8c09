import Testing
@testable import kb

/// Key handling of `kb chat`'s line editor: bytes in, line, cursor and outcomes out.
struct LineEditorTests {
    static let left = "\u{1B}[D", right = "\u{1B}[C", up = "\u{1B}[A", down = "\u{1B}[B"
    static let home = "\u{1B}[H", end = "\u{1B}[F"

    func feed(_ editor: inout LineEditor, _ keys: String) -> [LineEditor.Outcome] {
        editor.feed(Array(keys.utf8))
    }

    @Test func typingAndEnterSubmitTheLine() {
        var editor = LineEditor()
        #expect(feed(&editor, "disk full") == [])
        #expect(editor.text == "disk full" && editor.cursor == 9)
        #expect(feed(&editor, "\r") == [.submitted("disk full")])
        #expect(editor.text.isEmpty && editor.cursor == 0)
        // A pasted CRLF ends one line, not two; a lone LF ends one too.
        #expect(feed(&editor, "a\r\nb\n") == [.submitted("a"), .submitted("b")])
    }

    @Test func arrowsHomeAndEndMoveTheCursorAndTextGoesInThere() {
        var editor = LineEditor()
        _ = feed(&editor, "ac" + Self.left + "b")
        #expect(editor.text == "abc" && editor.cursor == 2)
        _ = feed(&editor, Self.home + ">" + Self.end + "!")
        #expect(editor.text == ">abc!")
        _ = feed(&editor, "\u{01}[\u{05}]")  // Ctrl-A, Ctrl-E
        #expect(editor.text == "[>abc!]")
        _ = feed(&editor, "\u{1B}OH" + Self.right + Self.right + "_" + "\u{1B}[4~" + ".")  // SS3 Home, vt End
        #expect(editor.text == "[>_abc!].")
        // Moving past either end stays at the end.
        _ = feed(&editor, String(repeating: Self.left, count: 20))
        #expect(editor.cursor == 0)
        _ = feed(&editor, String(repeating: Self.right, count: 20))
        #expect(editor.cursor == editor.line.count)
    }

    @Test func backspaceDeleteAndTheKillKeys() {
        var editor = LineEditor()
        _ = feed(&editor, "restart nginx now\u{7F}\u{7F}\u{7F}")
        #expect(editor.text == "restart nginx ")
        _ = feed(&editor, "\u{17}")  // Ctrl-W: the word before the cursor (and the blank after it)
        #expect(editor.text == "restart ")
        _ = feed(&editor, "the pod" + Self.home + "\u{1B}[3~")  // Delete at the start
        #expect(editor.text == "estart the pod" && editor.cursor == 0)
        _ = feed(&editor, Self.right + Self.right + "\u{15}")  // Ctrl-U: from the start to the cursor
        #expect(editor.text == "tart the pod" && editor.cursor == 0)
        _ = feed(&editor, Self.right + "\u{0B}")  // Ctrl-K: from the cursor to the end
        #expect(editor.text == "t")
        _ = feed(&editor, "\u{08}\u{7F}\u{7F}")  // Backspace at the start does nothing
        #expect(editor.text.isEmpty && editor.cursor == 0)
    }

    @Test func wordMotion() {
        var editor = LineEditor()
        _ = feed(&editor, "one two three" + "\u{1B}[1;5D")
        #expect(editor.cursor == 8)
        _ = feed(&editor, "\u{1B}b")  // Alt-B
        #expect(editor.cursor == 4)
        _ = feed(&editor, "\u{1B}[1;5C")
        #expect(editor.cursor == 7)
    }

    @Test func upAndDownWalkTheSessionHistoryAndKeepTheDraft() {
        var editor = LineEditor()
        _ = feed(&editor, "first\rsecond\rsecond\r\r")
        #expect(editor.history == ["first", "second"])  // no empty line, no repeat
        _ = feed(&editor, "dra" + Self.up)
        #expect(editor.text == "second" && editor.cursor == 6)
        _ = feed(&editor, Self.up + Self.up + Self.up)
        #expect(editor.text == "first")
        _ = feed(&editor, Self.down)
        #expect(editor.text == "second")
        _ = feed(&editor, Self.down)
        #expect(editor.text == "dra")
        _ = feed(&editor, Self.down)
        #expect(editor.text == "dra")
        // An old line is edited and submitted as a new one; the history entry itself stays.
        #expect(feed(&editor, Self.up + Self.up + " again\r") == [.submitted("first again")])
        #expect(editor.history == ["first", "second", "first again"])
    }

    @Test func ctrlCClearsALineAndInterruptsAnEmptyOne() {
        var editor = LineEditor()
        #expect(feed(&editor, "half typed\u{03}") == [.cleared])
        #expect(editor.text.isEmpty)
        #expect(feed(&editor, "\u{03}") == [.interrupted])
    }

    @Test func ctrlDEndsInputOnlyOnAnEmptyLine() {
        var editor = LineEditor()
        _ = feed(&editor, "ab" + Self.home)
        #expect(feed(&editor, "\u{04}") == [])
        #expect(editor.text == "b")
        // Backspace at the start does nothing; Ctrl-D deletes the "b", then ends input on the empty line.
        #expect(feed(&editor, "\u{7F}\u{04}\u{04}") == [.endOfInput])
        var empty = LineEditor()
        #expect(feed(&empty, "\u{04}") == [.endOfInput])
    }

    @Test func utf8IsInsertedWholeAndUnknownSequencesAreIgnored() {
        var editor = LineEditor()
        _ = feed(&editor, "größe ✓ 🚒")
        #expect(editor.text == "größe ✓ 🚒" && editor.cursor == 9)
        _ = feed(&editor, Self.left + "\u{7F}")
        #expect(editor.text == "größe ✓🚒")
        _ = feed(&editor, "\u{1B}[15~\u{1B}[200~x\u{1B}[201~")  // F5, bracketed-paste markers: no text from them
        #expect(editor.text == "größe ✓x🚒")
        _ = editor.feed([0xC3, 0x28])  // an invalid sequence drops the lead byte, keeps "("
        #expect(editor.text == "größe ✓x(🚒")
        _ = editor.feed([0x80, 0x07])  // a stray continuation byte and BEL
        #expect(editor.text == "größe ✓x(🚒")
    }

    @Test func renderingRedrawsTheLineAndPutsTheCursorBack() {
        var editor = LineEditor()
        _ = feed(&editor, "abc" + Self.left)
        #expect(editor.rendering(prompt: "> ", width: 80) == "\r> abc\u{1B}[K\r\u{1B}[4C")
        // A line longer than the terminal scrolls sideways so the cursor stays visible.
        var long = LineEditor()
        _ = feed(&long, String(repeating: "x", count: 30) + "END")
        let shown = long.rendering(prompt: "> ", width: 20)
        #expect(shown.hasPrefix("\r> ") && shown.contains("END\u{1B}[K"))
        #expect(shown == "\r> " + String(repeating: "x", count: 13) + "END\u{1B}[K\r\u{1B}[18C")
    }
}
