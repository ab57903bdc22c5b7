import NIOCore
import NIOHTTP1
import NIOHTTP2
import NIOSSL
import NIOTLS

/// Builds a client connection's pipeline: plain HTTP/1.1, TLS with ALPN (HTTP/1.1 or HTTP/2), or
/// the redirect to HTTPS. Every request, whatever the protocol, reaches a `ProxyConnectionHandler`
/// as `HTTPServerRequestPart`s.
struct ConnectionPipeline: Sendable {
    let runtime: GatewayRuntime
    let listener: ProxyConnectionHandler.Listener
    let resources: UnsafeTransfer<[ObjectIdentifier: LoopResources]>

    private var decoderLimits: NIOHTTPDecoderLimitConfiguration {
        var limits = NIOHTTPDecoderLimitConfiguration()
        limits.maxHeaderFieldSize = runtime.config.limits.maxHeaderBytes
        limits.maxHeaderListSize = runtime.config.limits.maxHeaderBytes
        limits.maxHeaderFieldCount = runtime.config.limits.maxHeaderCount
        return limits
    }

    private func loopResources(_ channel: Channel) -> LoopResources {
        resources.value[ObjectIdentifier(channel.eventLoop)]!
    }

    /// Counts an accepted connection (before its protocol is known).
    func countAccepted(_ channel: Channel) {
        loopResources(channel).metrics.connectionOpened(listener: listener.index)
    }

    /// Counts the connection as open HTTP/1 or HTTP/2 until it closes.
    private func countOpen(_ channel: Channel, http2: Bool) {
        let metrics = NIOLoopBound(loopResources(channel).metrics, eventLoop: channel.eventLoop)
        let index = listener.index
        metrics.value.protocolStarted(listener: index, http2: http2)
        channel.closeFuture.whenComplete { _ in metrics.value.protocolEnded(listener: index, http2: http2) }
    }

    /// HTTP/1.1 on a plain or TLS connection.
    func addHTTP1(to channel: Channel) throws {
        countOpen(channel, http2: false)
        let decoder = ObservedRequestDecoder(HTTPRequestDecoder(leftOverBytesStrategy: .forwardBytes, informationalResponseStrategy: .drop, limitConfiguration: decoderLimits))
        var encoderConfiguration = HTTPResponseEncoder.Configuration()
        encoderConfiguration.automaticallySetFramingHeaders = false
        let sync = channel.pipeline.syncOperations
        try sync.addHandler(ByteToMessageHandler(decoder), name: GatewayChannelNames.decoder)
        try sync.addHandler(HTTPResponseEncoder(configuration: encoderConfiguration), name: GatewayChannelNames.encoder)
        try sync.addHandler(ProxyConnectionHandler(runtime: runtime, resources: loopResources(channel), listener: listener, decoder: decoder), name: GatewayChannelNames.proxy)
    }

    /// TLS, then HTTP/2 or HTTP/1.1 as ALPN decides.
    func addTLS(to channel: Channel, provider: TLSContextProvider, http2: HTTP2Config) throws {
        let sync = channel.pipeline.syncOperations
        try sync.addHandler(NIOSSLServerHandler(context: provider.context))
        try sync.addHandler(TLSHandshakeWatcher(timeout: .nanoseconds(provider.handshakeTimeout), metrics: loopResources(channel).metrics, listener: listener.index, logger: runtime.logger))
        try sync.addHandler(ApplicationProtocolNegotiationHandler { result, channel in
            channel.eventLoop.makeCompletedFuture {
                if case .negotiated("h2") = result, http2.enabled {
                    try addHTTP2(to: channel, http2: http2)
                } else {
                    try addHTTP1(to: channel)
                }
            }
        })
    }

    /// HTTP/2: each stream becomes an HTTP/1-shaped exchange with its own `ProxyConnectionHandler`.
    func addHTTP2(to channel: Channel, http2: HTTP2Config) throws {
        var connection = NIOHTTP2Handler.ConnectionConfiguration()
        connection.initialSettings = [
            HTTP2Setting(parameter: .maxConcurrentStreams, value: http2.maxConcurrentStreams),
            HTTP2Setting(parameter: .maxHeaderListSize, value: http2.maxHeaderListSize ?? runtime.config.limits.maxHeaderBytes),
        ]
        // Control frames (SETTINGS and PING acknowledgements, RST_STREAM) queued for a client that
        // does not read them: past 1,000 (Envoy's max_outbound_control_frames; NIOHTTP2's default
        // is 10,000) the connection is a flood and ends with GOAWAY, before it costs the loop
        // ten times as much work.
        connection.maximumBufferedControlFrames = 1000
        var stream = NIOHTTP2Handler.StreamConfiguration()
        // Rapid reset (CVE-2023-44487): too many RST_STREAMs within the window → GOAWAY.
        stream.streamResetFrameRateLimit.maximumCount = http2.maxResets
        stream.streamResetFrameRateLimit.windowLength = .nanoseconds(http2.resetWindow)
        countOpen(channel, http2: true)
        let resources = loopResources(channel)
        let runtime = self.runtime
        let listener = self.listener
        // Closes connections idle for client_idle, and on shutdown sends GOAWAY and lets open
        // streams finish (up to the drain timeout) instead of cutting them.
        let firstStream = FirstStreamDeadline()
        let manager = NIOHTTP2ServerConnectionManagementHandler(eventLoop: channel.eventLoop, configuration: .init(
            maxIdleTime: .nanoseconds(runtime.config.timeouts.clientIdle), maxAge: nil,
            maxGraceTime: .nanoseconds(runtime.config.timeouts.drain), keepalive: nil
        ))
        try channel.pipeline.syncOperations.addHandler(HTTP2FrameBudgetHandler())
        try channel.pipeline.syncOperations.addHandler(FlushCoalescingHandler())
        _ = try channel.pipeline.syncOperations.configureHTTP2Pipeline(mode: .server, connectionConfiguration: connection, streamConfiguration: stream, streamDelegate: manager.http2StreamDelegate) { streamChannel in
            streamChannel.eventLoop.makeCompletedFuture {
                firstStream.value?.cancel()
                resources.metrics.http2StreamOpened(listener: listener.index)
                try streamChannel.pipeline.syncOperations.addHandler(HTTP2FramePayloadToHTTP1ServerCodec())
                try streamChannel.pipeline.syncOperations.addHandler(ProxyConnectionHandler(runtime: runtime, resources: resources, listener: listener, decoder: nil))
            }
        }
        try channel.pipeline.syncOperations.addHandler(manager)
        try channel.pipeline.syncOperations.addHandler(HTTP2ConnectionErrorHandler())
        // The manager's idle timer starts only once a stream has closed: a client that completes the
        // handshake and never opens a stream would stay (found by SlowClientTests). Until the first
        // stream opens, client_idle closes it.
        let firstStreamDeadline = channel.eventLoop.scheduleTask(in: .nanoseconds(runtime.config.timeouts.clientIdle)) {
            channel.close(promise: nil)
        }
        firstStream.setValue(firstStreamDeadline)
        channel.closeFuture.whenComplete { _ in firstStreamDeadline.cancel() }
    }

    /// A plain listener that sends every request to the HTTPS listener with 308, with the same
    /// head limits as the proxy and `header_read` as its idle allowance and each request's deadline.
    func addRedirect(to channel: Channel, httpsPort: Int) throws {
        let sync = channel.pipeline.syncOperations
        try sync.addHandler(IdleStateHandler(allTimeout: .nanoseconds(runtime.config.timeouts.headerRead)))
        try sync.addHandler(ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .dropBytes, informationalResponseStrategy: .drop, limitConfiguration: decoderLimits)))
        try sync.addHandler(HTTPResponseEncoder())
        try sync.addHandler(HTTPServerPipelineHandler())
        try sync.addHandler(HTTPServerProtocolErrorHandler())
        try sync.addHandler(HTTPSRedirectHandler(httpsPort: httpsPort, maxURIBytes: runtime.config.limits.maxURIBytes, requestTimeout: .nanoseconds(runtime.config.timeouts.headerRead)))
    }
}
