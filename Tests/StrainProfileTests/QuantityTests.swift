import Testing
@testable import StrainProfile

struct QuantityTests {
    @Test(arguments: [
        ("250us", 0.000_25), ("250µs", 0.000_25), ("750ms", 0.75), ("30s", 30), ("2m", 120), ("1h", 3600),
        ("1m30s", 90), ("1.5s", 1.5), ("1h2m3s", 3723), ("0s", 0), (" 5s ", 5), ("1us", 0.000_001), ("1s500ms", 1.5),
    ])
    func parsesDurations(text: String, seconds: Double) throws {
        #expect(try TimeSpan(parsing: text).seconds == seconds)
    }

    @Test(arguments: [
        ("30", #"expected a duration like "30s", "750ms" or "1m30s", found "30" (the number needs a unit)"#),
        ("-5s", #"must not be negative; expected a duration like "30s", "750ms" or "1m30s", found "-5s""#),
        ("5d", #"unknown unit "d" in "5d"; use h, m, s, ms or us"#),
        ("", #"expected a duration like "30s", "750ms" or "1m30s", found """#),
        ("ms", #"expected a duration like "30s", "750ms" or "1m30s", found "ms""#),
        ("1.2.3s", #"expected a duration like "30s", "750ms" or "1m30s", found "1.2.3s""#),
        // Runs keep whole microseconds: this would become 0 and pass every "longer than 0s".
        ("0.0001us", #""0.0001us" is shorter than 1us, the finest time Strain keeps"#),
        ("fast", #"expected a duration like "30s", "750ms" or "1m30s", found "fast""#),
        // Go reads these as sums (2m, 1m30s); here they are slips, refused.
        ("1m1m", #""1m1m" repeats a unit or puts a smaller one before a larger; write each unit once, largest first, like "1h30m" or "1m30s""#),
        ("30s1m", #""30s1m" repeats a unit or puts a smaller one before a larger; write each unit once, largest first, like "1h30m" or "1m30s""#),
        ("5us5µs", #""5us5µs" repeats a unit or puts a smaller one before a larger; write each unit once, largest first, like "1h30m" or "1m30s""#),
    ])
    func rejectsMalformedDurations(text: String, message: String) {
        #expect(throws: ValueError(message)) { try TimeSpan(parsing: text) }
    }

    @Test func suggestsTheUnitWrittenInTheWrongCase() {
        #expect(throws: ValueError(#"unknown unit "MS" in "5MS"; use h, m, s, ms or us"#, suggestion: "ms")) {
            try TimeSpan(parsing: "5MS")
        }
    }

    @Test(arguments: [
        (0, "0s"), (0.000_25, "250µs"), (0.0015, "1.5ms"), (0.75, "750ms"), (1.5, "1.5s"), (30, "30s"),
        (90, "1m30s"), (120, "2m"), (3600, "1h"), (3723, "1h2m3s"), (90.5, "1m30.5s"),
    ])
    func writesDurationsTheWayProfilesDo(seconds: Double, text: String) throws {
        let span = TimeSpan(seconds: seconds)
        #expect(span.description == text)
        #expect(try TimeSpan(parsing: text) == span)
    }

    @Test(arguments: [("200/s", 200.0), ("12000/m", 200), ("3600/h", 1), ("0.5/s", 0.5), ("0/s", 0)])
    func parsesRates(text: String, perSecond: Double) throws {
        #expect(try Rate(parsing: text).perSecond == perSecond)
    }

    @Test(arguments: [
        ("200", #"expected a rate like "200/s", "12000/m" or "3600/h", found "200" (the number needs a unit like /s)"#, nil),
        ("fast", #"expected a rate like "200/s", "12000/m" or "3600/h", found "fast""#, nil),
        ("-5/s", #"must not be negative; expected a rate like "200/s", "12000/m" or "3600/h", found "-5/s""#, nil),
        ("5/d", #"unknown unit "/d" in "5/d"; use /s, /m or /h"#, nil),
        ("5/S", #"unknown unit "/S" in "5/S"; use /s, /m or /h"#, "/s"),
        ("/s", #"expected a rate like "200/s", "12000/m" or "3600/h", found "/s""#, nil),
    ] as [(String, String, String?)])
    func rejectsMalformedRates(text: String, message: String, suggestion: String?) {
        #expect(throws: ValueError(message, suggestion: suggestion)) { try Rate(parsing: text) }
    }

    @Test(arguments: [(200.0, "200/s"), (0.5, "30/m"), (1.0 / 3600, "1/h"), (0, "0/s"), (12.25, "12.25/s"),
                      (1e-7, "0.00036/h"), (1.0 / 3600 / 2500, "0.0004/h"), (1e-12, "0.0000000036/h")])
    func writesRatesInTheLargestWholeUnit(perSecond: Double, text: String) {
        #expect(Rate(perSecond: perSecond).description == text)
    }

    @Test(arguments: [(0, "0"), (999, "999"), (1000, "1,000"), (1_234_567, "1,234,567"), (-1000, "-1,000")])
    func groupsThousands(value: Int, text: String) {
        #expect(QuantityText.grouped(value) == text)
    }

    @Test(arguments: [
        ("maxConection", ["model", "maxConnections", "connections"], "maxConnections"),
        ("nmae", ["name", "description"], "name"),
        ("BaseUrl", ["baseURL", "allow"], "baseURL"),
        ("xyz", ["name", "description"], nil),
        ("rt", ["rate", "start"], nil),
    ] as [(String, [String], String?)])
    func suggestsCloseSpellings(word: String, candidates: [String], suggestion: String?) {
        #expect(Suggestion.closest(to: word, among: candidates) == suggestion)
    }
}
