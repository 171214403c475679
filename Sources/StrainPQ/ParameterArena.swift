/// Where a connection lays out a statement's parameters as libpq's array of C strings (NULL for
/// nil), reused from statement to statement: sending one costs no allocation and none of the setup
/// of temporary buffers, which a load engine would pay per request. Owned by one connection, so
/// by one thread; what `load` returns is valid until its next call.
final class ParameterArena {
    private var bytes: UnsafeMutablePointer<CChar>
    private var byteCapacity = 256
    private var values: UnsafeMutablePointer<UnsafePointer<CChar>?>
    private var valueCapacity = 16

    init() {
        bytes = .allocate(capacity: byteCapacity)
        values = .allocate(capacity: valueCapacity)
    }

    deinit {
        bytes.deallocate()
        values.deallocate()
    }

    /// `parameters` as C strings, each ended by a NUL byte. Throws when one holds a NUL byte itself,
    /// which PostgreSQL text values cannot hold.
    func load(_ parameters: [String?]) throws(PostgresError) -> UnsafePointer<UnsafePointer<CChar>?> {
        var byteCount = 0
        for parameter in parameters {
            if let parameter { byteCount += parameter.utf8.count + 1 }
        }
        reserve(bytes: byteCount, values: parameters.count)
        var offset = 0
        for index in parameters.indices {
            guard var parameter = parameters[index] else {
                values[index] = nil
                continue
            }
            let start = bytes + offset
            // withUTF8 lends a native string's own bytes: one copy, not one step per byte.
            let count = parameter.withUTF8 { utf8 -> Int? in
                guard !utf8.contains(0) else { return nil }
                if let source = utf8.baseAddress {
                    UnsafeMutableRawPointer(start).copyMemory(from: source, byteCount: utf8.count)
                }
                return utf8.count
            }
            guard let count else {
                throw PostgresError(message: "parameter $\(index + 1) contains a NUL byte, which PostgreSQL text values cannot hold")
            }
            start[count] = 0
            values[index] = UnsafePointer(start)
            offset += count + 1
        }
        return UnsafePointer(values)
    }

    private func reserve(bytes needed: Int, values neededValues: Int) {
        if needed > byteCapacity {
            byteCapacity = max(needed, byteCapacity * 2)
            bytes.deallocate()
            bytes = .allocate(capacity: byteCapacity)
        }
        if neededValues > valueCapacity {
            valueCapacity = max(neededValues, valueCapacity * 2)
            values.deallocate()
            values = .allocate(capacity: valueCapacity)
        }
    }
}

@available(*, unavailable, message: "a ParameterArena belongs to the connection (and thread) that uses it")
extension ParameterArena: Sendable {}
