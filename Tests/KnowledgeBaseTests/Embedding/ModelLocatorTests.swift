import Foundation
import Testing
@testable import KnowledgeBase

struct ModelLocatorTests {
    @Test func theDirectoryComesFromTheFlagThenTheEnvironmentThenTheCache() {
        let environment = ["KB_MODEL_DIR": "/env/model", "HOME": "/home/ops", "XDG_CACHE_HOME": "/xdg"]
        #expect(ModelLocator.resolve(explicit: "/flag", environment: environment).directory.path == "/flag")
        #expect(ModelLocator.resolve(explicit: nil, environment: environment).directory.path == "/env/model")
        #expect(ModelLocator.resolve(explicit: nil, environment: ["XDG_CACHE_HOME": "/xdg", "HOME": "/home/ops"])
            .directory.path == "/xdg/kb/models/all-minilm-l6-v2")
        #expect(ModelLocator.resolve(explicit: nil, environment: ["HOME": "/home/ops", "KB_MODEL_DIR": ""])
            .directory.path == "/home/ops/.cache/kb/models/all-minilm-l6-v2")
    }

    @Test(arguments: [0, 3, 55, 56, 64, 1000, 3_000_000])
    func fileHashesEqualTheTextHash(length: Int) throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 8) }
        let url = directory.appendingPathComponent("blob")
        try Data(bytes).write(to: url)
        #expect(try FileSHA256.hex(of: url) == SHA256.hex(bytes))
    }

    @Test func theKnownDigestOfABC() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("abc")
        try Data("abc".utf8).write(to: url)
        #expect(try FileSHA256.hex(of: url) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test func aFileOfTheRightSizeButOtherContentIsCaughtByItsHash() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        // Same sizes as the pinned files, all zeros: the size check passes and the hash check must not.
        for file in ModelLocator.pinnedFiles where file.name != "model.safetensors" {
            try Data(count: file.bytes).write(to: directory.appendingPathComponent(file.name))
        }
        let model = directory.appendingPathComponent("model.safetensors")
        _ = FileManager.default.createFile(atPath: model.path, contents: nil)
        let handle = try FileHandle(forWritingTo: model)
        try handle.truncate(atOffset: UInt64(ModelLocator.pinnedFiles[0].bytes))
        try handle.close()
        let locator = ModelLocator(directory: directory)
        #expect(locator.looksComplete)
        #expect {
            try locator.verify()
        } throws: { error in
            "\(error)".contains("is not the pinned all-MiniLM-L6-v2 file: its sha256 is")
        }
    }
}
