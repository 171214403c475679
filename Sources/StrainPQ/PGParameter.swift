/// A statement parameter as Strain sends it, in text format: text, NULL, or an integer whose digits
/// the wire codec writes straight into the Bind message — the usual `${random(…)}` of a lookup then
/// makes no string (pgbench formats its into the message buffer too).
public enum PGParameter: Sendable, Equatable, ExpressibleByStringLiteral, ExpressibleByNilLiteral {
    case text(String)
    case integer(Int)
    case null

    public init(stringLiteral value: String) { self = .text(value) }

    public init(nilLiteral: ()) { self = .null }

    /// The text PostgreSQL receives; nil for NULL (for libpq, and for values inlined into SQL).
    public var text: String? {
        switch self {
        case .text(let text): text
        case .integer(let value): String(value)
        case .null: nil
        }
    }
}
