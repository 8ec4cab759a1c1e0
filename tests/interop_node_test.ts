/**
 * Interop with Node's `prom-client` (npm, run through Deno's Node compatibility
 * layer): its `Pushgateway` class sends no Content-Type and a chunked body,
 * encodes grouping values with `encodeURIComponent` (no `@base64`), and treats
 * any status below 400 as success. Its OpenMetrics registry's exemplars fail
 * the text parser, so that body gets the OpenMetrics parse (`# EOF` at the end),
 * and with `--web.enable-openmetrics` they are scraped back in OpenMetrics.
 *
 * When the package cannot be loaded (no npm registry and no cache) the tests
 * are skipped with a message, except under `CI=true`, where they fail.
 */

import {
  assert,
  assertEquals,
  assertMatch,
  assertRejects,
  assertStringIncludes,
} from "@std/assert";
import { sampleLines } from "@lib/http/test_client.ts";
import { type RunningGateway, testWithGateway } from "./helpers/gateway.ts";
import { getText } from "./helpers/interop.ts";

type PromClient = typeof import("npm:prom-client@15.1.3");
type Registry = import("npm:prom-client@15.1.3").Registry<
  import("npm:prom-client@15.1.3").RegistryContentType
>;

let loadError = "";
const promClient: PromClient | undefined = await import("npm:prom-client@15.1.3").catch(
  (err: unknown) => {
    loadError = String(err);
    return undefined;
  },
);

const CLIENT = {
  available: promClient !== undefined,
  reason: `npm package prom-client@15.1.3 could not be loaded: ${loadError}`,
};

/** Metrics of every classic type in a fresh registry (text 0.0.4, or OpenMetrics). */
function registry(client: PromClient, openMetrics = false): Registry {
  const reg: Registry = new client.Registry();
  if (openMetrics) reg.setContentType(client.Registry.OPENMETRICS_CONTENT_TYPE);
  new client.Counter({
    name: "node_requests_total",
    help: "Requests.",
    labelNames: ["code"],
    registers: [reg],
  }).inc({ code: "200" }, 5);
  new client.Gauge({ name: "node_queue", help: "Queue.", registers: [reg] }).set(2.5);
  const h = new client.Histogram({
    name: "node_duration_seconds",
    help: "Duration.",
    buckets: [0.1, 1],
    registers: [reg],
  });
  for (const v of [0.05, 0.5, 2]) h.observe(v);
  const s = new client.Summary({
    name: "node_size_bytes",
    help: "Size.",
    percentiles: [0.5, 0.9],
    registers: [reg],
  });
  for (const v of [10, 20, 30, 40]) s.observe(v);
  return reg;
}

/** A registry holding only the queue gauge. */
function queueOnly(client: PromClient, queue: number): Registry {
  const reg: Registry = new client.Registry();
  new client.Gauge({ name: "node_queue", help: "Queue.", registers: [reg] }).set(queue);
  return reg;
}

/** The HTTP status of a settled prom-client call. */
function statusOf(result: { resp?: unknown }): number | undefined {
  return (result.resp as { statusCode?: number } | undefined)?.statusCode;
}

/** A test with prom-client and a fresh gateway started with `args`. */
function withGateway(
  name: string,
  fn: (client: PromClient, gw: RunningGateway) => Promise<void>,
  args: readonly string[] = [],
): void {
  testWithGateway(name, args, (gw) => fn(promClient as PromClient, gw), { needs: CLIENT });
}

const GROUPINGS = { instance: "web-1", zone: "eu west" };
const STORED = 'instance="web-1",job="node-app",zone="eu west"';

withGateway(
  "node: push, pushAdd and delete (no Content-Type, chunked body)",
  async (client, gw) => {
    const pgw = new client.Pushgateway(gw.url, {}, registry(client));
    assertEquals(statusOf(await pgw.push({ jobName: "node-app", groupings: GROUPINGS })), 200);
    let text = await getText(`${gw.url}/metrics`);
    assertStringIncludes(
      text,
      "# HELP node_requests_total Requests.\n# TYPE node_requests_total counter\n",
    );
    assertEquals(sampleLines(text, "node_requests_total"), [
      `node_requests_total{code="200",${STORED}} 5`,
    ]);
    assertEquals(sampleLines(text, "node_queue"), [`node_queue{${STORED}} 2.5`]);
    assertEquals(sampleLines(text, "node_duration_seconds_bucket"), [
      `node_duration_seconds_bucket{${STORED},le="0.1"} 1`,
      `node_duration_seconds_bucket{${STORED},le="1"} 2`,
      `node_duration_seconds_bucket{${STORED},le="+Inf"} 3`,
    ]);
    assertEquals(sampleLines(text, "node_duration_seconds_sum"), [
      `node_duration_seconds_sum{${STORED}} 2.55`,
    ]);
    assertEquals(sampleLines(text, "node_size_bytes"), [
      `node_size_bytes{${STORED},quantile="0.5"} 25`,
      `node_size_bytes{${STORED},quantile="0.9"} 40`,
    ]);
    assertEquals(sampleLines(text, "node_size_bytes_count"), [
      `node_size_bytes_count{${STORED}} 4`,
    ]);

    // pushAdd (POST) replaces only the families it carries.
    const adder = new client.Pushgateway(gw.url, {}, queueOnly(client, 7));
    assertEquals(statusOf(await adder.pushAdd({ jobName: "node-app", groupings: GROUPINGS })), 200);
    text = await getText(`${gw.url}/metrics`);
    assertEquals(sampleLines(text, "node_queue"), [`node_queue{${STORED}} 7`]);
    assertEquals(sampleLines(text, "node_requests_total").length, 1);

    // push (PUT) replaces the whole group.
    assertEquals(statusOf(await adder.push({ jobName: "node-app", groupings: GROUPINGS })), 200);
    text = await getText(`${gw.url}/metrics`);
    assertEquals(sampleLines(text, "node_requests_total"), []);
    assertEquals(sampleLines(text, "node_queue"), [`node_queue{${STORED}} 7`]);

    assertEquals(statusOf(await adder.delete({ jobName: "node-app", groupings: GROUPINGS })), 202);
    text = await getText(`${gw.url}/metrics`);
    assertEquals(sampleLines(text, "node_queue"), []);
    assert(!text.includes('job="node-app"'), "no series of the group left");
  },
);

withGateway(
  "node: gzip bodies (Content-Encoding header) and OpenMetrics registries",
  async (client, gw) => {
    const gz = new client.Pushgateway(
      gw.url,
      { headers: { "Content-Encoding": "gzip" } },
      queueOnly(client, 3),
    );
    assertEquals(statusOf(await gz.push({ jobName: "node-gz" })), 200);
    assertEquals(sampleLines(await getText(`${gw.url}/metrics`), "node_queue"), [
      'node_queue{instance="",job="node-gz"} 3',
    ]);
    // prom-client drops the Content-Encoding header for DELETE, which has no body.
    assertEquals(statusOf(await gz.delete({ jobName: "node-gz" })), 202);
    assertEquals(sampleLines(await getText(`${gw.url}/metrics`), "node_queue"), []);

    // An OpenMetrics registry: `# EOF` is a comment to the text parser, and the counter's
    // family name (`node_requests`) does not match its sample (`node_requests_total`), so
    // upstream (checked against Debian's 1.5.1) keeps the sample as an untyped family.
    const om = new client.Pushgateway(
      gw.url,
      {},
      registry(client, true),
    );
    assertEquals(statusOf(await om.push({ jobName: "node-om" })), 200);
    const text = await getText(`${gw.url}/metrics`);
    assertStringIncludes(text, "# TYPE node_requests_total untyped\n");
    assertEquals(sampleLines(text, "node_requests_total"), [
      'node_requests_total{code="200",instance="",job="node-om"} 5',
    ]);
    assertEquals(sampleLines(text, "node_duration_seconds_count"), [
      'node_duration_seconds_count{instance="",job="node-om"} 3',
    ]);
    assert(!text.includes("# EOF"), "the end marker is not stored");
  },
);

/** An OpenMetrics registry with exemplars on a counter and a histogram bucket, and a gauge. */
function exemplarRegistry(client: PromClient): Registry {
  const reg: Registry = new client.Registry();
  reg.setContentType(client.Registry.OPENMETRICS_CONTENT_TYPE);
  // prom-client's types want exemplar label names among the metric's own; its code does not.
  const traceId = (id: string): Record<string, string> => ({ trace_id: id });
  new client.Counter({
    name: "node_requests_total",
    help: "Requests.",
    labelNames: ["code"],
    registers: [reg],
    enableExemplars: true,
  }).inc({ labels: { code: "200" }, value: 5, exemplarLabels: traceId("abc") });
  const h = new client.Histogram({
    name: "node_duration_seconds",
    help: "Duration.",
    buckets: [0.1, 1],
    registers: [reg],
    enableExemplars: true,
  });
  h.observe({ value: 0.5, exemplarLabels: traceId("def") });
  h.observe({ value: 2 });
  new client.Gauge({ name: "node_queue", help: "Queue.", registers: [reg] }).set(2.5);
  return reg;
}

withGateway(
  "node: an OpenMetrics registry with exemplars (no Content-Type) is stored and served",
  async (client, gw) => {
    const reg = exemplarRegistry(client);
    // The exemplars are what the text 0.0.4 parser refuses (upstream answers 400).
    const sent = await reg.metrics();
    assertStringIncludes(sent, '# {trace_id="abc"} 5 ');
    assert(sent.endsWith("# EOF\n"), sent);

    const pgw = new client.Pushgateway(gw.url, {}, reg);
    assertEquals(statusOf(await pgw.push({ jobName: "node-ex", groupings: GROUPINGS })), 200);
    const stored = 'instance="web-1",job="node-ex",zone="eu west"';
    const text = await getText(`${gw.url}/metrics`);
    // Parsed as OpenMetrics: the counter family takes its sample's name and keeps its type.
    assertStringIncludes(
      text,
      "# HELP node_requests_total Requests.\n# TYPE node_requests_total counter\n",
    );
    assertEquals(sampleLines(text, "node_requests_total"), [
      `node_requests_total{code="200",${stored}} 5`,
    ]);
    assertEquals(sampleLines(text, "node_duration_seconds_bucket"), [
      `node_duration_seconds_bucket{${stored},le="0.1"} 0`,
      `node_duration_seconds_bucket{${stored},le="1"} 1`,
      `node_duration_seconds_bucket{${stored},le="+Inf"} 2`,
    ]);
    assertEquals(sampleLines(text, "node_queue"), [`node_queue{${stored}} 2.5`]);

    // The exemplars are kept: /api/v1/metrics shows them (a field upstream does not have).
    const api = JSON.parse(await getText(`${gw.url}/api/v1/metrics`));
    const group = api.data.find((g: { labels: { job: string } }) => g.labels.job === "node-ex");
    const counter = group.node_requests_total;
    assertEquals(counter.type, "COUNTER");
    const exemplar = counter.metrics[0].exemplar;
    assertEquals([exemplar.labels, exemplar.value], [{ trace_id: "abc" }, "5"]);
    const rfc3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/;
    assertMatch(exemplar.timestamp, rfc3339);
    assert(Math.abs(Date.parse(exemplar.timestamp) - Date.now()) < 600_000, exemplar.timestamp);
    const histogram = group.node_duration_seconds;
    assertEquals(histogram.type, "HISTOGRAM");
    assertEquals(
      histogram.metrics[0].exemplars.map((e: Record<string, unknown>) => [e.le, e.labels, e.value]),
      [["1", { trace_id: "def" }, "0.5"]],
    );
    assertEquals(group.node_queue.metrics[0].exemplar, undefined);
    // And the UI lists them.
    const ui = await getText(`${gw.url}/`);
    assertStringIncludes(ui, "Exemplar</th><td>{trace_id=&quot;abc&quot;} 5 @ ");
    assertStringIncludes(ui, "Exemplar &le; 1</th><td>{trace_id=&quot;def&quot;} 0.5 @ ");
  },
);

withGateway(
  "node: with --web.enable-openmetrics, an OpenMetrics registry's push is scraped back in OpenMetrics with its exemplars",
  async (client, gw) => {
    const reg = exemplarRegistry(client);
    const sent = await reg.metrics();
    const pgw = new client.Pushgateway(gw.url, {}, reg);
    assertEquals(statusOf(await pgw.push({ jobName: "node-ex", groupings: GROUPINGS })), 200);
    const res = await fetch(`${gw.url}/metrics`, {
      headers: { accept: "application/openmetrics-text;version=1.0.0,text/plain;q=0.5" },
    });
    assertEquals(
      res.headers.get("content-type"),
      "application/openmetrics-text; version=1.0.0; charset=utf-8; escaping=underscores",
    );
    const text = await res.text();
    assert(text.endsWith("\n# EOF\n"), text);
    const stored = 'instance="web-1",job="node-ex",zone="eu west"';
    /** An exemplar's timestamp as written after `# {labels} value`, in seconds. */
    const exemplarTime = (body: string, prefix: string): number => {
      const line = body.split("\n").find((l) => l.startsWith(prefix));
      assert(line !== undefined, `no line ${prefix} in\n${body}`);
      return Number(line.slice(prefix.length));
    };
    // The counter under its OpenMetrics name, with the exemplar prom-client sent.
    assertStringIncludes(text, "# HELP node_requests Requests.\n# TYPE node_requests counter\n");
    const counter = `node_requests_total{code="200",${stored}} 5.0 # {trace_id="abc"} 5.0 `;
    const sentCounter = 'node_requests_total{code="200"} 5 # {trace_id="abc"} 5 ';
    // Timestamps in seconds as Go writes them (a float64 of the nanoseconds): within 1 µs.
    const delta = exemplarTime(text, counter) - exemplarTime(sent, sentCounter);
    assert(Math.abs(delta) < 1e-6, `counter exemplar timestamp off by ${delta}`);
    // The bucket's exemplar, on the bucket that holds it; the others have none.
    assertStringIncludes(text, "# TYPE node_duration_seconds histogram\n");
    const bucket = `node_duration_seconds_bucket{${stored},le="1.0"} 1 # {trace_id="def"} 0.5 `;
    const sentBucket = 'node_duration_seconds_bucket{le="1"} 1 # {trace_id="def"} 0.5 ';
    const bucketDelta = exemplarTime(text, bucket) - exemplarTime(sent, sentBucket);
    assert(Math.abs(bucketDelta) < 1e-6, `bucket exemplar timestamp off by ${bucketDelta}`);
    assertStringIncludes(text, `node_duration_seconds_bucket{${stored},le="0.1"} 0\n`);
    assertStringIncludes(text, `node_duration_seconds_bucket{${stored},le="+Inf"} 2\n`);
    assertStringIncludes(text, `# TYPE node_queue gauge\nnode_queue{${stored}} 2.5\n`);
    assertEquals(text.split(" # {").length - 1, 2, "two exemplars");

    // A text scrape of the same store is as without the flag: no exemplars.
    const plain = await getText(`${gw.url}/metrics`);
    assertEquals(sampleLines(plain, "node_requests_total"), [
      `node_requests_total{code="200",${stored}} 5`,
    ]);
    assert(!plain.includes("# {") && !plain.includes("# EOF"), plain);
  },
  ["--web.enable-openmetrics"],
);

withGateway("node: grouping values without @base64 hit upstream's traps", async (client, gw) => {
  const pgw = new client.Pushgateway(gw.url, {}, queueOnly(client, 1));
  // A `/` inside a value arrives as %2F: 400 "odd number of components", and the call rejects.
  await assertRejects(
    () => pgw.push({ jobName: "node-trap", groupings: { path: "a/b" } }),
    Error,
    'push failed with status 400, odd number of components in label string "/path/a/b"',
  );
  // An empty value in the middle makes `//`: upstream's 301, which prom-client takes for
  // success although nothing was stored.
  const moved = await pgw.push({ jobName: "node-trap", groupings: { a: "", b: "x" } });
  assertEquals(statusOf(moved), 301);
  // An empty value at the end is a trailing slash, which upstream reads as an empty value.
  const last = await pgw.push({ jobName: "node-trap", groupings: { b: "x", a: "" } });
  assertEquals(statusOf(last), 200);
  assertEquals(sampleLines(await getText(`${gw.url}/metrics`), "node_queue"), [
    'node_queue{a="",b="x",instance="",job="node-trap"} 1',
  ]);
});
