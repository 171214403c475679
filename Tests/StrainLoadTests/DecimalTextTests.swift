import Testing
@testable import StrainLoad

@Suite("decimal text of integers")
struct DecimalTextTests {
    @Test(arguments: [0, 7, -7, 10, -10, 999_999, 1_000_000, -1_000_000, 99_999_999_999_999, -99_999_999_999_999,
                      100_000_000_000_000, 123_456_789_012_345_678, Int.max, Int.min])
    func itMatchesTheStandardLibrarysText(value: Int) {
        #expect(DecimalText.of(value) == String(value))
    }
}
