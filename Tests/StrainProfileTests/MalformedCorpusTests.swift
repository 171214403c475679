import Foundation
import Testing
@testable import StrainProfile

/// Each file in `Malformed/` is a broken profile whose first line says what the error must contain:
/// `// expect: <substring of ProfileError.description>`. The end-to-end tests run `strain validate` over
/// the same files.
struct MalformedCorpusTests {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Malformed")

    static let files: [String] = (try? FileManager.default.contentsOfDirectory(atPath: directory.path))?
        .filter { $0.hasSuffix(".json5") }.sorted() ?? []

    @Test func corpusCoversAtLeastTwentyFiveMistakes() {
        #expect(Self.files.count >= 25)
    }

    @Test(arguments: files)
    func reportsTheExpectedError(_ file: String) throws {
        let path = Self.directory.appendingPathComponent(file).path
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let firstLine = try #require(text.split(separator: "\n", maxSplits: 1).first)
        let prefix = "// expect: "
        try #require(firstLine.hasPrefix(prefix), "the first line must be \(prefix)<part of the error>")
        let expected = String(firstLine.dropFirst(prefix.count))

        let error = try #require(throws: ProfileError.self) { try ProfileLoader.load(path: path) }
        #expect(error.description.contains(expected), "got: \(error.description)")
        #expect(error.file == path)
    }
}
