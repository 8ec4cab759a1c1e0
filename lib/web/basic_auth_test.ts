import { assert, assertEquals, assertNotEquals } from "@std/assert";
import bcrypt from "bcryptjs";
import { BasicAuthChecker, cacheKey, parseBasicAuth, unauthorized } from "@lib/web/basic_auth.ts";

const enc = new TextEncoder();
const basic = (s: string): string => "Basic " + btoa(s);
const HASH = bcrypt.hashSync("secret", 4);

Deno.test("parseBasicAuth() follows Go's Request.BasicAuth", () => {
  const dec = (c: ReturnType<typeof parseBasicAuth>): string[] | undefined =>
    c && [new TextDecoder().decode(c.user), new TextDecoder().decode(c.password)];
  assertEquals(dec(parseBasicAuth(basic("alice:pw:with:colons"))), ["alice", "pw:with:colons"]);
  assertEquals(dec(parseBasicAuth("bAsIc " + btoa("a:"))), ["a", ""]);
  assertEquals(dec(parseBasicAuth(basic(":p"))), ["", "p"]);
  for (const bad of [null, "", "Basic", "Bearer abc", basic("nocolon"), "Basic !!!", "Basic YQ"]) {
    assertEquals(parseBasicAuth(bad), undefined, String(bad));
  }
});

Deno.test("cacheKey() cannot confuse user/password splits (CVE-2022-46146)", () => {
  assertNotEquals(
    cacheKey(enc.encode("a:b"), HASH, enc.encode("c")),
    cacheKey(enc.encode("a"), HASH, enc.encode("b:c")),
  );
});

Deno.test("BasicAuthChecker.check() accepts good and refuses bad credentials", async () => {
  const users = new Map([["alice", HASH]]);
  const c = new BasicAuthChecker();
  const table: [string | null, boolean][] = [
    [basic("alice:secret"), true],
    [basic("alice:secret"), true], // cached
    [basic("alice:wrong"), false],
    [basic("bob:secret"), false],
    [basic("alice"), false],
    ["Basic %%%", false],
    [null, false],
  ];
  for (const [header, want] of table) {
    assertEquals(await c.check(header, users), want, String(header));
  }
  assertEquals(c.cached, 1);
});

Deno.test("BasicAuthChecker compares unknown users against a dummy hash and caches successes only", async () => {
  const calls: string[] = [];
  const c = new BasicAuthChecker({
    compare: (pw, hash) => {
      calls.push(`${pw}|${hash.slice(0, 7)}`);
      return Promise.resolve(pw === "secret");
    },
  });
  const users = new Map([["alice", HASH]]);
  assertEquals(await c.check(basic("nobody:secret"), users), false);
  assertEquals(await c.check(basic("alice:nope"), users), false);
  assertEquals(await c.check(basic("alice:nope"), users), false);
  assertEquals(await c.check(basic("alice:secret"), users), true);
  assertEquals(await c.check(basic("alice:secret"), users), true);
  assertEquals(calls, ["secret|$2y$10$", "nope|$2b$04$", "nope|$2b$04$", "secret|$2b$04$"]);
});

Deno.test("BasicAuthChecker: user 'a:b' / password vs user 'a' / password 'b:…' never mix", async () => {
  const users = new Map([["a:b", HASH], ["a", bcrypt.hashSync("other", 4)]]);
  const c = new BasicAuthChecker();
  // The header splits at the first colon: this is user "a" with password "b:secret".
  assertEquals(await c.check(basic("a:b:secret"), users), false);
  // Cache a success for user "a", then try the other split of the same bytes.
  assertEquals(await c.check(basic("a:other"), users), true);
  assertEquals(await c.check(basic("a:b:other"), users), false);
  assertEquals(c.cached, 1);
});

Deno.test("BasicAuthChecker evicts when the cache is full", async () => {
  const users = new Map([["u", HASH]]);
  const c = new BasicAuthChecker({ cacheSize: 3, compare: () => Promise.resolve(true) });
  for (const pw of ["1", "2", "3", "4", "5"]) assert(await c.check(basic(`u:${pw}`), users));
  // Each insert into the full cache drops max(1, floor(3 / 10)) = 1 entry first.
  assertEquals(c.cached, 3);
});

Deno.test("unauthorized() is upstream's 401", async () => {
  const r = unauthorized();
  assertEquals(r.status, 401);
  assertEquals(r.headers.get("WWW-Authenticate"), "Basic");
  assertEquals(r.headers.get("Content-Type"), "text/plain; charset=utf-8");
  assertEquals(await r.text(), "Unauthorized\n");
});

Deno.test("bcrypt cost: only the first check pays for bcrypt, the rest are cached (figures printed)", async () => {
  const hash10 = bcrypt.hashSync("secret", 10);
  let compares = 0;
  const c = new BasicAuthChecker({
    compare: (pw, hash) => {
      compares++;
      return bcrypt.compare(pw, hash);
    },
  });
  const users = new Map([["alice", hash10]]);
  let t = performance.now();
  assert(await c.check(basic("alice:secret"), users));
  const first = performance.now() - t;
  assertEquals([compares, c.cached], [1, 1]);
  t = performance.now();
  for (let i = 0; i < 100; i++) assert(await c.check(basic("alice:secret"), users));
  const cached = (performance.now() - t) / 100;
  assertEquals([compares, c.cached], [1, 1]);
  console.log(`bcrypt cost 10: first check ${first.toFixed(1)} ms, cached ${cached.toFixed(4)} ms`);
});
