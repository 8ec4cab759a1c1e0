/**
 * The scrape handler in-process: content negotiation, gzip (as Prometheus
 * asks for it, checked against the identity body), and where
 * `--web.telemetry-path` puts it.
 */

import { assert, assertEquals, assertFalse, assertMatch, assertStringIncludes } from "@std/assert";
import { gunzipSync } from "node:zlib";
import { PROTO_DELIMITED } from "@lib/expfmt/media_type.ts";
import { parseText } from "@lib/expfmt/text_parse.ts";
import { createApp } from "@lib/http/app.ts";
import type { AppContext } from "@lib/http/context.ts";
import { acceptsGzip } from "@lib/http/metrics.ts";
import { OWN_FAMILIES } from "@lib/http/self_metrics.ts";
import { appFromFlags } from "@lib/http/test_app.ts";
import { request } from "@lib/http/test_client.ts";
import { testAppContext } from "@lib/http/test_context.ts";
import { decodeDelimited } from "@lib/protobuf/decode.ts";

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
