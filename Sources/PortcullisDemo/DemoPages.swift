/// The HTML the demo serves. Plain strings: the point is what the gateway does to them in transit.
enum DemoPages {
    /// Where `make run` puts the gateway; the examples are meant to be pasted into a terminal.
    static let gatewayURL = "https://localhost:8443"

    static func index(instance: String) -> String {
        let gw = gatewayURL
        let endpoints: [(String, String, String)] = [
            ("GET /api/…", "JSON hello, with the path the gateway forwarded", "curl -i --cacert certs/dev/ca.pem \(gw)/api/hello"),
            ("POST /api/login, /api/wallet/withdraw", "accepted (the endpoints rate limits protect)", "curl -i --cacert certs/dev/ca.pem -X POST \(gw)/api/login"),
            ("POST /upload", "streams the body and answers its size and SHA-256", "curl -i --data-binary @Package.swift \(gw)/upload"),
            ("ANY /echo…", "the request head exactly as the demo received it (see what the gateway added)", "curl -s \(gw)/echo?x=1"),
            ("GET /adult/…", "an age-restricted page (a geo-gating target)", "curl -i \(gw)/adult/page"),
            ("GET /download?bytes=N", "N bytes (default 1 MiB, up to 1 GiB) streamed with backpressure", "curl -o /dev/null -w '%{size_download} bytes\\n' '\(gw)/download?bytes=67108864'"),
            ("GET /slow?ms=N", "answers after N milliseconds (try it against the gateway's timeouts)", "curl -i '\(gw)/slow?ms=2000'"),
            ("GET /status/NNN", "answers with that status code", "curl -i \(gw)/status/503"),
            ("GET /ws", "WebSocket echo (text, binary, ping/pong, close); curl shows the handshake", "curl -i -N -H 'Connection: Upgrade' -H 'Upgrade: websocket' -H 'Sec-WebSocket-Version: 13' -H 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==' \(gw)/ws"),
            ("GET /healthz", "liveness probe, answers ok", "curl -i \(gw)/healthz"),
        ]
        let rows = endpoints.map { endpoint, what, example in
            "      <tr><td><code>\(html(endpoint))</code></td><td>\(html(what))</td><td><code>\(html(example))</code></td></tr>"
        }.joined(separator: "\n")

        return """
            <!doctype html>
            <html lang="en">
            <head>
              <meta charset="utf-8">
              <title>Portcullis demo application</title>
              <style>
                body { font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; }
                table { border-collapse: collapse; } td { border-top: 1px solid #ddd; padding: .4rem .6rem; vertical-align: top; }
                code { font-size: .9em; }
              </style>
            </head>
            <body>
              <h1>Portcullis demo application</h1>
              <p>This is the demo upstream (instance <code>\(html(instance))</code>) that sits behind the
              Portcullis gateway. Send your requests to the gateway at <code>\(gw)</code> and compare with
              what this application sees: every response carries an <code>X-Demo-Instance</code> header naming
              the instance that answered.</p>
              <table>
            \(rows)
              </table>
            </body>
            </html>

            """
    }

    static func adult(instance: String, path: String) -> String {
        """
        <!doctype html>
        <html lang="en">
        <head><meta charset="utf-8"><title>Age-restricted content</title></head>
        <body>
          <h1>Age-restricted content</h1>
          <p>You are looking at <code>\(html(path))</code>, served by demo instance <code>\(html(instance))</code>.
          The gateway can be configured to keep some countries or clients away from this page.</p>
        </body>
        </html>

        """
    }

    /// Escapes text for HTML element content and attribute values.
    static func html(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }
}
