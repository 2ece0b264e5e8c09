// swift-tools-version:6.0
import PackageDescription

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
        .target(
            name: "KnowledgeBase",
            dependencies: [
                "CSQLite", "CCurl", "COpenBLAS",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "kb",
            dependencies: [
                "KnowledgeBase",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "KnowledgeBaseTests",
            dependencies: ["KnowledgeBase"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
