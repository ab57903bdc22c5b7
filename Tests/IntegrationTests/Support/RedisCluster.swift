import Foundation

/// A real three-master Redis Cluster on loopback: three `redis-server --cluster-enabled yes`
/// joined by `redis-cli --cluster create`; every server stopped by its pid.
final class RedisCluster: @unchecked Sendable {
    let nodes: [RedisServer]

    private init(nodes: [RedisServer]) {
        self.nodes = nodes
    }

    static func start() async throws -> RedisCluster {
        var nodes: [RedisServer] = []
        do {
            for _ in 0..<3 {
                let port = try clusterPort()
                nodes.append(try await RedisServer.start(port: port, arguments: [
                    "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
                    "--cluster-node-timeout", "5000",
                ]))
            }
            let addresses = nodes.map { "127.0.0.1:\($0.port)" }
            let created = try Command.run(RedisServer.cliBinary, ["--cluster", "create"] + addresses + ["--cluster-yes"], timeout: 30)
            guard created.status == 0 else { throw TestFailure("redis-cli --cluster create failed: \(created.standardOutput) \(created.standardError)") }
            let cluster = RedisCluster(nodes: nodes)
            let deadline = Date().addingTimeInterval(20)
            while Date() < deadline {
                if try nodes.allSatisfy({ try $0.cli(["CLUSTER", "INFO"]).contains("cluster_state:ok") }) { return cluster }
                try await Task.sleep(for: .milliseconds(100))
            }
            throw TestFailure("the cluster did not reach cluster_state:ok")
        } catch {
            for node in nodes { node.stop() }
            throw error
        }
    }

    /// A free port whose cluster-bus port (port + 10000) is free and valid too.
    private static func clusterPort() throws -> Int {
        for _ in 0..<200 {
            let port = Int.random(in: 20_000..<55_000)
            if FreePort.isFree(port), FreePort.isFree(port + 10_000) { return port }
        }
        throw TestFailure("no free pair of ports for a cluster node")
    }

    func nodeId(_ node: RedisServer) throws -> String {
        try node.cli(["CLUSTER", "MYID"]).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The node holding `key` now (`CLUSTER KEYSLOT`, then who has the key).
    func holder(of key: String) throws -> RedisServer? {
        for node in nodes where try node.cli(["EXISTS", key]).trimmingCharacters(in: .whitespacesAndNewlines) == "1" { return node }
        return nil
    }

    /// Every key, from every node.
    func keys() throws -> [String] {
        try nodes.flatMap { try $0.keys() }
    }

    func stop() {
        for node in nodes { node.stop() }
    }

    deinit { stop() }
}
