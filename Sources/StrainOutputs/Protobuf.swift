/// The few protobuf encodings a remote-write request needs
/// (https://protobuf.dev/programming-guides/encoding/): each field is a key — field number << 3 |
/// wire type — then its value.
struct ProtobufWriter {
    private(set) var bytes: [UInt8] = []

    private enum WireType: UInt64 {
        case varint = 0
        case fixed64 = 1
        case lengthDelimited = 2
    }

    private mutating func key(_ field: UInt64, _ type: WireType) {
        Varint.append(field << 3 | type.rawValue, to: &bytes)
    }

    /// An int64 as a varint (negative numbers take ten bytes, as two's complement).
    mutating func int64(_ field: UInt64, _ value: Int64) {
        key(field, .varint)
        Varint.append(UInt64(bitPattern: value), to: &bytes)
    }

    /// A double as eight little-endian bytes of its IEEE 754 bits.
    mutating func double(_ field: UInt64, _ value: Double) {
        key(field, .fixed64)
        var bits = value.bitPattern
        for _ in 0..<8 {
            bytes.append(UInt8(bits & 0xFF))
            bits >>= 8
        }
    }

    mutating func string(_ field: UInt64, _ value: String) {
        lengthDelimited(field, Array(value.utf8))
    }

    /// An embedded message: its encoding, prefixed by its length.
    mutating func message(_ field: UInt64, _ build: (inout ProtobufWriter) -> Void) {
        var inner = ProtobufWriter()
        build(&inner)
        lengthDelimited(field, inner.bytes)
    }

    private mutating func lengthDelimited(_ field: UInt64, _ value: [UInt8]) {
        key(field, .lengthDelimited)
        Varint.append(UInt64(value.count), to: &bytes)
        bytes.append(contentsOf: value)
    }
}
