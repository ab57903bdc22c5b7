/// Names of the handlers in a client connection's pipeline, so an upgrade can take them out.
enum GatewayChannelNames {
    static let decoder = "http-decoder"
    static let encoder = "http-encoder"
    static let proxy = "proxy"
}
