import Foundation
import Testing

@Suite("strain binary: help, version, usage errors")
struct CLIBasicsTests {
    @Test func versionPrintsAndSucceeds() throws {
        let outcome = try StrainProcess.run(["--version"])
        #expect(outcome.status == 0)
        #expect(outcome.stdout.hasPrefix("strain "))
    }

    @Test func overviewListsEveryCommandAndExitCodes() throws {
        let outcome = try StrainProcess.run(["--help"])
        #expect(outcome.status == 0)
        for command in ["validate", "help"] {
            #expect(outcome.stdout.contains("  \(command) "))
        }
        for (code, meaning) in [(0, "success"), (1, "a threshold failed"), (2, "bad profile or usage"),
                                (3, "regression"), (4, "the run is invalid"), (5, "target or infrastructure unreachable"), (7, "diagnose --fail-on"), (130, "interrupted")] {
            #expect(outcome.stdout.contains("\(code) \(meaning)"))
        }
    }

    @Test func aClosedOutputPipeIsAWriteErrorNotADeathBySIGPIPE() throws {
        let process = Process()
        process.executableURL = StrainProcess.binary
        process.arguments = ["--help"]
        // Nobody will ever read: the reading end is gone before strain writes.
        let pipe = Pipe()
        try pipe.fileHandleForReading.close()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationReason == .exit, "killed by signal \(process.terminationStatus)")
        #expect(process.terminationStatus == 0)
    }

    @Test(arguments: ["validate", "help"])
    func helpCommandAndHelpFlagAgree(command: String) throws {
        let viaHelp = try StrainProcess.run(["help", command])
        let viaFlag = try StrainProcess.run([command, "--help"])
        #expect(viaHelp.status == 0 && viaFlag.status == 0)
        #expect(viaHelp.stdout == viaFlag.stdout)
        #expect(viaHelp.stdout.hasPrefix("usage: strain \(command)"))
    }

    @Test(arguments: [
        (["valdate", "x.json5"], "unknown command 'valdate'; did you mean 'validate'?"),
        (["rn", "x.json5"], "unknown command 'rn'; did you mean 'run'?"),
        (["zzz"], "unknown command 'zzz'; run 'strain --help' for the list"),
        (["run", "--jsno", "x.json5"], "unknown option --jsno; did you mean --json?"),
        (["validate"], "no profile given"),
        (["validate", "--quite", "profiles/http-quickstart.json5"], "unknown option --quite; did you mean --quiet?"),
        (["help", "nope"], "no command 'nope'"),
        // One of the two would be run silently.
        (["run", "--url", "http://127.0.0.1:1/", "--rate", "10/s", "--rate=1000/s"], "option --rate is given more than once; give it once"),
        (["report", "RUN", "--out", "a", "--out", "b"], "option --out is given more than once; give it once"),
        ([], "usage: strain <command>"),
    ])
    func usageMistakesExitTwoWithAMessage(arguments: [String], message: String) throws {
        let outcome = try StrainProcess.run(arguments)
        #expect(outcome.status == 2)
        #expect(outcome.stderr.contains(message), "stderr was: \(outcome.stderr)")
    }
}
