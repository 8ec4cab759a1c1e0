import { assertEquals } from "@std/assert";
import { TokenBucket, tooManyRequests } from "@lib/web/rate_limit.ts";

Deno.test("TokenBucket starts full, refills one token per interval, caps at burst", () => {
  let t = 1_000;
  const b = new TokenBucket(1000, 2, () => t);
  assertEquals([b.allow(), b.allow(), b.allow()], [true, true, false]);
  t += 500;
  assertEquals(b.allow(), false);
  t += 500;
  assertEquals([b.allow(), b.allow()], [true, false]);
  t += 10_000; // long idle: still only `burst` tokens
  assertEquals([b.allow(), b.allow(), b.allow()], [true, true, false]);
});

Deno.test("TokenBucket with burst 0 refuses everything, like Go's limiter", () => {
  let t = 0;
  const b = new TokenBucket(10, 0, () => t);
  t += 1000;
  assertEquals(b.allow(), false);
});

Deno.test("tooManyRequests() is upstream's 429", async () => {
  const r = tooManyRequests();
  assertEquals(r.status, 429);
  assertEquals(r.headers.get("Content-Type"), "text/plain; charset=utf-8");
  assertEquals(await r.text(), "Too Many Requests\n");
});
