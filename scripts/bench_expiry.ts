/**
 * The `expiry` scenario of `deno task bench` (`--scenario expiry`): push
 * latency with and without deadlines, side by side in one run. Two of our
 * gateways are filled with the same 100,000 groups, one without a TTL and one
 * with `--push.default-ttl=1h` (so every group has its own deadline in the
 * expiry heap); then the same pushes renewing those groups are timed
 * alternately on both, so noise hits both alike. Memory (RSS) with and without
 * the deadlines is read from `/proc` too.
 *
 * @module
 */

import {
  type BenchOptions,
  Budget,
  groupBody,
  groupPath,
  summarize,
  type Summary,
} from "./bench_lib.ts";
import { fill } from "./bench_load.ts";
import { type Gateway, log, memoryOf, MIB, sleep, spawnGateway } from "./bench_process.ts";

/** Groups each gateway holds (each with its own deadline on the TTL side). */
export const EXPIRY_GROUPS = 100_000;

/** What the scenario measured on one side. */
export interface ExpirySide {
  readonly ttl: string;
  /** Concurrent fill rate, pushes per second. */
  readonly fillRate: number;
  /** Resident memory once filled. */
  readonly rss: number;
  /** Sequential push latency in ms (renewing filled groups). */
  readonly latency: Summary;
}

/** Both sides of the scenario. */
export interface ExpiryResult {
  readonly groups: number;
  readonly without: ExpirySide;
  readonly with: ExpirySide;
}

async function timedPush(gw: Gateway, i: number, k: number): Promise<number> {
  const t0 = performance.now();
  const res = await fetch(gw.url + groupPath(i), {
    method: "PUT",
    body: groupBody(i, k),
    headers: { "accept-encoding": "identity" },
  });
  await res.arrayBuffer();
  const ms = performance.now() - t0;
  if (res.status !== 200) throw new Error(`push answered ${res.status}`);
  return ms;
}

/** Runs the scenario. */
export async function expiryScenario(opts: BenchOptions): Promise<ExpiryResult> {
  const budget = new Budget(opts.budgetMs);
  const groups = opts.quick ? 10_000 : EXPIRY_GROUPS;
  const pushes = opts.quick ? 1_000 : 5_000;
  const sides = [
    { ttl: "0", args: [] as string[] },
    { ttl: "1h", args: ["--push.default-ttl=1h"] },
  ];
  const gateways: Gateway[] = [];
  const fillRates: number[] = [];
  try {
    for (const side of sides) {
      const gw = await spawnGateway(
        { kind: "ours", persistenceFile: "", args: side.args },
        opts,
      );
      gateways.push(gw);
      log(`expiry: filling ${groups} groups, --push.default-ttl=${side.ttl}`);
      const t0 = performance.now();
      await fill(gw, 1, groups + 1, opts.conns, budget);
      fillRates.push(groups / ((performance.now() - t0) / 1000));
    }
    await sleep(1000);
    const rss = await Promise.all(gateways.map(async (gw) => (await memoryOf(gw.pid)).rss));
    // Warm both up, then alternate which side goes first.
    for (let k = 0; k < 200; k++) for (const gw of gateways) await timedPush(gw, 1 + k, k);
    const samples: number[][] = [[], []];
    for (let k = 0; k < pushes; k++) {
      const i = 1 + ((k * 7919) % groups);
      const order = k % 2 === 0 ? [0, 1] : [1, 0];
      for (const s of order) samples[s]!.push(await timedPush(gateways[s]!, i, k + 1000));
    }
    const side = (s: number): ExpirySide => ({
      ttl: sides[s]!.ttl,
      fillRate: fillRates[s]!,
      rss: rss[s]!,
      latency: summarize(samples[s]!),
    });
    const result = { groups, without: side(0), with: side(1) };
    log(
      `expiry: p50 ${result.without.latency.p50.toFixed(3)} ms without deadlines, ` +
        `${result.with.latency.p50.toFixed(3)} ms with`,
    );
    return result;
  } finally {
    for (const gw of gateways) await gw.stop();
  }
}

/** The scenario's Markdown table. */
export function expiryReport(r: ExpiryResult): string {
  const ms = (v: number) => v.toFixed(3);
  const row = (label: string, a: string, b: string, ratio: string) =>
    `| ${label} | ${a} | ${b} | ${ratio} |`;
  const ratio = (a: number, b: number) => (b / a).toFixed(2);
  const w = r.without, t = r.with;
  return [
    `${r.groups.toLocaleString("en")} groups; pushes renew groups in a scattered order, ` +
    "alternating between the two gateways.",
    "",
    "| figure | no TTL | --push.default-ttl=1h (a deadline per group) | with / without |",
    "| --- | ---: | ---: | ---: |",
    row(
      "push latency p50 (ms)",
      ms(w.latency.p50),
      ms(t.latency.p50),
      ratio(w.latency.p50, t.latency.p50),
    ),
    row(
      "push latency p90 (ms)",
      ms(w.latency.p90),
      ms(t.latency.p90),
      ratio(w.latency.p90, t.latency.p90),
    ),
    row(
      "push latency p99 (ms)",
      ms(w.latency.p99),
      ms(t.latency.p99),
      ratio(w.latency.p99, t.latency.p99),
    ),
    row("pushes timed", String(w.latency.n), String(t.latency.n), ""),
    row(
      "fill rate (pushes/s, concurrent)",
      w.fillRate.toFixed(0),
      t.fillRate.toFixed(0),
      ratio(w.fillRate, t.fillRate),
    ),
    row(
      "RSS filled (MiB)",
      (w.rss / MIB).toFixed(0),
      (t.rss / MIB).toFixed(0),
      ratio(w.rss, t.rss),
    ),
  ].join("\n");
}
