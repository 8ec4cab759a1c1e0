/**
 * The scrape handler in-process: content negotiation, gzip (as Prometheus
 * asks for it, checked against the identity body), and where
 * `--web.telemetry-path` puts it; with `--web.enable-openmetrics`,
 * OpenMetrics for the Accept headers that ask for it (the same bytes as a
 * fresh render, before and after a push) and nothing else changed.
 */

import { assert, assertEquals, assertFalse, assertMatch, assertStringIncludes } from "@std/assert";
import { gunzipSync } from "node:zlib";
import { PROTO_DELIMITED } from "@lib/expfmt/media_type.ts";
import { parseText } from "@lib/expfmt/text_parse.ts";
import { createApp } from "@lib/http/app.ts";
import type { AppContext } from "@lib/http/context.ts";
import { acceptsGzip, gatherFamilies } from "@lib/http/metrics.ts";
import { parseOpenMetrics } from "@lib/expfmt/openmetrics_parse.ts";
import { renderOpenMetrics } from "@lib/expfmt/openmetrics_render.ts";
import { escapeMetricFamily, type EscapingScheme } from "@lib/model/escaping.ts";
import { negotiate, negotiateIncludingOpenMetrics } from "@lib/expfmt/negotiate.ts";
import { renderText } from "@lib/expfmt/text_render.ts";
import { encodeDelimited } from "@lib/protobuf/encode.ts";
import { OWN_FAMILIES } from "@lib/http/self_metrics.ts";
import { appFromFlags } from "@lib/http/test_app.ts";
import { request } from "@lib/http/test_client.ts";
import { testAppContext } from "@lib/http/test_context.ts";
import { decodeDelimited } from "@lib/protobuf/decode.ts";
import type { MetricFamily } from "@lib/model/metric.ts";

Deno.test("/metrics negotiation: protobuf on request, text for OpenMetrics-first Accept, gzip", async () => {
  const { app } = appFromFlags();
  await request(app, "PUT", "/metrics/job/n", "# HELP g a gauge\n# TYPE g gauge\ng 1.5\n");
  const proto = await app(
    new Request("http://gw/metrics", { headers: { accept: PROTO_DELIMITED } }),
  );
  assertEquals(proto.headers.get("content-type"), PROTO_DELIMITED + "; escaping=underscores");
  const families = decodeDelimited(new Uint8Array(await proto.arrayBuffer()));
  const g = families.find((f) => f.name === "g");
  assertEquals(g?.metric[0]?.gauge?.value, 1.5);
  const om = await app(
    new Request("http://gw/metrics", {
      headers: {
        accept:
          "application/openmetrics-text;version=1.0.0;q=0.5,application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2",
        "accept-encoding": "gzip",
      },
    }),
  );
  assertEquals(
    om.headers.get("content-type"),
    "text/plain; version=0.0.4; charset=utf-8; escaping=underscores",
  );
  assertEquals(om.headers.get("content-encoding"), "gzip");
  const text = await new Response(om.body!.pipeThrough(new DecompressionStream("gzip"))).text();
  assertStringIncludes(text, 'g{instance="",job="n"} 1.5\n');
});

Deno.test("--web.telemetry-path moves the scrape; pushes stay under /metrics/job", async () => {
  const { app } = appFromFlags(["--web.telemetry-path=/scrape"]);
  assertEquals((await request(app, "PUT", "/metrics/job/t", "m 1\n")).status, 200);
  const scrape = await request(app, "GET", "/scrape");
  assertEquals(scrape.status, 200);
  assertStringIncludes(scrape.text, 'm{instance="",job="t"} 1\n');
  assertMatch(scrape.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
  const old = await request(app, "GET", "/metrics");
  assertEquals([old.status, old.text], [404, "404 page not found\n"]);
  const slash = await request(app, "GET", "/scrape/");
  assertEquals([slash.status, slash.headers.get("location")], [301, "/scrape"]);
  assert(!scrape.text.includes("<html"));
});

Deno.test("--web.telemetry-path is joined under the route prefix", async () => {
  const { app } = appFromFlags(["--web.route-prefix=/pfx", "--web.telemetry-path=scrape"]);
  assertEquals((await request(app, "PUT", "/pfx/metrics/job/t", "m 1\n")).status, 200);
  const scrape = await request(app, "GET", "/pfx/scrape");
  assertEquals(scrape.status, 200);
  assertStringIncludes(scrape.text, 'm{instance="",job="t"} 1\n');
  assertEquals((await request(app, "GET", "/scrape")).status, 404);
});

/** Prometheus 2.42's Accept header (Debian bookworm), docs/clients.md §3. */
const PROM_2_42 =
  "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
/** Prometheus 3.4+'s Accept header (UTF-8 names, the 3.x default). */
const PROM_3 =
  "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,application/openmetrics-text;version=0.0.1;q=0.5,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2";
/** Prometheus 3.x with protobuf first (native histograms). */
const PROM_3_PROTO =
  "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.6," +
  PROM_3.replace("q=0.6", "q=0.5");

async function push(ctx: AppContext, i: number, value = i): Promise<void> {
  const body =
    `# TYPE jobs_total counter\njobs_total{kind="a"} ${value}\njobs_total{kind="b"} 1\n` +
    `# HELP temp_celsius Temperature.\n# TYPE temp_celsius gauge\ntemp_celsius ${value / 4}\n`;
  const res = await ctx.store.submit({
    kind: "push",
    labels: { job: "j", instance: `h${String(i).padStart(5, "0")}` },
    families: parseText(body),
    replace: true,
    timeMs: 1_700_000_000_000 + i,
  });
  assert(res.ok, JSON.stringify(res));
}

function setup() {
  const ctx = testAppContext();
  const app = createApp(ctx);
  const get = (headers: HeadersInit = {}) => app(new Request("http://gw/metrics", { headers }));
  return { ctx, get };
}

/** The text without the gateway's own families (their values move between scrapes). */
function pushedOnly(text: string): string {
  const own = [...OWN_FAMILIES.keys()];
  return text.split("\n").filter((line) => {
    const name = line.startsWith("# ") ? line.split(" ")[2] ?? "" : line.split(/[{ ]/)[0]!;
    return !own.includes(name);
  }).join("\n");
}

async function bytesOf(res: Response): Promise<Uint8Array> {
  return new Uint8Array(await res.arrayBuffer());
}

Deno.test("acceptsGzip() honours q values and case", () => {
  assert(acceptsGzip("gzip"));
  assert(acceptsGzip("deflate, GZIP;q=0.5"));
  assertFalse(acceptsGzip("gzip;q=0"));
  assertFalse(acceptsGzip("identity"));
  assertFalse(acceptsGzip(null));
});

Deno.test("/metrics with Prometheus' headers: gzip of exactly the identity body, per format", async () => {
  const { ctx, get } = setup();
  for (let i = 0; i < 2000; i++) await push(ctx, i);
  const cases = [
    [PROM_2_42, "text/plain; version=0.0.4; charset=utf-8; escaping=underscores"],
    [PROM_3, "text/plain; version=0.0.4; charset=utf-8; escaping=allow-utf-8"],
    [
      PROM_3_PROTO,
      // The protobuf clause is walked first and names no escaping (3.4+): the default.
      "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited; escaping=underscores",
    ],
  ];
  let value = 777;
  for (const [accept, contentType] of cases) {
    for (let round = 0; round < 3; round++) {
      // Round 1: unchanged store; round 2: right after a one-group push.
      if (round === 2) await push(ctx, 777, ++value);
      const gz = await get({ accept: accept!, "accept-encoding": "gzip" });
      assertEquals(gz.status, 200);
      assertEquals(gz.headers.get("content-encoding"), "gzip");
      assertEquals(gz.headers.get("content-type"), contentType);
      const compressed = await bytesOf(gz);
      assertEquals([compressed[0], compressed[1]], [0x1f, 0x8b]);
      const plain = await get({ accept: accept!, "accept-encoding": "identity" });
      assertEquals(plain.headers.get("content-encoding"), null);
      const identity = await bytesOf(plain);
      const unzipped = new Uint8Array(gunzipSync(compressed));
      assert(compressed.length * 4 < unzipped.length, `${compressed.length} ${unzipped.length}`);
      if (accept === PROM_3_PROTO) {
        const pushed = (b: Uint8Array) =>
          decodeDelimited(b).filter((f) => !OWN_FAMILIES.has(f.name));
        assertEquals(pushed(unzipped), pushed(identity));
        const jobs = pushed(unzipped).find((f) => f.name === "jobs_total")!;
        assertEquals(jobs.metric.length, 4000);
        const h777 = jobs.metric.find((m) =>
          m.label.some((l) => l.value === "h00777") && m.label.some((l) => l.value === "a")
        );
        assertEquals(h777?.counter?.value, value);
      } else {
        const text = new TextDecoder().decode(unzipped);
        assertEquals(pushedOnly(text), pushedOnly(new TextDecoder().decode(identity)));
        assert(
          text.includes(`jobs_total{instance="h00777",job="j",kind="a"} ${value}\n`),
          `h00777 ${value}`,
        );
        assertEquals(text.split("\n").filter((l) => l.startsWith("jobs_total{")).length, 4000);
      }
    }
  }
});

Deno.test("/metrics without gzip in Accept-Encoding is not compressed", async () => {
  const { ctx, get } = setup();
  await push(ctx, 1);
  for (const encoding of [undefined, "identity", "gzip;q=0", "br, deflate"]) {
    const res = await get(encoding === undefined ? {} : { "accept-encoding": encoding });
    assertEquals(res.headers.get("content-encoding"), null, encoding);
    const text = await res.text();
    assert(text.includes('jobs_total{instance="h00001",job="j",kind="a"} 1\n'), encoding);
  }
});

/** One group's push in OpenMetrics: a counter and a histogram with exemplars, a unit. */
function openMetricsBody(value: number): string {
  return `# HELP om_requests Requests.
# TYPE om_requests counter
om_requests_total{code="200"} ${value} # {trace_id="t${value}"} 1.0 1700000000.5
om_requests_total{code="500"} 1
# TYPE om_latency_seconds histogram
# UNIT om_latency_seconds seconds
om_latency_seconds_bucket{le="0.1"} 1
om_latency_seconds_bucket{le="1.0"} 2 # {trace_id="b${value}"} 0.5
om_latency_seconds_bucket{le="+Inf"} 3
om_latency_seconds_sum 4.25
om_latency_seconds_count 3
# EOF
`;
}

async function pushOpenMetrics(ctx: AppContext, i: number, value = i): Promise<void> {
  const res = await ctx.store.submit({
    kind: "push",
    labels: { job: "om", instance: `h${String(i).padStart(5, "0")}` },
    families: parseOpenMetrics(openMetricsBody(value)),
    replace: true,
    timeMs: 1_700_000_000_000 + i,
  });
  assert(res.ok, JSON.stringify(res));
}

/** Accept headers and what `/metrics` answers them with `--web.enable-openmetrics`. */
const OPENMETRICS_CASES: [string, string][] = [
  [PROM_2_42, "application/openmetrics-text; version=1.0.0; charset=utf-8; escaping=underscores"],
  [PROM_3, "application/openmetrics-text; version=1.0.0; charset=utf-8; escaping=allow-utf-8"],
  [
    "application/openmetrics-text; version=0.0.1",
    "application/openmetrics-text; version=0.0.1; charset=utf-8; escaping=underscores",
  ],
  [
    "application/openmetrics-text",
    "application/openmetrics-text; version=0.0.1; charset=utf-8; escaping=underscores",
  ],
];

/** The scrape rendered whole, without any cache: what `/metrics` must answer. */
function freshOpenMetrics(ctx: AppContext, contentType: string): string {
  const escaping = /escaping=([a-z0-9-]+)/.exec(contentType)![1] as EscapingScheme;
  const families = gatherFamilies(ctx, "pushed").map((f) => f.family);
  return renderOpenMetrics(families, { escaping });
}

Deno.test("--web.enable-openmetrics: Prometheus' Accept headers get OpenMetrics, gzip and identity, as a fresh render after every push", async () => {
  const ctx = testAppContext({ enableOpenMetrics: true, ownMetricsApart: true });
  const app = createApp(ctx);
  const get = (headers: HeadersInit) => app(new Request("http://gw/metrics", { headers }));
  for (let i = 0; i < 1500; i++) await pushOpenMetrics(ctx, i);
  let current = 777; // what group 777 last pushed
  for (const [accept, contentType] of OPENMETRICS_CASES) {
    for (let round = 0; round < 3; round++) {
      // Round 1: unchanged store; round 2: right after a one-group push.
      if (round === 2) await pushOpenMetrics(ctx, 777, current += 1000);
      const expected = freshOpenMetrics(ctx, contentType);
      const where = `${accept} round ${round}`;
      const gz = await get({ accept, "accept-encoding": "gzip" });
      assertEquals(gz.status, 200, where);
      assertEquals(gz.headers.get("content-type"), contentType, where);
      assertEquals(gz.headers.get("content-encoding"), "gzip", where);
      const compressed = await bytesOf(gz);
      const unzipped = new TextDecoder().decode(gunzipSync(compressed));
      assert(compressed.length * 4 < unzipped.length, `${where}: ${compressed.length} bytes`);
      assert(unzipped === expected, `${where}: gzip scrape differs from a fresh render`);
      const plain = await get({ accept });
      assertEquals(plain.headers.get("content-type"), contentType, where);
      assertEquals(plain.headers.get("content-encoding"), null, where);
      assert(await plain.text() === expected, `${where}: identity scrape differs`);

      assert(expected.endsWith("\n# EOF\n"), where);
      assertEquals(expected.split("# EOF").length, 2, where);
      assertStringIncludes(
        expected,
        `om_requests_total{code="200",instance="h00777",job="om"} ${current}.0 ` +
          `# {trace_id="t${current}"} 1.0 1.7000000005e+09\n`,
        where,
      );
      assertStringIncludes(
        expected,
        "# TYPE om_latency_seconds histogram\n# UNIT om_latency_seconds seconds\n",
        where,
      );
      assertStringIncludes(
        expected,
        'om_latency_seconds_bucket{instance="h00001",job="om",le="1.0"} 2 # {trace_id="b1"} 0.5\n',
        where,
      );
      assertEquals(
        expected.split("\n").filter((l) => l.startsWith("om_requests_total{")).length,
        3000,
        where,
      );
    }
  }
});

/** Accept headers of every kind, OpenMetrics among them. */
const ACCEPTS: (string | null)[] = [
  null,
  PROM_2_42,
  PROM_3,
  PROM_3_PROTO,
  "text/plain",
  "*/*",
  PROTO_DELIMITED,
  "application/openmetrics-text;version=1.0.0",
  "application/openmetrics-text;version=2.0.0,text/plain;version=0.0.4;q=0.5",
];

/** The scrape of `families` in the format and scheme of `negotiated`, rendered whole. */
function fresh(
  families: MetricFamily[],
  negotiated: { format: string; escaping: EscapingScheme },
): Uint8Array {
  const escaped = families.map((f) => escapeMetricFamily(f, negotiated.escaping));
  // Protobuf scrapes carry no unit, as upstream's (client_golang's Gatherers drop it).
  if (negotiated.format === "protobuf") {
    return encodeDelimited(escaped.map((f) => ({ ...f, unit: undefined })));
  }
  if (negotiated.format === "text") return new TextEncoder().encode(renderText(escaped));
  return new TextEncoder().encode(renderOpenMetrics(escaped, { escaping: "allow-utf-8" }));
}

Deno.test("--web.enable-openmetrics off: every Accept negotiates and renders as without OpenMetrics; on: only OpenMetrics answers change", async () => {
  const off = testAppContext({ ownMetricsApart: true, enableUtf8Names: true });
  const on = testAppContext({
    ownMetricsApart: true,
    enableUtf8Names: true,
    enableOpenMetrics: true,
  });
  for (const ctx of [off, on]) {
    for (let i = 0; i < 50; i++) await pushOpenMetrics(ctx, i);
    const res = await ctx.store.submit({
      kind: "push",
      labels: { job: "utf8" },
      families: parseText('{"a.b","c.d"="x"} 1\n', { scheme: "utf8" }),
      replace: true,
      timeMs: 1_700_000_000_000,
    });
    assert(res.ok, JSON.stringify(res));
  }
  const families = gatherFamilies(off, "pushed").map((f) => f.family);
  const appOff = createApp(off);
  const appOn = createApp(on);
  let openMetricsAnswers = 0;
  for (const accept of ACCEPTS) {
    const headers: HeadersInit = accept === null ? {} : { accept };
    const a = await appOff(new Request("http://gw/metrics", { headers }));
    const b = await appOn(new Request("http://gw/metrics", { headers }));
    const where = String(accept);
    const plain = negotiate(accept);
    assertEquals(a.headers.get("content-type"), plain.contentType, where);
    const bytesOff = await bytesOf(a);
    assertEquals(bytesOff, fresh(families, plain), where);
    const withOm = negotiateIncludingOpenMetrics(accept);
    assertEquals(b.headers.get("content-type"), withOm.contentType, where);
    const bytesOn = await bytesOf(b);
    if (withOm.format === "openmetrics") {
      openMetricsAnswers++;
      assertEquals(bytesOn, fresh(families, withOm), where);
      assertMatch(withOm.contentType, /^application\/openmetrics-text; version=1\.0\.0; /, where);
    } else {
      assertEquals(withOm, plain, where);
      assertEquals(bytesOn, bytesOff, where);
    }
  }
  assertEquals(openMetricsAnswers, 3);
  // The unit pushed in OpenMetrics: `# UNIT` in OpenMetrics, never in protobuf (as upstream).
  assert(families.some((f) => f.unit === "seconds"), "the merged family has its unit");
  const om = await appOn(new Request("http://gw/metrics", { headers: { accept: PROM_2_42 } }));
  assertStringIncludes(await om.text(), "# UNIT om_latency_seconds seconds\n");
  for (const app of [appOff, appOn]) {
    const proto = await app(
      new Request("http://gw/metrics", { headers: { accept: PROM_3_PROTO } }),
    );
    const decoded = decodeDelimited(await bytesOf(proto));
    assertEquals(decoded.find((f) => f.name === "om_latency_seconds")?.unit, undefined);
    assertEquals(decoded.length, families.length);
  }
  // Without the flag an OpenMetrics-first Accept gets text; names escaped as negotiated either way.
  const p242 = { headers: { accept: PROM_2_42 } };
  const text = await (await appOff(new Request("http://gw/metrics", p242))).text();
  assertStringIncludes(text, '# TYPE a_b untyped\na_b{c_d="x",instance="",job="utf8"} 1\n');
  const om242 = await (await appOn(new Request("http://gw/metrics", p242))).text();
  assertStringIncludes(om242, '# TYPE a_b unknown\na_b{c_d="x",instance="",job="utf8"} 1.0\n');
  const om3 = await (await appOn(new Request("http://gw/metrics", { headers: { accept: PROM_3 } })))
    .text();
  assertStringIncludes(
    om3,
    '# TYPE "a.b" unknown\n{"a.b","c.d"="x",instance="",job="utf8"} 1.0\n',
  );
});

Deno.test("--web.enable-openmetrics: the gateway's own metrics in OpenMetrics, on the telemetry path and /-/metrics", async () => {
  const { app } = appFromFlags(["--web.enable-openmetrics"]);
  await request(app, "PUT", "/metrics/job/n", "# HELP g a gauge\n# TYPE g gauge\ng 1.5\n");
  const accept = { accept: PROM_2_42 };
  for (const path of ["/metrics", "/-/metrics"]) {
    const res = await app(new Request(`http://gw${path}`, { headers: accept }));
    assertEquals(
      res.headers.get("content-type"),
      "application/openmetrics-text; version=1.0.0; charset=utf-8; escaping=underscores",
      path,
    );
    const text = await res.text();
    assert(text.endsWith("\n# EOF\n"), path);
    assertEquals(text.split("# EOF").length, 2, path);
    assertStringIncludes(
      text,
      "# TYPE pushgateway_build_info gauge\npushgateway_build_info{",
      path,
    );
    assertStringIncludes(text, "# TYPE pushgateway_http_requests counter\n", path);
    assertEquals(text.includes('g{instance="",job="n"} 1.5\n'), path === "/metrics", path);
  }
  // Text and protobuf as before for clients that ask for them.
  const text = await app(new Request("http://gw/metrics", { headers: { accept: "text/plain" } }));
  assertEquals(
    text.headers.get("content-type"),
    "text/plain; version=0.0.4; charset=utf-8; escaping=underscores",
  );
  assertFalse((await text.text()).includes("# EOF"));
});
