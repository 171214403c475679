import Foundation
import Testing
@testable import StrainProfile

struct URLTextTests {
    @Test(arguments: [
        ("http://alice:pw@127.0.0.1:8080/x", "http://alice:***@127.0.0.1:8080/x"),
        ("https://alice:p%40ss:w@host/?q=a@b", "https://alice:***@host/?q=a@b"),
        ("http://alice@host/", "http://alice@host/"),
        ("http://host/path?user=a:b@c", "http://host/path?user=a:b@c"),
        ("/relative", "/relative"),
    ])
    func passwordsInURLsAreRedacted(url: String, shown: String) {
        #expect(URLText.redacted(url) == shown)
    }

    @Test func theDefaultStepNameHidesThePassword() throws {
        let profile = try ProfileLoader.parse("""
        { name: "p", target: { allow: ["127.0.0.1"] },
          scenarios: [{ name: "s", load: { rate: "1/s", duration: "1s" }, steps: [{ url: "http://alice:s3cret@127.0.0.1:1/x" }] }] }
        """, path: "p.json5", baseDirectory: FileManager.default.temporaryDirectory)
        #expect(profile.scenarios[0].steps[0].name == "GET http://alice:***@127.0.0.1:1/x")
    }
}
