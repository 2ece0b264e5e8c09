// swift-tools-version:6.0
import PackageDescription

// The commit `kb --version` names: KB_BUILD_COMMIT from the build's environment (Scripts/package sets it from
// `git rev-parse`), else "unknown". The environment is part of SwiftPM's manifest cache key, so a change rebuilds;
// Context.gitInformation is not (it goes stale after a commit until the manifest changes), so it is not used.
let buildCommit = Context.environment["KB_BUILD_COMMIT"].flatMap { commit in
    commit.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "." } && !commit.isEmpty ? commit : nil
} ?? "unknown"

let package = Package(
    name: "kb",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "kb", targets: ["kb"]),
        .library(name: "KnowledgeBase", targets: ["KnowledgeBase"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.3"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
        .package(url: "https://github.com/modelcontextprotocol/swift-sdk", from: "0.12.1"),
    ],
    targets: [
        .systemLibrary(
            name: "CSQLite",
            pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]
        ),
        .systemLibrary(
            name: "CCurl",
            pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]
        ),
        .systemLibrary(
            name: "COpenBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]
        ),
        .systemLibrary(
            name: "CPostgres",
            pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"])]
        ),
        // Half-precision index kernels in C: AVX2 + FMA + F16C chosen at run time, a portable loop elsewhere.
        .target(name: "CKernels"),
        // The build commit for `kb --version`, as a C define so it can come from the manifest.
        .target(name: "CBuildInfo", cSettings: [.define("KB_BUILD_COMMIT", to: "\"\(buildCommit)\"")]),
        .target(
            name: "KnowledgeBase",
            dependencies: [
                "CSQLite", "CCurl", "COpenBLAS", "CKernels", "CPostgres",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Mustache", package: "swift-mustache"),
            ]
        ),
        // The MCP server (tools and runbook resources) over any MCP transport: stdio for `kb mcp`, HTTP in the server.
        .target(
            name: "KnowledgeBaseMCP",
            dependencies: [
                "KnowledgeBase",
                .product(name: "MCP", package: "swift-sdk"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "KnowledgeBaseServer",
            dependencies: [
                "KnowledgeBase",
                "KnowledgeBaseMCP",
                .product(name: "MCP", package: "swift-sdk"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            // The web page, as real files (lint them: `node --check Sources/KnowledgeBaseServer/Web/app.js`).
            resources: [
                .embedInCode("Web/index.html"),
                .embedInCode("Web/app.css"),
                .embedInCode("Web/app.js"),
            ]
        ),
        .executableTarget(
            name: "kb",
            dependencies: [
                "CBuildInfo",
                "KnowledgeBase",
                "KnowledgeBaseServer",
                "KnowledgeBaseMCP",
                .product(name: "MCP", package: "swift-sdk"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "KnowledgeBaseTests",
            dependencies: ["KnowledgeBase"]
        ),
        .testTarget(
            name: "KnowledgeBaseMCPTests",
            dependencies: ["KnowledgeBaseMCP", .product(name: "MCP", package: "swift-sdk")]
        ),
        // The kb command's own logic (the chat line editor), through @testable import of the executable.
        .testTarget(
            name: "kbTests",
            dependencies: ["kb"]
        ),
        .testTarget(
            name: "KnowledgeBaseServerTests",
            dependencies: [
                "KnowledgeBaseServer",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
