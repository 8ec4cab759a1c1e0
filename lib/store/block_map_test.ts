import { assert, assertEquals, assertNotEquals } from "@std/assert";
import { MetricType } from "@lib/model/metric.ts";
import { BlockMap } from "@lib/store/block_map.ts";
import { groupPart } from "@lib/store/label_sets.ts";
import { encodeBlock, newPools, type SeriesBlock } from "@lib/store/series_block.ts";

const pools = newPools();
function block(name: string, value = 1): SeriesBlock {
  return encodeBlock(
    { name, type: MetricType.GAUGE, metric: [{ label: [], gauge: { value } }] },
    groupPart([]),
    1,
    pools,
  );
}

Deno.test("BlockMap behaves as a Map of families, iterated in name order", () => {
  const map = new BlockMap();
  for (const name of ["m", "b", "z", "a"]) map.set(name, block(name));
  assertEquals(map.size, 4);
  assertEquals([...map.keys()], ["a", "b", "m", "z"]);
  assertEquals([...map.values()].map((b) => b.head.name), ["a", "b", "m", "z"]);
  assertEquals([...map].map(([k]) => k), ["a", "b", "m", "z"]);
  assert(map.has("m") && !map.has("c"));
  const replaced = block("m", 2);
  map.set("m", replaced);
  assert(map.get("m") === replaced);
  assertEquals(map.size, 4);
  assert(map.delete("b") && !map.delete("b"));
  assertEquals([...map.keys()], ["a", "m", "z"]);
  const seen: string[] = [];
  map.forEach((_, k) => {
    seen.push(k);
    map.delete(k); // deleting while iterating is safe
  });
  assertEquals(seen, ["a", "m", "z"]);
  assertEquals(map.size, 0);
});

Deno.test("BlockMap.copy() is unaffected by later changes, and maps compare by content", () => {
  const map = new BlockMap();
  const a = block("a");
  map.set("a", a);
  const copy = map.copy();
  map.set("b", block("b"));
  map.delete("a");
  assertEquals([...copy.keys()], ["a"]);
  assert(copy.get("a") === a);
  assertNotEquals(copy, map);
  const twin = new BlockMap([a]);
  assertEquals(copy, twin);
  assertNotEquals(new BlockMap([block("a", 1)]), new BlockMap([block("a", 2)]));
});
