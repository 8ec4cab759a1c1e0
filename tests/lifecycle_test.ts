/**
 * The process lifecycle (docs/upstream.md §2, §10): `/-/quit` with `--web.enable-lifecycle`
 * ends the process with exit 0, graceful SIGTERM with a push in flight,
 * SIGINT, SIGHUP. The handlers' answers and the routing flags are tested
 * in-process (`lib/http/lifecycle_test.ts`, `lib/http/app_test.ts`).
 */

import { assertEquals, assertMatch, assertStringIncludes } from "@std/assert";
import { request } from "@lib/http/test_client.ts";
import { type RunningGateway, startGateway, waitForLog } from "./helpers/gateway.ts";

const TEXT = "text/plain; charset=utf-8";

for (const method of ["PUT", "POST"]) {
  Deno.test(`${method} /-/quit with --web.enable-lifecycle answers, then the process exits 0`, async () => {
    const gw = await startGateway(["--web.enable-lifecycle"]);
    try {
      const get = await request(gw, "GET", "/-/quit");
      assertEquals(get.status, 405, "a GET does not quit");
      const res = await request(gw, method, "/-/quit");
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
      assertEquals((await request(gw, "GET", "/-/ready")).status, 200);
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
    assertEquals((await request(gw, "GET", "/-/ready")).status, 200);
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
    assertEquals((await request(gw, "PUT", "/metrics/job/keep", "m 1\n")).status, 200);
    gw.process.kill("SIGHUP");
    await waitForLog(gw, /received SIGHUP/);
    assertEquals((await request(gw, "GET", "/-/healthy")).status, 200);
    assertStringIncludes(
      (await request(gw, "GET", "/metrics")).text,
      'm{instance="",job="keep"} 1',
    );
    const status = await gw.stop("SIGTERM");
    assertEquals([status.code, status.signal], [0, null]);
  } finally {
    await gw.stop("SIGKILL");
  }
});
