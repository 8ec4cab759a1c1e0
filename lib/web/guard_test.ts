import { assertEquals, assertRejects } from "@std/assert";
import { join } from "@std/path";
import bcrypt from "bcryptjs";
import { createGuard } from "@lib/web/guard.ts";
import type { Handler } from "@lib/web/types.ts";
import { WebConfigError } from "@lib/web/web_config.ts";

const ALICE = bcrypt.hashSync("alice-pw", 4);
const BOB = bcrypt.hashSync("bob-pw", 4);
const INFO = { remoteAddr: "127.0.0.1:1234" };
const ok: Handler = () => Promise.resolve(new Response("ok\n"));

function req(auth?: string): Request {
  const headers = auth === undefined ? undefined : { Authorization: "Basic " + btoa(auth) };
  return new Request("http://localhost/metrics", { headers });
}

async function withFile(
  text: string,
  fn: (path: string) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "web.yml");
    await Deno.writeTextFile(path, text);
    await fn(path);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function memoryLogger(): { lines: string[]; info(m: string): void; error(m: string): void } {
  const lines: string[] = [];
  return {
    lines,
    info: (m) => lines.push(`info ${m}`),
    error: (m) => lines.push(`error ${m}`),
  };
}

Deno.test("createGuard() without a file passes requests through untouched", async () => {
  const g = await createGuard({ path: undefined });
  const h = g.wrap(ok);
  assertEquals(h, ok);
  assertEquals([g.config(), g.tls(), await g.reload()], [undefined, undefined, false]);
});

Deno.test("createGuard() rejects an invalid file at start-up", async () => {
  await withFile("basic_auth_users:\n  john: doe\n", async (path) => {
    await assertRejects(() => createGuard({ path }), WebConfigError, 'user "john"');
  });
});

Deno.test("guard: Basic auth table, with configured headers on 200 and 401", async () => {
  const text = `http_server_config:
  headers:
    X-Frame-Options: deny
    Content-Security-Policy: "default-src 'none'"
basic_auth_users:
  alice: ${ALICE}
`;
  await withFile(text, async (path) => {
    const g = await createGuard({ path });
    const h = g.wrap(ok);
    const table: [string | undefined, number][] = [
      ["alice:alice-pw", 200],
      ["alice:wrong", 401],
      ["nobody:alice-pw", 401],
      [undefined, 401],
      ["no-colon", 401],
    ];
    for (const [auth, status] of table) {
      const res = await h(req(auth), INFO);
      assertEquals(res.status, status, String(auth));
      assertEquals(res.headers.get("X-Frame-Options"), "deny");
      assertEquals(res.headers.get("Content-Security-Policy"), "default-src 'none'");
      if (status === 401) {
        assertEquals(res.headers.get("WWW-Authenticate"), "Basic");
        assertEquals(await res.text(), "Unauthorized\n");
      } else {
        assertEquals(await res.text(), "ok\n");
      }
    }
    const malformed = await h(
      new Request("http://x/", { headers: { Authorization: "Basic ***" } }),
      INFO,
    );
    assertEquals(malformed.status, 401);
  });
});

Deno.test("guard: headers are added to immutable responses too", async () => {
  await withFile(
    "http_server_config:\n  headers:\n    X-Content-Type-Options: nosniff\n",
    async (path) => {
      const g = await createGuard({ path });
      const res = await g.wrap(() => Promise.resolve(Response.redirect("http://x/", 302)))(
        req(),
        INFO,
      );
      assertEquals([res.status, res.headers.get("X-Content-Type-Options")], [302, "nosniff"]);
    },
  );
});

Deno.test("guard: rate limit answers 429 before auth, with an injected clock", async () => {
  const text = `rate_limit:\n  interval: 1s\n  burst: 2\nbasic_auth_users:\n  alice: ${ALICE}\n`;
  await withFile(text, async (path) => {
    let t = 0;
    const g = await createGuard({ path, now: () => t, checkIntervalMs: 1e12 });
    const h = g.wrap(ok);
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await h(req("alice:alice-pw"), INFO)).status);
    assertEquals(statuses, [200, 200, 429]);
    const limited = await h(req(), INFO);
    assertEquals([limited.status, await limited.text()], [429, "Too Many Requests\n"]);
    t += 1000;
    assertEquals((await h(req(), INFO)).status, 401); // a token again; auth runs after the limit
    assertEquals((await h(req(), INFO)).status, 429);
  });
});

Deno.test("guard: reloads a changed file on the next request once the interval has passed", async () => {
  await withFile(`basic_auth_users:\n  alice: ${ALICE}\n`, async (path) => {
    let t = 0;
    const log = memoryLogger();
    const g = await createGuard({ path, now: () => t, logger: log });
    const h = g.wrap(ok);
    await Deno.writeTextFile(path, `basic_auth_users:\n  alice: ${ALICE}\n  bob: ${BOB}\n`);
    t += 500; // within the interval: not looked at yet
    assertEquals((await h(req("bob:bob-pw"), INFO)).status, 401);
    t += 600;
    assertEquals((await h(req("bob:bob-pw"), INFO)).status, 200);
    assertEquals(log.lines, ["info Web configuration reloaded"]);
  });
});

Deno.test("guard: reload() applies a change immediately", async () => {
  await withFile(`basic_auth_users:\n  alice: ${ALICE}\n`, async (path) => {
    const g = await createGuard({ path, now: () => 0 });
    const h = g.wrap(ok);
    await Deno.writeTextFile(path, `basic_auth_users:\n  bob: ${BOB}\n`);
    assertEquals((await h(req("bob:bob-pw"), INFO)).status, 401);
    assertEquals(await g.reload(), true);
    assertEquals((await h(req("bob:bob-pw"), INFO)).status, 200);
    assertEquals((await h(req("alice:alice-pw"), INFO)).status, 401);
  });
});

Deno.test("guard: a file broken at run time keeps the last good config and logs once", async () => {
  await withFile(`basic_auth_users:\n  alice: ${ALICE}\n`, async (path) => {
    let t = 0;
    const log = memoryLogger();
    const g = await createGuard({ path, now: () => t, logger: log });
    const h = g.wrap(ok);
    await Deno.writeTextFile(path, "basic_auth_users:\n  alice: not-a-hash\n");
    for (let i = 0; i < 3; i++) {
      t += 2000;
      assertEquals((await h(req("alice:alice-pw"), INFO)).status, 200);
    }
    assertEquals(log.lines, ["error Unable to reload web configuration, keeping the previous one"]);
    assertEquals(await g.reload(), false);
    await Deno.remove(path);
    t += 2000;
    assertEquals((await h(req("alice:alice-pw"), INFO)).status, 200);
    assertEquals(g.config()?.users.has("alice"), true);
  });
});
