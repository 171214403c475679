import Testing
@testable import StrainOutputs

/// Byte vectors worked out by hand from Snappy's format description: the uncompressed length as a
/// varint, then literals whose tag byte holds (length − 1) << 2 up to 60 bytes, and above that
/// (59 + n) << 2 followed by length − 1 in n little-endian bytes.
struct SnappyTests {
    @Test(arguments: [
        (0, [0x00]),
        (3, [0x03, 0x08]),
        (60, [0x3C, 0xEC]),
        (61, [0x3D, 0xF0, 0x3C]),
        (256, [0x80, 0x02, 0xF0, 0xFF]),
        (300, [0xAC, 0x02, 0xF4, 0x2B, 0x01]),
        (65_536, [0x80, 0x80, 0x04, 0xF4, 0xFF, 0xFF]),
    ] as [(Int, [UInt8])])
    func oneLiteralBlock(length: Int, header: [UInt8]) {
        let input = (0..<length).map { UInt8(truncatingIfNeeded: $0 * 7) }
        #expect(Snappy.encodeLiterals(input) == header + input)
    }

    @Test func longInputIsSplitIntoLiteralsOf64KiB() {
        let input = (0..<65_537).map { UInt8(truncatingIfNeeded: $0) }
        let block = Snappy.encodeLiterals(input)
        // Length 65,537 = 0x10001: 0x81 0x80 0x04; a 65,536-byte literal; then a 1-byte literal (tag 0x00).
        #expect(Array(block[0..<6]) == [0x81, 0x80, 0x04, 0xF4, 0xFF, 0xFF])
        #expect(Array(block[6..<(6 + 65_536)]) == Array(input[0..<65_536]))
        #expect(Array(block[(6 + 65_536)...]) == [0x00, input[65_536]])
    }

    @Test(arguments: [1, 59, 60, 61, 255, 256, 257, 65_535, 65_536, 65_537, 300_000])
    func decodesBackToTheInput(length: Int) throws {
        // Varied bytes (Knuth's multiplicative hash of the position), the same on every run.
        let input = (0..<length).map { UInt8(truncatingIfNeeded: (UInt64($0) &* 2_654_435_761) >> 13) }
        #expect(try SnappyDecoder.decode(Snappy.encodeLiterals(input)) == input)
    }
}

/// A small, independent reader of Snappy blocks (literals and copies, as the format describes), so
/// the encoder is checked against the format rather than against itself.
enum SnappyDecoder {
    struct Malformed: Error {}

    static func decode(_ block: [UInt8]) throws -> [UInt8] {
        var position = 0
        func byte() throws -> UInt64 {
            guard position < block.count else { throw Malformed() }
            defer { position += 1 }
            return UInt64(block[position])
        }
        func littleEndian(_ count: Int) throws -> Int {
            var value = 0
            for shift in 0..<count { value |= Int(try byte()) << (8 * shift) }
            return value
        }
        var length: UInt64 = 0, shift: UInt64 = 0
        while true {
            let next = try byte()
            length |= (next & 0x7F) << shift
            shift += 7
            if next < 0x80 { break }
        }
        var output: [UInt8] = []
        while position < block.count {
            let tag = Int(try byte())
            switch tag & 3 {
            case 0:
                var literal = tag >> 2
                if literal >= 60 { literal = try littleEndian(literal - 59) }
                literal += 1
                guard position + literal <= block.count else { throw Malformed() }
                output += block[position..<(position + literal)]
                position += literal
            default:
                let (copyLength, offset): (Int, Int) = switch tag & 3 {
                case 1: (4 + (tag >> 2) & 7, (tag >> 5) << 8 | Int(try byte()))
                case 2: ((tag >> 2) + 1, try littleEndian(2))
                default: ((tag >> 2) + 1, try littleEndian(4))
                }
                guard offset > 0, offset <= output.count else { throw Malformed() }
                for _ in 0..<copyLength { output.append(output[output.count - offset]) }
            }
        }
        guard output.count == length else { throw Malformed() }
        return output
    }
}
