/**
 * The scrape handler in-process: content negotiation, gzip, and where
 * `--web.telemetry-path` puts it.
 */

import { assert, assertEquals, assertMatch, assertStringIncludes } from "@std/assert";
import { PROTO_DELIMITED } from "@lib/expfmt/media_type.ts";
import { decodeDelimited } from "@lib/protobuf/decode.ts";
import { appFromFlags } from "@lib/http/test_app.ts";
import { request } from "@lib/http/test_client.ts";

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
