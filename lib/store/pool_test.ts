import { assert, assertEquals } from "@std/assert";
import { HashPool, Pool } from "@lib/store/pool.ts";

interface V {
  readonly k: string;
}

Deno.test("Pool shares one object per key, adopts foreign ones and sweeps the unused", () => {
  const pool = new Pool<V>((v) => v.k);
  const a = pool.get("a", () => ({ k: "a" }));
  assert(pool.get("a", () => ({ k: "a" })) === a);
  const foreign = { k: "b" };
  assert(pool.adopt(foreign) === foreign);
  assert(pool.adopt({ k: "b" }) === foreign);
  assertEquals(pool.size, 2);
  assertEquals(pool.shouldSweep, false, "small pools are never swept");
  for (let i = 0; i < 300; i++) pool.get(`x${i}`, () => ({ k: `x${i}` }));
  assertEquals(pool.shouldSweep, true);
  pool.sweep([a, { k: "b" }, a]);
  assertEquals(pool.size, 2);
  assert(pool.get("b", () => ({ k: "b" })) === foreign, "the pooled object stays the one");
  assertEquals(pool.shouldSweep, false);
  pool.clear();
  assertEquals(pool.size, 0);
});

Deno.test("HashPool tells colliding values apart, adopts, and sweeps keeping the pooled objects", () => {
  // Every value hashes alike, so each lookup goes through the equality test.
  const pool = new HashPool<V>(() => 7, (a, b) => a.k === b.k);
  const find = (k: string) => pool.find(7, (v) => v.k === k, () => ({ k }));
  const a = find("a");
  const b = find("b");
  assert(a !== b);
  assert(find("a") === a && find("b") === b);
  const foreign = { k: "c" };
  assert(pool.adopt(foreign) === foreign);
  assert(pool.adopt({ k: "c" }) === foreign);
  assert(pool.adopt({ k: "a" }) === a);
  assertEquals(pool.size, 3);
  assertEquals(pool.shouldSweep, false, "small pools are never swept");
  for (let i = 0; i < 300; i++) find(`x${i}`);
  assertEquals(pool.shouldSweep, true);
  pool.sweep([b, { k: "c" }, b]);
  assertEquals(pool.size, 2);
  assert(find("c") === foreign, "the pooled object stays the one");
  assert(find("b") === b);
  assertEquals(pool.size, 2);
  assert(find("a") !== a, "a swept value is made again");
  assertEquals(pool.size, 3);
  pool.clear();
  assertEquals(pool.size, 0);
});
