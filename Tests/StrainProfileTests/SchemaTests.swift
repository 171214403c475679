import Foundation
import Testing
@testable import StrainProfile

/// `profiles/strain.schema.json` is written by hand for editors; these tests keep it in step with the
/// keys and names the decoder accepts.
struct SchemaTests {
    static let schemaURL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("profiles/strain.schema.json")

    /// Every object of the profile whose keys are fixed.
    static let objectTypes: [any ProfileObject.Type] = [
        Profile.self, Target.self, TLSOptions.self, Defaults.self, Feeder.self, Load.self, Stage.self,
        Scenario.self, PostgresOptions.self, Step.self, Extraction.self, Check.self, Threshold.self,
        DiagnoseOptions.self,
    ]

    static func definitions() throws -> [String: [String: Any]] {
        let schema = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: schemaURL)) as? [String: Any])
        #expect(schema["$schema"] as? String == "https://json-schema.org/draft/2020-12/schema")
        return try #require(schema["$defs"] as? [String: [String: Any]])
    }

    static func properties(of definition: [String: Any]?) -> [String: [String: Any]]? {
        definition?["properties"] as? [String: [String: Any]]
    }

    @Test(arguments: objectTypes.map { ($0.schemaName, $0.knownKeys) })
    func knownKeysMatchTheSchema(schemaName: String, knownKeys: [String]) throws {
        let definition = try Self.definitions()[schemaName]
        let properties = try #require(Self.properties(of: definition), "no $defs.\(schemaName) with properties")
        #expect(Set(properties.keys) == Set(knownKeys))
        #expect(definition?["additionalProperties"] as? Bool == false)
    }

    @Test func everyObjectDefinitionBelongsToAType() throws {
        let objectDefinitions = try Self.definitions().filter { Self.properties(of: $0.value) != nil }.map(\.key)
        #expect(Set(objectDefinitions) == Set(Self.objectTypes.map { $0.schemaName }))
    }

    @Test func everyReferenceResolves() throws {
        let definitions = try Self.definitions()
        let text = try String(contentsOf: Self.schemaURL, encoding: .utf8)
        let references = text.components(separatedBy: "\"#/$defs/").dropFirst().map { $0.prefix { $0 != "\"" } }
        #expect(!references.isEmpty)
        for reference in references {
            #expect(definitions[String(reference)] != nil, "unresolved $ref #/$defs/\(reference)")
        }
    }

    @Test(arguments: [
        ("target", "http", HTTPVersion.allCases.map(\.rawValue)),
        ("feeder", "mode", FeederMode.allCases.map(\.rawValue)),
        ("load", "model", LoadModel.allCases.map(\.rawValue)),
        ("load", "arrival", Arrival.allCases.map(\.rawValue)),
        ("postgres", "protocol", QueryProtocol.allCases.map(\.rawValue)),
    ])
    func enumerationsMatchTheSchema(definition: String, property: String, values: [String]) throws {
        let schemaValues = try Self.properties(of: Self.definitions()[definition])?[property]?["enum"] as? [String]
        #expect(schemaValues == values)
    }

    @Test func thresholdKeyPatternNamesEveryMetric() throws {
        let profile = try Self.properties(of: Self.definitions()["profile"])
        let pattern = try #require((profile?["thresholds"]?["propertyNames"] as? [String: Any])?["pattern"] as? String)
        #expect(pattern == "^(.+\\.)?(\(Metric.allCases.map(\.rawValue).joined(separator: "|")))$")
    }
}
