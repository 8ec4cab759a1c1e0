import { assertEquals, assertRejects } from "@std/assert";
import { gzipSync } from "node:zlib";
import {
  PROMETHEUS_ACCEPT,
  prometheusHeaders,
  prometheusScrapes,
  rawScrape,
  scrapeAgent,
} from "./bench_scrape.ts";

const BODY = new TextEncoder().encode("up 1\n".repeat(10_000));
const OM = "application/openmetrics-text; version=1.0.0; charset=utf-8; escaping=underscores";

/**
 * A server answering `/gz` gzip, `/om` gzip as OpenMetrics, `/plain` identity, `/bad` a corrupt
 * gzip body; records Accepts.
 */
function serve(seen: string[]) {
  return Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
    seen.push(`${req.headers.get("accept")} | ${req.headers.get("accept-encoding")}`);
    const path = new URL(req.url).pathname;
    if (path === "/plain") return new Response(BODY);
    const gz = new Uint8Array(gzipSync(BODY));
    if (path === "/bad") gz[gz.length - 5]! ^= 0xff; // the length in the trailer
    const headers: Record<string, string> = { "content-encoding": "gzip" };
    if (path === "/om") headers["content-type"] = OM;
    return new Response(gz, { headers });
  });
}

Deno.test("rawScrape() gets the raw gzip body, then checks what it holds", async () => {
  const seen: string[] = [];
  const server = serve(seen);
  const base = `http://127.0.0.1:${server.addr.port}`;
  const agent = scrapeAgent();
  try {
    const gz = await rawScrape(`${base}/gz`, prometheusHeaders("2.42"), agent);
    assertEquals([gz.status, gz.encoding, gz.plainBytes], [200, "gzip", BODY.length]);
    assertEquals(gz.wireBytes, gzipSync(BODY).length);
    const plain = await rawScrape(`${base}/plain`, {}, agent);
    assertEquals([plain.encoding, plain.wireBytes, plain.plainBytes], [
      undefined,
      BODY.length,
      BODY.length,
    ]);
    await assertRejects(
      () => rawScrape(`${base}/bad`, prometheusHeaders("3.x"), agent),
      Error,
      "does not decompress",
    );
    assertEquals(seen[0], `${PROMETHEUS_ACCEPT["2.42"]} | gzip`);
    assertEquals(seen[2], `${PROMETHEUS_ACCEPT["3.x"]} | gzip`);
    assertEquals((await rawScrape(`${base}/om`, {}, agent)).contentType, OM);
  } finally {
    agent.destroy();
    await server.shutdown();
  }
});

Deno.test("prometheusScrapes() times each scrape after its untimed step and checks sizes", async () => {
  const server = serve([]);
  const base = `http://127.0.0.1:${server.addr.port}`;
  try {
    let before = 0;
    const run = await prometheusScrapes(`${base}/gz`, "3.x", {
      n: 3,
      ms: 60_000,
      before: () => Promise.resolve(void before++),
      expectBytes: BODY.length,
    });
    assertEquals([run.ms.length, before, run.plainBytes], [3, 3, BODY.length]);
    await assertRejects(
      () => prometheusScrapes(`${base}/gz`, "3.x", { n: 1, ms: 0, expectBytes: 2 * BODY.length }),
      Error,
      "holds",
    );
    await assertRejects(
      () => prometheusScrapes(`${base}/plain`, "2.42", { n: 1, ms: 0 }),
      Error,
      "not gzip",
    );
    // The Content-Type, when asked for.
    const om = await prometheusScrapes(`${base}/om`, "2.42", {
      n: 2,
      ms: 60_000,
      contentType: /^application\/openmetrics-text; version=1\.0\.0;/,
    });
    assertEquals(om.ms.length, 2);
    await assertRejects(
      () =>
        prometheusScrapes(`${base}/gz`, "2.42", {
          n: 1,
          ms: 0,
          contentType: /^application\/openmetrics-text/,
        }),
      Error,
      "answered",
    );
  } finally {
    await server.shutdown();
  }
});
