import { assertEquals, assertMatch } from "@std/assert";
import http from "node:http";
import { nodeListener } from "@lib/web/node_adapter.ts";
import type { Handler } from "@lib/web/types.ts";

async function withNodeServer(
  handler: Handler,
  fn: (base: string) => Promise<void>,
): Promise<void> {
  const server = http.createServer(nodeListener(handler, "http", { info() {}, error() {} }));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const addr = server.address();
  const port = typeof addr === "object" && addr !== null ? addr.port : 0;
  try {
    await fn(`http://127.0.0.1:${port}`);
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

Deno.test("nodeListener() adapts URL, method, headers, body and status", async () => {
  const handler: Handler = async (req, info) => {
    const u = new URL(req.url);
    return new Response(
      `${req.method} ${u.pathname}${u.search} ${req.headers.get("x-a")} ${await req
        .text()} ${info.remoteAddr}`,
      { status: 202, headers: { "X-B": "b" } },
    );
  };
  await withNodeServer(handler, async (base) => {
    const res = await fetch(`${base}//double/path?q=1`, {
      method: "POST",
      headers: { "X-A": "a" },
      body: "payload",
    });
    assertEquals([res.status, res.headers.get("x-b")], [202, "b"]);
    assertMatch(await res.text(), /^POST \/\/double\/path\?q=1 a payload 127\.0\.0\.1:\d+$/);
  });
});

Deno.test("nodeListener() sends no body for HEAD and 500 when the handler throws", async () => {
  const handler: Handler = (req) => {
    if (new URL(req.url).pathname === "/boom") throw new Error("boom");
    return Promise.resolve(new Response("body"));
  };
  await withNodeServer(handler, async (base) => {
    const head = await fetch(`${base}/`, { method: "HEAD" });
    assertEquals([head.status, await head.text()], [200, ""]);
    const boom = await fetch(`${base}/boom`);
    assertEquals([boom.status, await boom.text()], [500, "Internal Server Error\n"]);
    assertEquals(
      [boom.headers.get("content-type"), boom.headers.get("x-content-type-options")],
      ["text/plain; charset=utf-8", "nosniff"],
    );
  });
});
