import ArgumentParser
import Foundation
import Hummingbird
import Logging

extension BenchCommand {
    /// The framework's own ceiling on this machine, for `Scripts/bench`'s HTTP table: the same Hummingbird HTTP/1
    /// server `kb serve` runs, answering `POST /echo` with the request's body and nothing else (no middleware, no
    /// JSON decoding), so kb's routes can be reported as a share of it.
    struct Echo: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Serve POST /echo (the request body back as JSON) on Hummingbird alone, as a throughput baseline.")

        @Option(help: "Address to bind.") var host = "127.0.0.1"
        @Option(help: "Port to bind (0 picks a free one; the bound port is printed as JSON on stdout).") var port = 0

        func run() async throws {
            var logger = Logger(label: "kb.bench.echo")
            logger.logLevel = .error
            let router = Router()
            router.post("/echo") { request, _ -> Response in
                let body = try await request.body.collect(upTo: 1 << 20)
                return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: body))
            }
            let app = Application(
                router: router, server: .http1(),
                configuration: .init(address: .hostname(host, port: port), serverName: "kb-echo"),
                onServerRunning: { channel in
                    let bound = channel.localAddress?.port ?? port
                    FileHandle.standardOutput.write(Data("{\"port\":\(bound)}\n".utf8))
                },
                logger: logger)
            try await app.runService()
        }
    }
}
