import ArgumentParser
import Portcullis

struct DevCertificateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dev-certificate",
        abstract: "Create a local CA and a certificate for localhost, 127.0.0.1 and ::1.",
        discussion: """
            Writes ca.pem, ca-key.pem, localhost.pem (certificate and CA chain) and localhost-key.pem \
            into the directory, unless they all exist. For development and benchmarks only. \
            Trust the CA for one command with: curl --cacert <directory>/ca.pem https://localhost:8443/
            """
    )

    @Option(help: ArgumentHelp("Where to write the files.", valueName: "directory"))
    var directory: String = "certs/dev"

    func run() throws {
        let generated = try DevCertificate.ensure(in: directory)
        print(generated ? "wrote a development CA and certificate to \(directory)/" : "\(directory)/ already holds a development certificate")
    }
}
