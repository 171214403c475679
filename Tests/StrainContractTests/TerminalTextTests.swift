import Testing
import StrainContract

struct TerminalTextTests {
    @Test(arguments: [
        ("plain text\nand a\ttab", false, "plain text\nand a\ttab"),
        ("\u{1B}]0;pwned\u{7}title", false, "\\u{1B}]0;pwned\\u{7}title"),
        ("a\rb\u{0}c\u{7F}d\u{9B}e", false, "a\\u{D}b\\u{0}c\\u{7F}d\\u{9B}e"),
        ("\u{1B}[1;31mred\u{1B}[0m", false, "\\u{1B}[1;31mred\\u{1B}[0m"),
        // Styles stay when asked for; a cursor move or an erase is not a style.
        ("\u{1B}[1;31mred\u{1B}[0m", true, "\u{1B}[1;31mred\u{1B}[0m"),
        ("\u{1B}[2Jgone\u{1B}[5A", true, "\\u{1B}[2Jgone\\u{1B}[5A"),
        ("\u{1B}[31", true, "\\u{1B}[31"),
        // Only Strain's own styles: a conceal or black on black from a database name would hide what follows.
        ("\u{1B}[8mhidden\u{1B}[30;40mblack\u{1B}[1mbold", true, "\\u{1B}[8mhidden\\u{1B}[30;40mblack\u{1B}[1mbold"),
        // A right-to-left override would show `amount) ; DROP TABLE bidi; --` in another order than it runs.
        ("amount\u{202E}) ; DROP\u{2066}x\u{2069}", false, "amount\\u{202E}) ; DROP\\u{2066}x\\u{2069}"),
        // Direction marks of right-to-left text stay.
        ("\u{5E9}\u{200F}", false, "\u{5E9}\u{200F}"),
    ])
    func controlCharactersAreShownEscaped(text: String, keepingStyles: Bool, visible: String) {
        #expect(TerminalText.visible(text, keepingStyles: keepingStyles) == visible)
    }
}
