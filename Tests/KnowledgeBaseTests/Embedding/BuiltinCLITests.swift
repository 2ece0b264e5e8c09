import Foundation
import Testing
@testable import KnowledgeBase

/// `kb` with the built-in embedder, end to end through the executable.
@Suite(.serialized)
struct BuiltinCLITests {
    let cli = CLITests()

    @Test func aMissingModelStopsIngestWithHowToFetchIt() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try writeFiles(["notes.md": "# Notes\n\nRestart the pod."], under: directory.appendingPathComponent("r"))
        let database = directory.appendingPathComponent("kb.sqlite")
        let missing = directory.appendingPathComponent("no-model").path
        let run = try cli.kb(["ingest", directory.appendingPathComponent("r").path, "--embedder", "builtin",
                              "--model-dir", missing], database: database)
        #expect(run.status != 0)
        #expect(run.stderr.contains("\(missing), but model.safetensors is not there"), "\(run.stderr)")
        #expect(run.stderr.contains("kb model fetch"))
        let status = try cli.kb(["model", "status"], database: database, environment: ["KB_MODEL_DIR": missing])
        #expect(status.status == 1 && status.stdout.contains("not usable"))
        // The default for a new knowledge base is the built-in embedder, so it fails the same way without a model.
        let byDefault = try cli.kb(["embed", "x"], database: database,
                                   environment: ["KB_EMBEDDER": "", "KB_MODEL_DIR": missing])
        #expect(byDefault.status != 0 && byDefault.stderr.contains("kb model fetch"))
    }

    @Test(.enabled(if: MiniLMFixtures.modelAvailable))
    func ingestAndQueryWithTheBuiltinModel() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let database = directory.appendingPathComponent("kb.sqlite")
        let platform = packageRoot.appendingPathComponent("Corpus/platform").path
        let environment = ["KB_MODEL_DIR": MiniLMFixtures.locator.directory.path]
        let ingest = try cli.kb(["ingest", platform, "--embedder", "builtin", "--threads", "2"], database: database,
                                environment: environment)
        #expect(ingest.status == 0, "\(ingest.stderr)")
        // No flag: the knowledge base's own embedder (builtin) is used, not KB_EMBEDDER.
        let query = try cli.kb(["query", "the server has no storage left and cannot write files", "--json", "-k", "1"],
                               database: database, environment: environment)
        #expect(query.status == 0, "\(query.stderr)")
        #expect(query.stdout.contains("\"path\" : \"disk-full.md\""), "\(query.stdout.prefix(400))")
        let stats = try cli.kb(["stats"], database: database)
        #expect(stats.stdout.contains("builtin embedder, model all-minilm-l6-v2, 384 dimensions"))
        let embed = try cli.kb(["embed", "why is the sky blue?", "--json"], database: database,
                               environment: environment)
        #expect(embed.stdout.contains("\"dim\" : 384"))
    }
}
