// swift-tools-version:6.0
// Strain: load testing and performance diagnosis. No package dependencies by design:
// Foundation, Dispatch, Glibc, Synchronization, and libcurl / libpq as system libraries.
import PackageDescription

/// This folder, ending in "/": the release link reads scripts/strain.order from it.
let packageRoot = String(#filePath.dropLast("Package.swift".count))

// The load engines' hot path touches the state of worker-owned objects on every request; the runtime
// exclusivity check of each such access (a thread-local access set) cost more instructions per
// request than libpq itself. Debug builds, which the tests run, keep the check.
let hotPath: [SwiftSetting] = [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]

let package = Package(
    name: "Strain",
    products: [
        .executable(name: "strain", targets: ["strain"]),
    ],
    targets: [
        // C libraries. Their shim headers hold every piece of C interop (non-variadic wrappers).
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),

        // Owned C handles wrapped once, turning C failures into Swift errors.
        .target(name: "StrainCurl", dependencies: ["CCurl"]),
        .target(name: "StrainPQ", dependencies: ["CLibPQ"], swiftSettings: hotPath),

        // The data flow: profile → plan → load → run folder → diagnosis → report → gate.
        // The contract: the run folder's files and types (artifact, timeline, diagnosis, evidence),
        // their JSON, the metric catalogue. No C: every stage that only reads folders links nothing else.
        .target(name: "StrainContract", swiftSettings: hotPath),
        // StrainContract for its guarded file and JSON reading.
        .target(name: "StrainProfile", dependencies: ["StrainContract"]),
        // CLibPQ and CCurl directly for the engines' socket waits (ppoll, epoll shims).
        .target(name: "StrainLoad", dependencies: ["StrainProfile", "StrainContract", "StrainCurl", "StrainPQ", "CLibPQ", "CCurl"],
                swiftSettings: hotPath),
        .target(name: "StrainDiagnose", dependencies: ["StrainProfile", "StrainContract", "StrainCurl", "StrainPQ"]),
        .target(name: "StrainReport", dependencies: ["StrainProfile", "StrainContract"]),
        // Live destinations for a run's intervals (Prometheus remote write).
        .target(name: "StrainOutputs", dependencies: ["StrainContract", "StrainProfile", "StrainCurl"]),

        // The thin CLI on top. Released linked by lld with packed relative relocations (DT_RELR, glibc
        // 2.36+): a position-independent strain built with the Swift runtime linked in carries 1.8 MB of
        // relocations that the dynamic loader reads at every start, and gold cannot pack them; and with
        // the functions a run executes placed together (scripts/order-file writes the list), so the
        // pages of code a run keeps resident are mostly code it runs. scripts/bench-http measures both.
        .executableTarget(name: "strain", dependencies: [
            "StrainProfile", "StrainContract", "StrainLoad", "StrainDiagnose", "StrainReport", "StrainOutputs",
        ], linkerSettings: [
            .unsafeFlags(["-use-ld=lld", "-Xlinker", "-z", "-Xlinker", "pack-relative-relocs",
                          "-Xlinker", "--symbol-ordering-file=\(packageRoot)scripts/strain.order", "-Xlinker", "--no-warn-symbol-ordering"],
                         .when(configuration: .release)),
        ]),

        // A small, deliberately flawed HTTP service on PostgreSQL: the demo and the acceptance tests.
        .executableTarget(name: "demo-shop", dependencies: ["StrainPQ", "StrainCurl"]),

        // Measures the hot-path cost of the histogram (used by scripts/bench-histogram).
        .executableTarget(name: "strain-microbench", dependencies: ["StrainContract"]),

        // Finds the throwaway servers that scripts/test starts.
        .target(name: "StrainTestSupport"),

        .testTarget(name: "StrainContractTests", dependencies: ["StrainContract"]),
        .testTarget(name: "StrainProfileTests", dependencies: ["StrainProfile", "StrainContract"], exclude: ["Malformed"]),
        .testTarget(name: "StrainLoadTests", dependencies: ["StrainLoad", "StrainTestSupport"]),
        .testTarget(name: "StrainDiagnoseTests", dependencies: ["StrainDiagnose", "StrainTestSupport"]),
        // StrainCurl: the renderers are tested on real measurements of loopback requests.
        .testTarget(name: "StrainReportTests", dependencies: ["StrainReport", "StrainCurl", "StrainTestSupport"]),
        .testTarget(name: "StrainOutputsTests", dependencies: ["StrainOutputs", "StrainContract"]),
        .testTarget(name: "StrainCurlTests", dependencies: ["StrainCurl", "StrainTestSupport"]),
        .testTarget(name: "StrainPQTests", dependencies: ["StrainPQ", "StrainTestSupport"]),
        .testTarget(name: "StrainCLITests", dependencies: [
            "strain", "StrainContract", "StrainDiagnose", "StrainPQ", "StrainCurl", "StrainTestSupport",
        ], exclude: ["Hostile", "Import"]),
    ],
    swiftLanguageModes: [.v6]
)
