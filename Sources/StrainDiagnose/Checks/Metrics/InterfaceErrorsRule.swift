import Foundation

/// Step 1, network: a network interface counted errors or dropped packets during the window.
enum InterfaceErrorsRule {
    static func findings(_ window: HostWindow, _ input: CheckInput) -> [Finding] {
        window.interfaceErrors.map { interface in
            Finding(
                step: .metrics, check: .interfaceErrors, title: "Network interface errors or drops",
                object: "interface \(interface.name)",
                evidence: ["\(Format.count(interface.errors)) errors and \(Format.count(interface.drops)) dropped packets during the window"],
                impact: input.impact(seconds: 0), severity: .warning,
                fix: "Check the link and driver (`ethtool -S \(interface.name)`), the ring buffers (`ethtool -g`) "
                    + "and whether the CPU handling receive interrupts is saturated.")
        }
    }
}
