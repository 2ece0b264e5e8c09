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

    @Option(name: .long, help: ArgumentHelp(
        "How the in-memory vector index holds vectors (env KB_PRECISION): fp32 (default) or fp16. fp16 halves the "
            + "index's memory and the time a query takes to scan it; scores differ from fp32 by less than 5e-4, "
            + "so near-equal passages can swap places (recall@10 against fp32: 0.9996 on 100k random 384-d vectors). "
            + "The file always keeps fp32, so switching needs no reindex.",
        valueName: "fp32|fp16"))
    var precision: IndexPrecision?

    /// The index precision: `--precision`, then `KB_PRECISION`, then fp32.
    var indexPrecision: IndexPrecision {
        precision ?? ProcessInfo.processInfo.environment["KB_PRECISION"].flatMap { IndexPrecision(rawValue: $0.lowercased()) }
            ?? .fp32
    }

    var databasePath: String {
        db ?? ProcessInfo.processInfo.environment["KB_DB"].flatMap { $0.isEmpty ? nil : $0 } ?? "./kb.sqlite"
    }

    func validate() throws {
        if let level = logLevel ?? ProcessInfo.processInfo.environment["KB_LOG_LEVEL"],
           Logger.Level(rawValue: level.lowercased()) == nil {
            throw ValidationError("unknown log level \"\(level)\"; use trace, debug, info, warning or error.")
        }
        if precision == nil, let value = ProcessInfo.processInfo.environment["KB_PRECISION"], !value.isEmpty,
           IndexPrecision(rawValue: value.lowercased()) == nil {
            throw ValidationError("KB_PRECISION is \"\(value)\"; use fp32 or fp16.")
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

    /// Opens the knowledge base file; its index will be loaded in `indexPrecision`. Commands that only read pass
    /// `create: false`, so a mistyped --db is an error naming the path instead of a new empty file.
    func openCatalog(logger: Logger, create: Bool) throws -> Catalog {
        Catalog(store: try SQLiteStore(path: databasePath, create: create), logger: logger, precision: indexPrecision)
    }
}

extension IndexPrecision: ExpressibleByArgument {}
