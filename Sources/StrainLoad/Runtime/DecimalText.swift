/// Decimal text of an integer for `${random(…)}` and `${sequence()}`: `String(Int)` goes through the
/// standard library's generic integer printing (about 270 instructions on a PostgreSQL lookup's
/// parameter, a twentieth of the worker's own work per lookup); the digits of a value of up to 15
/// characters are written straight into a small string instead, with no allocation.
enum DecimalText {
    /// The most characters a string holds without allocating on 64-bit platforms.
    private static let smallCapacity = 15

    static func of(_ value: Int) -> String {
        guard value.magnitude < 100_000_000_000_000 else { return String(value) } // 15 digits and more
        return String(unsafeUninitializedCapacity: smallCapacity) { buffer in
            var magnitude = value.magnitude
            var digits = 0
            repeat {
                digits += 1
                magnitude /= 10
            } while magnitude != 0
            let length = digits + (value < 0 ? 1 : 0)
            magnitude = value.magnitude
            for index in stride(from: length - 1, through: length - digits, by: -1) {
                buffer[index] = UInt8(truncatingIfNeeded: magnitude % 10) &+ UInt8(ascii: "0")
                magnitude /= 10
            }
            if value < 0 { buffer[0] = UInt8(ascii: "-") }
            return length
        }
    }
}
