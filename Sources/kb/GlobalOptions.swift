import ArgumentParser
import Foundation
import KnowledgeBase
import Logging

/// Where the knowledge base is, and logging: the options every command on a knowledge base takes.
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
        try LogOptions.validate(logLevel)
    }

    /// Sets up logging to stderr and returns the logger the library is given.
    func makeLogger(defaultLevel: String = "warning") -> Logger {
        LogOptions.makeLogger(logLevel, defaultLevel: defaultLevel)
    }

    /// Opens the knowledge base; its index will be loaded in `precision` (`IndexOptions` for the commands that
    /// search). Commands that only read pass `create: false`, so a mistyped --db is an error naming the path instead
    /// of a new empty file.
    func openCatalog(logger: Logger, create: Bool, precision: IndexPrecision = .fp32) throws -> Catalog {
        Catalog(store: try storeLocation.open(create: create), logger: logger, precision: precision)
    }
}

/// `--log-level` alone, for the commands that do not open a knowledge base (`kb model …`).
struct LogOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Log level on stderr: trace, debug, info, warning, error (env KB_LOG_LEVEL).",
                                            valueName: "level"))
    var logLevel: String?

    func validate() throws { try Self.validate(logLevel) }

    func makeLogger(defaultLevel: String = "warning") -> Logger { Self.makeLogger(logLevel, defaultLevel: defaultLevel) }

    /// `--log-level`, else `KB_LOG_LEVEL`, must name a level.
    static func validate(_ logLevel: String?) throws {
        if let level = logLevel ?? ProcessInfo.processInfo.environment["KB_LOG_LEVEL"],
           Logger.Level(rawValue: level.lowercased()) == nil {
            throw ValidationError("unknown log level \"\(level)\"; use trace, debug, info, warning or error.")
        }
    }

    /// Sets up logging to stderr at `--log-level`, else `KB_LOG_LEVEL`, else `defaultLevel`.
    static func makeLogger(_ logLevel: String?, defaultLevel: String) -> Logger {
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
}

/// How the in-memory index holds vectors: only for the commands that load it and search (query, ask, chat, serve,
/// mcp, eval) and `kb stats`, which reports it.
struct IndexOptions: ParsableArguments {
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

    func validate() throws {
        if precision == nil, let value = ProcessInfo.processInfo.environment["KB_PRECISION"], !value.isEmpty,
           IndexPrecision(rawValue: value.lowercased()) == nil {
            throw ValidationError("KB_PRECISION is \"\(value)\"; use fp32 or fp16.")
        }
    }
}

extension IndexPrecision: ExpressibleByArgument {}

/// Options a command took before each command's help listed only its own (issue 17): still accepted, so scripts that
/// pass them keep working, but hidden from the help and ignored, with a note on stderr saying so.
struct IgnoredStoreOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(visibility: .hidden)) var db: String?
    @Option(name: .long, help: ArgumentHelp(visibility: .hidden)) var store: String?

    func validate() throws {
        if db != nil { IgnoredOption.note("--db", "this command does not open a knowledge base") }
        if store != nil { IgnoredOption.note("--store", "this command does not open a knowledge base") }
    }
}

/// `--precision` on a command that does not search (see `IgnoredStoreOptions`).
struct IgnoredIndexOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(visibility: .hidden)) var precision: String?

    func validate() throws {
        if precision != nil { IgnoredOption.note("--precision", "only the commands that search load the index") }
    }
}

/// `--batch-size` and `--concurrency` on a command that embeds only a question (see `IgnoredStoreOptions`).
struct IgnoredBatchOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(visibility: .hidden)) var batchSize: Int?
    @Option(name: .long, help: ArgumentHelp(visibility: .hidden)) var concurrency: Int?

    func validate() throws {
        let reason = "only the commands that embed documents batch them"
        if batchSize != nil { IgnoredOption.note("--batch-size", reason) }
        if concurrency != nil { IgnoredOption.note("--concurrency", reason) }
    }
}

enum IgnoredOption {
    static func note(_ option: String, _ reason: String) {
        FileHandle.standardError.write(Data("note: \(option) has no effect here (\(reason)); it is ignored.\n".utf8))
    }
}
