import Testing
@testable import Portcullis

@Suite struct PrometheusTextParserTests {
    @Test func parsesEveryFamilyType() throws {
        let page = try PrometheusTextParser.parse("""
            # HELP requests_total Requests served.
            # TYPE requests_total counter
            requests_total{route="app"} 1027
            requests_total{route="api"} 3
            # TYPE temperature gauge
            temperature -3.5
            # HELP latency_seconds Latency.
            # TYPE latency_seconds histogram
            latency_seconds_bucket{le="0.1"} 2
            latency_seconds_bucket{le="1"} 5
            latency_seconds_bucket{le="+Inf"} 6
            latency_seconds_sum 3.25
            latency_seconds_count 6
            # TYPE rpc_seconds summary
            rpc_seconds{quantile="0.5"} 0.05
            rpc_seconds{quantile="0.99"} 0.2
            rpc_seconds_sum 17
            rpc_seconds_count 340
            no_type_at_all 42

            """)
        #expect(page.families.map(\.name) == ["requests_total", "temperature", "latency_seconds", "rpc_seconds", "no_type_at_all"])
        #expect(page.families.map(\.type) == [.counter, .gauge, .histogram, .summary, .untyped])
        #expect(page.family("requests_total")?.help == "Requests served.")
        #expect(page.value("requests_total", ["route": "api"]) == 3)
        #expect(page.value("temperature") == -3.5)
        #expect(page.family("latency_seconds")?.samples.count == 5)
        #expect(page.samples("latency_seconds_bucket").map(\.value) == [2, 5, 6])
        #expect(page.samples("latency_seconds_bucket").last?["le"] == "+Inf")
        #expect(page.value("latency_seconds_sum") == 3.25)
        #expect(page.value("latency_seconds_count") == 6)
        #expect(page.family("rpc_seconds")?.samples.count == 4)
        #expect(page.value("rpc_seconds", ["quantile": "0.99"]) == 0.2)
        #expect(page.value("rpc_seconds_count") == 340)
        #expect(page.value("no_type_at_all") == 42)
        #expect(page.family("no_type_at_all")?.type == .untyped)
    }

    @Test func unescapesLabelValuesAndHelp() throws {
        let page = try PrometheusTextParser.parse(#"""
            # HELP odd_total A \\ backslash and a\nsecond line.
            # TYPE odd_total counter
            odd_total{path="C:\\dir\\file",quote="say \"hi\"",multi="one\ntwo",plain="ok"} 1
            odd_total{ spaced = "yes" , trailing="comma", } 2
            """#)
        #expect(page.family("odd_total")?.help == "A \\ backslash and a\nsecond line.")
        let first = try #require(page.samples("odd_total").first)
        #expect(first.labels == ["path": #"C:\dir\file"#, "quote": #"say "hi""#, "multi": "one\ntwo", "plain": "ok"])
        #expect(page.samples("odd_total").last?.labels == ["spaced": "yes", "trailing": "comma"])
    }

    @Test func readsWhatTheGatewaysWriterWrites() throws {
        var writer = PrometheusTextWriter()
        writer.family("portcullis_policy_info", type: "gauge", help: "The policy in force.")
        writer.sample("portcullis_policy_info", [("digest", "a\"b\\c\nd"), ("rules", "7")], 1)
        let page = try PrometheusTextParser.parse(writer.text)
        #expect(page.samples("portcullis_policy_info").first?.labels == ["digest": "a\"b\\c\nd", "rules": "7"])
    }

    @Test func readsSpecialValuesTimestampsAndComments() throws {
        let page = try PrometheusTextParser.parse("""
            # a comment that is neither HELP nor TYPE
            #another one
            up +Inf
            down -Inf
            odd NaN
            small 1.5e-05
            stamped{a="b"} 7 1712345678901
            \t indented 3\r
            """)
        #expect(page.value("up") == .infinity)
        #expect(page.value("down") == -.infinity)
        #expect(page.value("odd")?.isNaN == true)
        #expect(page.value("small") == 0.000015)
        #expect(page.samples("stamped").first?.timestamp == 1_712_345_678_901)
        #expect(page.value("indented") == 3)
        #expect(page.families.count == 6)
    }

    @Test(arguments: [
        ("metric{a=\"b\" 1", 1, "expected ',' or '}'"),
        ("ok 1\nmetric{a=b} 1", 2, "expected '\"'"),
        ("metric{a=\"b} 1", 1, "unterminated label value"),
        ("metric one", 1, "'one' is not a sample value"),
        ("metric 0x1p3", 1, "is not a sample value"),
        ("metric 1 2 3", 1, "text after the timestamp"),
        ("# TYPE metric countr", 1, "unknown metric type"),
        ("{a=\"b\"} 1", 1, "expected a metric name"),
        ("metric{a=\"1\",a=\"2\"} 1", 1, "given twice"),
    ])
    func reportsTheLineOfAnError(text: String, line: Int, message: String) {
        #expect {
            try PrometheusTextParser.parse(text)
        } throws: { error in
            guard let error = error as? PrometheusParseError else { return false }
            return error.line == line && error.message.contains(message)
        }
    }
}
