import Foundation
import Testing
@testable import KnowledgeBase

struct SafeTensorsTests {
    /// A safetensors file: the header as given, padded with spaces to a multiple of 8, then `data`.
    static func file(header: String, data: [UInt8]) -> Data {
        var json = Array(header.utf8)
        while json.count % 8 != 0 { json.append(0x20) }
        var bytes = (0..<8).map { UInt8(truncatingIfNeeded: UInt64(json.count) >> (8 * UInt64($0))) }
        bytes += json + data
        return Data(bytes)
    }

    static let floats: [Float] = [1, -2, 3.5, 0.25, 7, 8]
    static var floatBytes: [UInt8] { floats.withUnsafeBytes { Array($0) } }
    static let header = #"{"__metadata__":{"format":"pt"},"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},"#
        + #""b":{"dtype":"F32","shape":[2],"data_offsets":[16,24]}}"#

    /// The error's description, or nil when `body` does not throw a `MiniLMError`.
    static func failure(_ body: () throws -> Void) -> String? {
        do {
            try body()
            return nil
        } catch let error as MiniLMError {
            return error.description
        } catch {
            return "not a MiniLMError: \(error)"
        }
    }

    @Test func readsTensorsOfAValidFile() throws {
        let file = try SafeTensors(data: Self.file(header: Self.header, data: Self.floatBytes), source: "ok")
        var weight = [Float](repeating: 0, count: 4)
        var bias = [Float](repeating: 0, count: 2)
        try weight.withUnsafeMutableBufferPointer { try file.copyFloats("w", shape: [2, 2], into: $0.baseAddress!) }
        try bias.withUnsafeMutableBufferPointer { try file.copyFloats("b", shape: [2], into: $0.baseAddress!) }
        #expect(weight == Array(Self.floats[0..<4]))
        #expect(bias == Array(Self.floats[4..<6]))
    }

    @Test func truncatedDataIsRejectedWithTheSizes() {
        let message = Self.failure {
            _ = try SafeTensors(data: Self.file(header: Self.header, data: Array(Self.floatBytes.prefix(20))),
                                source: "t")
        }
        #expect(message?.contains("ends at byte 24") == true)
        #expect(message?.contains("truncated") == true)
        #expect(message?.contains("kb model fetch --force") == true)
    }

    @Test(arguments: [
        (Data([1, 2, 3]), "fewer than the 8-byte header length"),
        (Data([0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0] + Array("{}".utf8)), "header length field"),
        (Data([64, 0, 0, 0, 0, 0, 0, 0] + Array("{}".utf8)), "(truncated)"),
        (SafeTensorsTests.file(header: "[1, 2]", data: []), "not a JSON object"),
        (SafeTensorsTests.file(header: "not json at all", data: []), "not a JSON object"),
        (SafeTensorsTests.file(header: #"{"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,12]}}"#,
                               data: Array(repeating: 0, count: 16)),
         "needs 16 bytes"),
        (SafeTensorsTests.file(header: #"{"w":{"dtype":"Q4","shape":[1],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0]),
         "unknown dtype"),
        (SafeTensorsTests.file(header: #"{"w":{"dtype":"F32","shape":[1],"data_offsets":[8,4]}}"#,
                               data: Array(repeating: 0, count: 8)),
         "do not form a range"),
        (SafeTensorsTests.file(header: #"{"w":{"dtype":"F32","shape":[2]}}"#, data: Array(repeating: 0, count: 8)),
         "lacks a dtype, shape or pair of data_offsets"),
        (SafeTensorsTests.file(header: #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"#
                                   + #""b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#,
                               data: Array(repeating: 0, count: 12)), "overlap"),
        // Every dimension is below 2^31, but their product overflows 64 bits (this trapped before).
        (SafeTensorsTests.file(header: #"{"w":{"dtype":"F32","shape":[2147483647,2147483647,2147483647],"#
                                   + #""data_offsets":[0,4]}}"#, data: [0, 0, 0, 0]),
         "does not fit in 64 bits"),
    ])
    func corruptFilesAreRejectedWithAReason(bytes: Data, reason: String) {
        let message = Self.failure { _ = try SafeTensors(data: bytes, source: "/models/model.safetensors") }
        #expect(message?.contains(reason) == true, "\(message ?? "no error")")
        #expect(message?.contains("/models/model.safetensors is not a usable safetensors file") == true)
    }

    @Test func aTensorOfTheWrongShapeOrMissingIsNamed() throws {
        let file = try SafeTensors(data: Self.file(header: Self.header, data: Self.floatBytes), source: "ok")
        var buffer = [Float](repeating: 0, count: 8)
        let wrongShape = Self.failure {
            try buffer.withUnsafeMutableBufferPointer { try file.copyFloats("w", shape: [4], into: $0.baseAddress!) }
        }
        #expect(wrongShape?.contains("tensor w as F32 [2, 2], but all-MiniLM-L6-v2 needs F32 [4]") == true)
        let missing = Self.failure {
            try buffer.withUnsafeMutableBufferPointer { try file.copyFloats("q", shape: [2], into: $0.baseAddress!) }
        }
        #expect(missing?.contains("tensor q as missing") == true)
    }

    @Test func aTruncatedFileOnDiskIsRejected() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("model.safetensors")
        try Self.file(header: Self.header, data: Self.floatBytes).prefix(30).write(to: url)
        let message = Self.failure { _ = try SafeTensors(url: url) }
        #expect(message?.contains("truncated") == true, "\(message ?? "no error")")
        let missing = Self.failure { _ = try SafeTensors(url: directory.appendingPathComponent("absent.safetensors")) }
        #expect(missing?.contains("kb model fetch") == true)
    }

    @Test(.enabled(if: MiniLMFixtures.modelAvailable))
    func theRealModelCutShortIsRejected() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let handle = try FileHandle(forReadingFrom: MiniLMFixtures.locator.url("model.safetensors"))
        let prefix = try handle.read(upToCount: 5_000_000) ?? Data()
        try handle.close()
        for name in ["vocab.txt", "tokenizer.json", "config.json"] {
            try FileManager.default.copyItem(at: MiniLMFixtures.locator.url(name),
                                             to: directory.appendingPathComponent(name))
        }
        try prefix.write(to: directory.appendingPathComponent("model.safetensors"))
        // The header is intact, so the tensors that run past the end are what is reported.
        let structural = Self.failure {
            _ = try SafeTensors(url: directory.appendingPathComponent("model.safetensors"))
        }
        #expect(structural?.contains("(truncated)") == true, "\(structural ?? "no error")")
        // Loading the embedder stops earlier, at the size check, and says how to repair it.
        let loading = Self.failure {
            _ = try BuiltinEmbedder(locator: ModelLocator(directory: directory), logger: quietLogger)
        }
        #expect(loading?.contains("model.safetensors has 5000000 bytes, but the pinned all-MiniLM-L6-v2 file has "
            + "90868376") == true, "\(loading ?? "no error")")
        #expect(loading?.contains("kb model fetch --force") == true)
    }

    @Test func aMissingModelSaysHowToFetchIt() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let message = Self.failure {
            _ = try BuiltinEmbedder(locator: ModelLocator(directory: directory), logger: quietLogger)
        }
        #expect(message?.contains("model.safetensors is not there") == true)
        #expect(message?.contains("kb model fetch") == true)
        #expect(message?.contains("KB_MODEL_DIR") == true)
    }
}
