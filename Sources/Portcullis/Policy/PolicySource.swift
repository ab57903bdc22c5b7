/// One policy file's text and the name diagnostics give it (`policies/headers.yaml`).
public struct PolicySource: Sendable {
    public var file: String
    public var text: String

    public init(file: String, text: String) {
        self.file = file
        self.text = text
    }
}
