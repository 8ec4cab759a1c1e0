/**
 * Measures writing and loading a large snapshot (10k groups, 100k series by
 * default): time, file size and memory. A plain script, not a test:
 *
 * ```sh
 * deno run --allow-read --allow-write --v8-flags=--expose-gc lib/store/snapshot_bench.ts [groups] [seriesPerGroup]
 * ```
 *
 * It also exports {@linkcode syntheticStore}, the store the tests use for
 * large writes.
 *
 * @module
 */

import { join } from "@lib/store/file_path.ts";
import { MetricType } from "@lib/model/metric.ts";
import {
  type Group,
  PUSH_FAILURE_TIME_HELP,
  PUSH_FAILURE_TIME_METRIC,
  PUSH_TIME_HELP,
  PUSH_TIME_METRIC,
  type StoredFamily,
} from "@lib/store/types.ts";
import { loadSnapshot, writeSnapshotAtomic } from "@lib/store/persistence.ts";

/**
 * Builds `groups` groups of `seriesPerGroup` series each: one gauge family of
 * `seriesPerGroup - 2` series plus the two synthetic push-time gauges.
 *
 * @param groups The number of groups.
 * @param seriesPerGroup Series per group, at least 3.
 * @returns The groups.
 */
export function syntheticStore(groups: number, seriesPerGroup = 10): Group[] {
  const out: Group[] = [];
  const pushMs = 1716820000000.5;
  for (let g = 0; g < groups; g++) {
    const instance = `host-${g}.example.org:9100`;
    const labels = { job: "node_batch", instance };
    const base = [{ name: "instance", value: instance }, { name: "job", value: "node_batch" }];
    const gauge = (name: string, help: string, value: number): StoredFamily => ({
      family: { name, help, type: MetricType.GAUGE, metric: [{ label: base, gauge: { value } }] },
      lastPushMs: pushMs + g,
    });
    const work: StoredFamily = {
      family: {
        name: "batch_items_processed",
        help: "Items processed by the last run.",
        type: MetricType.GAUGE,
        metric: Array.from({ length: seriesPerGroup - 2 }, (_, i) => ({
          label: [...base, { name: "shard", value: `shard-${i}` }],
          gauge: { value: g * 1000 + i + 0.25 },
        })),
      },
      lastPushMs: pushMs + g,
    };
    out.push({
      labels,
      families: new Map([
        ["batch_items_processed", work],
        [PUSH_TIME_METRIC, gauge(PUSH_TIME_METRIC, PUSH_TIME_HELP, (pushMs + g) / 1000)],
        [PUSH_FAILURE_TIME_METRIC, gauge(PUSH_FAILURE_TIME_METRIC, PUSH_FAILURE_TIME_HELP, 0)],
      ]),
    });
  }
  return out;
}

function mib(bytes: number): string {
  return (bytes / 1024 / 1024).toFixed(1) + " MiB";
}

/** Samples RSS every few milliseconds while `fn` runs; returns its result and the peak. */
async function withPeakRss<T>(fn: () => Promise<T>): Promise<{ result: T; peak: number }> {
  let peak = Deno.memoryUsage().rss;
  const timer = setInterval(() => peak = Math.max(peak, Deno.memoryUsage().rss), 5);
  try {
    const result = await fn();
    peak = Math.max(peak, Deno.memoryUsage().rss);
    return { result, peak };
  } finally {
    clearInterval(timer);
  }
}

/** Runs `fn` with a 1 ms ticker; returns the longest gap between ticks (event-loop stall). */
async function longestStall<T>(fn: () => Promise<T>): Promise<{ result: T; stall: number }> {
  let stall = 0;
  let last = performance.now();
  const ticker = setInterval(() => {
    const now = performance.now();
    stall = Math.max(stall, now - last);
    last = now;
  }, 1);
  try {
    const result = await fn();
    return { result, stall: Math.max(stall, performance.now() - last) };
  } finally {
    clearInterval(ticker);
  }
}

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

async function main(): Promise<void> {
  const groups = Number(Deno.args[0] ?? 10_000);
  const perGroup = Number(Deno.args[1] ?? 10);
  const dir = await Deno.makeTempDir({ prefix: "snapshot_bench_" });
  const path = join(dir, "metrics.data");
  const silent = { debug() {}, info() {}, warn() {}, error: console.error };
  try {
    const store = syntheticStore(groups, perGroup);
    gc();
    const before = Deno.memoryUsage();
    console.log(`store: ${groups} groups, ${groups * perGroup} series`);
    console.log(`memory with store built: rss ${mib(before.rss)}, heap ${mib(before.heapUsed)}`);

    const idle = await longestStall(() => new Promise((resolve) => setTimeout(resolve, 1000)));
    console.log(
      `longest event-loop stall while idle for 1 s (machine noise): ${idle.stall.toFixed(1)} ms`,
    );
    const t0 = performance.now();
    const { result: { result, peak }, stall } = await longestStall(() =>
      withPeakRss(() => writeSnapshotAtomic(path, store))
    );
    const writeMs = performance.now() - t0;
    const maxGap = stall;
    console.log(
      `write: ${writeMs.toFixed(0)} ms, ${mib(result.bytes)} (${result.bytes} bytes), ` +
        `peak rss ${mib(peak)} (+${mib(peak - before.rss)}), longest event-loop stall ${
          maxGap.toFixed(1)
        } ms`,
    );

    gc();
    const beforeLoad = Deno.memoryUsage();
    const t1 = performance.now();
    const loaded = await withPeakRss(() => loadSnapshot(path, silent));
    const loadMs = performance.now() - t1;
    gc();
    const after = Deno.memoryUsage();
    console.log(
      `load: ${loadMs.toFixed(0)} ms, ${loaded.result.length} groups, peak rss ${
        mib(loaded.peak)
      } (+${mib(loaded.peak - beforeLoad.rss)}), rss after ${mib(after.rss)}, heap after ${
        mib(after.heapUsed)
      }`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

if (import.meta.main) await main();
