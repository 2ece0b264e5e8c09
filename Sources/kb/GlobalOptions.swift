import ArgumentParser
import Foundation
import KnowledgeBase
import Logging

/// Options every subcommand takes.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Knowledge base file (env KB_DB, default ./kb.sqlite); same as --store PATH.",
                                            valueName: "path"))
    var db: String?

    @Option(name: .long, help: ArgumentHelp(
        "Where the knowledge base is (env KB_STORE): postgres://user:password@host:5432/database (TLS with "
            + "?sslmode=require or verify-full; ?schema=NAME, default kb), sqlite:PATH, or a file path. Any number "
            + "of kb processes can share one PostgreSQL database; each follows the others' writes.",
        valueName: "url"))
    var store: String?

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

    /// `--store`, `--db`, then `KB_STORE`, `KB_DB`, then ./kb.sqlite.
    var storeLocation: StoreLocation {
        get throws {
            let environment = ProcessInfo.processInfo.environment
            if let store { return try StoreLocation(store) }
            if let db { return .sqlite(path: db) }
            if let store = environment["KB_STORE"], !store.isEmpty { return try StoreLocation(store) }
            if let db = environment["KB_DB"], !db.isEmpty { return .sqlite(path: db) }
            return .sqlite(path: "./kb.sqlite")
        }
    }

    /// True when the store was named on the command line or in the environment (not the default file).
    var storeGiven: Bool {
        let environment = ProcessInfo.processInfo.environment
        return store != nil || db != nil || !(environment["KB_STORE"] ?? "").isEmpty || !(environment["KB_DB"] ?? "").isEmpty
    }

    func validate() throws {
        if store != nil && db != nil {
            throw ValidationError("give either --store or --db, not both (--db PATH is --store PATH).")
        }
        do { _ = try storeLocation } catch { throw ValidationError("\(error)") }
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
        Catalog(store: try storeLocation.open(create: create), logger: logger, precision: indexPrecision)
    }
}

extension IndexPrecision: ExpressibleByArgument {}
