import { assert, assertEquals } from "@std/assert";
import { Pool } from "@lib/store/pool.ts";

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
