/**
 * Black-box tests of the push API, DELETE and /metrics over real HTTP against
 * a real gateway process on 127.0.0.1.
 */

import { assert, assertEquals, assertMatch, assertStringIncludes } from "@std/assert";
import { decodeDelimited, encodeDelimited } from "@lib/protobuf/proto.ts";
import { MetricType } from "@lib/model/metric.ts";
import { PROTO_DELIMITED } from "@lib/expfmt/media_type.ts";
import { sampleLines } from "@lib/http/test_client.ts";
import { type RunningGateway, testWithGateway } from "./helpers/gateway.ts";

async function req(
  gw: RunningGateway,
  method: string,
  path: string,
  body?: BodyInit,
  headers: Record<string, string> = {},
): Promise<{ status: number; text: string; headers: Headers }> {
  const res = await fetch(gw.url + path, { method, body, headers, redirect: "manual" });
  return { status: res.status, text: await res.text(), headers: res.headers };
}

async function scrape(gw: RunningGateway): Promise<string> {
  return (await req(gw, "GET", "/metrics")).text;
}

testWithGateway(
  "PUT stores a group; /metrics shows it with job, instance and timestamps",
  [],
  async (gw) => {
    const put = await req(gw, "PUT", "/metrics/job/j1/a/x", '# TYPE m gauge\nm{l="v"} 3\n');
    assertEquals([put.status, put.text], [200, ""]);
    const text = await scrape(gw);
    assertEquals(sampleLines(text, "m"), ['m{a="x",instance="",job="j1",l="v"} 3']);
    assertStringIncludes(text, "# TYPE m gauge\n");
    assertMatch(text, /\npush_time_seconds\{a="x",instance="",job="j1"\} \d\.\d+e\+09\n/);
    assertStringIncludes(text, 'push_failure_time_seconds{a="x",instance="",job="j1"} 0\n');
    assertStringIncludes(text, "# HELP pushgateway_build_info ");
  },
);

testWithGateway("PUT replaces, POST merges by family, DELETE answers 202", [], async (gw) => {
  await req(gw, "PUT", "/metrics/job/j", "a 1\nb 2\n");
  assertEquals((await req(gw, "POST", "/metrics/job/j", "b 3\nc 4\n")).status, 200);
  let text = await scrape(gw);
  assertEquals(
    [sampleLines(text, "a"), sampleLines(text, "b"), sampleLines(text, "c")],
    [['a{instance="",job="j"} 1'], ['b{instance="",job="j"} 3'], ['c{instance="",job="j"} 4']],
  );
  await req(gw, "PUT", "/metrics/job/j", "c 5\n");
  text = await scrape(gw);
  assertEquals([sampleLines(text, "a"), sampleLines(text, "c")], [[], [
    'c{instance="",job="j"} 5',
  ]]);
  const del = await req(gw, "DELETE", "/metrics/job/j");
  assertEquals([del.status, del.text], [202, ""]);
  assertEquals(sampleLines(await scrape(gw), "c"), []);
  assertEquals((await req(gw, "DELETE", "/metrics/job/never")).status, 202);
});

testWithGateway(
  "grouping keys: base64, empty values, order, trailing slash, job override",
  [],
  async (gw) => {
    assertEquals(
      (await req(gw, "PUT", "/metrics/job@base64/L3Zhci90bXA/p@base64/=", "m1 1\n")).status,
      200,
    );
    assertEquals((await req(gw, "PUT", "/metrics/job/j/b/2/a/1", "m2 1\n")).status, 200);
    assertEquals((await req(gw, "PUT", "/metrics/job/j/a/1/b/2", "m3 1\n")).status, 200);
    assertEquals((await req(gw, "PUT", "/metrics/job/t/", "m4 1\n")).status, 200);
    assertEquals((await req(gw, "PUT", "/metrics/job/t/foo/", "m5 1\n")).status, 200);
    assertEquals((await req(gw, "PUT", "/metrics/job/x/job/other", "m6 1\n")).status, 200);
    const text = await scrape(gw);
    assertEquals(sampleLines(text, "m1"), ['m1{instance="",job="/var/tmp",p=""} 1']);
    assertEquals(sampleLines(text, "m2"), [], "same group, replaced by the later PUT");
    assertEquals(sampleLines(text, "m3"), ['m3{a="1",b="2",instance="",job="j"} 1']);
    assertEquals(sampleLines(text, "m4"), ['m4{instance="",job="t"} 1']);
    assertEquals(sampleLines(text, "m5"), ['m5{foo="",instance="",job="t"} 1']);
    assertEquals(sampleLines(text, "m6"), ['m6{instance="",job="x"} 1']);
  },
);

testWithGateway("bad URLs get upstream's 400 texts and redirects", [], async (gw) => {
  const odd = await req(gw, "PUT", "/metrics/job/j/a", "m 1\n");
  assertEquals([odd.status, odd.text], [400, 'odd number of components in label string "/a"\n']);
  const slash = await req(gw, "PUT", "/metrics/job/j/lab/a%2Fb", "m 1\n");
  assertEquals(slash.text, 'odd number of components in label string "/lab/a/b"\n');
  const b64 = await req(gw, "PUT", "/metrics/job/j/x@base64/a+b", "m 1\n");
  assertEquals(
    b64.text,
    'invalid base64 encoding for label x="a+b": illegal base64 data at input byte 1\n',
  );
  const name = await req(gw, "PUT", "/metrics/job/j/__x/1", "m 1\n");
  assertEquals(name.text, 'improper label name "__x"\n');
  const empty = await req(gw, "PUT", "/metrics/job@base64/=", "m 1\n");
  assertEquals([empty.status, empty.text], [400, "job name is required\n"]);
  const dbl = await req(gw, "PUT", "/metrics/job/ts//x/y", "m 1\n");
  assertEquals([dbl.status, dbl.headers.get("location")], [301, "/metrics/job/ts/x/y"]);
  const noJob = await req(gw, "PUT", "/metrics/job/", "m 1\n");
  assertEquals([noJob.status, noJob.headers.get("location")], [307, "/metrics/job"]);
});

testWithGateway(
  "bodies: no Content-Type, form type, protobuf, gzip (any case), bad gzip",
  [],
  async (gw) => {
    assertEquals((await req(gw, "PUT", "/metrics/job/a", "t1 1\n")).status, 200);
    assertEquals(
      (await req(gw, "PUT", "/metrics/job/b", "t2 1\n", {
        "content-type": "application/x-www-form-urlencoded",
      })).status,
      200,
    );
    const proto = encodeDelimited([{
      name: "p1",
      type: MetricType.COUNTER,
      help: "proto help",
      metric: [{ label: [{ name: "l", value: "v" }], counter: { value: 7 } }],
    }]);
    assertEquals(
      (await req(gw, "PUT", "/metrics/job/c", new Uint8Array(proto), {
        "content-type": PROTO_DELIMITED,
      }))
        .status,
      200,
    );
    const gz = new Uint8Array(
      await new Response(
        new Blob(["t3 1\n"]).stream().pipeThrough(new CompressionStream("gzip")),
      ).arrayBuffer(),
    );
    assertEquals(
      (await req(gw, "PUT", "/metrics/job/d", gz, { "content-encoding": "GZIP" })).status,
      200,
    );
    const bad = await req(gw, "PUT", "/metrics/job/e", "not gzip", { "content-encoding": "gzip" });
    assertEquals(bad.status, 400);
    const text = await scrape(gw);
    assertEquals(sampleLines(text, "p1"), ['p1{instance="",job="c",l="v"} 7']);
    assertStringIncludes(text, "# HELP p1 proto help\n# TYPE p1 counter\n");
    assertEquals(sampleLines(text, "t3"), ['t3{instance="",job="d"} 1']);
    assert(!text.includes('job="e"'), "a rejected body creates no group");
  },
);

testWithGateway(
  "parse errors and timestamps: 400, and only store rejections record a failure",
  [],
  async (gw) => {
    const parse = await req(gw, "PUT", "/metrics/job/p", "m 1");
    assertEquals(
      [parse.status, parse.text],
      [400, "text format parsing error in line 1: unexpected end of input stream\n"],
    );
    const ts = await req(gw, "PUT", "/metrics/job/ts", "m 1 1234\n");
    assertEquals(
      [ts.status, ts.text],
      [
        400,
        "pushed metrics are invalid or inconsistent with existing metrics: pushed metrics must not have timestamps\n",
      ],
    );
    const text = await scrape(gw);
    assert(!text.includes('job="p"'));
    assertStringIncludes(text, 'push_time_seconds{instance="",job="ts"} 0\n');
    assertMatch(text, /push_failure_time_seconds\{instance="",job="ts"\} \d\.\d+e\+09\n/);
  },
);

testWithGateway(
  "inconsistent pushes get 400 and never poison the store (spec §4.6)",
  [],
  async (gw) => {
    await req(gw, "PUT", "/metrics/job/a", "# TYPE same gauge\nsame 1\n");
    const clash = await req(gw, "PUT", "/metrics/job/b", "# TYPE same counter\nsame 1\n");
    assertEquals(clash.status, 400);
    assertMatch(
      clash.text,
      /^pushed metrics are invalid or inconsistent with existing metrics: collected metric "same" .* is not a GAUGE\n$/,
    );
    assertEquals((await req(gw, "PUT", "/metrics/job/ts/", "")).status, 200);
    const poison = await req(gw, "PUT", "/metrics/job/ts/instance@base64/=", "");
    assertEquals(poison.status, 400);
    assertEquals((await req(gw, "PUT", "/metrics/job/later", "x 1\n")).status, 200);
    const res = await req(gw, "GET", "/metrics");
    assertEquals(res.status, 200);
    assertEquals(sampleLines(res.text, "x"), ['x{instance="",job="later"} 1']);
    assert(gw.logs.some((l) => l.includes("pushed metrics are invalid or inconsistent")));
  },
);

testWithGateway(
  "/metrics negotiation: protobuf on request, text for OpenMetrics-first Accept, gzip",
  [],
  async (gw) => {
    await req(gw, "PUT", "/metrics/job/n", "# HELP g a gauge\n# TYPE g gauge\ng 1.5\n");
    const proto = await fetch(gw.url + "/metrics", { headers: { accept: PROTO_DELIMITED } });
    assertEquals(proto.headers.get("content-type"), PROTO_DELIMITED + "; escaping=underscores");
    const families = decodeDelimited(new Uint8Array(await proto.arrayBuffer()));
    const g = families.find((f) => f.name === "g");
    assertEquals(g?.metric[0]?.gauge?.value, 1.5);
    const om = await fetch(gw.url + "/metrics", {
      headers: {
        accept:
          "application/openmetrics-text;version=1.0.0;q=0.5,application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2",
        "accept-encoding": "gzip",
      },
    });
    assertEquals(
      om.headers.get("content-type"),
      "text/plain; version=0.0.4; charset=utf-8; escaping=underscores",
    );
    assertStringIncludes(await om.text(), 'g{instance="",job="n"} 1.5\n');
  },
);

testWithGateway(
  "router: HEAD 405, OPTIONS Allow, wrong method 405, unknown 404",
  [],
  async (gw) => {
    const head = await req(gw, "HEAD", "/metrics");
    assertEquals([head.status, head.headers.get("allow")], [405, "GET, OPTIONS"]);
    const opt = await req(gw, "OPTIONS", "/metrics/job/x");
    assertEquals([opt.status, opt.headers.get("allow")], [200, "DELETE, OPTIONS, POST, PUT"]);
    const get = await req(gw, "GET", "/metrics/job/x");
    assertEquals([get.status, get.text], [405, "Method Not Allowed\n"]);
    const nf = await req(gw, "GET", "/nope");
    assertEquals([nf.status, nf.text], [404, "404 page not found\n"]);
    assertEquals((await req(gw, "GET", "/-/healthy")).text, "OK");
  },
);

testWithGateway("--push.disable-consistency-check answers 202 and still protects the store", [
  "--push.disable-consistency-check",
], async (gw) => {
  assertEquals((await req(gw, "PUT", "/metrics/job/a", "# TYPE u gauge\nu 1\n")).status, 202);
  assertEquals((await req(gw, "PUT", "/metrics/job/b", "# TYPE u counter\nu 1\n")).status, 202);
  const res = await req(gw, "GET", "/metrics");
  assertEquals(res.status, 200);
  assertEquals(sampleLines(res.text, "u"), ['u{instance="",job="a"} 1']);
});

testWithGateway("the body cap answers 413, also after decompression", [
  "--push.max-body-size=1KiB",
], async (gw) => {
  const big = "m 1\n".repeat(1000);
  assertEquals((await req(gw, "PUT", "/metrics/job/a", big)).status, 413);
  const gz = new Uint8Array(
    await new Response(
      new Blob([big]).stream().pipeThrough(new CompressionStream("gzip")),
    ).arrayBuffer(),
  );
  assert(gz.length < 1024);
  assertEquals(
    (await req(gw, "PUT", "/metrics/job/a", gz, { "content-encoding": "gzip" })).status,
    413,
  );
  assertEquals((await req(gw, "PUT", "/metrics/job/a", "m 1\n")).status, 200);
});
