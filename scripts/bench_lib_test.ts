import { assert, assertAlmostEquals, assertEquals, assertStringIncludes } from "@std/assert";
import { parseText } from "@lib/expfmt/text_parse.ts";
import { MetricType } from "@lib/model/metric.ts";
import {
  Budget,
  type CpuProfile,
  formatNumber,
  formatRatio,
  formatTable,
  groupBody,
  groupPath,
  groupsForSeries,
  meetsTarget,
  METRICS_PER_GROUP,
  parseBenchArgs,
  parseProcStatCpuMs,
  parseProcStatus,
  percentile,
  planLevels,
  ratio,
  REFERENCE_GROUPS,
  type Row,
  SERIES_PER_GROUP,
  summarize,
  summarizeCpuProfile,
} from "./bench_lib.ts";

Deno.test("groupBody: 5 families, 9 metrics, 16 samples, about 1 kB, valid text", () => {
  for (const i of [0, 1, 4321, 99_999]) {
    const body = groupBody(i, i * 3);
    const bytes = new TextEncoder().encode(body);
    assert(bytes.length > 900 && bytes.length < 1300, `size ${bytes.length}`);
    const families = parseText(bytes, { scheme: "legacy" });
    assertEquals(families.map((f) => f.type), [
      MetricType.COUNTER,
      MetricType.GAUGE,
      MetricType.HISTOGRAM,
      MetricType.SUMMARY,
      MetricType.UNTYPED,
    ]);
    assertEquals(families.reduce((n, f) => n + f.metric.length, 0), METRICS_PER_GROUP);
    const samples = body.split("\n").filter((l) => l !== "" && !l.startsWith("#")).length;
    assertEquals(samples + 2, SERIES_PER_GROUP);
  }
});

Deno.test("groupBody: values change with the tick, names do not", () => {
  const a = groupBody(7, 0), b = groupBody(7, 1);
  assert(a !== b);
  const names = (s: string) => s.split("\n").map((l) => l.split(/[{ ]/)[0]);
  assertEquals(names(a), names(b));
});

Deno.test("groupPath and groupsForSeries", () => {
  assertEquals(groupPath(12), "/metrics/job/bench/instance/host-12");
  assertEquals(groupPath(0, "probe"), "/metrics/job/probe/instance/host-0");
  const table: [number, number][] = [[0, 0], [1, 1], [18, 1], [19, 2], [10_000, 556]];
  for (const [series, groups] of table) assertEquals(groupsForSeries(series), groups, `${series}`);
});

Deno.test("percentile: nearest rank", () => {
  const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
  const table: [number, number][] = [[0, 1], [1, 1], [50, 50], [99, 99], [99.5, 100], [100, 100]];
  for (const [p, want] of table) assertEquals(percentile(sorted, p), want, `p${p}`);
  assertEquals(percentile([5], 99), 5);
  assert(Number.isNaN(percentile([], 50)));
});

Deno.test("summarize: unsorted input", () => {
  const s = summarize([3, 1, 2, 10]);
  assertEquals([s.n, s.min, s.p50, s.p99, s.max], [4, 1, 2, 10, 10]);
  assertEquals(s.mean, 4);
  const empty = summarize([]);
  assertEquals(empty.n, 0);
  assert(Number.isNaN(empty.p50) && Number.isNaN(empty.mean));
});

Deno.test("ratio and meetsTarget", () => {
  assertEquals(ratio(2, 4), 0.5);
  assertEquals(ratio(undefined, 4), undefined);
  assertEquals(ratio(1, 0), undefined);
  assertEquals(ratio(NaN, 1), undefined);
  const base: Row = { section: "s", label: "l", unit: "ms", better: "lower" };
  const table: [Partial<Row>, boolean | undefined][] = [
    [{ ours: 1, upstream: 10, target: { on: "ratio", op: "le", value: 0.2 } }, true],
    [{ ours: 3, upstream: 10, target: { on: "ratio", op: "le", value: 0.2 } }, false],
    [{ ours: 900, upstream: 10, target: { on: "ratio", op: "ge", value: 80 } }, true],
    [{ ours: 0.5, target: { on: "abs", op: "le", value: 1 } }, true],
    [{ ours: 1.5, target: { on: "abs", op: "le", value: 1 } }, false],
    [{ ours: 1, target: { on: "ratio", op: "le", value: 1 } }, undefined],
    [{ ours: 1, upstream: 1 }, undefined],
  ];
  for (const [r, want] of table) assertEquals(meetsTarget({ ...base, ...r }), want);
  assertEquals(
    meetsTarget(
      { ...base, ours: 5, oursV8: 1, target: { on: "abs", op: "le", value: 2 } },
      "oursV8",
    ),
    true,
  );
});

Deno.test("formatNumber and formatRatio", () => {
  const table: [number | undefined, string][] = [
    [undefined, "—"],
    [NaN, "—"],
    [0, "0"],
    [0.01234, "0.012"],
    [1.234, "1.23"],
    [12.34, "12.3"],
    [123.4, "123"],
    [12345.6, "12,346"],
    [Infinity, "∞"],
  ];
  for (const [v, want] of table) assertEquals(formatNumber(v), want, `${v}`);
  assertEquals(formatRatio(undefined), "—");
  assertEquals(formatRatio(0.1234), "0.12×");
  assertEquals(formatRatio(12.34), "12.3×");
  assertEquals(formatRatio(1234), "1234×");
});

Deno.test("formatTable: sections, aligned columns, ratio and verdict", () => {
  const rows: Row[] = [
    {
      section: "Scrape",
      label: "text",
      unit: "ms",
      ours: 50,
      oursV8: 60,
      upstream: 300,
      better: "lower",
      target: { on: "ratio", op: "le", value: 0.2 },
    },
    { section: "Memory", label: "idle", unit: "MiB", ours: 60, upstream: 12, better: "lower" },
    {
      section: "Scrape",
      label: "proto",
      unit: "ms",
      ours: 90,
      upstream: 300,
      better: "lower",
      target: { on: "ratio", op: "le", value: 0.2 },
      note: "n=5",
    },
  ];
  const text = formatTable(rows, "v8");
  const lines = text.split("\n");
  assertEquals(lines[0], "**Scrape**");
  assertStringIncludes(text, "**Memory**");
  assert(text.indexOf("**Scrape**") < text.indexOf("**Memory**"));
  const tableLines = lines.filter((l) => l.startsWith("|"));
  const widths = new Set(tableLines.map((l) => [...l].length));
  assertEquals(widths.size, 1, "every table line has the same width");
  const text50 = tableLines.find((l) => l.includes("| text "))!;
  assertStringIncludes(text50, "0.17×");
  assertStringIncludes(text50, "≤ 0.2× ok");
  const proto = tableLines.find((l) => l.includes("| proto "))!;
  assertStringIncludes(proto, "0.30×");
  assertStringIncludes(proto, "MISS");
  assertStringIncludes(proto, "n=5");
  assertStringIncludes(proto, "—"); // no V8-flags figure
  assertStringIncludes(tableLines[0]!, "|   v8 |");
});

Deno.test("parseProcStatus: VmRSS and VmHWM in bytes", () => {
  const text = "Name:\tdeno\nVmPeak:\t  900 kB\nVmHWM:\t   2048 kB\nVmRSS:\t   1024 kB\n";
  assertEquals(parseProcStatus(text), { rss: 1024 * 1024, hwm: 2048 * 1024 });
  const missing = parseProcStatus("Name:\tx\n");
  assert(Number.isNaN(missing.rss) && Number.isNaN(missing.hwm));
});

Deno.test("parseProcStatCpuMs: utime + stime, command names with spaces and parentheses", () => {
  const tail = "S 1 2 3 0 -1 4194304 123 0 0 0 250 50 0 0 20 0 1 0";
  assertEquals(parseProcStatCpuMs(`42 (deno) ${tail}`), 3000);
  assertEquals(parseProcStatCpuMs(`42 (a b) c)) ${tail}`), 3000);
  assertEquals(parseProcStatCpuMs(`42 (deno) ${tail}`, 1000), 300);
  assert(Number.isNaN(parseProcStatCpuMs("garbage")));
  assert(Number.isNaN(parseProcStatCpuMs("1 (x) S 1")));
});

Deno.test("summarizeCpuProfile: self time by function, merged frames, shares", () => {
  const frame = (functionName: string, url = "", lineNumber = 0) => ({
    functionName,
    url,
    lineNumber,
  });
  const profile: CpuProfile = {
    nodes: [
      { id: 1, callFrame: frame("(root)"), children: [2, 3, 4, 5] },
      { id: 2, callFrame: frame("render", "file:///w/lib/expfmt/text_render.ts", 9) },
      { id: 3, callFrame: frame("(idle)") },
      { id: 4, callFrame: frame("", "file:///w/lib/x.ts", 0) },
      { id: 5, callFrame: frame("render", "file:///w/lib/expfmt/text_render.ts", 9) },
    ],
    samples: [2, 3, 2, 4, 5, 3],
    timeDeltas: [1000, 4000, 2000, 500, 1500, 1000],
  };
  const s = summarizeCpuProfile(profile, 2);
  assertEquals(s.totalMs, 10);
  assertEquals(s.idleMs, 5);
  assertEquals(s.functions.length, 2);
  assertEquals(s.functions[0]!.where, "(idle)");
  assertEquals(s.functions[0]!.selfMs, 5);
  assertEquals(s.functions[1]!.where, "render (expfmt/text_render.ts:10)");
  assertEquals(s.functions[1]!.selfMs, 4.5);
  assertAlmostEquals(s.functions[1]!.share, 0.45);
  const all = summarizeCpuProfile(profile);
  assertEquals(all.functions.find((f) => f.where.startsWith("(anonymous)"))?.selfMs, 0.5);
});

Deno.test("parseBenchArgs: defaults, options and errors", () => {
  const d = parseBenchArgs([]);
  assert(!("error" in d));
  assertEquals(d.quick, false);
  assertEquals(d.budgetMs, 600_000);
  assertEquals(d.json, "bench-results.json");
  assertEquals(d.conns, 8);
  assertEquals(d.profile, "");
  const q = parseBenchArgs(["--quick", "--json", "x.json", "--v8-flags=", "--conns", "16"]);
  assert(!("error" in q));
  assertEquals([q.quick, q.budgetMs, q.json, q.v8Flags, q.conns], [
    true,
    150_000,
    "x.json",
    "",
    16,
  ]);
  const p = parseBenchArgs(["--profile", "scrape", "--profile-groups", "500", "--budget", "60"]);
  assert(!("error" in p));
  assertEquals([p.profile, p.profileGroups, p.budgetMs], ["scrape", 500, 60_000]);
  assertEquals([d.scenario, d.baselineMain], ["", ""]);
  const s = parseBenchArgs(["--scenario", "memory", "--baseline-main", "/old/main.ts"]);
  assert(!("error" in s));
  assertEquals([s.scenario, s.baselineMain], ["memory", "/old/main.ts"]);
  assertEquals(d.ha, false);
  const ha = parseBenchArgs(["--ha", "--quick"]);
  assert(!("error" in ha));
  assertEquals([ha.ha, ha.quick], [true, true]);
  const bad: string[][] = [
    ["--nope"],
    ["extra"],
    ["--budget", "0"],
    ["--conns", "1"],
    ["--conns", "x"],
    ["--profile", "cpu"],
    ["--profile-groups", "0"],
    ["--scenario", "speed"],
  ];
  for (const args of bad) assert("error" in parseBenchArgs(args), args.join(" "));
  assertEquals(parseBenchArgs(["--help"]), { error: "usage" });
});

Deno.test("planLevels: ascending store sizes, the reference level, scrape points", () => {
  for (const quick of [false, true]) {
    const levels = planLevels(quick);
    const groups = levels.map((l) => l.groups);
    assertEquals(groups, [...groups].sort((a, b) => a - b));
    assertEquals(levels[0]!.groups, 0);
    const ref = levels.filter((l) => l.reference);
    assertEquals(ref.map((l) => l.groups), [REFERENCE_GROUPS]);
    assert(ref[0]!.scrape);
    assertEquals(levels.filter((l) => l.scrapeUnderLoad).length, 1);
  }
  const full = planLevels(false).map((l) => l.name);
  assertEquals(full, [
    "empty",
    "10k series",
    "50k series",
    "100k series",
    "10k groups",
    "200k series",
  ]);
});

Deno.test("Budget: what is left, slices with a reserve, expiry", () => {
  let now = 1000;
  const b = new Budget(500, () => now);
  assertEquals(b.leftMs, 500);
  assertEquals(b.slice(200), 200);
  assertEquals(b.slice(400, 300), 200);
  now = 1400;
  assertEquals(b.leftMs, 100);
  assertEquals(b.slice(1000), 100);
  assertEquals(b.slice(50, 200), 0);
  assert(!b.expired);
  now = 1600;
  assertEquals(b.leftMs, 0);
  assert(b.expired);
});
