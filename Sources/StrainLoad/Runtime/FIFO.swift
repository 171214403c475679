/// A first-in, first-out queue over an array: amortised O(1), storage reused as it drains.
/// The schedulers' backlogs and the PostgreSQL engine's queues share it.
struct FIFO<Element> {
    private var storage: [Element] = []
    private var head = 0

    var isEmpty: Bool { head == storage.count }
    var count: Int { storage.count - head }
    var first: Element? { isEmpty ? nil : storage[head] }

    mutating func append(_ element: Element) {
        storage.append(element)
    }

    mutating func popFirst() -> Element? {
        guard !isEmpty else { return nil }
        defer { removeFirst() }
        return storage[head]
    }

    /// Drops the first element, only when not empty. Unlike `popFirst`, it copies nothing out: read
    /// what is needed of a large element in place (`peekFirst`), then drop it.
    mutating func removeFirst() {
        head += 1
        // Reclaim the consumed front once it is most of the storage.
        if head == storage.count {
            storage.removeAll(keepingCapacity: true)
            head = 0
        } else if head >= 64, head * 2 >= storage.count {
            storage.removeFirst(head)
            head = 0
        }
    }

    /// Takes back the element appended last (it was not to be queued after all); only when not empty.
    mutating func removeLast() -> Element {
        defer { if head == storage.count { removeAll() } }
        return storage.removeLast()
    }

    /// Reads (part of) the first element in place, without copying the rest of it; nil when empty.
    func peekFirst<T>(_ read: (Element) -> T) -> T? {
        isEmpty ? nil : read(storage[head])
    }

    /// Changes the first element in place; only when not empty.
    mutating func updateFirst(_ update: (inout Element) -> Void) {
        update(&storage[head])
    }

    mutating func updateAll(_ update: (inout Element) -> Void) {
        for index in head..<storage.count { update(&storage[index]) }
    }

    mutating func removeAll() {
        storage.removeAll(keepingCapacity: true)
        head = 0
    }

    func map<T>(_ transform: (Element) -> T) -> [T] {
        storage[head...].map(transform)
    }
}

extension FIFO: Sendable where Element: Sendable {}
