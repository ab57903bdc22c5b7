// portcullis-demo: the demo upstream that `make run` puts behind the Portcullis gateway.
//
//   portcullis-demo [--host 127.0.0.1] [--port 3000] [--name demo]
//
// Arguments are parsed by hand: three options do not warrant a dependency.

import PortcullisDemo

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

let usage = """
    usage: portcullis-demo [--host HOST] [--port PORT] [--name NAME]

      --host HOST   address to listen on (default 127.0.0.1)
      --port PORT   port to listen on, 0 for any free port (default 3000)
      --name NAME   instance name sent in X-Demo-Instance (default demo)

    """

func fail(_ message: String) -> Never {
    fputs("portcullis-demo: \(message)\n\(usage)", stderr)
    exit(2)
}

func parseArguments(_ arguments: [String]) -> DemoServer.Configuration {
    var configuration = DemoServer.Configuration()
    var remaining = arguments.dropFirst()[...]
    while let argument = remaining.popFirst() {
        // Accept both "--port 3000" and "--port=3000".
        var option = argument
        var inlineValue: String?
        if argument.hasPrefix("--"), let equals = argument.firstIndex(of: "=") {
            option = String(argument[..<equals])
            inlineValue = String(argument[argument.index(after: equals)...])
        }
        if option == "-h" || option == "--help" {
            print(usage, terminator: "")
            exit(0)
        }
        guard ["--host", "--port", "--name"].contains(option) else {
            fail("unknown argument '\(argument)'")
        }
        guard let value = inlineValue ?? remaining.popFirst() else {
            fail("\(option) needs a value")
        }
        switch option {
        case "--host":
            configuration.host = value
        case "--port":
            guard let port = Int(value), (0...65535).contains(port) else {
                fail("--port must be a number between 0 and 65535, got '\(value)'")
            }
            configuration.port = port
        default:
            configuration.name = value
        }
    }
    return configuration
}

let configuration = parseArguments(CommandLine.arguments)
do {
    try await DemoServer.runUntilTerminated(configuration: configuration) { server in
        print("portcullis-demo listening on http://\(configuration.host):\(server.localPort)")
        // stdout is a pipe under `make run` and in tests: don't let the banner sit in a buffer.
        fflush(stdout)
    }
} catch {
    fputs("portcullis-demo: \(error)\n", stderr)
    exit(1)
}
