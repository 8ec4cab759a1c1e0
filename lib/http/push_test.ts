/**
 * Push and delete handlers in-process (`PUT`/`POST`/`DELETE /metrics/job/…`):
 * grouping keys, upstream's 400 texts, body formats, the consistency check,
 * the body cap. Asserted through HTTP answers and the scrape only.
 */

import { assert, assertEquals, assertMatch, assertStringIncludes } from "@std/assert";
import { PROTO_DELIMITED } from "@lib/expfmt/media_type.ts";
import { encodeDelimited } from "@lib/protobuf/encode.ts";
import { MetricType } from "@lib/model/metric.ts";
import { appFromFlags } from "@lib/http/test_app.ts";
import { request, sampleLines, type Target } from "@lib/http/test_client.ts";

async function scrape(app: Target): Promise<string> {
  return (await request(app, "GET", "/metrics")).text;
}

async function gzip(text: string): Promise<Uint8Array<ArrayBuffer>> {
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

Deno.test("PUT stores a group; /metrics shows it with job, instance and timestamps", async () => {
  const { app } = appFromFlags();
  const put = await request(app, "PUT", "/metrics/job/j1/a/x", '# TYPE m gauge\nm{l="v"} 3\n');
  assertEquals([put.status, put.text], [200, ""]);
  const text = await scrape(app);
  assertEquals(sampleLines(text, "m"), ['m{a="x",instance="",job="j1",l="v"} 3']);
  assertStringIncludes(text, "# TYPE m gauge\n");
  assertMatch(text, /\npush_time_seconds\{a="x",instance="",job="j1"\} \d\.\d+e\+09\n/);
  assertStringIncludes(text, 'push_failure_time_seconds{a="x",instance="",job="j1"} 0\n');
  assertStringIncludes(text, "# HELP pushgateway_build_info ");
});

Deno.test("PUT replaces, POST merges by family, DELETE answers 202", async () => {
  const { app } = appFromFlags();
  await request(app, "PUT", "/metrics/job/j", "a 1\nb 2\n");
  assertEquals((await request(app, "POST", "/metrics/job/j", "b 3\nc 4\n")).status, 200);
  let text = await scrape(app);
  assertEquals(
    [sampleLines(text, "a"), sampleLines(text, "b"), sampleLines(text, "c")],
    [['a{instance="",job="j"} 1'], ['b{instance="",job="j"} 3'], ['c{instance="",job="j"} 4']],
  );
  await request(app, "PUT", "/metrics/job/j", "c 5\n");
  text = await scrape(app);
  assertEquals([sampleLines(text, "a"), sampleLines(text, "c")], [[], [
    'c{instance="",job="j"} 5',
  ]]);
  const del = await request(app, "DELETE", "/metrics/job/j");
  assertEquals([del.status, del.text], [202, ""]);
  assertEquals(sampleLines(await scrape(app), "c"), []);
  assertEquals((await request(app, "DELETE", "/metrics/job/never")).status, 202);
});

Deno.test("grouping keys: base64, empty values, order, trailing slash, job override", async () => {
  const { app } = appFromFlags();
  const put = async (path: string, body: string) => (await request(app, "PUT", path, body)).status;
  assertEquals(await put("/metrics/job@base64/L3Zhci90bXA/p@base64/=", "m1 1\n"), 200);
  assertEquals(await put("/metrics/job/j/b/2/a/1", "m2 1\n"), 200);
  assertEquals(await put("/metrics/job/j/a/1/b/2", "m3 1\n"), 200);
  assertEquals(await put("/metrics/job/t/", "m4 1\n"), 200);
  assertEquals(await put("/metrics/job/t/foo/", "m5 1\n"), 200);
  assertEquals(await put("/metrics/job/x/job/other", "m6 1\n"), 200);
  const text = await scrape(app);
  assertEquals(sampleLines(text, "m1"), ['m1{instance="",job="/var/tmp",p=""} 1']);
  assertEquals(sampleLines(text, "m2"), [], "same group, replaced by the later PUT");
  assertEquals(sampleLines(text, "m3"), ['m3{a="1",b="2",instance="",job="j"} 1']);
  assertEquals(sampleLines(text, "m4"), ['m4{instance="",job="t"} 1']);
  assertEquals(sampleLines(text, "m5"), ['m5{foo="",instance="",job="t"} 1']);
  assertEquals(sampleLines(text, "m6"), ['m6{instance="",job="x"} 1']);
});

Deno.test("bad URLs get upstream's 400 texts and redirects", async () => {
  const { app } = appFromFlags();
  const odd = await request(app, "PUT", "/metrics/job/j/a", "m 1\n");
  assertEquals([odd.status, odd.text], [400, 'odd number of components in label string "/a"\n']);
  const slash = await request(app, "PUT", "/metrics/job/j/lab/a%2Fb", "m 1\n");
  assertEquals(slash.text, 'odd number of components in label string "/lab/a/b"\n');
  const b64 = await request(app, "PUT", "/metrics/job/j/x@base64/a+b", "m 1\n");
  assertEquals(
    b64.text,
    'invalid base64 encoding for label x="a+b": illegal base64 data at input byte 1\n',
  );
  const name = await request(app, "PUT", "/metrics/job/j/__x/1", "m 1\n");
  assertEquals(name.text, 'improper label name "__x"\n');
  const empty = await request(app, "PUT", "/metrics/job@base64/=", "m 1\n");
  assertEquals([empty.status, empty.text], [400, "job name is required\n"]);
  const dbl = await request(app, "PUT", "/metrics/job/ts//x/y", "m 1\n");
  assertEquals([dbl.status, dbl.headers.get("location")], [301, "/metrics/job/ts/x/y"]);
  const noJob = await request(app, "PUT", "/metrics/job/", "m 1\n");
  assertEquals([noJob.status, noJob.headers.get("location")], [307, "/metrics/job"]);
});

Deno.test("bodies: no Content-Type, form type, protobuf, gzip (any case), bad gzip", async () => {
  const { app } = appFromFlags();
  assertEquals((await request(app, "PUT", "/metrics/job/a", "t1 1\n")).status, 200);
  const form = { "content-type": "application/x-www-form-urlencoded" };
  assertEquals((await request(app, "PUT", "/metrics/job/b", "t2 1\n", form)).status, 200);
  const proto = encodeDelimited([{
    name: "p1",
    type: MetricType.COUNTER,
    help: "proto help",
    metric: [{ label: [{ name: "l", value: "v" }], counter: { value: 7 } }],
  }]);
  assertEquals(
    (await request(app, "PUT", "/metrics/job/c", new Uint8Array(proto), {
      "content-type": PROTO_DELIMITED,
    })).status,
    200,
  );
  const gz = await gzip("t3 1\n");
  assertEquals(
    (await request(app, "PUT", "/metrics/job/d", gz, { "content-encoding": "GZIP" })).status,
    200,
  );
  const bad = await request(app, "PUT", "/metrics/job/e", "not gzip", {
    "content-encoding": "gzip",
  });
  assertEquals(bad.status, 400);
  const text = await scrape(app);
  assertEquals(sampleLines(text, "p1"), ['p1{instance="",job="c",l="v"} 7']);
  assertStringIncludes(text, "# HELP p1 proto help\n# TYPE p1 counter\n");
  assertEquals(sampleLines(text, "t3"), ['t3{instance="",job="d"} 1']);
  assert(!text.includes('job="e"'), "a rejected body creates no group");
});

Deno.test("parse errors and timestamps: 400, and only store rejections record a failure", async () => {
  const { app } = appFromFlags();
  const parse = await request(app, "PUT", "/metrics/job/p", "m 1");
  assertEquals(
    [parse.status, parse.text],
    [400, "text format parsing error in line 1: unexpected end of input stream\n"],
  );
  const ts = await request(app, "PUT", "/metrics/job/ts", "m 1 1234\n");
  assertEquals(
    [ts.status, ts.text],
    [
      400,
      "pushed metrics are invalid or inconsistent with existing metrics: pushed metrics must not have timestamps\n",
    ],
  );
  const text = await scrape(app);
  assert(!text.includes('job="p"'));
  assertStringIncludes(text, 'push_time_seconds{instance="",job="ts"} 0\n');
  assertMatch(text, /push_failure_time_seconds\{instance="",job="ts"\} \d\.\d+e\+09\n/);
});

Deno.test("refused pushes (400) never poison the store (docs/upstream.md §4.6)", async () => {
  const { app, logs } = appFromFlags();
  await request(app, "PUT", "/metrics/job/a", "# TYPE same gauge\nsame 1\n");
  const clash = await request(app, "PUT", "/metrics/job/b", "# TYPE same counter\nsame 1\n");
  assertEquals(clash.status, 400);
  assertMatch(
    clash.text,
    /^pushed metrics are invalid or inconsistent with existing metrics: collected metric "same" .* is not a GAUGE\n$/,
  );
  assertEquals((await request(app, "PUT", "/metrics/job/ts/", "")).status, 200);
  const poison = await request(app, "PUT", "/metrics/job/ts/instance@base64/=", "");
  assertEquals(poison.status, 400);
  assertEquals((await request(app, "PUT", "/metrics/job/later", "x 1\n")).status, 200);
  const res = await request(app, "GET", "/metrics");
  assertEquals(res.status, 200);
  assertEquals(sampleLines(res.text, "x"), ['x{instance="",job="later"} 1']);
  assert(logs.some((l) => l.includes("pushed metrics are invalid or inconsistent")));
});

Deno.test("--push.disable-consistency-check answers 202 and still protects the store", async () => {
  const { app } = appFromFlags(["--push.disable-consistency-check"]);
  assertEquals((await request(app, "PUT", "/metrics/job/a", "# TYPE u gauge\nu 1\n")).status, 202);
  assertEquals(
    (await request(app, "PUT", "/metrics/job/b", "# TYPE u counter\nu 1\n")).status,
    202,
  );
  const res = await request(app, "GET", "/metrics");
  assertEquals(res.status, 200);
  assertEquals(sampleLines(res.text, "u"), ['u{instance="",job="a"} 1']);
});

Deno.test("the body cap answers 413, also after decompression", async () => {
  const { app } = appFromFlags(["--push.max-body-size=1KiB"]);
  const big = "m 1\n".repeat(1000);
  assertEquals((await request(app, "PUT", "/metrics/job/a", big)).status, 413);
  const gz = await gzip(big);
  assert(gz.length < 1024);
  assertEquals(
    (await request(app, "PUT", "/metrics/job/a", gz, { "content-encoding": "gzip" })).status,
    413,
  );
  assertEquals((await request(app, "PUT", "/metrics/job/a", "m 1\n")).status, 200);
});

const OM_CT = { "content-type": "application/openmetrics-text; version=1.0.0; charset=utf-8" };

/** What prom-client 15.1.3's OpenMetrics registry with exemplars sends (no Content-Type). */
const PROM_CLIENT_OM = "# HELP jobs_processed Jobs processed.\n# TYPE jobs_processed counter\n" +
  'jobs_processed_total{queue="a"} 2 # {traceId="abc123"} 2 1796605437.911\n' +
  "# HELP job_duration_seconds Job duration.\n# TYPE job_duration_seconds histogram\n" +
  'job_duration_seconds_bucket{le="0.1"} 0\n' +
  'job_duration_seconds_bucket{le="1"} 1 # {traceId="def456"} 0.5 1796605437.912\n' +
  'job_duration_seconds_bucket{le="+Inf"} 1\njob_duration_seconds_sum 0.5\n' +
  "job_duration_seconds_count 1\n# HELP queue_depth Depth.\n# TYPE queue_depth gauge\n" +
  "queue_depth 3\n# EOF\n";

Deno.test("OpenMetrics with exemplars and no Content-Type: refused by text, parsed as OpenMetrics", async () => {
  const { app } = appFromFlags();
  for (
    const [job, headers] of [["none", {}], ["plain", { "content-type": "text/plain" }]] as const
  ) {
    const put = await request(app, "PUT", `/metrics/job/${job}`, PROM_CLIENT_OM, headers);
    assertEquals([put.status, put.text], [200, ""], job);
  }
  // The same bytes gzip-compressed, as prom-client sends them with a Content-Encoding header.
  const gz = await request(app, "PUT", "/metrics/job/gz", await gzip(PROM_CLIENT_OM), {
    "content-encoding": "gzip",
  });
  assertEquals(gz.status, 200);
  const text = await scrape(app);
  assertStringIncludes(
    text,
    "# HELP jobs_processed_total Jobs processed.\n# TYPE jobs_processed_total counter\n",
  );
  assertEquals(sampleLines(text, "jobs_processed_total"), [
    'jobs_processed_total{instance="",job="gz",queue="a"} 2',
    'jobs_processed_total{instance="",job="none",queue="a"} 2',
    'jobs_processed_total{instance="",job="plain",queue="a"} 2',
  ]);
  assertStringIncludes(text, "# TYPE job_duration_seconds histogram\n");
  assertEquals(sampleLines(text, "job_duration_seconds_bucket").slice(0, 3), [
    'job_duration_seconds_bucket{instance="",job="gz",le="0.1"} 0',
    'job_duration_seconds_bucket{instance="",job="gz",le="1"} 1',
    'job_duration_seconds_bucket{instance="",job="gz",le="+Inf"} 1',
  ]);
  assertEquals(sampleLines(text, "queue_depth").length, 3);
  assert(!text.includes("# EOF") && !text.includes("traceId"), "text 0.0.4 output unchanged");
});

Deno.test("a body text accepts is stored as upstream stores it, even with # EOF", async () => {
  const { app } = appFromFlags();
  const body = "# TYPE x counter\nx_total 1\nx_created 2\n# EOF\n";
  assertEquals((await request(app, "PUT", "/metrics/job/text", body)).status, 200);
  let text = await scrape(app);
  assertEquals(sampleLines(text, "x_total"), ['x_total{instance="",job="text"} 1']);
  assertEquals(sampleLines(text, "x_created"), ['x_created{instance="",job="text"} 2']);
  assertStringIncludes(text, "# TYPE x_total untyped\n");
  assertStringIncludes(text, "# TYPE x_created untyped\n");
  // Declared as OpenMetrics, the same bytes are one counter with a created timestamp. It
  // clashes with the untyped x_total of the other group, so that group goes first.
  assertEquals((await request(app, "DELETE", "/metrics/job/text")).status, 202);
  assertEquals((await request(app, "PUT", "/metrics/job/om", body, OM_CT)).status, 200);
  text = await scrape(app);
  assertStringIncludes(text, "# TYPE x_total counter\n");
  assertEquals(sampleLines(text, "x_total"), ['x_total{instance="",job="om"} 1']);
  assertEquals(sampleLines(text, "x_created"), []);
});

Deno.test("declared OpenMetrics: info, stateset, gaugehistogram, unknown, units", async () => {
  const { app } = appFromFlags();
  const body = "# TYPE y_seconds counter\n# UNIT y_seconds seconds\n# HELP y_seconds Help.\n" +
    'y_seconds_total{a="1"} 1 # {t="x"} 1 5\ny_seconds_created{a="1"} 2\n' +
    '# TYPE i info\ni_info{v="1"} 1\n# TYPE s stateset\ns{s="a"} 1\ns{s="b"} 0\n' +
    '# TYPE g gaugehistogram\ng_bucket{le="1"} 1\ng_bucket{le="+Inf"} 2\ng_gcount 2\ng_gsum 3\n' +
    "# TYPE u unknown\nu 3\n# EOF\n";
  const put = await request(app, "PUT", "/metrics/job/b", body, OM_CT);
  assertEquals([put.status, put.text], [200, ""]);
  const text = await scrape(app);
  assertStringIncludes(text, "# HELP y_seconds_total Help.\n# TYPE y_seconds_total counter\n");
  assertEquals(sampleLines(text, "y_seconds_total"), [
    'y_seconds_total{a="1",instance="",job="b"} 1',
  ]);
  assertStringIncludes(text, '# TYPE i_info gauge\ni_info{instance="",job="b",v="1"} 1\n');
  assertEquals(sampleLines(text, "s"), [
    's{instance="",job="b",s="a"} 1',
    's{instance="",job="b",s="b"} 0',
  ]);
  assertEquals(sampleLines(text, "g_bucket"), [
    'g_bucket{instance="",job="b",le="1"} 1',
    'g_bucket{instance="",job="b",le="+Inf"} 2',
  ]);
  assertEquals(sampleLines(text, "g_sum"), ['g_sum{instance="",job="b"} 3']);
  assertStringIncludes(text, '# TYPE u untyped\nu{instance="",job="b"} 3\n');
  assert(!text.includes("y_seconds_created"), "a created line is no family of its own");
});

Deno.test("OpenMetrics errors: 400 with line numbers, and which parser has the last word", async () => {
  const { app } = appFromFlags();
  const put = (job: string, body: string, headers: Record<string, string> = {}) =>
    request(app, "PUT", `/metrics/job/${job}`, body, headers);
  // Text refuses and the body does not end with # EOF: the text error, as upstream.
  const exemplar = '# TYPE c counter\nc_total 1 # {a="b"} 1\n';
  const noEof = await put("a", exemplar);
  assertEquals([noEof.status, noEof.text], [
    400,
    'text format parsing error in line 2: expected integer as timestamp, got "#"\n',
  ]);
  // Both refuse a body ending in # EOF: the OpenMetrics error.
  const both = await put("b", '# TYPE c counter\nc_total -1 # {a="b"} 1\n# EOF\n');
  assertEquals([both.status, both.text], [
    400,
    'openmetrics format parsing error in line 2: negative value for counter-like sample "c_total"\n',
  ]);
  // Declared OpenMetrics without # EOF.
  const declared = await put("c", "a 1\n", OM_CT);
  assertEquals([declared.status, declared.text], [
    400,
    'openmetrics format parsing error in line 2: missing "# EOF" at the end\n',
  ]);
  // Quoted names need --push.enable-utf8-names, as in text.
  const quoted = await put("d", '{"a.b"} 1\n# EOF\n', OM_CT);
  assertEquals(quoted.status, 400);
  assertStringIncludes(quoted.text, "openmetrics format parsing error in line 1: ");
  const text = await scrape(app);
  for (const job of ["a", "b", "c", "d"]) {
    assert(!text.includes(`job="${job}"`), `a refused body creates no group (${job})`);
  }
});

Deno.test("OpenMetrics sample timestamps are refused by the store as in text", async () => {
  const { app } = appFromFlags();
  for (const [job, headers] of [["declared", OM_CT], ["second-chance", {}]] as const) {
    const body = job === "declared"
      ? "a 1 1.5\n# EOF\n"
      : '# TYPE a counter\na_total 1 1.5 # {x="y"} 1\n# EOF\n';
    const res = await request(app, "PUT", `/metrics/job/${job}`, body, headers);
    assertEquals([res.status, res.text], [
      400,
      "pushed metrics are invalid or inconsistent with existing metrics: pushed metrics must not have timestamps\n",
    ], job);
  }
  const text = await scrape(app);
  assertMatch(text, /push_failure_time_seconds\{instance="",job="declared"\} \d\.\d+e\+09\n/);
  assertMatch(text, /push_failure_time_seconds\{instance="",job="second-chance"\} \d\.\d+e\+09\n/);
});

Deno.test("OpenMetrics quoted UTF-8 names with --push.enable-utf8-names", async () => {
  const { app } = appFromFlags(["--push.enable-utf8-names"]);
  const body = '# TYPE "a.b" info\n{"a.b_info",x="1"} 1\n# EOF\n';
  const put = await request(app, "PUT", "/metrics/job/u", body, OM_CT);
  assertEquals([put.status, put.text], [200, ""]);
  const api = JSON.parse((await request(app, "GET", "/api/v1/metrics")).text);
  assertEquals(api.data[0]["a.b_info"].type, "GAUGE");
  assertEquals(api.data[0]["a.b_info"].metrics[0].labels, { instance: "", job: "u", x: "1" });
});

/** The group `{job="<job>"}` of `/api/v1/metrics`. */
async function apiGroup(app: Target, job: string): Promise<Record<string, unknown>> {
  const data = JSON.parse((await request(app, "GET", "/api/v1/metrics")).text).data as {
    labels: Record<string, string>;
  }[];
  const group = data.find((g) => g.labels.job === job);
  assert(group, `no group ${job}`);
  return group as Record<string, unknown>;
}

interface ApiFamily {
  time_stamp: string;
  type: string;
  help?: string;
  metrics: { value: string }[];
}

/** Type, HELP and the one value of a family in an API group. */
function typeHelpValue(group: Record<string, unknown>, name: string): unknown[] {
  const f = group[name] as ApiFamily;
  assertEquals(f.metrics.length, 1);
  return [f.type, f.help, f.metrics[0]?.value];
}

/** Asserts that `push_time_seconds` holds its own push time (`time_stamp`), as a standard gauge. */
function assertPushTime(group: Record<string, unknown>): void {
  const f = group.push_time_seconds as ApiFamily;
  assertEquals([f.type, f.help], ["GAUGE", PUSHED_HELP]);
  const value = Number(f.metrics[0]?.value);
  const at = Date.parse(f.time_stamp) / 1000;
  assert(value > 1e9 && Math.abs(value - at) < 1e-3, `${value} is not the push time ${at}`);
}

const FAILURE_HELP = "Last Unix time when changing this group in the Pushgateway failed.";
const PUSHED_HELP = "Last Unix time when changing this group in the Pushgateway succeeded.";

Deno.test("pushed failure times: 0 in new groups, kept in others (docs/upstream.md §4.4)", async () => {
  const { app } = appFromFlags();
  const typed =
    "# HELP push_failure_time_seconds mine\n# TYPE push_failure_time_seconds counter\n" +
    "push_failure_time_seconds 9\n# TYPE push_time_seconds counter\npush_time_seconds 5\n";
  assertEquals((await request(app, "PUT", "/metrics/job/n", typed)).status, 200);
  assertEquals((await request(app, "POST", "/metrics/job/n2", typed)).status, 200);
  for (const job of ["n", "n2"]) {
    const group = await apiGroup(app, job);
    assertEquals(typeHelpValue(group, "push_failure_time_seconds"), ["GAUGE", FAILURE_HELP, "0"]);
    assertPushTime(group);
  }
  // An existing group keeps a pushed failure family as pushed; a gauge later than the push time
  // makes the last push read as failed.
  await request(app, "PUT", "/metrics/job/e", "m 1\n");
  const mine = "# HELP push_failure_time_seconds mine\n# TYPE push_failure_time_seconds gauge\n" +
    "push_failure_time_seconds 9e9\npush_time_seconds 5\n";
  assertEquals((await request(app, "POST", "/metrics/job/e", mine)).status, 200);
  const e = await apiGroup(app, "e");
  assertEquals(typeHelpValue(e, "push_failure_time_seconds"), ["GAUGE", "mine", "9e+09"]);
  assertPushTime(e);
  assertEquals(e.last_push_successful, false);
  const text = await scrape(app);
  assertEquals(sampleLines(text, "push_failure_time_seconds"), [
    'push_failure_time_seconds{instance="",job="e"} 9e+09',
    'push_failure_time_seconds{instance="",job="n"} 0',
    'push_failure_time_seconds{instance="",job="n2"} 0',
  ]);
  assert(!text.includes('push_time_seconds{instance="",job="e"} 5\n'));
});

Deno.test("a failure family of another type: kept alone, refused beside gauges", async () => {
  const { app } = appFromFlags();
  await request(app, "PUT", "/metrics/job/e", "m 1\n");
  const untyped = "push_failure_time_seconds 9\n";
  assertEquals((await request(app, "POST", "/metrics/job/e", untyped)).status, 200);
  const e = await apiGroup(app, "e");
  assertEquals(typeHelpValue(e, "push_failure_time_seconds"), ["UNTYPED", undefined, "9"]);
  assertEquals(e.last_push_successful, true);
  let text = await scrape(app);
  assertStringIncludes(
    text,
    '# TYPE push_failure_time_seconds untyped\npush_failure_time_seconds{instance="",job="e"} 9\n',
  );
  // A new group's zero gauge would clash: refused, and (unlike upstream) not created.
  const other = await request(app, "PUT", "/metrics/job/other", "m2 1\n");
  assertEquals(other.status, 400);
  assertStringIncludes(other.text, '"push_failure_time_seconds"');
  assertStringIncludes(other.text, "is not a UNTYPED\n");
  text = await scrape(app);
  assert(!text.includes('job="other"'), "no group from the refused push");
  // A group beside gauges refuses another type and records its failure time.
  const { app: two } = appFromFlags();
  await request(two, "PUT", "/metrics/job/a", "m 1\n");
  await request(two, "PUT", "/metrics/job/b", "m 1\n");
  assertEquals((await request(two, "POST", "/metrics/job/b", untyped)).status, 400);
  const b = await apiGroup(two, "b");
  const failure = b.push_failure_time_seconds as ApiFamily;
  assertEquals([failure.type, failure.help], ["GAUGE", FAILURE_HELP]);
  // The failure time is the refused push's own time (in-process, possibly the same millisecond).
  const pushedAt = Number((b.push_time_seconds as ApiFamily).metrics[0]?.value);
  assert(Number(failure.metrics[0]?.value) >= pushedAt && pushedAt > 1e9);
  assertEquals(Object.keys(b).includes("m"), true, "the refused push changed nothing else");
});

Deno.test("request metrics refuse another HELP from the start (docs/upstream.md §6.1)", async () => {
  const { app } = appFromFlags();
  const name = "pushgateway_http_push_duration_seconds";
  const body = (help: string) =>
    `# HELP ${name} ${help}\n# TYPE ${name} summary\n${name}_sum 1\n${name}_count 1\n`;
  const refused = await request(app, "PUT", "/metrics/job/h", body("other"));
  assertEquals(refused.status, 400);
  assertEquals(
    refused.text,
    "pushed metrics are invalid or inconsistent with existing metrics: gathered metric family " +
      `${name} has help "other" but should have ` +
      '"HTTP request duration for pushes to the Pushgateway."\n',
  );
  assertEquals(sampleLines(await scrape(app), `${name}_sum`).filter((l) => l.includes("job=")), []);
  const own = "HTTP request duration for pushes to the Pushgateway.";
  assertEquals((await request(app, "PUT", "/metrics/job/h", body(own))).status, 200);
  assertEquals(
    sampleLines(await scrape(app), `${name}_sum`).filter((l) => l.includes("job=")),
    ['pushgateway_http_push_duration_seconds_sum{instance="",job="h"} 1'],
  );
});
