import Testing
import StrainContract

struct TerminalTextTests {
    @Test(arguments: [
        ("plain text\nand a\ttab", false, "plain text\nand a\ttab"),
        ("\u{1B}]0;pwned\u{7}title", false, "\\u{1B}]0;pwned\\u{7}title"),
        ("a\rb\u{0}c\u{7F}d\u{9B}e", false, "a\\u{D}b\\u{0}c\\u{7F}d\\u{9B}e"),
        ("\u{1B}[1;31mred\u{1B}[0m", false, "\\u{1B}[1;31mred\\u{1B}[0m"),
        // Strain's own styles (its markers) become sequences when asked for, and go without.
        (TerminalText.Style.bad.marker + "red" + TerminalText.Style.reset.marker, true, "\u{1B}[1;31mred\u{1B}[0m"),
        (TerminalText.Style.bad.marker + "red" + TerminalText.Style.reset.marker, false, "red"),
        // A sequence in the text is never a style, not even one that looks like Strain's: a database name
        // could turn the rest of a report red, or conceal it; nor is a marker without this process's nonce.
        ("\u{1B}[1;31mred\u{1B}[0m", true, "\\u{1B}[1;31mred\\u{1B}[0m"),
        ("\u{1B}[2Jgone\u{1B}[5A", true, "\\u{1B}[2Jgone\\u{1B}[5A"),
        ("\u{1B}[8mhidden\u{1B}[30;40mblack", true, "\\u{1B}[8mhidden\\u{1B}[30;40mblack"),
        ("\u{FFFF}0:1;31\u{FFFF}red", true, "\u{FFFF}0:1;31\u{FFFF}red"),
        // A right-to-left override would show `amount) ; DROP TABLE bidi; --` in another order than it runs.
        ("amount\u{202E}) ; DROP\u{2066}x\u{2069}", false, "amount\\u{202E}) ; DROP\\u{2066}x\\u{2069}"),
        // Direction marks of right-to-left text stay.
        ("\u{5E9}\u{200F}", false, "\u{5E9}\u{200F}"),
    ])
    func controlCharactersAreShownEscaped(text: String, keepingStyles: Bool, visible: String) {
        #expect(TerminalText.visible(text, keepingStyles: keepingStyles) == visible)
    }
}
