import Foundation

/// Step 5: the profiler's hottest frames in the process, for the endpoints whose time is spent
/// computing in it (or, without a load, when steps 1–4 found nothing).
enum HotFramesRule {
    static func finding(_ profiler: ProfilerEvidence, endpoints: [String]?, seconds: Double, evidence: [String],
                        severity: Finding.Severity, _ input: CheckInput) -> Finding? {
        guard let top = profiler.frames.first else { return nil }
        let frames = ["\(Format.count(profiler.samples)) CPU samples of pid \(profiler.pid) (perf)"]
            + profiler.frames.prefix(ProfileCheck.framesShown).map { frame in
                "\(Format.percent(frame.share)) \(frame.symbol) [\(frame.module)]"
            }
        return Finding(step: .profile, check: .hotFrames,
                       title: "Hot code: \(top.symbol) in \(Format.percent(top.share)) of samples",
                       object: (endpoints.map { "\($0.joined(separator: ", ")) in " } ?? "") + "pid \(profiler.pid): \(top.symbol)",
                       evidence: evidence + frames,
                       impact: input.impact(seconds: seconds, endpoints: endpoints), severity: severity,
                       fix: "Start with the hottest frames: make them do less (algorithm, allocations, serialisation), cache "
                           + "what does not change, or call them less; `perf report -g` on a longer recording shows the call "
                           + "paths that lead to them.")
    }
}
