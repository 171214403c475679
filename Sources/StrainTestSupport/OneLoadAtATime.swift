import Testing

/// Suites and tests that drive load and assert on what the generator and the diagnoser measured
/// (a capacity knee, a fault's cost, a fix's speed-up, latency against rate, a run the self-check
/// must accept) take turns: two such loads at once on a small machine would each measure the
/// other. Everything else still runs beside them.
public struct OneLoadAtATime: SuiteTrait, TestTrait, TestScoping {
    public func provideScope(for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void) async throws {
        await LoadTurn.shared.take()
        do {
            try await function()
        } catch {
            await LoadTurn.shared.hand()
            throw error
        }
        await LoadTurn.shared.hand()
    }
}

extension Trait where Self == OneLoadAtATime {
    /// See `OneLoadAtATime`.
    public static var oneLoadAtATime: Self { Self() }
}

/// The turn the heavy suites take, first come first served.
private actor LoadTurn {
    static let shared = LoadTurn()
    private var taken = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    func take() async {
        guard taken else {
            taken = true
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    func hand() {
        if waiting.isEmpty {
            taken = false
        } else {
            waiting.removeFirst().resume()
        }
    }
}
