import { assertEquals } from "@std/assert";
import type { Group } from "@lib/store/types.ts";
import { filterGroups, paginate, parsePageNumber } from "@lib/ui/paging.ts";

function group(labels: Record<string, string>): Group {
  return { labels, families: new Map() };
}

Deno.test("filterGroups() matches label names and values case-insensitively", () => {
  const groups = [
    group({ job: "Backup", instance: "db-1" }),
    group({ job: "cron", env: "prod" }),
    group({ job: "cron", instance: "db-2" }),
  ];
  const cases: [string, number[]][] = [
    ["", [0, 1, 2]],
    ["   ", [0, 1, 2]],
    ["backup", [0]],
    ["DB-", [0, 2]],
    ["env", [1]],
    ['job="cron"', [1, 2]],
    ['instance="db-2', [2]],
    [" prod ", [1]],
    ["nothing", []],
  ];
  for (const [q, want] of cases) {
    assertEquals(filterGroups(groups, q), want.map((i) => groups[i] as Group), q);
  }
});

Deno.test("parsePageNumber() accepts positive integers only", () => {
  const cases: [string | null, number][] = [
    [null, 1],
    ["", 1],
    ["1", 1],
    ["7", 7],
    [" 3 ", 3],
    ["0", 1],
    ["-2", 1],
    ["2.5", 1],
    ["abc", 1],
    ["99999999999", 1],
  ];
  for (const [raw, want] of cases) assertEquals(parsePageNumber(raw), want, String(raw));
});

Deno.test("paginate() cuts pages and clamps the page number", () => {
  const items = [1, 2, 3, 4, 5];
  const cases: [number, number, number[], number, number, number][] = [
    // page, size, items, page, pages, offset
    [1, 2, [1, 2], 1, 3, 0],
    [2, 2, [3, 4], 2, 3, 2],
    [3, 2, [5], 3, 3, 4],
    [9, 2, [5], 3, 3, 4],
    [0, 2, [1, 2], 1, 3, 0],
    [1, 50, [1, 2, 3, 4, 5], 1, 1, 0],
  ];
  for (const [page, size, want, wantPage, pages, offset] of cases) {
    const p = paginate(items, page, size);
    assertEquals([p.items, p.page, p.pages, p.offset, p.count], [
      want,
      wantPage,
      pages,
      offset,
      5,
    ]);
  }
  const empty = paginate([], 3, 50);
  assertEquals([empty.items, empty.page, empty.pages, empty.count], [[], 1, 1, 0]);
});
