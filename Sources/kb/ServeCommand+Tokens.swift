import Foundation
import KnowledgeBase
import Logging

extension ServeCommand {
    /// The write token: --write-token-file, then KB_API_TOKEN, then KB_API_TOKEN_FILE; nil when none is given.
    func writeTokenGiven(_ environment: [String: String], logger: Logger) throws -> String? {
        if let writeTokenFile { return try tokenFile(writeTokenFile, option: "--write-token-file", logger: logger) }
        if let token = environment["KB_API_TOKEN"], !token.isEmpty { return token }
        if let file = environment["KB_API_TOKEN_FILE"], !file.isEmpty {
            return try tokenFile(file, option: "KB_API_TOKEN_FILE", logger: logger)
        }
        return nil
    }

    /// The read token: --read-token or --read-token-file, then KB_READ_TOKEN, then KB_READ_TOKEN_FILE.
    func readTokenGiven(_ environment: [String: String], logger: Logger) throws -> String? {
        if let readToken { return readToken }
        if let readTokenFile { return try tokenFile(readTokenFile, option: "--read-token-file", logger: logger) }
        if let token = environment["KB_READ_TOKEN"], !token.isEmpty { return token }
        if let file = environment["KB_READ_TOKEN_FILE"], !file.isEmpty {
            return try tokenFile(file, option: "KB_READ_TOKEN_FILE", logger: logger)
        }
        return nil
    }

    private func tokenFile(_ path: String, option: String, logger: Logger) throws -> String {
        do {
            let loaded = try TokenFile.read(path)
            if let warning = loaded.warning {
                logger.warning("token file readable by others", metadata: ["token.file": "\(path)"])
                Output.note("kb serve: warning: \(warning)")
            }
            return loaded.token
        } catch {
            throw CommandError("\(option): \(error)")
        }
    }

    /// The write token generated at first start on loopback (or the one generated before), and a note on stderr
    /// saying where it is, never the token itself.
    func generatedWriteToken(_ environment: [String: String], logger: Logger) throws -> String {
        let path = TokenFile.writeTokenPath(for: try global.storeLocation, environment: environment)
        let (token, created) = try TokenFile.loadOrCreate(path)
        logger.info("write token", metadata: ["token.file": "\(path)", "token.created": "\(created)"])
        Output.note("kb serve: writes need the token in \(path)\(created ? " (just generated)" : ""): "
            + "Authorization: Bearer $(cat \(path)). Set KB_API_TOKEN to choose one, or pass "
            + "--allow-unauthenticated to leave writes open.")
        return token
    }
}
