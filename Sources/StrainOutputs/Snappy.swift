/// Snappy's block format (https://github.com/google/snappy/blob/main/format_description.txt), the
/// compression Prometheus remote write requires, written as literals only.
///
/// A stream of literals is a valid Snappy block that every decoder reads; it does not shrink the
/// payload, but a write request is a few kilobytes a second on a connection Strain does not time,
/// so compression would buy nothing worth its code.
public enum Snappy {
    /// The longest literal written in one element; any length up to 2^32 is allowed, shorter ones
    /// keep each element's header small and decoders' copies bounded.
    static let maximumLiteral = 65_536

    /// `bytes` as one Snappy block: the uncompressed length as a varint, then literal elements.
    public static func encodeLiterals(_ bytes: [UInt8]) -> [UInt8] {
        var block: [UInt8] = []
        block.reserveCapacity(bytes.count + bytes.count / maximumLiteral * 3 + 8)
        Varint.append(UInt64(bytes.count), to: &block)
        var start = 0
        while start < bytes.count {
            let end = min(start + maximumLiteral, bytes.count)
            appendLiteralHeader(length: end - start, to: &block)
            block.append(contentsOf: bytes[start..<end])
            start = end
        }
        return block
    }

    /// A literal's tag byte (element type 00 in the low two bits): lengths up to 60 live in its upper
    /// six bits as length − 1; longer ones put 60 + (bytes needed − 1) there and follow it with
    /// length − 1 in 1…4 little-endian bytes.
    static func appendLiteralHeader(length: Int, to block: inout [UInt8]) {
        let stored = length - 1
        if stored < 60 {
            block.append(UInt8(stored) << 2)
            return
        }
        var lengthBytes: [UInt8] = []
        var rest = stored
        while rest > 0 {
            lengthBytes.append(UInt8(rest & 0xFF))
            rest >>= 8
        }
        block.append(UInt8(59 + lengthBytes.count) << 2)
        block.append(contentsOf: lengthBytes)
    }
}

/// Base-128 varints, little-endian groups of seven bits, high bit set on all but the last: how both
/// Snappy and protobuf write lengths and integers.
enum Varint {
    static func append(_ value: UInt64, to bytes: inout [UInt8]) {
        var rest = value
        while rest >= 0x80 {
            bytes.append(UInt8(rest & 0x7F) | 0x80)
            rest >>= 7
        }
        bytes.append(UInt8(rest))
    }
}
