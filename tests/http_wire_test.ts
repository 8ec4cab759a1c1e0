/**
 * What only the wire shows, against a real gateway process on 127.0.0.1:
 * gzip and chunked request bodies, a gzip-encoded scrape, the router's
 * redirects and the body cap as a client sees them. The handlers themselves
 * are tested in-process (`lib/http/*_test.ts`).
 */

import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { request, sampleLines } from "@lib/http/test_client.ts";
import { testWithGateway } from "./helpers/gateway.ts";

async function gzip(text: string): Promise<Uint8Array<ArrayBuffer>> {
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

testWithGateway(
  "over the wire: gzip and chunked bodies, a gzip scrape, redirects, the body cap",
  ["--push.max-body-size=1KiB"],
  async (gw) => {
    const gz = await gzip("t3 1\n");
    const zipped = await request(gw, "PUT", "/metrics/job/d", gz, { "content-encoding": "GZIP" });
    assertEquals(zipped.status, 200);
    const bad = await request(gw, "PUT", "/metrics/job/e", "not gzip", {
      "content-encoding": "gzip",
    });
    assertEquals(bad.status, 400);
    // A stream body goes out with Transfer-Encoding: chunked.
    const chunked = await request(
      gw,
      "PUT",
      "/metrics/job/chunked",
      new Blob(["# TYPE c counter\n", "c 2\n"]).stream(),
    );
    assertEquals([chunked.status, chunked.text], [200, ""]);

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
    assertEquals(om.headers.get("content-encoding"), "gzip");
    const text = await om.text();
    assertEquals(sampleLines(text, "t3"), ['t3{instance="",job="d"} 1']);
    assertEquals(sampleLines(text, "c"), ['c{instance="",job="chunked"} 2']);
    assert(!text.includes('job="e"'), "a rejected body creates no group");

    const dbl = await request(gw, "PUT", "/metrics/job/ts//x/y", "m 1\n");
    assertEquals([dbl.status, dbl.headers.get("location")], [301, "/metrics/job/ts/x/y"]);
    const noJob = await request(gw, "PUT", "/metrics/job/", "m 1\n");
    assertEquals([noJob.status, noJob.headers.get("location")], [307, "/metrics/job"]);

    const big = "m 1\n".repeat(1000);
    assertEquals((await request(gw, "PUT", "/metrics/job/a", big)).status, 413);
    const bigZipped = await gzip(big);
    assert(bigZipped.length < 1024);
    assertEquals(
      (await request(gw, "PUT", "/metrics/job/a", bigZipped, { "content-encoding": "gzip" }))
        .status,
      413,
    );
    assertEquals((await request(gw, "PUT", "/metrics/job/a", "m 1\n")).status, 200);
    assertStringIncludes((await request(gw, "GET", "/metrics")).text, 'm{instance="",job="a"} 1\n');
  },
);
