import Foundation
import Testing

/// `strain k8s`: the manifests of a scaled-out run, checked offline (nothing here reaches a cluster).
@Suite("strain k8s")
struct K8sCommandTests {
    static let profile = StrainProcess.packageRoot.appendingPathComponent("profiles/http-quickstart.json5")

    /// The printed documents, each parsed as JSON (the YAML documents are written in JSON syntax).
    static func manifests(_ extra: [String] = []) throws -> (text: String, objects: [[String: Any]]) {
        let outcome = try StrainProcess.run(["k8s", profile.path, "--shards", "3", "--image", "registry.example/strain:1"] + extra)
        #expect(outcome.status == 0, "\(outcome.stderr)")
        let documents = outcome.stdout.components(separatedBy: "---\n").filter { !$0.isEmpty }
        let objects = try documents.map { try #require(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
        return (outcome.stdout, objects)
    }

    /// The fields the Indexed-Job contract rests on, and that every reference between objects resolves.
    @Test func theIndexedJobRunsEveryShardOnASharedVolumeAndTheMergeJobCombinesThem() throws {
        let objects = try Self.manifests(["--namespace", "load"]).objects
        #expect(objects.map { $0["kind"] as? String } == ["ConfigMap", "PersistentVolumeClaim", "Job", "Job"])
        #expect(objects.allSatisfy { ($0["metadata"] as? [String: Any])?["namespace"] as? String == "load" })
        func name(_ object: [String: Any]) -> String? { (object["metadata"] as? [String: Any])?["name"] as? String }
        let (configMap, claim, shards, merge) = (objects[0], objects[1], objects[2], objects[3])
        let text = try String(contentsOf: Self.profile, encoding: .utf8)
        #expect((configMap["data"] as? [String: String]) == ["http-quickstart.json5": text])

        let shardSpec = try #require(shards["spec"] as? [String: Any])
        #expect(shardSpec["completionMode"] as? String == "Indexed")
        #expect(shardSpec["completions"] as? Int == 3 && shardSpec["parallelism"] as? Int == 3)
        let shardPod = try #require((shardSpec["template"] as? [String: Any])?["spec"] as? [String: Any])
        let shardScript = try #require(((shardPod["containers"] as? [[String: Any]])?.first?["command"] as? [String])?.last)
        #expect(shardScript.contains("strain run '/profile/http-quickstart.json5' --shards 3 --out /results/shard-${JOB_COMPLETION_INDEX}"))
        let volumes = try #require(shardPod["volumes"] as? [[String: Any]])
        #expect((volumes[0]["persistentVolumeClaim"] as? [String: String])?["claimName"] == name(claim))
        #expect((volumes[1]["configMap"] as? [String: String])?["name"] == name(configMap))

        let mergePod = try #require(((merge["spec"] as? [String: Any])?["template"] as? [String: Any])?["spec"] as? [String: Any])
        let mergeScript = try #require(((mergePod["containers"] as? [[String: Any]])?.first?["command"] as? [String])?.last)
        #expect(mergeScript.contains("strain merge /results/shard-0 /results/shard-1 /results/shard-2 --out /results/merged"))
        #expect(((mergePod["volumes"] as? [[String: Any]])?.first?["persistentVolumeClaim"] as? [String: String])?["claimName"] == name(claim))
    }

    /// Installed by scripts/setup (which scripts/test runs) in a virtual environment under .build.
    static let validator = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent(".build/tools/venv/bin/kubernetes-validate").path

    /// Fails, never skips, without the validator: manifests nobody checked must not pass as checked.
    @Test func theManifestsValidateAgainstTheKubernetesSchema() throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.validator),
                     "kubernetes-validate is not installed at \(Self.validator): run scripts/setup")
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("strain-k8s-\(UUID().uuidString).yaml")
        defer { try? FileManager.default.removeItem(at: file) }
        try Self.manifests(["--start-at", Date().addingTimeInterval(600).formatted(.iso8601)]).text
            .write(to: file, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.validator)
        process.arguments = ["--strict", "--quiet", file.path]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(text)")
    }

    @Test func theShardCountAndImageAreRequired() throws {
        let outcome = try StrainProcess.run(["k8s", Self.profile.path, "--image", "x"])
        #expect(outcome.status == 2)
        #expect(outcome.stderr.contains("--shards N is required"))
    }

    /// A profile's file name is the user's text: it must not become shell syntax in the Job's
    /// command, nor a ConfigMap key Kubernetes refuses.
    @Test func aHostileFileNameIsNeitherShellNorAnInvalidKey() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("strain-k8s-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let hostile = folder.appendingPathComponent("my $(id) 'x.json5")
        try FileManager.default.copyItem(at: Self.profile, to: hostile)
        let startAt = Date().addingTimeInterval(600).formatted(.iso8601)
        let outcome = try StrainProcess.run(["k8s", hostile.path, "--shards", "2", "--image", "img:1", "--start-at", startAt])
        #expect(outcome.status == 0, "\(outcome.stderr)")
        let key = "my---id---x.json5"
        #expect(outcome.stdout.contains("\"\(key)\""))
        #expect(outcome.stdout.contains("strain run '/profile/\(key)' --shards 2"))
        #expect(outcome.stdout.contains("--start-at '\(startAt)'"))
        #expect(!outcome.stdout.contains("$(id)"))

        let namespace = try StrainProcess.run(["k8s", Self.profile.path, "--shards", "2", "--image", "img:1", "--namespace", "ns$(id)"])
        #expect(namespace.status == 2)
        #expect(namespace.stderr.contains("--namespace"))
    }

    /// Names and labels come from the profile's name, cut to fit: what is cut must still be a DNS
    /// label, which ends in a letter or a digit.
    @Test(arguments: ["abcdefghij-abcdefghij-abcdefghij-abcdef-x", "Über_Load.Test", "---"])
    func namesMadeFromAProfileNameAreDNSLabels(name: String) throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("strain-k8s-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let profile = folder.appendingPathComponent("p.json5")
        try String(contentsOf: Self.profile, encoding: .utf8).replacingOccurrences(of: #"name: "http-quickstart""#, with: #"name: "\#(name)""#)
            .write(to: profile, atomically: true, encoding: .utf8)
        let outcome = try StrainProcess.run(["k8s", profile.path, "--shards", "2", "--image", "img:1"])
        #expect(outcome.status == 0, "\(outcome.stderr)")
        let instances = outcome.stdout.matches(of: /"app.kubernetes.io\/instance" : "([^"]*)"/).map { String($0.1) }
        #expect(!instances.isEmpty)
        for instance in instances {
            #expect(instance.wholeMatch(of: /[a-z0-9]([-a-z0-9]*[a-z0-9])?/) != nil && instance.count <= 63, "\(instance)")
        }
    }

    /// What kubectl would refuse only when applying the manifests is refused here, naming the option.
    @Test(arguments: [
        (["--storage", "lots"], "--storage: expected a size like 1Gi"),
        (["--storage", "-1Gi"], "--storage: expected a size like 1Gi"),
        (["--storage", "0Gi"], "--storage: expected a size like 1Gi"),
        (["--image", "img:1 $(id)"], "--image: expected an image reference"),
    ])
    func badStorageOrImageExitsTwo(extra: [String], message: String) throws {
        var arguments = ["k8s", Self.profile.path, "--shards", "2"]
        if !extra.contains("--image") { arguments += ["--image", "img:1"] }
        let outcome = try StrainProcess.run(arguments + extra)
        #expect(outcome.status == 2)
        #expect(outcome.stderr.contains(message), "\(outcome.stderr)")
    }

    @Test(arguments: ["1Gi", "500Mi", "1.5Ti", "10G"])
    func storageSizesKubernetesTakes(size: String) throws {
        let outcome = try StrainProcess.run(["k8s", Self.profile.path, "--shards", "2", "--image", "registry.example/strain@sha256:ab12", "--storage", size])
        #expect(outcome.status == 0, "\(outcome.stderr)")
        #expect(outcome.stdout.contains("\"storage\" : \"\(size)\"") || outcome.stdout.contains("\"storage\": \"\(size)\""), "\(outcome.stdout.prefix(300))")
    }
}
