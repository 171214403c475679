import Testing
@testable import StrainLoad

@Suite("first-in, first-out queue")
struct FIFOTests {
    /// Appends and pops that wrap around the ring and make it grow while wrapped keep the order.
    @Test func theOrderSurvivesWrappingAndGrowing() {
        var queue = FIFO<Int>()
        var expected: [Int] = []
        var next = 0
        for round in 0..<50 {
            for _ in 0..<(round % 7 + 1) {
                queue.append(next)
                expected.append(next)
                next += 1
            }
            for _ in 0..<(round % 5) {
                #expect(queue.popFirst() == (expected.isEmpty ? nil : expected.removeFirst()))
            }
            #expect(queue.count == expected.count)
            #expect(queue.map { $0 } == expected)
            #expect(queue.first == expected.first)
        }
        while let value = queue.popFirst() { #expect(value == expected.removeFirst()) }
        #expect(expected.isEmpty && queue.isEmpty)
    }

    @Test func theLastCanBeTakenBackAndElementsChangedInPlace() {
        var queue = FIFO<String>()
        for value in ["a", "b", "c"] { queue.append(value) }
        #expect(queue.removeLast() == "c")
        queue.updateFirst { $0 += "1" }
        queue.updateAll { $0 += "!" }
        #expect(queue.map { $0 } == ["a1!", "b!"])
        #expect(queue.peekFirst(\.count) == 3)
        queue.removeAll()
        #expect(queue.isEmpty && queue.popFirst() == nil && queue.peekFirst(\.count) == nil)
        queue.append("d")
        #expect(queue.map { $0 } == ["d"])
    }
}
