import ArgumentParser
import Portcullis

struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "version", abstract: "Print the Portcullis version.")

    func run() {
        print("portcullis \(PortcullisVersion.string)")
    }
}
