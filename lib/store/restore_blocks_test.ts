import { assert, assertEquals, assertStrictEquals } from "@std/assert";
import { type MetricFamily, MetricType } from "@lib/model/metric.ts";
import { EMPTY_PART, groupPart } from "@lib/store/label_sets.ts";
import { encodeBlock, newPools } from "@lib/store/series_block.ts";
import { adoptBlock, restoredBlocks, sharedPart } from "@lib/store/restore_blocks.ts";
import { PUSH_EXPIRY_TIME_METRIC } from "@lib/store/types.ts";

const pairs = [{ name: "instance", value: "h" }, { name: "job", value: "j" }];
const part = groupPart(pairs);

function gauges(name: string, values: string[]): MetricFamily {
  return {
    name,
    type: MetricType.GAUGE,
    metric: values.map((v) => ({
      label: [{ name: "a", value: v }, ...pairs],
      gauge: { value: 1 },
    })),
  };
}

Deno.test("adoptBlock() moves a block into another store's pools, or rebuilds it for other pairs", () => {
  const f = gauges("g", ["x", "y"]);
  const source = encodeBlock(f, part, 1, newPools());
  const pools = newPools();
  const adopted = adoptBlock(source, groupPart(pairs.slice()), pools);
  assertEquals(adopted.family, source.family);
  assertEquals(adopted.id(0), source.id(0), "the same series keep their ids");
  const twin = encodeBlock(f, part, 1, pools);
  assertStrictEquals((twin.sets as unknown[])[0], (adopted.sets as unknown[])[0], "pooled");
  const other = groupPart([{ name: "job", value: "j" }]);
  const rebuilt = adoptBlock(source, other, newPools());
  assertEquals(rebuilt.family, source.family);
  assertStrictEquals(rebuilt.part, other, "built again for the group's own pairs");
  // A block already in the store's form, with its part: kept as it is.
  assertStrictEquals(adoptBlock(adopted, adopted.part, pools), adopted);
});

Deno.test("sharedPart() keeps the decoder's part only for the group's own pairs", () => {
  const block = encodeBlock(gauges("g", ["x"]), part, 1, newPools());
  assertStrictEquals(sharedPart([block], [pairs[1]!, pairs[0]!]), part);
  assertEquals(sharedPart([block], [pairs[1]!]), undefined);
  const whole = encodeBlock(gauges("g", ["x"]), EMPTY_PART, 1, newPools());
  assertEquals(sharedPart([whole], pairs), undefined, "no part to share");
});

Deno.test("restoredBlocks() sorts by name, keeps the first of a name, drops the expiry gauge", () => {
  const pools = newPools();
  const first = { family: gauges("b", ["1"]), lastPushMs: 1 };
  const restored = restoredBlocks(
    [
      first,
      encodeBlock(gauges("a", ["x", "y"]), part, 2, newPools()),
      { family: gauges("b", ["2"]), lastPushMs: 3 },
      { family: gauges(PUSH_EXPIRY_TIME_METRIC, []), lastPushMs: 4 },
    ],
    part,
    pools,
    new Map(),
  );
  assertEquals(restored.map((b) => [b.head.name, b.lastPushMs]), [["a", 2], ["b", 1]]);
  assertEquals(restored[1]!.family, first.family);
  assert(restored.every((b) => b.part === part));
});
