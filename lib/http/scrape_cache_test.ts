import { assert, assertEquals } from "@std/assert";
import { concat } from "@std/bytes/concat";
import { Prng } from "@lib/expfmt/fuzz_gen.ts";
import { gunzipSync } from "node:zlib";
import { renderFamilyText } from "@lib/expfmt/text_render.ts";
import { OPENMETRICS_EOF, renderFamilyOpenMetrics } from "@lib/expfmt/openmetrics_render.ts";
import { escapeMetricFamily, type EscapingScheme } from "@lib/model/escaping.ts";
import { emptyHistogram, type Metric, type MetricFamily, MetricType } from "@lib/model/metric.ts";
import { encodeFamily, frameDelimited } from "@lib/protobuf/encode.ts";
import { withExtraSeries } from "@lib/store/merged_view.ts";
import { StoreState } from "@lib/store/state.ts";
import type { MergedSeries } from "@lib/store/store.ts";
import { ExpositionCache, type ScrapeFamily, wholeFamily } from "@lib/http/scrape_cache.ts";
import { metricSource } from "@lib/http/series_segments.ts";
import {
  OPENMETRICS_RENDERER,
  PROTOBUF_RENDERER,
  TEXT_RENDERER,
} from "@lib/http/scrape_formats.ts";
import { loadDeflate } from "@lib/compress/gzip_member.ts";

await loadDeflate(); // the handler does it before the first gzip scrape
const utf8 = new TextEncoder();

type Format = "text" | "protobuf" | "openmetrics";

/** A full render without the cache: each family escaped and rendered whole (then `# EOF`). */
function reference(
  families: readonly ScrapeFamily[],
  format: Format,
  scheme: EscapingScheme,
): Uint8Array {
  const rendered = families.map((f) => {
    const escaped = escapeMetricFamily(wholeFamily(f), scheme);
    return format === "text"
      ? utf8.encode(renderFamilyText(escaped))
      : format === "openmetrics"
      ? utf8.encode(renderFamilyOpenMetrics(escaped))
      : frameDelimited(encodeFamily({ ...escaped, unit: undefined })); // never a unit, as upstream
  });
  if (format === "openmetrics") rendered.push(utf8.encode(OPENMETRICS_EOF));
  return concat(rendered);
}

/** Deterministic pseudo-random numbers in [0, 1). */
function random(seed: number): () => number {
  const prng = new Prng(seed);
  return () => prng.next() / 2 ** 32;
}

/**
 * A group's families: every classic type, a label and a family name that need
 * escaping, a unit, exemplars on counters and on a histogram bucket.
 */
function groupFamilies(rand: () => number, g: number): MetricFamily[] {
  const series = (n: number, make: (k: number) => Omit<Metric, "label">, extra = "kind") =>
    Array.from({ length: n }, (_, k) => ({ label: [{ name: extra, value: `k${k}` }], ...make(k) }));
  const value = () => Math.round(rand() * 1000) / 4;
  const all: MetricFamily[] = [
    {
      name: "c_total",
      help: "A counter.",
      type: MetricType.COUNTER,
      metric: series(1 + (g % 4), (k) => ({
        counter: {
          value: value(),
          ...(k === 0
            ? { exemplar: { label: [{ name: "trace_id", value: `t${g}` }], value: 1 } }
            : {}),
        },
      })),
    },
    {
      name: "g",
      help: 'A gauge with "quotes" and \\.',
      type: MetricType.GAUGE,
      metric: series(2, () => ({ gauge: { value: value() } }), "dotted.label"),
    },
    {
      name: "h_seconds",
      type: MetricType.HISTOGRAM,
      unit: "seconds",
      metric: series(1 + (g % 2), () => ({
        histogram: {
          ...emptyHistogram(),
          sampleCount: 3,
          sampleSum: value(),
          bucket: [{ upperBound: 0.5, cumulativeCount: 1 }, {
            upperBound: 1,
            cumulativeCount: 2,
            exemplar: {
              label: [{ name: "trace_id", value: `b${g}` }],
              value: 0.75,
              timestamp: { seconds: 1_700_000_000 + g, nanos: 500_000_000 },
            },
          }],
        },
      })),
    },
    {
      name: "s",
      help: "A summary.\nTwo lines.",
      type: MetricType.SUMMARY,
      metric: series(1, () => ({
        summary: { sampleCount: 2, sampleSum: value(), quantile: [{ quantile: 0.5, value: 1 }] },
      })),
    },
    {
      name: "u.dotted",
      type: MetricType.UNTYPED,
      metric: series(1, () => ({ untyped: { value: value() } })),
    },
  ];
  return all.filter(() => rand() < 0.8);
}

/** The gateway's own families: fresh objects on every call, one sharing a pushed name. */
function ownFamilies(scrape: number): MetricFamily[] {
  return [
    {
      name: "pushgateway_build_info",
      help: "Build.",
      type: MetricType.GAUGE,
      metric: [{ label: [{ name: "version", value: "1" }], gauge: { value: scrape } }],
    },
    {
      name: "s",
      help: "A summary.\nTwo lines.",
      type: MetricType.SUMMARY,
      metric: [{
        label: [{ name: "kind", value: "own" }],
        summary: { sampleCount: scrape, sampleSum: 1, quantile: [] },
      }],
    },
  ];
}

/** The families of a scrape, as `gatherFamilies` builds them. */
function gather(state: StoreState, scrape: number, withOwn = true): ScrapeFamily[] {
  const own = new Map(withOwn ? ownFamilies(scrape).map((f) => [f.name, f]) : []);
  const names = [...new Set([...state.familyNames(), ...own.keys()])].sort();
  const out: ScrapeFamily[] = [];
  for (const name of names) {
    const pushed = state.mergedFamily(name);
    const mine = own.get(name);
    if (pushed && mine) {
      out.push({ family: withExtraSeries(pushed, mine, mine.metric), volatile: false });
    } else if (pushed && pushed.size > 0) out.push({ family: pushed, volatile: false });
    else if (mine) out.push({ family: mine, volatile: true });
  }
  return out;
}

function pushGroup(state: StoreState, rand: () => number, g: number, seq: number, replace = true) {
  return state.push({
    labels: { job: "j", instance: `host-${String(g).padStart(4, "0")}` },
    families: groupFamilies(rand, g),
    replace,
    timeMs: 1_700_000_000_000 + seq,
  }, seq);
}

const COMBINATIONS: [Format, typeof TEXT_RENDERER, EscapingScheme][] = [
  ["text", TEXT_RENDERER, "underscores"],
  ["text", TEXT_RENDERER, "allow-utf-8"],
  ["text", TEXT_RENDERER, "values"],
  ["protobuf", PROTOBUF_RENDERER, "underscores"],
  ["protobuf", PROTOBUF_RENDERER, "allow-utf-8"],
  ["protobuf", PROTOBUF_RENDERER, "dots"],
  ["openmetrics", OPENMETRICS_RENDERER, "underscores"],
  ["openmetrics", OPENMETRICS_RENDERER, "allow-utf-8"],
  ["openmetrics", OPENMETRICS_RENDERER, "dots"],
];

Deno.test("ExpositionCache: identity and gzip scrapes equal a full render after every write", () => {
  const rand = random(12345);
  const state = new StoreState();
  let seq = 1;
  for (let g = 0; g < 150; g++) pushGroup(state, rand, g, seq++);
  const caches = COMBINATIONS.map(([format, renderer, scheme]) => ({
    format,
    scheme,
    cache: new ExpositionCache(renderer, scheme),
  }));
  for (let step = 0; step < 40; step++) {
    const r = rand();
    const g = Math.floor(rand() * 170); // some new groups, some deletes of absent ones
    if (r < 0.5) pushGroup(state, rand, g, seq++);
    else if (r < 0.75) pushGroup(state, rand, g, seq++, false);
    else {
      state.delete({ labels: { job: "j", instance: `host-${String(g).padStart(4, "0")}` } }, seq++);
    }
    for (const { format, scheme, cache } of caches) {
      const families = gather(state, step);
      const expected = reference(families, format, scheme);
      const where = `step ${step}, ${format} ${scheme}`;
      if (format === "openmetrics" && step === 0) {
        const text = new TextDecoder().decode(expected);
        for (const part of [' # {trace_id="t', ' # {trace_id="b', "# UNIT h_seconds seconds\n"]) {
          assert(text.includes(part), `${where}: no ${part}`);
        }
        assert(text.endsWith("\n# EOF\n"), where);
      }
      // Alternate which encoding goes first: gzip-only caches drop the raw bytes.
      const order = step % 3 === 0 ? ["identity", "gzip"] : ["gzip", "identity"];
      for (const encoding of order) {
        if (encoding === "identity") {
          const body = cache.identity(families);
          const bytes = concat(body.parts);
          assertEquals(body.length, bytes.length, where);
          assertEquals(bytes, expected, where);
        } else {
          const body = cache.gzip(families);
          const gz = concat(body.parts);
          assertEquals(body.length, gz.length, where);
          assertEquals(new Uint8Array(gunzipSync(gz)), expected, where);
        }
      }
    }
  }
});

Deno.test("ExpositionCache: a one-group push renders and compresses only the runs it touched", () => {
  const rand = random(99);
  const state = new StoreState();
  let seq = 1;
  for (let g = 0; g < 3000; g++) pushGroup(state, rand, g, seq++);
  const formats = [
    ["text", TEXT_RENDERER, "host-2000"],
    ["protobuf", PROTOBUF_RENDERER, "host-2001"],
    ["openmetrics", OPENMETRICS_RENDERER, "host-2002"],
  ] as const;
  for (const [format, renderer, gone] of formats) {
    const cache = new ExpositionCache(renderer, "underscores");
    cache.gzip(gather(state, 0));
    const cold = cache.stats;
    assert(cold.runsDeflated > 60, `${cold.runsDeflated} runs`);
    assertEquals(cold.runsRendered, cold.runsDeflated);

    // Nothing changed: only the run holding the gateway's own series of `s` (a new object
    // on every scrape, first in the family) is rendered again.
    cache.gzip(gather(state, 1));
    assertEquals(cache.stats.runsDeflated, cold.runsDeflated + 1);
    cache.gzip(gather(state, 1, false));
    const unchanged = cache.stats;
    cache.gzip(gather(state, 1, false));
    assertEquals(cache.stats, unchanged);

    // One group pushed again: its families (at most 5) and push_time_seconds change; a run
    // holding a changed series is rendered again, or two when a boundary series changed.
    pushGroup(state, rand, 1234, seq++);
    const families = gather(state, 2);
    const gz = concat(cache.gzip(families).parts);
    assertEquals(new Uint8Array(gunzipSync(gz)), reference(families, format, "underscores"));
    const delta = cache.stats.runsDeflated - unchanged.runsDeflated;
    assert(delta >= 2 && delta <= 2 * 6, `${delta} runs compressed after one push`);

    // A deleted group: only the runs it was in.
    const before = cache.stats.runsDeflated;
    // (Another group for each renderer: the store is shared.)
    assert(state.delete({ labels: { job: "j", instance: gone } }, seq++).deleted);
    const after = gather(state, 3);
    const gz2 = concat(cache.gzip(after).parts);
    assertEquals(new Uint8Array(gunzipSync(gz2)), reference(after, format, "underscores"));
    // The group's families (up to 5) and its two push-time gauges, plus the own run of `s`.
    const deleted = cache.stats.runsDeflated - before;
    assert(deleted >= 3 && deleted <= 2 * 7 + 1, `${deleted} runs compressed after one delete`);
  }
});

Deno.test("ExpositionCache: identity scrapes keep the rendered bytes, gzip-only ones do not", () => {
  const rand = random(7);
  const state = new StoreState();
  for (let g = 0; g < 300; g++) pushGroup(state, rand, g, g + 1);
  const cache = new ExpositionCache(TEXT_RENDERER, "underscores");
  cache.gzip(gather(state, 0, false));
  const afterGzip = cache.stats.runsRendered;
  // The first identity scrape renders the runs again (their bytes were dropped)…
  cache.identity(gather(state, 1, false));
  assertEquals(cache.stats.runsRendered, 2 * afterGzip);
  // …and from then on neither encoding renders anything while nothing changes.
  cache.identity(gather(state, 2, false));
  cache.gzip(gather(state, 3, false));
  assertEquals(cache.stats.runsRendered, 2 * afterGzip);
  assertEquals(cache.stats.runsDeflated, afterGzip);
});

Deno.test("ExpositionCache: families that are gone are forgotten; an empty store is the own metrics", () => {
  const rand = random(3);
  const state = new StoreState();
  for (let g = 0; g < 20; g++) pushGroup(state, rand, g, g + 1);
  const cache = new ExpositionCache(TEXT_RENDERER, "underscores");
  cache.gzip(gather(state, 0));
  const stored = gather(state, 0).filter((f) => !f.volatile).length;
  assertEquals(cache.familyCount, stored);
  state.wipe(100);
  const families = gather(state, 1);
  const body = cache.gzip(families);
  assertEquals(cache.familyCount, 0);
  const text = new TextDecoder().decode(gunzipSync(concat(body.parts)));
  assertEquals(text, new TextDecoder().decode(reference(families, "text", "underscores")));
  assert(text.startsWith("# HELP pushgateway_build_info Build.\n"), text);
});

/** A family of `Metric` objects as a stored one: each object keeps one id. */
function asStored(f: MetricFamily): MergedSeries {
  const source = metricSource(f.metric);
  return {
    name: f.name,
    help: f.help,
    type: f.type,
    unit: f.unit,
    size: f.metric.length,
    seriesId: (i) => source.seriesId(i),
    labelHash: (i) => source.labelHash(i),
    lines: (i) => source.lines(i),
    series: (start = 0, end = f.metric.length) => f.metric.slice(start, end),
    head: () => ({ ...f, metric: [] }),
  };
}

Deno.test("ExpositionCache: a changed help renders the family again with its new head", () => {
  const family = (help: string, metric: Metric[]): MetricFamily => ({
    name: "x",
    help,
    type: MetricType.GAUGE,
    metric,
  });
  const metric: Metric[] = [{ label: [{ name: "a", value: "1" }], gauge: { value: 1 } }];
  const formats = [
    ["text", TEXT_RENDERER],
    ["protobuf", PROTOBUF_RENDERER],
    ["openmetrics", OPENMETRICS_RENDERER],
  ] as const;
  for (const [format, renderer] of formats) {
    const cache = new ExpositionCache(renderer, "underscores");
    for (const help of ["one", "two", "two"]) {
      const families: ScrapeFamily[] = [{
        family: asStored(family(help, metric)),
        volatile: false,
      }];
      const gz = concat(cache.gzip(families).parts);
      assertEquals(new Uint8Array(gunzipSync(gz)), reference(families, format, "underscores"));
      assertEquals(
        concat(cache.identity(families).parts),
        reference(families, format, "underscores"),
      );
    }
  }
});
