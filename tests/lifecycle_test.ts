/**
 * Black-box tests of the process lifecycle and the routing flags (spec §2,
 * §2.1, §10): health, ready, `/-/quit` with and without
 * `--web.enable-lifecycle`, graceful SIGTERM with a push in flight, SIGHUP,
 * `--web.route-prefix`, `--web.external-url` and `--web.telemetry-path`.
 */

import { assert, assertEquals, assertMatch, assertStringIncludes } from "@std/assert";
import {
  type RunningGateway,
  startGateway,
  testWithGateway,
  waitForLog,
} from "./helpers/gateway.ts";

const TEXT = "text/plain; charset=utf-8";

async function req(
  gw: RunningGateway,
  method: string,
  path: string,
  body?: string,
): Promise<{ status: number; text: string; headers: Headers }> {
  const res = await fetch(gw.url + path, { method, body, redirect: "manual" });
  return { status: res.status, text: await res.text(), headers: res.headers };
}

testWithGateway("/-/healthy and /-/ready answer 200 OK", [], async (gw) => {
  for (const path of ["/-/healthy", "/-/ready"]) {
    const res = await req(gw, "GET", path);
    assertEquals([res.status, res.text, res.headers.get("content-type")], [200, "OK", TEXT]);
  }
  const head = await req(gw, "HEAD", "/-/healthy");
  assertEquals([head.status, head.headers.get("allow")], [405, "GET, OPTIONS"]);
});

testWithGateway(
  "/-/quit without --web.enable-lifecycle: 403 and the process lives on",
  [],
  async (gw) => {
    for (const method of ["PUT", "POST"]) {
      const res = await req(gw, method, "/-/quit");
      assertEquals(
        [res.status, res.text, res.headers.get("content-type")],
        [403, "Lifecycle API is not enabled.", TEXT],
      );
    }
    const get = await req(gw, "GET", "/-/quit");
    assertEquals([get.status, get.text], [405, "Only POST or PUT requests allowed."]);
    assertEquals(get.headers.get("allow"), null);
    assertEquals((await req(gw, "GET", "/-/healthy")).status, 200);
  },
);

for (const method of ["PUT", "POST"]) {
  Deno.test(`${method} /-/quit with --web.enable-lifecycle answers, then the process exits 0`, async () => {
    const gw = await startGateway(["--web.enable-lifecycle"]);
    try {
      const get = await req(gw, "GET", "/-/quit");
      assertEquals(get.status, 405, "a GET does not quit");
      const res = await req(gw, method, "/-/quit");
      assertEquals(
        [res.status, res.text, res.headers.get("content-type")],
        [200, "Requesting termination... Goodbye!", TEXT],
      );
      const status = await gw.exited();
      assertEquals([status.code, status.signal], [0, null]);
      assertMatch(
        await waitForLog(gw, /received termination request via web service/),
        /level=warn .*msg="received termination request via web service, exiting gracefully\.\.\."/,
      );
      await waitForLog(gw, /msg="HTTP server stopped"/);
    } finally {
      await gw.stop("SIGKILL");
    }
  });
}

/** Opens a raw connection and sends the head of a chunked PUT plus its first chunk. */
async function startSlowPush(gw: RunningGateway, path: string): Promise<Deno.TcpConn> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: gw.port });
  const first = "slow 1\n";
  await conn.write(
    new TextEncoder().encode(
      `PUT ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n` +
        `${first.length.toString(16)}\r\n${first}\r\n`,
    ),
  );
  return conn;
}

async function readAll(conn: Deno.TcpConn): Promise<string> {
  const buf = new Uint8Array(4096);
  let out = "";
  for (;;) {
    const n = await conn.read(buf).catch(() => null);
    if (n === null) return out;
    out += new TextDecoder().decode(buf.subarray(0, n));
    if (/\r\n\r\n/.test(out) && /content-length: 0\r\n/i.test(out)) return out;
  }
}

Deno.test({
  name: "SIGTERM waits for an in-flight push: it gets its 200, is persisted, exit 0",
  fn: async () => {
    const dir = await Deno.makeTempDir();
    const file = `${dir}/pg.data`;
    const gw = await startGateway([`--persistence.file=${file}`]);
    let conn: Deno.TcpConn | undefined;
    try {
      conn = await startSlowPush(gw, "/metrics/job/inflight");
      // A later request on another connection is answered only after the accept loop has
      // taken ours, which came first.
      assertEquals((await req(gw, "GET", "/-/ready")).status, 200);
      gw.process.kill("SIGTERM");
      await waitForLog(gw, /received SIGINT\/SIGTERM; exiting gracefully/);
      const rest = "more 2\n";
      await conn.write(
        new TextEncoder().encode(`${rest.length.toString(16)}\r\n${rest}\r\n0\r\n\r\n`),
      );
      const answer = await readAll(conn);
      assertMatch(answer, /^HTTP\/1\.1 200 OK\r\n/);
      const status = await gw.exited();
      assertEquals([status.code, status.signal], [0, null]);
      const persisted = await Deno.readTextFile(file);
      assertStringIncludes(persisted, "inflight");
      assertStringIncludes(persisted, "more");
    } finally {
      conn?.close();
      await gw.stop("SIGKILL");
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("SIGINT also exits 0", async () => {
  const gw = await startGateway([]);
  try {
    // Signal handlers are installed right after the listeners open: wait for an answer.
    assertEquals((await req(gw, "GET", "/-/ready")).status, 200);
    gw.process.kill("SIGINT");
    const status = await gw.exited();
    assertEquals([status.code, status.signal], [0, null]);
  } finally {
    await gw.stop("SIGKILL");
  }
});

Deno.test("SIGHUP does not kill the process (upstream dies: a known difference)", async () => {
  const gw = await startGateway([]);
  try {
    assertEquals((await req(gw, "PUT", "/metrics/job/keep", "m 1\n")).status, 200);
    gw.process.kill("SIGHUP");
    await waitForLog(gw, /received SIGHUP/);
    assertEquals((await req(gw, "GET", "/-/healthy")).status, 200);
    assertStringIncludes((await req(gw, "GET", "/metrics")).text, 'm{instance="",job="keep"} 1');
    const status = await gw.stop("SIGTERM");
    assertEquals([status.code, status.signal], [0, null]);
  } finally {
    await gw.stop("SIGKILL");
  }
});

testWithGateway(
  "--web.external-url with a path: routes under it, /ext → 301 /ext/, unprefixed 404",
  ["--web.external-url=http://example.com/ext/", "--web.enable-lifecycle"],
  async (gw) => {
    assertEquals((await req(gw, "PUT", "/ext/metrics/job/x", "m 1\n")).status, 200);
    assertStringIncludes((await req(gw, "GET", "/ext/metrics")).text, 'm{instance="",job="x"} 1');
    assertEquals((await req(gw, "GET", "/ext/-/healthy")).text, "OK");
    assertEquals((await req(gw, "GET", "/ext/-/ready")).text, "OK");
    const status = JSON.parse((await req(gw, "GET", "/ext/api/v1/status")).text);
    assertEquals(status.data.flags["web.route-prefix"], "/ext");
    assertEquals(status.data.flags["web.external-url"], "http://example.com/ext/");
    const redirect = await req(gw, "GET", "/ext");
    assertEquals([redirect.status, redirect.headers.get("location")], [301, "/ext/"]);
    for (const path of ["/", "/metrics", "/-/healthy", "/api/v1/status"]) {
      const res = await req(gw, "GET", path);
      assertEquals([res.status, res.text], [404, "404 page not found\n"], path);
    }
    assertEquals((await req(gw, "PUT", "/metrics/job/x", "m 1\n")).status, 404);
    // The bare GET /-/quit quirk stays at the root.
    assertEquals((await req(gw, "GET", "/-/quit")).status, 405);
    const quit = await req(gw, "PUT", "/ext/-/quit");
    assertEquals(quit.status, 200);
    assertEquals((await gw.exited()).code, 0);
  },
);

testWithGateway(
  "--web.route-prefix wins over the external URL's path; a prefix of / is the root",
  ["--web.external-url=http://example.com/ext/", "--web.route-prefix=/pfx/"],
  async (gw) => {
    assertEquals((await req(gw, "GET", "/pfx/-/healthy")).status, 200);
    assertEquals((await req(gw, "GET", "/ext/-/healthy")).status, 404);
    const flags = JSON.parse((await req(gw, "GET", "/pfx/api/v1/status")).text).data.flags;
    assertEquals(flags["web.route-prefix"], "/pfx");
  },
);

testWithGateway(
  "--web.route-prefix=/ is the root, even with an external URL path",
  ["--web.external-url=http://example.com/pg/", "--web.route-prefix=/"],
  async (gw) => {
    assertEquals((await req(gw, "GET", "/-/healthy")).status, 200);
    assertEquals((await req(gw, "PUT", "/metrics/job/r", "m 1\n")).status, 200);
    const flags = JSON.parse((await req(gw, "GET", "/api/v1/status")).text).data.flags;
    assertEquals(flags["web.route-prefix"], "");
  },
);

testWithGateway(
  "--web.telemetry-path moves the scrape; pushes stay under /metrics/job",
  ["--web.telemetry-path=/scrape"],
  async (gw) => {
    assertEquals((await req(gw, "PUT", "/metrics/job/t", "m 1\n")).status, 200);
    const scrape = await req(gw, "GET", "/scrape");
    assertEquals(scrape.status, 200);
    assertStringIncludes(scrape.text, 'm{instance="",job="t"} 1\n');
    assertMatch(scrape.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
    const old = await req(gw, "GET", "/metrics");
    assertEquals([old.status, old.text], [404, "404 page not found\n"]);
    const slash = await req(gw, "GET", "/scrape/");
    assertEquals([slash.status, slash.headers.get("location")], [301, "/scrape"]);
    assert(!scrape.text.includes("<html"));
  },
);

testWithGateway(
  "--web.telemetry-path is joined under the route prefix",
  ["--web.route-prefix=/pfx", "--web.telemetry-path=scrape"],
  async (gw) => {
    assertEquals((await req(gw, "PUT", "/pfx/metrics/job/t", "m 1\n")).status, 200);
    const scrape = await req(gw, "GET", "/pfx/scrape");
    assertEquals(scrape.status, 200);
    assertStringIncludes(scrape.text, 'm{instance="",job="t"} 1\n');
    assertEquals((await req(gw, "GET", "/scrape")).status, 404);
  },
);
