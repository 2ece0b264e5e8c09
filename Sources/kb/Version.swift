import CBuildInfo

/// What `kb --version` prints: the release version and the git commit the binary was built from.
enum BuildInfo {
    /// The release version; Scripts/package names the Debian package after it.
    static let version = "0.3.0"

    /// The commit baked in at build time (KB_BUILD_COMMIT, set by Scripts/package), or "unknown".
    static var commit: String { String(cString: kb_build_commit()) }

    /// "kb 0.3.0 (abc1234)".
    static var versionLine: String { "kb \(version) (\(commit))" }
}
