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

Deno.test("inconsistent pushes get 400 and never poison the store (spec §4.6)", async () => {
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
