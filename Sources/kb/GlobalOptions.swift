import ArgumentParser
import Foundation
import KnowledgeBase
import Logging

/// Options every subcommand takes.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Knowledge base file (env KB_DB, default ./kb.sqlite).", valueName: "path"))
    var db: String?

    @Option(name: .long, help: ArgumentHelp("Log level on stderr: trace, debug, info, warning, error (env KB_LOG_LEVEL).",
                                            valueName: "level"))
    var logLevel: String?

    var databasePath: String {
        db ?? ProcessInfo.processInfo.environment["KB_DB"].flatMap { $0.isEmpty ? nil : $0 } ?? "./kb.sqlite"
    }

    func validate() throws {
        if let level = logLevel ?? ProcessInfo.processInfo.environment["KB_LOG_LEVEL"],
           Logger.Level(rawValue: level.lowercased()) == nil {
            throw ValidationError("unknown log level \"\(level)\"; use trace, debug, info, warning or error.")
        }
    }

    /// Sets up logging to stderr and returns the logger the library is given.
    func makeLogger(defaultLevel: String = "warning") -> Logger {
        let name = logLevel ?? ProcessInfo.processInfo.environment["KB_LOG_LEVEL"] ?? defaultLevel
        let level = Logger.Level(rawValue: name.lowercased()) ?? .warning
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        var logger = Logger(label: "kb")
        logger.logLevel = level
        return logger
    }

    /// Opens the knowledge base file.
    func openCatalog(logger: Logger) throws -> Catalog {
        Catalog(store: try SQLiteStore(path: databasePath), logger: logger)
    }
}
