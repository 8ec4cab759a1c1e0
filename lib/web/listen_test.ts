import { assert, assertEquals, assertMatch, assertRejects, assertThrows } from "@std/assert";
import { parseListenAddress, serve, subjectAltNames } from "@lib/web/listen.ts";
import type { Handler } from "@lib/web/types.ts";

Deno.test("parseListenAddress() splits Go listen addresses", () => {
  const table: [string, string | undefined, number][] = [
    [":9091", undefined, 9091],
    ["127.0.0.1:0", "127.0.0.1", 0],
    ["[::1]:9091", "::1", 9091],
    ["[::]:80", "::", 80],
    ["localhost:65535", "localhost", 65535],
  ];
  for (const [address, hostname, port] of table) {
    assertEquals(parseListenAddress(address), { hostname, port }, address);
  }
  for (const bad of ["9091", "host", ":", "1.2.3.4:65536", "::1:80", "[::1]", "h:x"]) {
    assertThrows(() => parseListenAddress(bad), Error, "Invalid listen address", bad);
  }
});

Deno.test("subjectAltNames() reads node's SAN text as Go prints the values", () => {
  assertEquals(
    subjectAltNames(
      "DNS:client.example, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1, email:c@x.org, " +
        'URI:spiffe://a/b, DNS:"quoted, name"',
    ),
    ["client.example", "127.0.0.1", "::1", "c@x.org", "spiffe://a/b", "quoted, name"],
  );
  assertEquals(subjectAltNames(undefined), []);
});

const echo: Handler = (req, info) =>
  Promise.resolve(new Response(`${req.method} ${new URL(req.url).pathname} ${info.remoteAddr}`));

Deno.test("serve() listens on ephemeral ports and reports the real addresses", async () => {
  const seen: string[] = [];
  const server = await serve(echo, {
    addresses: ["127.0.0.1:0", "127.0.0.1:0"],
    onListen: (a, scheme) => seen.push(`${scheme}://${a}`),
  });
  try {
    assertEquals(server.addresses.length, 2);
    assertEquals(seen, server.addresses.map((a) => `http://${a}`));
    for (const a of server.addresses) {
      assertMatch(a, /^127\.0\.0\.1:[1-9]\d*$/);
      const body = await (await fetch(`http://${a}/x`)).text();
      assertMatch(body, /^GET \/x 127\.0\.0\.1:\d+$/);
    }
  } finally {
    await server.shutdown();
  }
  await server.finished;
});

Deno.test("serve() answers a handler that throws with Go's http.Error 500 and logs it", async () => {
  const errors: string[] = [];
  const server = await serve(() => Promise.reject(new Error("boom")), {
    addresses: ["127.0.0.1:0"],
    logger: { info() {}, error: (msg, attrs) => errors.push(`${msg} ${attrs?.err}`) },
  });
  try {
    const res = await fetch(`http://${server.addresses[0]}/x`);
    assertEquals([res.status, await res.text()], [500, "Internal Server Error\n"]);
    assertEquals(
      [res.headers.get("content-type"), res.headers.get("x-content-type-options")],
      ["text/plain; charset=utf-8", "nosniff"],
    );
    assertEquals(errors, ["HTTP handler failed boom"]);
  } finally {
    await server.shutdown();
  }
  await server.finished;
});

Deno.test("serve() rejects a port in use with a clear error and closes what it opened", async () => {
  const taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (taken.addr as Deno.NetAddr).port;
  try {
    await assertRejects(
      () => serve(echo, { addresses: ["127.0.0.1:0", `127.0.0.1:${port}`] }),
      Error,
      `Cannot listen on 127.0.0.1:${port}: address already in use`,
    );
  } finally {
    taken.close();
  }
});

Deno.test("serve() shutdown waits for in-flight requests; the signal also stops it", async () => {
  let release: () => void = () => {};
  const gate = new Promise<void>((r) => release = r);
  let started: () => void = () => {};
  const inHandler = new Promise<void>((r) => started = r);
  const slow: Handler = async () => {
    started();
    await gate;
    return new Response("late");
  };
  const ac = new AbortController();
  const server = await serve(slow, { addresses: ["127.0.0.1:0"], signal: ac.signal });
  const pending = fetch(`http://${server.addresses[0]}/`).then((r) => r.text());
  await inHandler;
  ac.abort();
  let done = false;
  const stopping = server.finished.then(() => done = true);
  await new Promise((r) => setTimeout(r, 50));
  assert(!done, "shutdown finished before the in-flight request");
  release();
  assertEquals(await pending, "late");
  await stopping;
  assert(done);
});

Deno.test("serve() binds ':port' on all interfaces and reports IPv4 peers as Go does", async () => {
  const server = await serve(echo, { addresses: [":0"] });
  try {
    const addr = server.addresses[0] as string;
    assertMatch(addr, /^(\[::\]|0\.0\.0\.0):\d+$/);
    const port = addr.slice(addr.lastIndexOf(":") + 1);
    const body = await (await fetch(`http://127.0.0.1:${port}/`)).text();
    assertMatch(body, /^GET \/ 127\.0\.0\.1:\d+$/);
  } finally {
    await server.shutdown();
  }
});
