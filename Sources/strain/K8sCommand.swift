import Foundation
import StrainContract
import StrainProfile
import StrainReport

enum K8sCommand: Command {
    static let name = "k8s"
    static let summary = "print Kubernetes manifests that run a profile as N shards and merge them"
    static let usage = "usage: strain k8s PROFILE --shards N --image IMAGE [--namespace NS] [--start-at TIME] [--storage SIZE]"
    static let help = """
    \(usage)

    Prints, for 'kubectl apply -f -', the manifests of a scaled-out run (YAML documents written as
    JSON): a ConfigMap holding the profile; a PersistentVolumeClaim (ReadWriteMany, --storage, default
    1Gi) for the shards' folders; an Indexed Job of N pods, pod I running
    'strain run /profile/FILE --shards N --out /results/shard-I' (its shard from JOB_COMPLETION_INDEX);
    and a merge Job that waits for every shard, then runs 'strain merge' into /results/merged, its exit
    status the run's verdict. A shard's exit status is kept in /results/shard-I/exit-status; its pod
    always succeeds, so that one shard's failure does not stop the others (the merge judges them).

    The profile alone is shipped: a profile that reads feeder CSVs or body files needs them in the
    image. Give --start-at (RFC 3339) a little after the pods will be up, so that the shards start
    together; without it each shard starts as soon as its pod runs.

    exit status: 0 printed, 2 bad profile or usage.
    """

    static func run(_ words: [String], output: Output) -> ExitStatus {
        do {
            let arguments = try Arguments(words, options: ["--shards", "--image", "--namespace", "--start-at", "--storage"])
            guard arguments.positionals.count == 1 else { throw UsageError(description: "give one profile") }
            guard let shardsText = arguments.value("--shards"), let shards = Int(shardsText), (1...1_000).contains(shards) else {
                throw UsageError(description: "--shards N is required, N from 1 to 1000 (one pod each)")
            }
            guard let image = arguments.value("--image"), !image.isEmpty else { throw UsageError(description: "--image IMAGE is required") }
            guard KubernetesManifests.isImageReference(image) else {
                throw UsageError(description: "--image: expected an image reference like registry.example/strain:1.0 (letters, digits and ./:@_-), found \(image.debugDescription)")
            }
            if let storage = arguments.value("--storage"), !KubernetesManifests.isStorageQuantity(storage) {
                throw UsageError(description: "--storage: expected a size like 1Gi or 500Mi (a positive number, optionally with Ki, Mi, Gi, Ti, Pi, Ei, k, M, G, T, P or E), found \(storage.debugDescription)")
            }
            let path = arguments.positionals[0]
            let profile = try ProfileLoader.load(path: path)
            if let namespace = arguments.value("--namespace"), !KubernetesManifests.isDNSLabel(namespace) {
                throw UsageError(description: "--namespace: expected a Kubernetes namespace (lowercase letters, digits and \"-\", at most 63, starting and ending with a letter or digit), found \(namespace.debugDescription)")
            }
            if let startAt = arguments.value("--start-at") {
                _ = try Shard.startAt(startAt, now: Date())
            }
            if !profile.feeders.isEmpty {
                output.error("strain k8s: note: the profile's feeder files are not in the ConfigMap; put them in the image at the same paths")
            }
            let manifests = KubernetesManifests(
                profile: profile, fileName: KubernetesManifests.configMapKey(for: path), shards: shards, image: image,
                namespace: arguments.value("--namespace"), startAt: arguments.value("--start-at"),
                storage: arguments.value("--storage") ?? "1Gi")
            output.print(try manifests.render())
            return .ok
        } catch let error as ProfileError {
            output.error(error.description)
        } catch {
            output.error("strain k8s: \(error)\n\(usage)")
        }
        return .badInput
    }
}

/// The Kubernetes objects of a scaled-out run, as YAML documents in JSON syntax (YAML's own subset):
/// nothing to escape by hand, and any JSON parser can check them.
struct KubernetesManifests {
    let profile: Profile
    let fileName: String
    let shards: Int
    let image: String
    let namespace: String?
    let startAt: String?
    let storage: String

    /// "strain-" and the profile's folder name, lowercased to a DNS label (Job names become pod labels).
    var baseName: String {
        // A DNS label and a label value: ASCII letters and digits, dashes only inside (cut first,
        // then trimmed, so that the cut cannot leave a dash at the end).
        let label = profile.folderName.lowercased().unicodeScalars.map { ("a"..."z").contains($0) || ("0"..."9").contains($0) ? Character($0) : "-" }
        let trimmed = String(String(label).trimmingCharacters(in: CharacterSet(charactersIn: "-")).prefix(40))
            .trimmingCharacters(in: CharacterSet(charactersIn: "-"))
        return "strain-" + (trimmed.isEmpty ? "profile" : trimmed)
    }

    func render() throws -> String {
        try objects.map { object in
            let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
            return "---\n" + String(decoding: data, as: UTF8.self)
        }.joined(separator: "\n")
    }

    var objects: [[String: Any]] {
        [configMap, volumeClaim, shardJob, mergeJob]
    }

    private var shardFolder: String { "/results/shard-${JOB_COMPLETION_INDEX}" }
    private var labels: [String: Any] { ["app.kubernetes.io/name": "strain", "app.kubernetes.io/instance": baseName] }
    private var resultsVolume: Volume {
        Volume(name: "results", source: ["persistentVolumeClaim": ["claimName": baseName + "-results"]], mountPath: "/results")
    }

    private func metadata(_ name: String) -> [String: Any] {
        var fields: [String: Any] = ["name": name, "labels": labels]
        if let namespace { fields["namespace"] = namespace }
        return fields
    }

    private var configMap: [String: Any] {
        ["apiVersion": "v1", "kind": "ConfigMap", "metadata": metadata(baseName + "-profile"),
         "data": [fileName: profile.source.text]]
    }

    /// Pods on different nodes write to it: ReadWriteMany.
    private var volumeClaim: [String: Any] {
        ["apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": metadata(baseName + "-results"),
         "spec": ["accessModes": ["ReadWriteMany"], "resources": ["requests": ["storage": storage]]]]
    }

    /// Pod I runs shard I and records its exit status in its folder, for the merge to wait on.
    private var shardJob: [String: Any] {
        // Words from the command line are quoted: the shell expands nothing in them. The shard folder is ours.
        let run = ["strain", "run", Self.shellQuoted("/profile/\(fileName)"), "--shards", "\(shards)", "--out", shardFolder]
            + (startAt.map { ["--start-at", Self.shellQuoted($0)] } ?? [])
        let script = "mkdir -p \(shardFolder); \(run.joined(separator: " ")); echo $? > \(shardFolder)/exit-status"
        let profileVolume = Volume(name: "profile", source: ["configMap": ["name": baseName + "-profile"]], mountPath: "/profile")
        return job(name: baseName + "-shards", spec: ["completionMode": "Indexed", "completions": shards, "parallelism": shards],
                   script: script, volumes: [resultsVolume, profileVolume])
    }

    /// Waits until every shard has recorded its exit status, then merges; its exit status is the verdict.
    private var mergeJob: [String: Any] {
        let folders = (0..<shards).map { "/results/shard-\($0)" }.joined(separator: " ")
        let wait = "until [ $(ls /results/shard-*/exit-status 2>/dev/null | wc -l) -ge \(shards) ]; do sleep 5; done"
        return job(name: baseName + "-merge", spec: [:],
                   script: "\(wait); exec strain merge \(folders) --out /results/merged", volumes: [resultsVolume])
    }

    /// `word` single-quoted for /bin/sh, a quote in it closed, escaped and reopened.
    static func shellQuoted(_ word: String) -> String {
        "'" + word.replacingOccurrences(of: "'", with: #"'\''"#) + "'"
    }

    /// The profile's file name as a ConfigMap key, which Kubernetes limits to letters, digits, "-", "_" and
    /// "."; any other character becomes "-".
    static func configMapKey(for path: String) -> String {
        let name = URL(fileURLWithPath: path).lastPathComponent
        let key = String(name.unicodeScalars.map { scalar -> Character in
            scalar.isASCII && (CharacterSet.alphanumerics.contains(scalar) || "-_.".unicodeScalars.contains(scalar)) ? Character(scalar) : "-"
        })
        return key.allSatisfy({ $0 == "." }) ? "profile.json5" : key
    }

    /// A Kubernetes quantity a volume can request: a positive decimal number and an optional binary or
    /// decimal suffix (what `kubectl` would otherwise refuse only when the manifests are applied).
    static func isStorageQuantity(_ text: String) -> Bool {
        let suffixes = ["Ki", "Mi", "Gi", "Ti", "Pi", "Ei", "k", "M", "G", "T", "P", "E", ""]
        guard let suffix = suffixes.first(where: { text.hasSuffix($0) }) else { return false }
        let number = text.dropLast(suffix.count)
        let parts = number.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy { $0.isASCII && $0.isNumber } }) else { return false }
        return number.contains { $0 != "0" && $0 != "." }
    }

    /// What an image reference is made of (registry, path, tag, digest): nothing that could break out
    /// of the manifest's value or the shell line the Job runs.
    static func isImageReference(_ text: String) -> Bool {
        text.utf8.count <= 4_096 && text.unicodeScalars.allSatisfy { $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "./:@_-".unicodeScalars.contains($0)) }
    }

    /// A DNS-1123 label, as a namespace name must be.
    static func isDNSLabel(_ name: String) -> Bool {
        let allowed = name.utf8.allSatisfy { (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || $0 == UInt8(ascii: "-") }
        return (1...63).contains(name.utf8.count) && allowed && name.first != "-" && name.last != "-"
    }

    private struct Volume {
        let name: String
        let source: [String: Any]
        let mountPath: String
    }

    private func job(name: String, spec: [String: Any], script: String, volumes: [Volume]) -> [String: Any] {
        let container: [String: Any] = [
            "name": "strain", "image": image, "command": ["/bin/sh", "-c", script],
            "volumeMounts": volumes.map { ["name": $0.name, "mountPath": $0.mountPath] },
        ]
        // A retried shard would start late and run its share twice: never retry; the merge judges.
        let jobSpec = spec.merging([
            "backoffLimit": 0,
            "template": [
                "metadata": ["labels": labels],
                "spec": ["restartPolicy": "Never", "containers": [container],
                         "volumes": volumes.map { $0.source.merging(["name": $0.name]) { $1 } }],
            ] as [String: Any],
        ]) { $1 }
        return ["apiVersion": "batch/v1", "kind": "Job", "metadata": metadata(name), "spec": jobSpec]
    }
}
