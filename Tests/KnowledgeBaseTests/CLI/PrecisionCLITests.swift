import Foundation
import Testing

/// `--precision` / `KB_PRECISION` reach the commands that load the index, and `kb stats` reports them.
struct PrecisionCLITests {
    let cli = CLITests()

    @Test func fp16FromTheFlagOrTheEnvironmentFindsWhatFP32Finds() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let database = directory.appendingPathComponent("kb.sqlite")
        let ingest = try cli.kb(["ingest", packageRoot.appendingPathComponent("Corpus").path], database: database)
        #expect(ingest.status == 0, "\(ingest.stderr)")

        let question = "no space left on device, the disk is full"
        func paths(_ run: CLITests.Run) throws -> [String] {
            #expect(run.status == 0, "\(run.stderr)")
            let results = try #require(try cli.json(run.stdout)["results"] as? [[String: Any]])
            return results.compactMap { $0["path"] as? String }
        }
        let exact = try paths(try cli.kb(["query", question, "--json", "-k", "3", "--mode", "vector"], database: database))
        let flag = try cli.kb(["query", question, "--json", "-k", "3", "--mode", "vector", "--precision", "fp16",
                               "--log-level", "info"], database: database)
        #expect(try paths(flag) == exact)
        #expect(flag.stderr.contains("index.precision=fp16"))
        let environment = try cli.kb(["query", question, "--json", "-k", "3", "--mode", "vector", "--log-level", "info"],
                                     database: database, environment: ["KB_PRECISION": "fp16"])
        #expect(try paths(environment) == exact)
        #expect(environment.stderr.contains("index.precision=fp16"))

        let stats = try cli.json(try cli.kb(["stats", "--json"], database: database,
                                            environment: ["KB_PRECISION": "fp16"]).stdout)
        let vectors = try #require(stats["vectors"] as? Int)
        let dimension = try #require((stats["fingerprint"] as? [String: Any])?["dimension"] as? Int)
        #expect(stats["indexPrecision"] as? String == "fp16")
        #expect(stats["indexBytes"] as? Int == vectors * dimension * 2)
        let human = try cli.kb(["stats", "--precision", "fp32"], database: database)
        #expect(human.stdout.contains("index in memory: fp32"))

        let bad = try cli.kb(["stats"], database: database, environment: ["KB_PRECISION": "fp8"])
        #expect(bad.status != 0 && bad.stderr.contains("KB_PRECISION"))
        #expect(try cli.kb(["stats", "--precision", "fp8"], database: database).status != 0)
    }
}
