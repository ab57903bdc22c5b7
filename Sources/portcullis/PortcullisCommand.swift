import ArgumentParser
import Portcullis

@main
struct PortcullisCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "portcullis",
        abstract: "An edge reverse proxy and security gateway.",
        discussion: """
            Portcullis stands in front of a web application and handles its inbound traffic:
            it checks every request, forwards it to the application over keep-alive connections,
            and answers bad input itself with application/problem+json.

            Start with:  portcullis run --config config/portcullis.yaml
            Check a config without starting anything:  portcullis validate --config config/portcullis.yaml
            Watch a running gateway:  portcullis top --admin 127.0.0.1:9090
            """,
        version: PortcullisVersion.string,
        subcommands: [RunCommand.self, ValidateCommand.self, PolicyTestCommand.self, AgeTokenCommand.self, TopCommand.self, DevCertificateCommand.self, VersionCommand.self]
    )
}
