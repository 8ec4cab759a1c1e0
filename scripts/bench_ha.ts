/**
 * `deno task bench --ha`: several replicas on one PostgreSQL (issue 19)
 * beside one in-memory gateway, in the same run, with the same push workload
 * and load generator as the single-node figures (1,000 groups stored).
 *
 * 1. One in-memory gateway: checked pushes/s with `--conns` connections.
 * 2. A throwaway PostgreSQL cluster (fsync on) and two replicas on it; the
 *    same 1,000 groups; two load generators with half the connections each,
 *    one per replica, at once: pushes/s of the two together.
 * 3. Replication lag under that load: the replicas' own histogram
 *    `pushgateway_storage_apply_delay_seconds` (a write's commit at one
 *    replica, by its clock, to its application at the other; one machine,
 *    one clock), its p50/p99 over the load from the bucket counts.
 *
 * Targets (issue 19): two replicas together ≥ half the single gateway's rate
 * and ≥ 1,000/s; lag p99 ≤ 200 ms.
 *
 * @module
 */

import type { BenchOptions } from "./bench_lib.ts";
import { fill, type LoadResult, startLoad } from "./bench_load.ts";
import { cpuMsOf, type Gateway, killAll, log, spawnGateway } from "./bench_process.ts";

/** One bucket of a cumulative histogram. */
export interface Bucket {
  readonly le: number;
  readonly count: number;
}

/** The buckets of histogram `name` (no labels) in a text scrape, `+Inf` last. */
export function parseHistogram(text: string, name: string): Bucket[] {
  const out: Bucket[] = [];
  const re = new RegExp(`^${name}_bucket\\{le="([^"]+)"\\} (\\S+)$`, "gm");
  for (const m of text.matchAll(re)) {
    out.push({ le: m[1] === "+Inf" ? Infinity : Number(m[1]), count: Number(m[2]) });
  }
  return out;
}

/** Bucket counts of `after` minus `before` (the observations in between); same bounds. */
export function bucketDelta(after: readonly Bucket[], before: readonly Bucket[]): Bucket[] {
  return after.map((b, i) => ({ le: b.le, count: b.count - (before[i]?.count ?? 0) }));
}

/** Adds the counts of histograms with the same bounds. */
export function bucketSum(hs: readonly (readonly Bucket[])[]): Bucket[] {
  const first = hs[0] ?? [];
  return first.map((b, i) => ({ le: b.le, count: hs.reduce((s, h) => s + (h[i]?.count ?? 0), 0) }));
}

/**
 * The `q` quantile of cumulative buckets, interpolated linearly within the
 * bucket as PromQL's `histogram_quantile` does (the lowest bucket from 0; a
 * quantile in the `+Inf` bucket is the highest finite bound). NaN without
 * observations.
 */
export function bucketQuantile(buckets: readonly Bucket[], q: number): number {
  const total = buckets.at(-1)?.count ?? 0;
  if (total === 0) return NaN;
  const rank = q * total;
  let lowerLe = 0, lowerCount = 0;
  for (const b of buckets) {
    if (b.count >= rank) {
      if (b.le === Infinity) return lowerLe;
      const inBucket = b.count - lowerCount;
      return inBucket === 0 ? b.le : lowerLe + (b.le - lowerLe) * (rank - lowerCount) / inBucket;
    }
    lowerLe = b.le;
    lowerCount = b.count;
  }
  return lowerLe;
}

/** The figures of an HA run. */
export interface HaFigures {
  /** One in-memory gateway, checked pushes/s with `--conns` connections. */
  readonly singlePushRate: number;
  /** Two replicas together, pushes/s (all checked and committed). */
  readonly haPushRate: number;
  readonly haRatio: number;
  /** Replication lag (apply delay) quantiles under that load, ms. */
  readonly lagP50Ms: number;
  readonly lagP99Ms: number;
  /** Writes the lag figures are taken from. */
  readonly lagSamples: number;
  /** Writes per transaction, both replicas (group commit at work). */
  readonly writesPerCommit: number;
  /** CPU ms per push of each replica. */
  readonly replicaCpuMsPerPush: readonly number[];
  readonly errors: number;
  readonly targetsMet: {
    readonly ratio: boolean;
    readonly absolute: boolean;
    readonly lag: boolean;
  };
}

const DELAY = "pushgateway_storage_apply_delay_seconds";

async function ownMetrics(gw: Gateway): Promise<string> {
  return await (await fetch(`${gw.url}/-/metrics`)).text();
}

/** The value of an unlabelled sample in a text scrape. */
function sample(text: string, name: string): number {
  return Number(new RegExp(`^${name} (\\S+)$`, "m").exec(text)?.[1] ?? NaN);
}

function appliedSeq(text: string): number {
  return sample(text, "pushgateway_storage_applied_sequence");
}

/** Waits until both replicas applied the same sequence (bounded). */
async function settled(a: Gateway, b: Gateway): Promise<void> {
  for (let i = 0; i < 600; i++) {
    const [x, y] = await Promise.all([ownMetrics(a), ownMetrics(b)]);
    if (appliedSeq(x) === appliedSeq(y)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error("the replicas did not settle");
}

/** Runs the HA comparison; returns its figures. */
export async function haRun(opts: BenchOptions): Promise<HaFigures> {
  const loadMs = opts.quick ? 3_000 : 8_000;
  const groups = 1000;
  const forever = { leftMs: 120_000 } as Parameters<typeof fill>[4];

  log("HA: one in-memory gateway");
  const single = await spawnGateway({ kind: "ours", persistenceFile: "" }, opts);
  let singleRate: number;
  try {
    await fill(single, 0, groups, opts.conns, forever);
    const r = await startLoad({
      url: single.url,
      conns: opts.conns,
      from: 0,
      to: groups,
      maxPushes: 10_000_000,
      durationMs: loadMs,
    }).result;
    singleRate = r.pushes / (r.elapsedMs / 1000);
    log(`  single: ${singleRate.toFixed(0)} pushes/s (${r.errors} errors)`);
  } finally {
    await single.stop();
  }

  log("HA: PostgreSQL (fsync on) and two replicas");
  // Loaded here: the load-generator processes import this module without the permissions the
  // cluster helper needs at load time.
  const { startCluster } = await import("../tests/helpers/postgres.ts");
  const cluster = await startCluster({ fsync: true });
  try {
    const url = await cluster.createDatabase("bench");
    const spec = {
      kind: "ours" as const,
      persistenceFile: "",
      args: [`--storage.postgres-url=${url}`],
    };
    const a = await spawnGateway(spec, opts);
    const b = await spawnGateway(spec, opts);
    try {
      await fill(a, 0, groups, opts.conns, forever);
      await settled(a, b);
      const before = await Promise.all([ownMetrics(a), ownMetrics(b)]);
      const cpu0 = await Promise.all([cpuMsOf(a.pid), cpuMsOf(b.pid)]);
      const half = Math.max(1, Math.floor(opts.conns / 2));
      const loads: LoadResult[] = await Promise.all([a, b].map((gw) =>
        startLoad({
          url: gw.url,
          conns: half,
          from: 0,
          to: groups,
          maxPushes: 10_000_000,
          durationMs: loadMs,
        }).result
      ));
      const cpu1 = await Promise.all([cpuMsOf(a.pid), cpuMsOf(b.pid)]);
      await settled(a, b);
      const after = await Promise.all([ownMetrics(a), ownMetrics(b)]);
      const elapsed = Math.max(...loads.map((l) => l.elapsedMs)) / 1000;
      const pushes = loads.reduce((s, l) => s + l.pushes, 0);
      const errors = loads.reduce((s, l) => s + l.errors, 0);
      const haRate = pushes / elapsed;
      const delay = bucketSum(
        [0, 1].map((i) =>
          bucketDelta(parseHistogram(after[i]!, DELAY), parseHistogram(before[i]!, DELAY))
        ),
      );
      const delta = (name: string) =>
        [0, 1].reduce((s, i) => s + sample(after[i]!, name) - sample(before[i]!, name), 0);
      const figures: HaFigures = {
        singlePushRate: singleRate,
        haPushRate: haRate,
        haRatio: haRate / singleRate,
        lagP50Ms: bucketQuantile(delay, 0.5) * 1000,
        lagP99Ms: bucketQuantile(delay, 0.99) * 1000,
        lagSamples: delay.at(-1)?.count ?? 0,
        writesPerCommit: delta("pushgateway_storage_committed_writes_total") /
          delta("pushgateway_storage_commits_total"),
        replicaCpuMsPerPush: [0, 1].map((i) => (cpu1[i]! - cpu0[i]!) / loads[i]!.pushes),
        errors,
        targetsMet: {
          ratio: haRate >= singleRate / 2,
          absolute: haRate >= 1000,
          lag: bucketQuantile(delay, 0.99) <= 0.2,
        },
      };
      log(
        `  two replicas: ${haRate.toFixed(0)} pushes/s (${errors} errors; ` +
          `${loads.map((l) => JSON.stringify(l.statuses)).join(", ")}), lag p50 ${
            figures.lagP50Ms.toFixed(1)
          } ms, p99 ${figures.lagP99Ms.toFixed(1)} ms over ${figures.lagSamples} writes`,
      );
      return figures;
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  } finally {
    await cluster.destroy();
  }
}

/** The Markdown report of an HA run. */
export function haReport(f: HaFigures, conns: number): string {
  const yes = (ok: boolean) => ok ? "met" : "**missed**";
  return [
    `| figure (${conns} connections, 1,000 groups) | value | target |`,
    "| --- | --- | --- |",
    `| one in-memory gateway, checked pushes/s | ${f.singlePushRate.toFixed(0)} | |`,
    `| two replicas on one PostgreSQL (fsync on), pushes/s together | ${
      f.haPushRate.toFixed(0)
    } | ≥ half (${yes(f.targetsMet.ratio)}), ≥ 1,000/s (${yes(f.targetsMet.absolute)}) |`,
    `| ratio | ${f.haRatio.toFixed(2)} | ≥ 0.50 |`,
    `| replication lag p50 / p99, ms (${f.lagSamples} writes) | ${f.lagP50Ms.toFixed(1)} / ${
      f.lagP99Ms.toFixed(1)
    } | p99 ≤ 200 (${yes(f.targetsMet.lag)}) |`,
    `| writes per transaction (group commit) | ${f.writesPerCommit.toFixed(1)} | |`,
    `| CPU ms per push, each replica | ${
      f.replicaCpuMsPerPush.map((c) => c.toFixed(3)).join(" / ")
    } | |`,
    `| errors | ${f.errors} | 0 |`,
  ].join("\n");
}

/** `--ha`: runs the comparison, prints the table, writes the JSON. */
export async function haMain(opts: BenchOptions): Promise<void> {
  const watchdog = setTimeout(() => {
    log("HA run over its budget: killing everything");
    killAll();
    Deno.exit(3);
  }, opts.budgetMs + 30_000);
  try {
    const figures = await haRun(opts);
    console.log(haReport(figures, opts.conns));
    await Deno.writeTextFile(opts.json, JSON.stringify({ ha: figures }, null, 2) + "\n");
    log(`results in ${opts.json}`);
  } finally {
    clearTimeout(watchdog);
    killAll();
  }
}
