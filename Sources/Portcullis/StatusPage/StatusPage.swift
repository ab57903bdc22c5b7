import Crypto
import Foundation

/// The status page at the admin listener's `/`, for people (in the spirit of HAProxy's stats
/// page): one HTML page with its style and script inline, compiled into the binary, fetching
/// nothing but `/status.json`, which it polls every second. It builds its tables with DOM calls
/// and `textContent` only, so no rule or route name can become markup.
///
/// Its `Content-Security-Policy` allows exactly this style and this script, by their SHA-256
/// (computed here from the same strings the page is made of, so editing either cannot break
/// it), and connections to the admin listener itself; nothing else loads or runs.
enum StatusPage {
    static let html: String = #"""
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <meta name="referrer" content="no-referrer">
        <title>Portcullis status</title>
        <link rel="icon" href="data:,">
        <style>\#(style)</style>
        </head>
        <body>
        <header>
          <h1>Portcullis status</h1>
          <p class="meta">Version <span id="version">…</span> · up <span id="uptime">…</span> · <span id="state" role="status" aria-live="polite">connecting…</span></p>
        </header>
        <main>
          <form id="token-form" hidden>
            <p id="token-reason">This admin listener needs its metrics token.</p>
            <label for="token">Admin token (<code>admin.metrics_token</code>)</label>
            <input id="token" name="token" type="password" autocomplete="off" required minlength="16">
            <button type="submit">Show status</button>
            <p class="note">Kept in this tab only. To open the page with it, add <code>#token=…</code> to its address (a fragment is never sent to the server).</p>
          </form>

          <section aria-labelledby="traffic-heading">
            <h2 id="traffic-heading">Traffic</h2>
            <dl class="tiles">
              <div><dt>Requests/s</dt><dd id="total-rate">—</dd></div>
              <div><dt>p50</dt><dd id="total-p50">—</dd></div>
              <div><dt>p99</dt><dd id="total-p99">—</dd></div>
              <div><dt>Requests since start</dt><dd id="total-requests">—</dd></div>
              <div><dt>Open connections</dt><dd id="open-connections">—</dd></div>
              <div><dt>Upstream endpoints up</dt><dd id="endpoints-up">—</dd></div>
            </dl>
            <table id="status-classes">
              <caption>Responses by status class: per second over the last <span class="window">—</span>, and since start</caption>
              <thead><tr><th scope="col">Status class</th><th scope="col" class="num">Per second</th><th scope="col" class="num">Since start</th></tr></thead>
              <tbody></tbody>
            </table>
          </section>

          <section aria-labelledby="routes-heading">
            <h2 id="routes-heading">Routes</h2>
            <table id="routes">
              <caption>Rate and latency percentiles over the last <span class="window">—</span> (as the client saw it); responses by status class since start. <q>none</q>: refused before a route was chosen.</caption>
              <thead><tr>
                <th scope="col">Route</th><th scope="col">Upstream</th><th scope="col">Match</th>
                <th scope="col" class="num">Requests/s</th><th scope="col" class="num">p50</th><th scope="col" class="num">p99</th>
                <th scope="col" class="num">Requests</th><th scope="col" class="num">2xx</th><th scope="col" class="num">3xx</th><th scope="col" class="num">4xx</th><th scope="col" class="num">5xx</th>
              </tr></thead>
              <tbody></tbody>
            </table>
          </section>

          <section aria-labelledby="upstreams-heading">
            <h2 id="upstreams-heading">Upstreams</h2>
            <table id="endpoints">
              <caption>Endpoints: up, or ejected after consecutive failures</caption>
              <thead><tr><th scope="col">Upstream</th><th scope="col">Endpoint</th><th scope="col">State</th><th scope="col" class="num">Ejections</th></tr></thead>
              <tbody></tbody>
            </table>
            <table id="upstreams">
              <caption>Upstream groups since start</caption>
              <thead><tr><th scope="col">Upstream</th><th scope="col" class="num">Retries</th><th scope="col" class="num">Failures</th><th scope="col" class="num">Idle pooled connections</th></tr></thead>
              <tbody></tbody>
            </table>
          </section>

          <section aria-labelledby="listeners-heading">
            <h2 id="listeners-heading">Listeners</h2>
            <table id="listeners">
              <caption>Connections and TLS handshakes by outcome, since start</caption>
              <thead><tr>
                <th scope="col">Listener</th><th scope="col" class="num">Accepted</th><th scope="col" class="num">Open HTTP/1</th><th scope="col" class="num">Open HTTP/2</th><th scope="col" class="num">HTTP/2 streams</th>
                <th scope="col" class="num">TLS completed</th><th scope="col" class="num">TLS failed</th><th scope="col" class="num">TLS closed</th><th scope="col" class="num">TLS timeout</th>
              </tr></thead>
              <tbody></tbody>
            </table>
          </section>

          <section aria-labelledby="policy-heading">
            <h2 id="policy-heading">Policy</h2>
            <p id="no-policy" hidden>No policy directory is configured.</p>
            <dl id="policy-meta" class="pairs">
              <dt>Digest</dt><dd><code id="policy-digest">—</code></dd>
              <dt>Files</dt><dd id="policy-files">—</dd>
              <dt>Reloads</dt><dd id="policy-reloads">—</dd>
              <dt>Rate-limit store</dt><dd id="store">—</dd>
            </dl>
            <div id="policy-problems" class="problems" hidden>
              <p>The last reload was refused; the policy above stays in force:</p>
              <ul></ul>
            </div>
            <table id="rules">
              <caption>Rules in evaluation order. Refusals (<q>shadow</q>: would have refused) and bans count since the rule was loaded; the rate is over the last <span class="window">—</span>.</caption>
              <thead><tr>
                <th scope="col">Rule</th><th scope="col">Kind</th><th scope="col">Mode</th><th scope="col">Match</th><th scope="col">Limits</th><th scope="col">Defined at</th>
                <th scope="col" class="num">Refusals/s</th><th scope="col" class="num">Refusals</th><th scope="col" class="num">Bans</th>
              </tr></thead>
              <tbody></tbody>
            </table>
          </section>

          <section aria-labelledby="logs-heading">
            <h2 id="logs-heading">Logs</h2>
            <table id="logs">
              <caption>Lines since start</caption>
              <thead><tr><th scope="col">Log</th><th scope="col" class="num">Written</th><th scope="col" class="num">Dropped</th><th scope="col" class="num">Write errors</th></tr></thead>
              <tbody></tbody>
            </table>
          </section>
        </main>
        <footer><p>Figures from <code>/status.json</code>, refreshed every second; the same data as <code>/metrics</code> (see docs/metrics.md).</p></footer>
        <script>\#(script)</script>
        </body>
        </html>

        """#

    static let style: String = #"""
        :root { color-scheme: light dark; --fg: #1b1f24; --muted: #57606a; --bg: #ffffff; --line: #d0d7de; --head: #f3f5f7; --up: #116329; --down: #a40e26; --warn: #7d4e00; }
        @media (prefers-color-scheme: dark) { :root { --fg: #e6edf3; --muted: #9da7b3; --bg: #0d1117; --line: #30363d; --head: #161b22; --up: #56d364; --down: #ff7b72; --warn: #e3b341; } }
        * { box-sizing: border-box; }
        [hidden] { display: none !important; }
        body { margin: 0; padding: 1rem 1.5rem 2rem; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: var(--fg); background: var(--bg); }
        h1 { font-size: 1.4rem; margin: 0 0 .2rem; }
        h2 { font-size: 1.1rem; margin: 1.6rem 0 .5rem; border-bottom: 1px solid var(--line); padding-bottom: .2rem; }
        .meta, .note, caption, footer { color: var(--muted); }
        code, .code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .92em; }
        table { border-collapse: collapse; margin: .4rem 0 1rem; min-width: 26rem; }
        caption { text-align: left; padding: .2rem 0; font-size: .9em; }
        th, td { border: 1px solid var(--line); padding: .25rem .6rem; text-align: left; vertical-align: top; }
        thead th { background: var(--head); font-weight: 600; }
        tbody th { font-weight: 600; }
        .nowrap { white-space: nowrap; }
        .num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
        .tiles { display: flex; flex-wrap: wrap; gap: .6rem; margin: .4rem 0 1rem; }
        .tiles div { border: 1px solid var(--line); border-radius: 6px; padding: .4rem .8rem; min-width: 9rem; }
        .tiles dt { color: var(--muted); font-size: .85em; }
        .tiles dd { margin: 0; font-size: 1.5rem; font-variant-numeric: tabular-nums; }
        .pairs { display: grid; grid-template-columns: max-content auto; gap: .2rem 1rem; margin: .4rem 0 1rem; }
        .pairs dt { color: var(--muted); }
        .pairs dd { margin: 0; }
        .up { color: var(--up); font-weight: 600; }
        .down { color: var(--down); font-weight: 600; }
        .shadow { color: var(--warn); }
        .error { color: var(--down); }
        .problems { border-left: 4px solid var(--down); padding: .2rem .8rem; }
        form { border: 1px solid var(--line); border-radius: 6px; padding: .6rem 1rem; max-width: 40rem; }
        input { font: inherit; padding: .2rem .4rem; margin: 0 .4rem; }
        button { font: inherit; }
        """#

    static let script: String = #"""
        "use strict";
        (() => {
          const POLL_MS = 1000;
          // Rates and percentiles cover the span between the newest report and one about this old.
          const WINDOW_SECONDS = 5;
          const byId = (id) => document.getElementById(id);
          const counts = new Intl.NumberFormat("en");

          // A token comes in the fragment (#token=…), which browsers never send; it is kept for this
          // tab only and taken out of the address bar.
          let token = null;
          const fragment = new URLSearchParams(location.hash.slice(1));
          if (fragment.has("token")) {
            token = fragment.get("token");
            try { sessionStorage.setItem("portcullis-admin-token", token); } catch (e) { /* storage off */ }
            history.replaceState(null, "", location.pathname + location.search);
          } else {
            try { token = sessionStorage.getItem("portcullis-admin-token"); } catch (e) { /* storage off */ }
          }

          const snapshots = [];
          let timer = null;

          function setState(text, isError) {
            const state = byId("state");
            state.textContent = text;
            state.className = isError ? "error" : "";
          }

          function cell(text, options = {}) {
            const element = document.createElement(options.header ? "th" : "td");
            if (options.header) element.scope = "row";
            element.textContent = text;
            if (options.className) element.className = options.className;
            if (options.value !== undefined && options.value !== null) element.dataset.value = String(options.value);
            if (options.field) element.dataset.field = options.field;
            return element;
          }

          function fill(tableId, rows) {
            byId(tableId).tBodies[0].replaceChildren(...rows);
          }

          function row(cells, key) {
            const tr = document.createElement("tr");
            if (key) tr.dataset.key = key;
            tr.append(...cells);
            return tr;
          }

          const num = (value, field) => cell(value === null || value === undefined ? "—" : counts.format(value), { className: "num", value, field });

          function formatRate(rate) {
            if (rate === null) return "—";
            if (rate === 0) return "0";
            return rate.toFixed(rate < 10 ? 2 : rate < 100 ? 1 : 0);
          }
          const rateCell = (rate, field) => cell(formatRate(rate), { className: "num", value: rate, field });

          function formatSeconds(seconds) {
            if (seconds < 0.001) return (seconds * 1e6).toFixed(0) + " µs";
            if (seconds < 1) return (seconds * 1e3).toFixed(seconds < 0.01 ? 2 : 1) + " ms";
            return seconds.toFixed(2) + " s";
          }

          function formatUptime(seconds) {
            const s = Math.floor(seconds), d = Math.floor(s / 86400), h = Math.floor(s % 86400 / 3600), m = Math.floor(s % 3600 / 60);
            if (d > 0) return d + " d " + h + " h";
            if (h > 0) return h + " h " + String(m).padStart(2, "0") + " m";
            if (m > 0) return m + " m " + String(s % 60).padStart(2, "0") + " s";
            return s + " s";
          }

          // Like Prometheus's histogram_quantile: find the bucket holding the rank and interpolate
          // linearly inside it. Null without observations; a rank in the +Inf bucket reports
          // "above" the highest bound.
          function quantile(q, buckets, bounds) {
            const total = buckets.reduce((a, b) => a + b, 0);
            if (total === 0) return null;
            const rank = q * total;
            let below = 0;
            for (let i = 0; i < buckets.length; i++) {
              if (buckets[i] > 0 && below + buckets[i] >= rank) {
                if (i >= bounds.length) return { seconds: bounds[bounds.length - 1], above: true };
                const lower = i === 0 ? 0 : bounds[i - 1];
                return { seconds: lower + (bounds[i] - lower) * (rank - below) / buckets[i], above: false };
              }
              below += buckets[i];
            }
            return null;
          }
          const quantileCell = (result, field) => cell(result === null ? "—" : (result.above ? "> " : "") + formatSeconds(result.seconds), { className: "num", value: result === null ? null : result.seconds, field });

          // A counter that went down was started afresh (a reloaded rule, a restarted gateway).
          const increase = (now, before) => before === undefined || now < before ? now : now - before;

          function render(status) {
            const snapshot = { t: status.uptime_seconds, routes: new Map(), rules: new Map() };
            for (const route of status.routes) snapshot.routes.set(route.name, route);
            if (status.policy) for (const rule of status.policy.rules) snapshot.rules.set(rule.kind + "/" + rule.name + "/" + status.policy.digest, rule);
            if (snapshots.length > 0 && snapshot.t < snapshots[snapshots.length - 1].t) snapshots.length = 0;
            snapshots.push(snapshot);
            while (snapshots.length > 2 && snapshot.t - snapshots[1].t >= WINDOW_SECONDS) snapshots.shift();
            const base = snapshots.length > 1 ? snapshots[0] : null;
            const span = base ? snapshot.t - base.t : 0;
            const per = (amount) => (base && span > 0 ? amount / span : null);
            for (const element of document.querySelectorAll(".window")) element.textContent = base ? span.toFixed(1) + " s" : "(waiting for a second report)";

            byId("version").textContent = status.version;
            byId("uptime").textContent = formatUptime(status.uptime_seconds);

            // Routes, and the totals over them.
            const bounds = status.buckets_seconds;
            const totalBuckets = new Array(bounds.length + 1).fill(0);
            const classIncrease = new Map(status.status_classes.map((name) => [name, 0]));
            const classTotal = new Map(status.status_classes.map((name) => [name, 0]));
            let totalIncrease = 0, totalRequests = 0;
            const routeRows = [];
            for (const route of status.routes) {
              const before = base ? base.routes.get(route.name) : undefined;
              const requests = increase(route.requests, before && before.requests);
              const buckets = route.buckets.map((count, i) => increase(count, before && before.buckets[i]));
              buckets.forEach((count, i) => { totalBuckets[i] += count; });
              totalIncrease += requests;
              totalRequests += route.requests;
              for (const name of status.status_classes) {
                classIncrease.set(name, classIncrease.get(name) + increase(route.status_classes[name], before && before.status_classes[name]));
                classTotal.set(name, classTotal.get(name) + route.status_classes[name]);
              }
              if (route.name === "none" && route.requests === 0) continue;
              const match = route.path_prefix === null || route.path_prefix === undefined ? "—" : (route.hosts.length ? route.hosts.join(", ") + " " : "") + route.path_prefix;
              routeRows.push(row([
                cell(route.name, { header: true, field: "route" }),
                cell(route.upstream || "—"),
                cell(match, { className: "code" }),
                rateCell(per(requests), "rate"),
                quantileCell(base ? quantile(0.5, buckets, bounds) : null, "p50"),
                quantileCell(base ? quantile(0.99, buckets, bounds) : null, "p99"),
                num(route.requests, "requests"),
                num(route.status_classes["2xx"]), num(route.status_classes["3xx"]), num(route.status_classes["4xx"]), num(route.status_classes["5xx"]),
              ], route.name));
            }
            fill("routes", routeRows);
            const totalRate = per(totalIncrease);
            byId("total-rate").textContent = formatRate(totalRate);
            byId("total-rate").dataset.value = String(totalRate);
            for (const [q, id] of [[0.5, "total-p50"], [0.99, "total-p99"]]) {
              const result = base ? quantile(q, totalBuckets, bounds) : null;
              byId(id).textContent = result === null ? "—" : (result.above ? "> " : "") + formatSeconds(result.seconds);
            }
            byId("total-requests").textContent = counts.format(totalRequests);
            fill("status-classes", status.status_classes.map((name) => row([
              cell(name, { header: true }), rateCell(per(classIncrease.get(name)), "rate"), num(classTotal.get(name), "total"),
            ], name)));

            // Listeners.
            let open = 0;
            fill("listeners", status.listeners.map((listener) => {
              open += listener.open_http1 + listener.open_http2;
              const tls = listener.tls_handshakes;
              const handshake = (outcome) => (tls ? num(tls[outcome]) : cell("—", { className: "num" }));
              return row([
                cell(listener.name + (listener.tls ? " (TLS)" : ""), { header: true }),
                num(listener.accepted), num(listener.open_http1), num(listener.open_http2), num(listener.http2_streams),
                handshake("completed"), handshake("failed"), handshake("closed"), handshake("timeout"),
              ], listener.name);
            }));
            byId("open-connections").textContent = counts.format(open);

            // Upstreams.
            let up = 0, endpoints = 0;
            const endpointRows = [];
            for (const upstream of status.upstreams) {
              for (const endpoint of upstream.endpoints) {
                endpoints += 1;
                if (endpoint.healthy) up += 1;
                endpointRows.push(row([
                  cell(upstream.name, { header: true }), cell(endpoint.name),
                  cell(endpoint.healthy ? "up" : "down (ejected)", { className: endpoint.healthy ? "up" : "down", field: "state" }),
                  num(endpoint.ejections),
                ], upstream.name + "/" + endpoint.name));
              }
            }
            fill("endpoints", endpointRows);
            fill("upstreams", status.upstreams.map((upstream) => row([
              cell(upstream.name, { header: true }), num(upstream.retries), num(upstream.failures), num(upstream.idle_connections),
            ], upstream.name)));
            byId("endpoints-up").textContent = up + " of " + endpoints;
            byId("endpoints-up").className = up < endpoints ? "down" : "";

            // Policy.
            const policy = status.policy;
            byId("no-policy").hidden = !!policy;
            byId("policy-meta").hidden = !policy;
            byId("rules").hidden = !policy;
            const store = status.rate_limit_store;
            byId("store").textContent = counts.format(store.tracked_keys) + " of " + counts.format(store.capacity) + " keys tracked, " + counts.format(store.evictions) + " evicted";
            const problems = byId("policy-problems");
            if (policy) {
              byId("policy-digest").textContent = policy.digest;
              byId("policy-files").textContent = policy.files.join(", ") || "none";
              byId("policy-reloads").textContent = counts.format(policy.reloads_ok) + " published, " + counts.format(policy.reloads_failed) + " refused";
              problems.hidden = !policy.last_problems;
              problems.querySelector("ul").replaceChildren(...(policy.last_problems || []).map((text) => {
                const item = document.createElement("li");
                item.textContent = text;
                return item;
              }));
              const kinds = { headers: "headers", cors: "CORS", rate_limit: "rate limit" };
              fill("rules", policy.rules.map((rule) => {
                const before = base ? base.rules.get(rule.kind + "/" + rule.name + "/" + policy.digest) : undefined;
                const counted = rule.refusals !== undefined && rule.refusals !== null;
                return row([
                  cell(rule.name, { header: true, field: "rule" }),
                  cell(kinds[rule.kind] || rule.kind, { className: "nowrap" }),
                  cell(rule.mode, { className: rule.mode === "shadow" ? "shadow" : "" }),
                  cell(rule.match, { className: "code" }),
                  cell(rule.limits || "—"),
                  cell(rule.location, { className: "nowrap" }),
                  counted ? rateCell(base ? per(increase(rule.refusals, before && before.refusals)) : null, "refusal-rate") : cell("—", { className: "num" }),
                  counted ? num(rule.refusals, "refusals") : cell("—", { className: "num" }),
                  counted ? num(rule.bans, "bans") : cell("—", { className: "num" }),
                ], rule.kind + "/" + rule.name);
              }));
            } else {
              problems.hidden = true;
            }

            // Logs.
            if (status.logs.length === 0) {
              const none = cell("The access and audit logs are off.");
              none.colSpan = 4;
              fill("logs", [row([none])]);
            } else {
              fill("logs", status.logs.map((log) => row([
                cell(log.name, { header: true }), num(log.written), num(log.dropped), num(log.write_errors),
              ], log.name)));
            }
          }

          async function poll() {
            timer = null;
            try {
              const response = await fetch("/status.json", {
                headers: token ? { Authorization: "Bearer " + token } : {},
                cache: "no-store", credentials: "omit",
              });
              if (response.status === 401) {
                byId("token-reason").textContent = token ? "The token was refused: enter the admin listener's metrics token." : "This admin listener needs its metrics token.";
                byId("token-form").hidden = false;
                setState("waiting for the admin token", true);
                return;  // polling resumes when a token is entered
              }
              if (!response.ok) throw new Error("HTTP " + response.status);
              render(await response.json());
              byId("token-form").hidden = true;
              setState("updated " + new Date().toLocaleTimeString("en-GB"), false);
            } catch (error) {
              setState("cannot reach the gateway (" + error.message + "), retrying", true);
            }
            timer = setTimeout(poll, POLL_MS);
          }

          byId("token-form").addEventListener("submit", (event) => {
            event.preventDefault();
            token = byId("token").value;
            byId("token").value = "";
            try { sessionStorage.setItem("portcullis-admin-token", token); } catch (e) { /* storage off */ }
            if (timer !== null) clearTimeout(timer);
            poll();
          });

          poll();
        })();
        """#

    /// `'sha256-…'` of a text, as a CSP source expression.
    private static func hashSource(_ text: String) -> String {
        "'sha256-" + Data(SHA256.hash(data: Data(text.utf8))).base64EncodedString() + "'"
    }

    /// Only this style and this script; fetches to the admin listener itself; the empty icon
    /// (a `data:` URL, so the browser does not ask for `/favicon.ico`); no framing, no forms
    /// sent anywhere, no base URL.
    static let contentSecurityPolicy: String =
        "default-src 'none'; script-src \(hashSource(script)); style-src \(hashSource(style)); connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

    static let headers: [(String, String)] = [
        ("Content-Security-Policy", contentSecurityPolicy),
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", "DENY"),
        ("Referrer-Policy", "no-referrer"),
    ]
}
