import Foundation
import StrainProfile
import Testing
@testable import StrainLoad

/// vegeta's targets format for `strain run --targets FILE|-`.
@Suite("targets files")
struct TargetsFileTests {
    @Test func targetsWithHeadersBodiesCommentsAndCRLF() throws {
        let text = """
        # two targets\r
        GET http://127.0.0.1:8080/items\r
        X-Account: 42\r
        Accept:application/json\r
        \r
        post https://[::1]:8443/items?x=1
        Content-Type: application/json
        @bodies/item.json
        PUT http://localhost/a
        """
        let targets = try TargetsFile.parse(text, name: "t.txt")
        #expect(targets.map(\.bodyOrigin) == [nil, "t.txt:8", nil])
        #expect(targets.map { var target = $0; target.bodyOrigin = nil; return target } == [
            AdHocTarget(method: "GET", url: "http://127.0.0.1:8080/items", headers: ["X-Account: 42", "Accept:application/json"], origin: "t.txt:2"),
            AdHocTarget(method: "POST", url: "https://[::1]:8443/items?x=1", headers: ["Content-Type: application/json"],
                        bodyFile: "bodies/item.json", origin: "t.txt:6"),
            AdHocTarget(method: "PUT", url: "http://localhost/a", origin: "t.txt:9"),
        ])
    }

    @Test(arguments: [
        ("X-A: 1\n", "t.txt:1: expected a target line \"METHOD URL\""),
        ("GET http://h/\n\nX-A: 1\n", "t.txt:3: expected a target line \"METHOD URL\""),
        ("GET http://h/\nnot a header\n", "t.txt:2: expected a header \"Name: value\", a body \"@FILE\""),
        ("GET http://h/\nX A: 1\n", "t.txt:2: \"X A\" is not a valid header name"),
        ("GET http://h/\nX-A: 1\rInjected: yes\n", "t.txt:2: control character U+000D"),
        ("GET http://h/\nX-A: \u{0}\n", "t.txt:2: control character U+0000"),
        ("G(T http://h/\n", "t.txt:1: \"G(T\" is not an HTTP method"),
        ("GET ftp://h/x\n", "t.txt:1: expected an absolute http:// or https:// URL, found \"ftp://h/x\""),
        ("GET http://h/ extra\n", "t.txt:1: expected \"METHOD URL\", found more after the URL"),
        ("GET http://h/\n@\n", "t.txt:2: expected a body file after @"),
        ("GET http://h/\n@a\n@b\n", "t.txt:3: this target already has a body file"),
        ("\n# nothing\n", "t.txt: no targets"),
    ])
    func mistakesNameTheLine(text: String, message: String) throws {
        let error = try #require(throws: AdHocError.self) { try TargetsFile.parse(text, name: "t.txt") }
        #expect(error.description.hasPrefix(message), "\(error.description)")
    }

    @Test func bodyFilesAreFoundNextToTheTargetsFile() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("strain-targets-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try Data("{}".utf8).write(to: folder.appendingPathComponent("body.json"))
        let file = folder.appendingPathComponent("targets.txt")
        try "POST http://127.0.0.1/a\n@body.json\n\nPOST http://127.0.0.1/b\n@missing.json\n".write(to: file, atomically: true, encoding: .utf8)
        let error = try #require(throws: AdHocError.self) { try TargetsFile.read(file.path, workingDirectory: URL(fileURLWithPath: "/")) }
        #expect(error.description.hasPrefix("\(file.path):5: body file not found: \(folder.path)/missing.json"), "\(error)")

        try "POST http://127.0.0.1/a\n@body.json\n".write(to: file, atomically: true, encoding: .utf8)
        let targets = try TargetsFile.read("targets.txt", workingDirectory: folder)
        #expect(targets.map(\.bodyFile) == [folder.appendingPathComponent("body.json").path])
    }

    /// A targets file is text from elsewhere: its bodies come from its folder or below, so that it cannot
    /// send the environment or a private key to its targets, by path or through a symbolic link.
    @Test(arguments: ["/proc/self/environ", "../outside.json", "link.json"])
    func bodyFilesOutsideTheTargetsFilesFolderAreRefused(body: String) throws {
        let parent = FileManager.default.temporaryDirectory.appendingPathComponent("strain-targets-\(UUID().uuidString)")
        let folder = parent.appendingPathComponent("targets")
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("sub"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: parent) }
        try Data("secret".utf8).write(to: parent.appendingPathComponent("outside.json"))
        try FileManager.default.createSymbolicLink(at: folder.appendingPathComponent("link.json"),
                                                   withDestinationURL: parent.appendingPathComponent("outside.json"))
        try Data("{}".utf8).write(to: folder.appendingPathComponent("sub/inside.json"))
        let file = folder.appendingPathComponent("targets.txt")
        try "POST http://127.0.0.1/a\n@\(body)\n".write(to: file, atomically: true, encoding: .utf8)
        let error = try #require(throws: AdHocError.self) { try TargetsFile.read(file.path, workingDirectory: URL(fileURLWithPath: "/")) }
        #expect(error.description == "\(file.path):2: a body file must be in the targets file's folder or below it (\(folder.path)), "
                + "found \"\(body)\"")
        try "POST http://127.0.0.1/a\n@sub/inside.json\n".write(to: file, atomically: true, encoding: .utf8)
        #expect(try TargetsFile.read(file.path, workingDirectory: URL(fileURLWithPath: "/")).map(\.bodyFile)
                == [folder.appendingPathComponent("sub/inside.json").path])
    }

    /// A targets file's text is sent as written, as vegeta sends it: `${…}` in it is no reference (it
    /// could read the environment); the command line's values keep theirs.
    @Test func aTargetsFileIsNotATemplate() throws {
        var load = AdHocLoad(targets: [AdHocTarget(url: "http://127.0.0.1:8080/${env.HOME}", headers: ["X-T: ${env.HOME} $${x}"], origin: "t:1")])
        load.headers = ["X-Seq: ${sequence()}"]
        let profile = try load.profile(baseDirectory: URL(fileURLWithPath: "/tmp"))
        guard case .http(let request) = profile.scenarios[0].steps[0].action else { Issue.record("expected HTTP"); return }
        #expect(request.url.literalText == "http://127.0.0.1:8080/${env.HOME}")
        #expect(request.headers.first { $0.name == "X-T" }?.value.literalText == "${env.HOME} $${x}")
        #expect(request.headers.first { $0.name == "X-Seq" }?.value.literalText == nil)
    }

    /// Several targets share the load evenly, each a scenario of its own; a targets file's mistakes
    /// found by the profile's validation still name its line.
    @Test func severalTargetsShareTheLoad() throws {
        var load = AdHocLoad(targets: [AdHocTarget(url: "http://127.0.0.1:8080/a"),
                                       AdHocTarget(method: "POST", url: "http://localhost:8080/b", headers: ["X-B: 2"], origin: "t:3")])
        load.headers = ["X-All: 1"]
        load.rate = "100/s"
        load.connections = 9
        let profile = try load.profile(baseDirectory: URL(fileURLWithPath: "/tmp"))
        #expect(profile.scenarios.map(\.name) == ["target 1", "target 2"])
        #expect(profile.target.allowedHosts == ["127.0.0.1", "localhost"])
        for scenario in profile.scenarios {
            guard case .open(let open) = scenario.load else { Issue.record("expected the open model"); continue }
            #expect(open.start == Rate(perSecond: 50))
            #expect(open.maxConnections == 5)
        }
        guard case .http(let request) = profile.scenarios[1].steps[0].action else { Issue.record("expected HTTP"); return }
        #expect(request.method == "POST")
        #expect(request.headers.map(\.name).sorted() == ["X-All", "X-B"])

        load.rate = nil
        load.connections = nil
        let closed = try load.profile(baseDirectory: URL(fileURLWithPath: "/tmp"))
        // Ten connections by default, five each.
        #expect(closed.scenarios.map { scenario in
            if case .closed(let load) = scenario.load { load.connections } else { 0 }
        } == [5, 5])

        load.targets[1].method = "G(T"
        let error = try #require(throws: AdHocError.self) { try load.profile(baseDirectory: URL(fileURLWithPath: "/tmp")) }
        #expect(error.description.hasPrefix("t:3: "), "\(error)")
    }
}
