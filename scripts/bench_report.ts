/**
 * The report of `deno task bench`: the figures of every gateway as table rows,
 * printed as Markdown on stdout and written with the raw samples to the JSON
 * file.
 *
 * @module
 */

import {
  type BenchOptions,
  formatTable,
  groupBody,
  type Level,
  meetsTarget,
  METRICS_PER_GROUP,
  PER_SERIES_LEVEL,
  planLevels,
  REFERENCE_GROUPS,
  type Row,
  SERIES_PER_GROUP,
  SETTLE_MS,
} from "./bench_lib.ts";
import type { HeapProbe } from "./bench_heap.ts";
import type { GatewayResults, Plan } from "./bench_phases.ts";
import { type Kind, log, MIB, START } from "./bench_process.ts";

// ---------------------------------------------------------------------------
// Table

/** The table rows, ours beside the reference, with their targets. */
export function rows(results: Partial<Record<Kind, GatewayResults>>, heap?: HeapProbe): Row[] {
  const get = (k: Kind, name: string): number | undefined => {
    const v = results[k]?.figures[name];
    return v === undefined || Number.isNaN(v) ? undefined : v;
  };
  const row = (
    section: string,
    label: string,
    unit: string,
    name: string,
    better: "lower" | "higher",
    scale = 1,
    extra: Partial<Row> = {},
  ): Row => {
    const s = (v: number | undefined) => (v === undefined ? undefined : v / scale);
    return {
      section,
      label,
      unit,
      ours: s(get("ours", name)),
      oursV8: s(get("oursV8", name)),
      upstream: s(get("upstream", name)),
      better,
      ...extra,
    };
  };
  const out: Row[] = [];
  const tp = "Push throughput (PUT, 1,000 groups stored, keep-alive)";
  out.push(row(tp, "1 connection", "pushes/s", "push_rate_c1", "higher"));
  const cN = Object.keys(results.ours?.figures ?? results.upstream?.figures ?? {})
    .find((k) => /^push_rate_c\d+$/.test(k) && k !== "push_rate_c1") ?? "push_rate_c8";
  out.push(
    row(tp, `${cN.slice(11)} connections`, "pushes/s", cN, "higher", 1, {
      target: { on: "ratio", op: "ge", value: 80 },
    }),
  );
  out.push(row(tp, "CPU per push, 1 connection", "ms", "push_cpu_ms_c1", "lower"));
  out.push(
    row(
      tp,
      `CPU per push, ${cN.slice(11)} connections`,
      "ms",
      `push_cpu_ms_c${cN.slice(11)}`,
      "lower",
    ),
  );
  out.push({
    ...row(tp, `${cN.slice(11)} conns, upstream unchecked`, "pushes/s", cN, "higher"),
    upstream: get("upstream", "push_rate_unchecked"),
    note: "upstream with --push.disable-consistency-check",
  });
  const lat = "Push latency, sequential PUT of one group (ms)";
  const levels = planLevels(false).concat(planLevels(true));
  const seen = new Set<string>();
  for (const l of levels) {
    const tag = l.name.replace(/\s+/g, "_");
    if (seen.has(tag)) continue;
    seen.add(tag);
    if (!Object.values(results).some((r) => r?.figures[`push_p50_${tag}`] !== undefined)) continue;
    const store = `${l.groups.toLocaleString("en-US")} groups / ${
      (l.groups * SERIES_PER_GROUP).toLocaleString("en-US")
    } series`;
    out.push(
      row(lat, `p50, ${store}`, "ms", `push_p50_${tag}`, "lower", 1, {
        target: l.reference ? { on: "abs", op: "le", value: 1 } : undefined,
      }),
    );
    out.push(row(lat, `p99, ${store}`, "ms", `push_p99_${tag}`, "lower"));
  }
  const sc = "Scrape of /metrics (sequential, uncompressed, p50)";
  for (const l of levels) {
    if (!l.scrape) continue;
    const tag = l.name.replace(/\s+/g, "_");
    if (seen.has("s" + tag)) continue;
    seen.add("s" + tag);
    if (!Object.values(results).some((r) => r?.figures[`scrape_text_ms_${tag}`] !== undefined)) {
      continue;
    }
    const at = `${l.groups.toLocaleString("en-US")} groups`;
    out.push(
      row(sc, `text, ${at}`, "ms", `scrape_text_ms_${tag}`, "lower", 1, {
        target: l.reference ? { on: "ratio", op: "le", value: 0.2 } : undefined,
      }),
    );
    out.push(
      row(sc, `text right after a push, ${at}`, "ms", `scrape_after_push_ms_${tag}`, "lower"),
    );
    out.push(row(sc, `protobuf, ${at}`, "ms", `scrape_proto_ms_${tag}`, "lower"));
    out.push(row(sc, `CPU per text scrape, ${at}`, "ms", `scrape_text_cpu_ms_${tag}`, "lower"));
    out.push(
      row(
        sc,
        `CPU per push + text scrape, ${at}`,
        "ms",
        `scrape_after_push_cpu_ms_${tag}`,
        "lower",
      ),
    );
    out.push(row(sc, `text size, ${at}`, "MiB", `scrape_text_bytes_${tag}`, "lower", MIB));
    out.push(row(sc, `protobuf size, ${at}`, "MiB", `scrape_proto_bytes_${tag}`, "lower", MIB));
    if (l.scrapeUnderLoad) {
      out.push(
        row(sc, `text p50 during 2-conn pushes, ${at}`, "ms", `scrape_loaded_p50_${tag}`, "lower"),
      );
      out.push(
        row(sc, `text p99 during 2-conn pushes, ${at}`, "ms", `scrape_loaded_p99_${tag}`, "lower"),
      );
      out.push(
        row(
          sc,
          `pushes/s meanwhile, ${at}`,
          "pushes/s",
          `push_rate_during_scrapes_${tag}`,
          "higher",
        ),
      );
    }
    if (l.reference) {
      out.push(row(sc, `/api/v1/metrics, ${at}`, "ms", `api_ms_${tag}`, "lower"));
    }
  }
  const prom =
    "Scrape as Prometheus makes it (its Accept, Accept-Encoding: gzip; ms to the last raw byte, p50)";
  for (const l of levels) {
    if (!l.scrape) continue;
    const tag = l.name.replace(/\s+/g, "_");
    if (seen.has("p" + tag)) continue;
    seen.add("p" + tag);
    if (!Object.values(results).some((r) => r?.figures[`prom_p242_ms_${tag}`] !== undefined)) {
      continue;
    }
    const at = `${l.groups.toLocaleString("en-US")} groups`;
    for (const [v, version] of [["p242", "2.42"], ["p3", "3.x"]] as const) {
      out.push(
        row(prom, `${version}, unchanged store, ${at}`, "ms", `prom_${v}_ms_${tag}`, "lower", 1, {
          target: l.reference ? { on: "ratio", op: "le", value: 0.05 } : undefined,
        }),
      );
      out.push(
        row(
          prom,
          `${version}, right after a one-group push, ${at}`,
          "ms",
          `prom_${v}_after_push_ms_${tag}`,
          "lower",
          1,
          { target: l.reference ? { on: "ratio", op: "le", value: 0.1 } : undefined },
        ),
      );
    }
    out.push(row(prom, `CPU per 2.42 scrape, ${at}`, "ms", `prom_p242_cpu_ms_${tag}`, "lower"));
    out.push(
      row(
        prom,
        `CPU per push + 2.42 scrape, ${at}`,
        "ms",
        `prom_p242_after_push_cpu_ms_${tag}`,
        "lower",
      ),
    );
    out.push(row(prom, `gzip body, ${at}`, "MiB", `prom_gzip_bytes_${tag}`, "lower", MIB));
    out.push(
      row(prom, `decompressed, ${at}`, "MiB", `prom_plain_bytes_${tag}`, "lower", MIB, {
        note: "checked against the identity scrape",
      }),
    );
    if (Object.values(results).some((r) => r?.figures[`prom_p242_om_after_push_ms_${tag}`])) {
      const om = { note: "ours with --web.enable-openmetrics; upstream serves no OpenMetrics" };
      out.push(
        row(
          prom,
          `2.42 getting OpenMetrics, right after a one-group push, ${at}`,
          "ms",
          `prom_p242_om_after_push_ms_${tag}`,
          "lower",
          1,
          om,
        ),
      );
      out.push(
        row(
          prom,
          `CPU per push + 2.42 OpenMetrics scrape, ${at}`,
          "ms",
          `prom_p242_om_after_push_cpu_ms_${tag}`,
          "lower",
          1,
          om,
        ),
      );
      out.push(
        row(prom, `OpenMetrics gzip body, ${at}`, "MiB", `prom_om_gzip_bytes_${tag}`, "lower", MIB),
      );
    }
  }
  const mem = "Memory (RSS from /proc)";
  out.push(row(mem, "idle, empty store, after one gzip scrape", "MiB", "rss_idle", "lower", MIB));
  for (const l of planLevels(false)) {
    if (l.groups === 0) continue;
    const tag = l.name.replace(/\s+/g, "_");
    if (!Object.values(results).some((r) => r?.figures[`rss_${tag}`] !== undefined)) continue;
    out.push(
      row(
        mem,
        `${l.groups.toLocaleString("en-US")} groups (filled by pushes)`,
        "MiB",
        `rss_${tag}`,
        "lower",
        MIB,
        {
          target: l.reference ? { on: "ratio", op: "le", value: 0.7 } : undefined,
          note: kindNote(l),
        },
      ),
    );
  }
  const perSeries = (k: Kind, figure: string): number | undefined => {
    const rss = get(k, figure), idle = get(k, "rss_idle");
    if (rss === undefined || idle === undefined) return undefined;
    return (rss - idle) /
      (planLevels(false).find((l) => l.name === PER_SERIES_LEVEL)!.groups * SERIES_PER_GROUP);
  };
  const levelTag = `rss_${PER_SERIES_LEVEL.replace(/\s+/g, "_")}`;
  const settled = `after its scrapes and ${SETTLE_MS / 1000} s without requests`;
  const perSeriesRows: [string, string][] = [
    [`per series at ${PER_SERIES_LEVEL} (above idle)`, levelTag],
    [`per series at ${PER_SERIES_LEVEL}, ${settled} (above idle)`, "rss_settled"],
  ];
  for (const [label, figure] of perSeriesRows) {
    out.push({
      section: mem,
      label,
      unit: "bytes",
      ours: perSeries("ours", figure),
      oursV8: perSeries("oursV8", figure),
      upstream: perSeries("upstream", figure),
      better: "lower",
    });
  }
  out.push(
    row(
      mem,
      `${REFERENCE_GROUPS.toLocaleString("en-US")} groups, after restore`,
      "MiB",
      "rss_restored",
      "lower",
      MIB,
    ),
  );
  out.push(
    row(
      mem,
      "peak during repeated scrapes at 10,000 groups",
      "MiB",
      "peak_rss_scrapes",
      "lower",
      MIB,
      {
        target: { on: "ratio", op: "le", value: 0.5 },
        note: `${get("ours", "peak_scrapes") ?? get("upstream", "peak_scrapes") ?? "?"} scrapes`,
      },
    ),
  );
  out.push(row(mem, "after those scrapes", "MiB", "rss_after_scrapes", "lower", MIB));
  if (heap) {
    out.push({
      section: mem,
      label: "V8 heap per stored series (probe)",
      unit: "bytes",
      ours: heap.bytesPerSeries.store + heap.bytesPerSeries.merged,
      better: "lower",
      note: `store ${heap.bytesPerSeries.store.toFixed(0)} + merged view ${
        heap.bytesPerSeries.merged.toFixed(0)
      }; scrape caches: gzip +${heap.bytesPerSeries.gzipCache.toFixed(0)}, identity bytes +${
        heap.bytesPerSeries.renderCache.toFixed(0)
      }`,
    });
  }
  const rs = "Restart";
  out.push(
    row(
      rs,
      `restore ${REFERENCE_GROUPS.toLocaleString("en-US")} groups, spawn → /-/ready 200`,
      "ms",
      "restore_ms",
      "lower",
      1,
      {
        target: { on: "ratio", op: "le", value: 1 },
      },
    ),
  );
  return out;
}

function kindNote(l: Level): string | undefined {
  return l.reference ? "upstream: restored from its file" : undefined;
}

/** Everything one run produced, as {@linkcode writeReport} reports it. */
export interface BenchRun {
  readonly opts: BenchOptions;
  readonly plan: Plan;
  /** The reference's `--version` line, when it ran. */
  readonly upstreamVersion: string | undefined;
  readonly results: Partial<Record<Kind, GatewayResults>>;
  readonly heap: HeapProbe | undefined;
}

/** Prints the Markdown report on stdout and writes the JSON file (`--json`). */
export async function writeReport(run: BenchRun): Promise<void> {
  const { opts, plan, upstreamVersion: upVersion, results, heap } = run;
  const table = rows(results, heap);
  const v8Label = `ours ${opts.v8Flags}`.replaceAll("--", "").replaceAll(",", " ");
  console.log(`\n## pushgateway-deno vs ${upVersion ?? "(no upstream)"}\n`);
  console.log(
    `Workload: each group ${METRICS_PER_GROUP} metrics in 5 families, ${
      SERIES_PER_GROUP - 2
    } samples + 2 push-time gauges = ${SERIES_PER_GROUP} series on /metrics, ${
      new TextEncoder().encode(groupBody(1, 1)).length
    } bytes of text. ${navigator.hardwareConcurrency} CPUs. Deno ${Deno.version.deno}.${
      opts.quick ? " QUICK run." : ""
    }\n`,
  );
  console.log(formatTable(table, opts.v8Flags ? v8Label : "ours+V8 flags"));
  if (heap) {
    console.log(
      `Heap probe (${heap.groups} groups, ${heap.series} series, in-process): raw bodies ${
        (heap.heapBodies / MIB).toFixed(1)
      } MiB; store ${((heap.heapStore - heap.heapBaseline) / MIB).toFixed(1)} MiB; merged views +${
        ((heap.heapMerged - heap.heapStore) / MIB).toFixed(1)
      } MiB; gzip scrape cache +${
        ((heap.heapGzip - heap.heapMerged) / MIB).toFixed(1)
      } MiB (cold gzip scrape ${heap.gzipMs.toFixed(0)} ms); identity bytes +${
        ((heap.heapRendered - heap.heapGzip) / MIB).toFixed(1)
      } MiB (first identity scrape ${heap.renderMs.toFixed(0)} ms); rss ${
        (heap.rssRendered / MIB).toFixed(0)
      } MiB.`,
    );
  }
  const misses = table.filter((r) => meetsTarget(r) === false).map((r) => r.label);
  if (misses.length > 0) console.log(`\nTargets missed (ours): ${misses.join("; ")}`);
  const json = {
    date: new Date().toISOString(),
    deno: Deno.version,
    upstream: upVersion,
    cpus: navigator.hardwareConcurrency,
    options: opts,
    plan,
    workload: { metricsPerGroup: METRICS_PER_GROUP, seriesPerGroup: SERIES_PER_GROUP },
    elapsedMs: performance.now() - START,
    rows: table,
    results,
    heap,
  };
  await Deno.writeTextFile(opts.json, JSON.stringify(json, null, 2) + "\n");
  log(`results written to ${opts.json}`);
}
