/**
 * `deno task bench`: our gateway and Debian's reference `prometheus-pushgateway`
 * measured side by side in one run, on loopback ports, within a time budget.
 *
 * ```sh
 * deno run --allow-all scripts/bench.ts [--quick] [--json out.json] [--budget seconds]
 *   [--v8-flags=--max-semi-space-size=1,--optimize-for-size] [--conns 8] [--no-upstream]
 * deno run --allow-all scripts/bench.ts --profile push|scrape|mixed [--profile-groups 10000]
 * deno run --allow-all scripts/bench.ts --scenario expiry|memory|restore [--baseline-main old/main.ts]
 * deno run --allow-all scripts/bench.ts --ha [--quick] [--conns 8]
 * ```
 *
 * Every gateway runs as its own process; concurrent pushes come from a
 * separate load-generator process (this script with `--load-worker`), so the
 * measuring event loop only times sequential requests. Memory is read from
 * `/proc/<pid>/status`; the heap per series comes from an in-process probe
 * (`--heap-probe`) that pushes the same workload through the same store.
 * Figures go to stdout (a Markdown table) and to a JSON file.
 *
 * This file is the entry point and the run's order; the parts are
 * `bench_process.ts` (gateway processes, `/proc`), `bench_load.ts` (the load
 * generator), `bench_phases.ts` (the scenarios and `--profile`),
 * `bench_heap.ts` (the heap probe), `bench_ha.ts` (`--ha`: replicas on one PostgreSQL),
 * `bench_report.ts` (table, Markdown, JSON)
 * and `bench_lib.ts` (pure helpers: workload, statistics, options, formatting);
 * scenarios run on their own with `--scenario`: `bench_expiry.ts` (push
 * latency with and without 100,000 deadlines), `bench_memory.ts` (peak RSS
 * of maximal pushes, before and after) and `bench_restore.ts` (restore → ready
 * and RSS after, alternating starts).
 *
 * @module
 */

import { type BenchOptions, Budget, parseBenchArgs, REFERENCE_GROUPS } from "./bench_lib.ts";
import { expiryReport, expiryScenario } from "./bench_expiry.ts";
import { haMain } from "./bench_ha.ts";
import { type HeapProbe, heapProbeMain, runHeapProbe } from "./bench_heap.ts";
import { memoryReport, memoryScenario } from "./bench_memory.ts";
import { restoreReport, restoreScenario } from "./bench_restore.ts";
import { loadWorkerMain } from "./bench_load.ts";
import {
  type GatewayResults,
  levelsPhase,
  newResults,
  planFor,
  profileMain,
  throughputPhase,
} from "./bench_phases.ts";
import { type GatewaySpec, killAll, type Kind, log } from "./bench_process.ts";
import { writeReport } from "./bench_report.ts";

/** The first line of the reference's `--version`, or `undefined` when it does not run. */
async function upstreamVersion(bin: string): Promise<string | undefined> {
  try {
    const out = await new Deno.Command(bin, {
      args: ["--version"],
      stdout: "piped",
      stderr: "piped",
    })
      .output();
    const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
    return text.split("\n")[0]?.trim();
  } catch {
    return undefined;
  }
}

/** The benchmark: throughput, then the levels, then the heap probe, then the report. */
async function benchMain(opts: BenchOptions): Promise<void> {
  const budget = new Budget(opts.budgetMs);
  const plan = planFor(opts.quick);
  if (opts.main) log(`our gateway: ${opts.main}`);
  const upVersion = opts.noUpstream ? undefined : await upstreamVersion(opts.upstreamBin);
  if (!opts.noUpstream && !upVersion) log(`no ${opts.upstreamBin}: measuring our gateway only`);
  const kinds: { kind: Kind; spec: GatewaySpec }[] = [
    { kind: "ours", spec: { kind: "ours", persistenceFile: "" } },
  ];
  if (opts.v8Flags) {
    kinds.push({
      kind: "oursV8",
      spec: { kind: "oursV8", persistenceFile: "", v8Flags: opts.v8Flags },
    });
  }
  if (upVersion) kinds.push({ kind: "upstream", spec: { kind: "upstream", persistenceFile: "" } });
  const results: Partial<Record<Kind, GatewayResults>> = {};
  for (const { kind } of kinds) results[kind] = newResults();
  const dir = await Deno.makeTempDir({ prefix: "pushgateway-bench-" });
  // A hard stop a little after the budget, whatever happens.
  const watchdog = setTimeout(() => {
    log("budget exceeded by 30 s: killing everything");
    killAll();
    Deno.exit(3);
  }, opts.budgetMs + 30_000);
  let heap: HeapProbe | undefined;
  try {
    log(
      `budget ${(opts.budgetMs / 1000).toFixed(0)} s; gateways: ${
        kinds.map((k) => k.kind).join(", ")
      }`,
    );
    for (const { kind, spec } of kinds) {
      log(`throughput: ${kind}`);
      await throughputPhase(kind, spec, opts, plan, budget, results[kind]!, dir);
    }
    // Share what is left among the level runs (upstream's is the slowest), keeping ~12 s for the probe.
    const weights: Record<Kind, number> = { ours: 1, oursV8: 1, upstream: 1.6 };
    for (let i = 0; i < kinds.length; i++) {
      const { kind, spec } = kinds[i]!;
      const rest = kinds.slice(i).reduce((s, k) => s + weights[k.kind], 0);
      const share = weights[kind] / rest * Math.max(0, 1 - 12_000 / Math.max(1, budget.leftMs));
      log(`levels: ${kind} (${(budget.leftMs * share / 1000).toFixed(0)} s)`);
      await levelsPhase(kind, spec, opts, plan, budget, results[kind]!, dir, share);
    }
    log("heap probe");
    heap = await runHeapProbe(opts.quick ? 2000 : REFERENCE_GROUPS, "");
  } finally {
    clearTimeout(watchdog);
    killAll();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
  await writeReport({ opts, plan, upstreamVersion: upVersion, results, heap });
}

/** Runs one `--scenario` on its own: its Markdown on stdout, its figures in the JSON file. */
async function scenarioMain(opts: BenchOptions): Promise<void> {
  const started = new Date().toISOString();
  try {
    let markdown: string;
    let figures: unknown;
    if (opts.scenario === "expiry") {
      const r = await expiryScenario(opts);
      markdown = "## Push latency with and without deadlines\n\n" + expiryReport(r);
      figures = r;
    } else if (opts.scenario === "restore") {
      const r = await restoreScenario(opts);
      markdown = "## Restore of 10,000 groups: spawn → ready, RSS after\n\n" + restoreReport(r);
      figures = r;
    } else {
      const r = await memoryScenario(opts);
      markdown = "## Peak memory of maximal pushes (default flags)\n\n" + memoryReport(r);
      figures = r;
    }
    console.log(`\n${markdown}\n`);
    const json = {
      date: started,
      deno: Deno.version,
      options: opts,
      scenario: opts.scenario,
      figures,
    };
    await Deno.writeTextFile(opts.json, JSON.stringify(json, null, 2) + "\n");
    log(`results written to ${opts.json}`);
  } finally {
    killAll();
  }
}

const USAGE = `usage: deno run --allow-all scripts/bench.ts [options]
  --quick                 ~1 minute run (fewer levels, shorter phases)
  --json FILE             results file (default bench-results.json)
  --budget SECONDS        time budget of the whole run (default 600; quick 150)
  --v8-flags=A,B          V8 flags of the second variant of our gateway ("" to skip);
                          default --max-semi-space-size=1,--optimize-for-size
  --conns N               connections of the concurrent throughput phase (default 8)
  --no-upstream           do not start Debian's prometheus-pushgateway
  --upstream-bin PATH     reference binary (default /usr/bin/prometheus-pushgateway)
  --main PATH             our entry point (default: this checkout's main.ts), e.g. a patched copy
  --profile push|scrape|mixed
                          instead of benchmarking: --cpu-prof our gateway in one scenario
                          and print the functions by self time
  --profile-groups N      store size for --profile (default 10000)
  --ha                    instead of the rest: one in-memory gateway, then two replicas on one
                          PostgreSQL (fsync on), same workload; pushes/s and replication lag
  --scenario expiry|memory|restore
                          instead of benchmarking: push latency with and without 100,000
                          deadlines, peak memory of maximal pushes (one, four at once), or
                          restore of 10,000 groups → ready and RSS after (alternating starts)
  --baseline-main PATH    the memory and restore scenarios' "before" gateway (another
                          checkout's main.ts)`;

if (import.meta.main) {
  if (Deno.args[0] === "--load-worker") {
    await loadWorkerMain(Deno.args[1] ?? "{}");
  } else if (Deno.args[0] === "--heap-probe") {
    await heapProbeMain(Number(Deno.args[1] ?? REFERENCE_GROUPS));
  } else {
    const opts = parseBenchArgs(Deno.args);
    if ("error" in opts) {
      console.error(opts.error === "usage" ? USAGE : `${opts.error}\n${USAGE}`);
      Deno.exit(opts.error === "usage" ? 0 : 2);
    }
    Deno.addSignalListener("SIGINT", () => {
      killAll();
      Deno.exit(130);
    });
    if (opts.profile !== "") await profileMain(opts);
    else if (opts.ha) await haMain(opts);
    else if (opts.scenario !== "") await scenarioMain(opts);
    else await benchMain(opts);
  }
}
