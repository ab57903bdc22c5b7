import Foundation
import NIOCore
import NIOHTTP1
import Testing
@testable import Portcullis

@Suite struct AccessLogFormatTests {
    static let time: Int64 = 1_740_832_496_789_000_000 // 2025-03-01T12:34:56.789Z

    static func record(
        id: String = "0123456789abcde", target: String = "/api/items?page=2&token=s3cr3t", status: Int = 200
    ) -> AccessLogRecord {
        var record = AccessLogRecord(
            requestId: id, client: IPAddress("192.0.2.7")!, method: .GET, host: "shop.example", route: "api",
            target: target, httpProtocol: .http1_1, isTLS: true, status: status
        )
        record.bytesIn = 12
        record.bytesOut = 3456
        record.durationNanos = 1_234_567
        record.upstream = "demo"
        record.upstreamNanos = 987_654
        return record
    }

    static func line(_ record: AccessLogRecord, format: AccessLogFormat = AccessLogFormat()) -> String {
        var buffer = ByteBuffer()
        var timestamp = LogTimestamp()
        format.write(record, timeNanos: time, timestamp: &timestamp, to: &buffer)
        return String(buffer: buffer)
    }

    static func object(_ line: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) throws -> [String: Any] {
        #expect(line.hasSuffix("\n") && line.filter { $0 == "\n" }.count == 1, "one line", sourceLocation: sourceLocation)
        let parsed = try JSONSerialization.jsonObject(with: Data(line.utf8))
        return try #require(parsed as? [String: Any], sourceLocation: sourceLocation)
    }

    @Test func everyFieldOfAForwardedRequest() throws {
        var record = Self.record()
        record.decisions.append(kind: .headers, rule: "api", outcome: .applied)
        record.decisions.append(kind: .rateLimit, rule: "login", outcome: .allowed)
        let line = Self.line(record)
        #expect(line == """
            {"time":"2025-03-01T12:34:56.789Z","request_id":"0123456789abcde","client":"192.0.2.7","method":"GET","host":"shop.example","route":"api","path":"/api/items","query":"page=REDACTED&token=REDACTED","protocol":"HTTP/1.1","tls":true,"status":200,"bytes_in":12,"bytes_out":3456,"duration_ms":1.234,"upstream":"demo","upstream_ms":0.987,"decisions":[{"kind":"headers","rule":"api","outcome":"applied"},{"kind":"rate_limit","rule":"login","outcome":"allowed"}]}

            """)
        let object = try Self.object(line)
        #expect(object["duration_ms"] as? Double == 1.234)
        #expect(object["tls"] as? Bool == true)
    }

    @Test func answeredByTheGatewayHasNoUpstreamNorRoute() throws {
        var record = Self.record(target: "/", status: 429)
        record.upstream = nil
        record.route = nil
        record.httpProtocol = .http2
        record.client = IPAddress("2001:db8::1")!
        record.decisions.append(kind: .rateLimit, rule: "login", outcome: .limited)
        let object = try Self.object(Self.line(record))
        #expect(object["upstream"] == nil && object["upstream_ms"] == nil && object["route"] == nil && object["query"] == nil)
        #expect(object["client"] as? String == "2001:db8::1")
        #expect(object["protocol"] as? String == "HTTP/2")
        let decisions = try #require(object["decisions"] as? [[String: String]])
        #expect(decisions == [["kind": "rate_limit", "rule": "login", "outcome": "limited"]])
    }

    @Test func manyDecisionsSpillOverTheInlineOnes() throws {
        var record = Self.record()
        for index in 0..<6 { record.decisions.append(kind: .cors, rule: "r\(index)", outcome: .granted) }
        let decisions = try #require(try Self.object(Self.line(record))["decisions"] as? [[String: String]])
        #expect(decisions.map { $0["rule"] } == ["r0", "r1", "r2", "r3", "r4", "r5"])
    }

    @Test func hostileValuesAreEscaped() throws {
        let hostile = "a\"b\\c\n{\"injected\":1}\r\t\u{0}\u{1b}[31m\u{7f}\u{2028}\u{2029}é😀"
        var record = Self.record(id: hostile, target: "/p\"ath\n\u{1b}?x=1")
        record.host = hostile
        record.route = hostile
        record.decisions.append(kind: .cors, rule: hostile, outcome: .refused)
        let line = Self.line(record)
        // Nothing raw that ends a line, a string, or drives a terminal.
        for forbidden in ["\n{", "\r", "\u{0}", "\u{1b}", "\u{7f}", "\u{2028}", "\u{2029}"] {
            #expect(!line.dropLast().contains(forbidden), "raw \(forbidden.unicodeScalars.map { $0.value })")
        }
        #expect(line.contains(#"\u001b[31m\u007f\u2028\u2029é😀"#))
        let object = try Self.object(line)
        #expect(object["request_id"] as? String == hostile)
        #expect(object["host"] as? String == hostile)
        #expect(object["path"] as? String == "/p\"ath\n\u{1b}")
        #expect(object["injected"] == nil)
    }

    @Test func invalidUTF8IsRepairedBeforeItReachesTheLog() throws {
        // Header values and targets become Strings by repairing decoding: the line stays valid UTF-8.
        let broken = String(decoding: [0x61, 0xFF, 0xFE, 0x22, 0xC3, 0x28, 0xE2, 0x80], as: UTF8.self)
        var record = Self.record(target: "/" + broken)
        record.host = broken
        let line = Self.line(record)
        #expect(String(validating: Array(line.utf8), as: UTF8.self) != nil)
        let object = try Self.object(line)
        #expect(object["host"] as? String == broken)
    }

    /// The eight-bytes-at-a-time scan against a plain byte-by-byte escaper, on random text with
    /// characters to escape at every offset of a word.
    @Test func wordAtATimeEscapingMatchesByteByByte() {
        func reference(_ text: String) -> String {
            var out = ""
            for scalar in text.unicodeScalars {
                switch scalar {
                case "\"": out += "\\\""
                case "\\": out += "\\\\"
                case "\n": out += "\\n"
                case "\r": out += "\\r"
                case "\t": out += "\\t"
                case "\u{2028}": out += "\\u2028"
                case "\u{2029}": out += "\\u2029"
                default:
                    if scalar.value < 0x20 || scalar.value == 0x7F {
                        out += "\\u00" + String(scalar.value, radix: 16).leftPadded(to: 2)
                    } else {
                        out.unicodeScalars.append(scalar)
                    }
                }
            }
            return out
        }
        let alphabet: [Unicode.Scalar] = ["a", "Z", "0", " ", "\"", "\\", "\n", "\u{1}", "\u{1f}", "\u{7f}", "\u{80}", "é", "\u{2028}", "\u{2029}", "\u{2027}", "€", "😀", "~"]
        var generator = SplitMix64(seed: 42)
        for _ in 0..<3_000 {
            var text = ""
            for _ in 0..<Int(generator.next() % 40) {
                // Mostly clean text, so whole clean words occur between the characters to escape.
                let pick = generator.next() % 100
                text.unicodeScalars.append(pick < 70 ? "x" : alphabet[Int(generator.next() % UInt64(alphabet.count))])
            }
            var buffer = ByteBuffer()
            JSONLine.writeEscaped(text, to: &buffer)
            #expect(String(buffer: buffer) == reference(text), "\(Array(text.utf8))")
        }
    }

    // MARK: Query redaction

    @Test(arguments: [
        ("page=2&token=s3cr3t", "page=REDACTED&token=REDACTED"),
        ("a=", "a="),
        ("a=&b=x", "a=&b=REDACTED"),
        ("s3cr3t", "REDACTED"),
        ("flag&x=1", "REDACTED&x=REDACTED"),
        ("", ""),
        ("a=1&&b=2&", "a=REDACTED&&b=REDACTED&"),
        ("filter%5Bname%5D=x&ids[]=1", "filter%5Bname%5D=REDACTED&ids[]=REDACTED"),
        ("x=a=b", "x=REDACTED"),
        ("we\"ird=1&<script>=2", "REDACTED=REDACTED&REDACTED=REDACTED"),
        (String(repeating: "k", count: 33) + "=v", "REDACTED=REDACTED"),
        (String(repeating: "k", count: 32) + "=v", String(repeating: "k", count: 32) + "=REDACTED"),
    ])
    func queryValuesAreRedacted(query: String, expected: String) {
        #expect(QueryRedaction.redact(query) == expected)
    }

    @Test func aSecretQueryValueNeverAppears() {
        let secrets = ["s3cr3t-token", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig", "hunter2", "4111111111111111"]
        let targets = [
            "/login?token=\(secrets[0])&next=%2F", "/cb?code=\(secrets[1])", "/?\(secrets[2])", "/pay?card=\(secrets[3])#frag",
            "/x?a=1&password=\(secrets[2])&b", "/x?\(secrets[1])=1",
        ]
        for target in targets {
            let line = Self.line(Self.record(target: target))
            for secret in secrets { #expect(!line.contains(secret), "\(target) leaked into \(line)") }
        }
    }

    // MARK: Headers

    @Test func configuredHeadersAreLoggedAndSecretOnesRedacted() throws {
        let format = AccessLogFormat(logHeaders: ["User-Agent", "Referer", "Authorization", "X-Session", "Cookie", "X-Absent"], redactHeaders: ["x-session"])
        var record = Self.record()
        record.requestHeaders = HTTPHeaders([
            ("user-agent", "curl/8.5.0 \"quoted\""), ("Authorization", "Bearer s3cr3t"), ("X-Session", "sess-s3cr3t"),
            ("Cookie", "id=s3cr3t"), ("Cookie", "other=s3cr3t"), ("Referer", "https://a.example/"), ("Referer", "https://b.example/"),
        ])
        let line = Self.line(record, format: format)
        #expect(!line.contains("s3cr3t"))
        let object = try Self.object(line)
        #expect(object["user_agent"] as? String == "curl/8.5.0 \"quoted\"")
        #expect(object["referer"] as? String == "https://a.example/, https://b.example/")
        #expect(object["authorization"] as? String == "REDACTED")
        #expect(object["x_session"] as? String == "REDACTED")
        #expect(object["cookie"] as? String == "REDACTED")
        #expect(object["x_absent"] == nil)
    }

    @Test func headersCannotOverwriteFixedFields() throws {
        let format = AccessLogFormat(logHeaders: ["Host", "Status", "User-Agent", "user-agent"])
        var record = Self.record()
        record.requestHeaders = HTTPHeaders([("Host", "evil"), ("Status", "999"), ("User-Agent", "ua")])
        let line = Self.line(record, format: format)
        let object = try Self.object(line)
        #expect(object["host"] as? String == "shop.example")
        #expect(object["status"] as? Int == 200)
        #expect(line.components(separatedBy: "\"user_agent\"").count == 2)
    }

    // MARK: Sampling

    @Test func blockedRefusedAndFailedRequestsAreNeverSampledOut() {
        let format = AccessLogFormat(sampleAllowed: 0)
        var limited = Self.record()
        limited.decisions.append(kind: .rateLimit, rule: "login", outcome: .shadow)
        #expect(format.shouldLog(limited))
        var refused = Self.record(status: 403)
        refused.decisions.append(kind: .cors, rule: "api-cors", outcome: .refused)
        #expect(format.shouldLog(refused))
        #expect(format.shouldLog(Self.record(status: 502)))
        #expect(format.shouldLog(Self.record(status: 404)))
        var allowed = Self.record()
        allowed.decisions.append(kind: .rateLimit, rule: "login", outcome: .allowed)
        #expect(!format.shouldLog(allowed))
        #expect(AccessLogFormat(sampleAllowed: 1).shouldLog(allowed))
    }

    @Test func aTenthSampleKeepsAboutATenthAndTheSameOnes() {
        let format = AccessLogFormat(sampleAllowed: 0.1)
        let generator = RequestIdGenerator()
        let ids = (0..<20_000).map { _ in generator.make() }
        let kept = ids.filter { format.shouldLog(Self.record(id: $0)) }
        #expect((1_800...2_200).contains(kept.count), "kept \(kept.count) of 20000")
        // Deterministic: a second format (another loop, another instance) keeps exactly the same ids.
        let again = AccessLogFormat(sampleAllowed: 0.1)
        #expect(ids.filter { again.shouldLog(Self.record(id: $0)) } == kept)
        // Sequential ids (from an upstream proxy) spread as well.
        let sequential = (0..<20_000).filter { format.shouldLog(Self.record(id: "req-\($0)")) }.count
        #expect((1_800...2_200).contains(sequential), "kept \(sequential) sequential ids")
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        String(repeating: "0", count: Swift.max(0, width - count)) + self
    }
}
