import { assert, assertEquals, assertNotEquals } from "@std/assert";
import type { LabelPair } from "@lib/model/metric.ts";
import {
  compareMergedNames,
  compareMergedValues,
  finishHash,
  groupPart,
  labelsHash,
  mergeLabels,
  newLabelSet,
  ownPairs,
  pairsKey,
  sameMerged,
} from "@lib/store/label_sets.ts";
import { compareMetrics } from "@lib/store/merged_view.ts";

const p = (name: string, value: string): LabelPair => ({ name, value });

Deno.test("a series' hash is the same from any split into group part and set", () => {
  const labels = [p("a", "1"), p("instance", "h"), p("job", "j"), p("z", "")];
  const whole = labelsHash(labels);
  for (let mask = 0; mask < 16; mask++) {
    const part = labels.filter((_, i) => mask & (1 << i));
    const set = labels.filter((_, i) => !(mask & (1 << i)));
    assertEquals(finishHash((groupPart(part).hash + newLabelSet(set).hash) | 0), whole);
  }
  // The name/value boundary and the values count.
  assertNotEquals(labelsHash([p("a", "bc")]), labelsHash([p("ab", "c")]));
  assertNotEquals(labelsHash([p("a", "1")]), labelsHash([p("a", "2")]));
  assert(whole >= 0 && whole < 2 ** 32);
});

Deno.test("mergeLabels() and sameMerged() interleave by name", () => {
  const part = [p("instance", "h"), p("job", "j")];
  const set = [p("a", "1"), p("le", "x"), p("zone", "z")];
  const merged = mergeLabels(part, set);
  assertEquals(merged.map((l) => l.name), ["a", "instance", "job", "le", "zone"]);
  assert(merged[1] === part[0], "the pair objects are shared");
  assert(sameMerged(part, set, merged));
  assert(sameMerged(part, set, merged.map((l) => ({ ...l }))));
  assert(!sameMerged(part, set, merged.slice(1)));
  assert(!sameMerged(part, set, [...merged.slice(0, 4), p("zone", "y")]));
  assertEquals(mergeLabels([], set), set);
  assert(mergeLabels([], set) !== set, "a new array");
});

Deno.test("compareMergedValues() orders as compareMetrics() on the merged lists", () => {
  const parts = [[p("instance", "a"), p("job", "j")], [p("job", "j")], [p("instance", "b")]];
  const sets = [[], [p("x", "1")], [p("x", "2")], [p("instance", "a"), p("x", "1")], [p("y", "")]];
  const all: [LabelPair[], LabelPair[]][] = [];
  for (const part of parts) {
    for (const set of sets) {
      if (set.some((l) => part.some((g) => g.name === l.name))) continue;
      all.push([part, set]);
    }
  }
  for (const [ap, as] of all) {
    for (const [bp, bs] of all) {
      const expected = Math.sign(
        compareMetrics({ label: mergeLabels(ap, as) }, { label: mergeLabels(bp, bs) }),
      );
      assertEquals(Math.sign(compareMergedValues(ap, as, bp, bs)), expected);
      if (expected === 0) {
        const names = (x: LabelPair[]) => x.map((l) => l.name).join();
        const byNames = Math.sign(
          names(mergeLabels(ap, as)) < names(mergeLabels(bp, bs))
            ? -1
            : names(mergeLabels(ap, as)) > names(mergeLabels(bp, bs))
            ? 1
            : 0,
        );
        assertEquals(Math.sign(compareMergedNames(ap, as, bp, bs)), byNames);
      }
    }
  }
});

Deno.test("ownPairs() keeps a series' own pairs, or gives up on labels that do not fit the group", () => {
  const part = [p("instance", "h"), p("job", "j")];
  assertEquals(ownPairs([p("a", "1"), p("instance", "h"), p("job", "j")], part), [p("a", "1")]);
  assertEquals(ownPairs([p("instance", "h"), p("job", "j")], part), []);
  assertEquals(ownPairs([p("instance", "h")], part), undefined, "a grouping pair missing");
  assertEquals(ownPairs([p("instance", "h"), p("job", "k")], part), undefined, "another value");
  assertEquals(ownPairs([p("job", "j"), p("instance", "h")], part), undefined, "not sorted");
  assertEquals(
    ownPairs([p("a", "1"), p("a", "2"), p("instance", "h"), p("job", "j")], part),
    undefined,
  );
  assertEquals(ownPairs([p("b", "1"), p("a", "2")], []), undefined, "not sorted, no group");
});

Deno.test("pairsKey() tells every pair list apart", () => {
  assertNotEquals(pairsKey([p("a", "bc")]), pairsKey([p("ab", "c")]));
  assertNotEquals(pairsKey([p("a", "1:b1:2")]), pairsKey([p("a", "1"), p("b", "2")]));
  assertEquals(pairsKey([p("a", "1")]), pairsKey([{ name: "a", value: "1" }]));
});
