/**
 * The scenarios of `deno task bench`: push throughput, then the store filled
 * level by level with push latency, scrape times, memory and restore time
 * measured at each level, and the CPU-profile mode.
 *
 * @module
 */

import { join } from "@std/path";
import { PROTO_DELIMITED } from "@lib/expfmt/media_type.ts";
import {
  type BenchOptions,
  Budget,
  type CpuProfile,
  groupBody,
  groupPath,
  type Level,
  PER_SERIES_LEVEL,
  planLevels,
  REFERENCE_GROUPS,
  SETTLE_MS,
  summarize,
  summarizeCpuProfile,
  type Summary,
} from "./bench_lib.ts";
import { fill, type LoadResult, startLoad } from "./bench_load.ts";
import {
  openMetricsScrapePhase,
  prometheusHeaders,
  prometheusScrapePhase,
  prometheusScrapes,
} from "./bench_scrape.ts";
import {
  cpuMsOf,
  type Gateway,
  type GatewaySpec,
  type Kind,
  log,
  memoryOf,
  MIB,
  resetPeak,
  sleep,
  spawnGateway,
} from "./bench_process.ts";

/** The Accept header of text scrapes. */
export const TEXT_ACCEPT = "text/plain;version=0.0.4";
const PROTO_ACCEPT = PROTO_DELIMITED;
/** The group the latency probes replace (kept apart from the fill groups). */
const PROBE_PATH = groupPath(0, "probe");

// ---------------------------------------------------------------------------
// Sequential measurements (this process)

const plain = { "accept-encoding": "identity" };

/** Times `n` sequential probe PUTs (stops at `ms`); latencies in ms. */
async function pushLatencies(gw: Gateway, n: number, ms: number): Promise<number[]> {
  const out: number[] = [];
  const end = performance.now() + ms;
  for (let k = 0; k < n && (k < 3 || performance.now() < end); k++) {
    const body = groupBody(0, k);
    const t0 = performance.now();
    const res = await fetch(gw.url + PROBE_PATH, { method: "PUT", body, headers: plain });
    await res.arrayBuffer();
    out.push(performance.now() - t0);
    if (res.status >= 300) throw new Error(`${gw.kind}: probe push answered ${res.status}`);
  }
  return out;
}

/** A one-group probe push (a new value each call, from `first`), as a scrape's untimed step. */
function probePusher(gw: Gateway, first: number): () => Promise<void> {
  let probe = first;
  return async () => {
    const r = await fetch(gw.url + PROBE_PATH, {
      method: "PUT",
      body: groupBody(0, probe++),
      headers: plain,
    });
    await r.arrayBuffer();
    if (r.status >= 300) throw new Error(`${gw.kind}: probe push answered ${r.status}`);
  };
}

/** Times sequential scrapes; optionally a probe push before each (not timed). */
async function scrapes(
  gw: Gateway,
  path: string,
  accept: string,
  n: number,
  ms: number,
  pushBefore = false,
): Promise<{ ms: number[]; bytes: number }> {
  const out: number[] = [];
  let bytes = 0;
  const end = performance.now() + ms;
  for (let k = 0; k < n && (k < 1 || performance.now() < end); k++) {
    if (pushBefore) {
      const res = await fetch(gw.url + PROBE_PATH, {
        method: "PUT",
        body: groupBody(0, k),
        headers: plain,
      });
      await res.arrayBuffer();
    }
    const t0 = performance.now();
    const res = await fetch(gw.url + path, { headers: { accept, ...plain } });
    const body = await res.arrayBuffer();
    out.push(performance.now() - t0);
    if (res.status !== 200) throw new Error(`${gw.kind}: ${path} answered ${res.status}`);
    bytes = body.byteLength;
  }
  return { ms: out, bytes };
}

// ---------------------------------------------------------------------------
// Results

/** Figures of one gateway: name → value (ms, bytes, pushes/s …). */
export type Figures = Record<string, number>;
/** Sample summaries kept for the JSON file. */
export type Details = Record<string, Summary | LoadResult | number | string>;

export interface GatewayResults {
  figures: Figures;
  details: Details;
}

/** Empty results of one gateway. */
export function newResults(): GatewayResults {
  return { figures: {}, details: {} };
}

function record(r: GatewayResults, name: string, samples: number[]): Summary {
  const s = summarize(samples);
  r.details[name] = s;
  return s;
}

/** Phase sizes: full or quick. */
export interface Plan {
  readonly throughputMs: number;
  readonly latencyN: number;
  readonly latencyMs: number;
  readonly scrapeN: number;
  readonly scrapeMs: number;
  readonly underLoadMs: number;
  readonly peakScrapes: number;
  readonly peakMs: number;
  readonly apiN: number;
  readonly restarts: number;
  readonly warmGroups: number;
}

/** The phase sizes of a full or a quick run. */
export function planFor(quick: boolean): Plan {
  return quick
    ? {
      throughputMs: 1500,
      latencyN: 100,
      latencyMs: 1000,
      scrapeN: 5,
      scrapeMs: 2500,
      underLoadMs: 2000,
      peakScrapes: 15,
      peakMs: 6000,
      apiN: 2,
      restarts: 1,
      warmGroups: 1000,
    }
    : {
      throughputMs: 4000,
      latencyN: 400,
      latencyMs: 4000,
      scrapeN: 15,
      scrapeMs: 5000,
      underLoadMs: 5000,
      peakScrapes: 60,
      peakMs: 30_000,
      apiN: 3,
      restarts: 3,
      warmGroups: 1000,
    };
}

// ---------------------------------------------------------------------------
// Phases

/** Push throughput: 1000 groups stored, 1 and N connections (N = --conns). */
export async function throughputPhase(
  kind: Kind,
  spec: GatewaySpec,
  opts: BenchOptions,
  plan: Plan,
  budget: Budget,
  res: GatewayResults,
  dir: string,
): Promise<void> {
  const file = join(dir, `${kind}-tp.data`);
  let gw: Gateway;
  if (kind === "upstream") {
    // Fill unchecked with a persistence file, then restart checked on it.
    const filler = await spawnGateway({ ...spec, persistenceFile: file, unchecked: true }, opts);
    await fill(filler, 0, plan.warmGroups, opts.conns, budget);
    await filler.stop();
    gw = await spawnGateway({ ...spec, persistenceFile: file }, opts);
  } else {
    gw = await spawnGateway({ ...spec, persistenceFile: "" }, opts);
    await fill(gw, 0, plan.warmGroups, opts.conns, budget);
  }
  try {
    for (const conns of [1, opts.conns]) {
      const cpu0 = await cpuMsOf(gw.pid);
      const r = await startLoad({
        url: gw.url,
        conns,
        from: 0,
        to: plan.warmGroups,
        maxPushes: 1_000_000,
        durationMs: budget.slice(plan.throughputMs),
      }).result;
      const rate = r.pushes / (r.elapsedMs / 1000);
      res.figures[`push_rate_c${conns}`] = rate;
      res.figures[`push_cpu_ms_c${conns}`] = ((await cpuMsOf(gw.pid)) - cpu0) / r.pushes;
      res.details[`push_rate_c${conns}`] = r;
      log(
        `  ${kind}: ${conns} conn(s): ${rate.toFixed(0)} pushes/s (${r.errors} errors), ${
          res.figures[`push_cpu_ms_c${conns}`]?.toFixed(3)
        } CPU ms/push`,
      );
    }
  } finally {
    await gw.stop();
  }
  if (kind === "upstream") {
    // The reference figure of ~20k/s: consistency check disabled.
    const un = await spawnGateway({ ...spec, persistenceFile: "", unchecked: true }, opts);
    try {
      await fill(un, 0, plan.warmGroups, opts.conns, budget);
      const r = await startLoad({
        url: un.url,
        conns: opts.conns,
        from: 0,
        to: plan.warmGroups,
        maxPushes: 1_000_000,
        durationMs: budget.slice(plan.throughputMs),
      }).result;
      res.figures.push_rate_unchecked = r.pushes / (r.elapsedMs / 1000);
      res.details.push_rate_unchecked = r;
      log(`  upstream unchecked: ${res.figures.push_rate_unchecked.toFixed(0)} pushes/s`);
    } finally {
      await un.stop();
    }
  }
}

/** Measures at one level on a running (checked) gateway. */
async function measureLevel(
  gw: Gateway,
  level: Level,
  plan: Plan,
  budget: Budget,
  res: GatewayResults,
  opts: BenchOptions,
): Promise<void> {
  const tag = level.name.replace(/\s+/g, "_");
  const f = res.figures;
  await sleep(500);
  f[`rss_${tag}`] = (await memoryOf(gw.pid)).rss;
  const lat = record(
    res,
    `push_ms_${tag}`,
    await pushLatencies(gw, plan.latencyN, budget.slice(plan.latencyMs)),
  );
  f[`push_p50_${tag}`] = lat.p50;
  f[`push_p99_${tag}`] = lat.p99;
  log(
    `  ${gw.kind} @ ${level.name}: push p50 ${lat.p50.toFixed(2)} ms, p99 ${
      lat.p99.toFixed(2)
    } ms (n=${lat.n}), rss ${(f[`rss_${tag}`] as number / MIB).toFixed(0)} MiB`,
  );
  if (!level.scrape) return;
  for (const [fmt, accept] of [["text", TEXT_ACCEPT], ["proto", PROTO_ACCEPT]] as const) {
    const cpu0 = await cpuMsOf(gw.pid);
    const s = await scrapes(gw, "/metrics", accept, plan.scrapeN, budget.slice(plan.scrapeMs));
    f[`scrape_${fmt}_cpu_ms_${tag}`] = ((await cpuMsOf(gw.pid)) - cpu0) / s.ms.length;
    const sum = record(res, `scrape_${fmt}_ms_${tag}`, s.ms);
    f[`scrape_${fmt}_ms_${tag}`] = sum.p50;
    f[`scrape_${fmt}_bytes_${tag}`] = s.bytes;
    log(
      `  ${gw.kind} @ ${level.name}: ${fmt} scrape p50 ${sum.p50.toFixed(1)} ms, ${
        (s.bytes / MIB).toFixed(2)
      } MiB (n=${sum.n})`,
    );
  }
  const cpuAfter0 = await cpuMsOf(gw.pid);
  const after = await scrapes(
    gw,
    "/metrics",
    TEXT_ACCEPT,
    plan.scrapeN,
    budget.slice(plan.scrapeMs),
    true,
  );
  // CPU of the push + the scrape, per pair.
  f[`scrape_after_push_cpu_ms_${tag}`] = ((await cpuMsOf(gw.pid)) - cpuAfter0) / after.ms.length;
  const a = record(res, `scrape_after_push_ms_${tag}`, after.ms);
  f[`scrape_after_push_ms_${tag}`] = a.p50;
  log(`  ${gw.kind} @ ${level.name}: text scrape right after a push p50 ${a.p50.toFixed(1)} ms`);

  // As Prometheus scrapes: its Accept headers, gzip, raw bytes; unchanged and after a push.
  await prometheusScrapePhase(
    gw,
    tag,
    f[`scrape_text_bytes_${tag}`]!,
    { n: plan.scrapeN, ms: plan.scrapeMs },
    budget,
    res,
    probePusher(gw, 1000),
  );

  if (level.scrapeUnderLoad) {
    const ms = budget.slice(plan.underLoadMs);
    const load = startLoad({
      url: gw.url,
      conns: 2,
      from: 0,
      to: level.groups,
      maxPushes: 1_000_000,
      durationMs: ms + 1000,
    });
    await load.started;
    const s = await scrapes(gw, "/metrics", TEXT_ACCEPT, 1000, ms);
    const r = await load.result;
    const sum = record(res, `scrape_loaded_ms_${tag}`, s.ms);
    f[`scrape_loaded_p50_${tag}`] = sum.p50;
    f[`scrape_loaded_p99_${tag}`] = sum.p99;
    f[`push_rate_during_scrapes_${tag}`] = r.pushes / (r.elapsedMs / 1000);
    res.details[`load_during_scrapes_${tag}`] = r;
    log(
      `  ${gw.kind} @ ${level.name}: scrape under 2-conn push load p50 ${
        sum.p50.toFixed(1)
      } ms p99 ${sum.p99.toFixed(1)} ms (n=${sum.n}; ${
        f[`push_rate_during_scrapes_${tag}`]?.toFixed(0)
      } pushes/s)`,
    );
  }
  if (level.reference) {
    const api = await scrapes(
      gw,
      "/api/v1/metrics",
      "application/json",
      plan.apiN,
      budget.slice(plan.scrapeMs),
    );
    const s = record(res, `api_ms_${tag}`, api.ms);
    f[`api_ms_${tag}`] = s.p50;
    f[`api_bytes_${tag}`] = api.bytes;
    log(
      `  ${gw.kind} @ ${level.name}: /api/v1/metrics p50 ${s.p50.toFixed(0)} ms, ${
        (api.bytes / MIB).toFixed(1)
      } MiB`,
    );
  }
  void opts;
}

/** Peak RSS over repeated sequential text scrapes (VmHWM reset first). */
async function peakPhase(gw: Gateway, plan: Plan, res: GatewayResults, ms: number): Promise<void> {
  const f = res.figures;
  const peakOk = await resetPeak(gw.pid);
  const before = await memoryOf(gw.pid);
  const cpu0 = await cpuMsOf(gw.pid);
  const p = await scrapes(gw, "/metrics", TEXT_ACCEPT, plan.peakScrapes, ms);
  const mem = await memoryOf(gw.pid);
  f.peak_rss_scrapes = peakOk ? mem.hwm : NaN;
  f.rss_after_scrapes = mem.rss;
  f.peak_scrapes = p.ms.length;
  f.peak_scrape_cpu_ms = ((await cpuMsOf(gw.pid)) - cpu0) / p.ms.length;
  res.details.rss_before_scrapes = before.rss;
  res.details.peak_scrapes_ms = summarize(p.ms);
  log(
    `  ${gw.kind}: ${p.ms.length} scrapes: peak rss ${(mem.hwm / MIB).toFixed(0)} MiB, rss after ${
      (mem.rss / MIB).toFixed(0)
    } MiB`,
  );
}

/**
 * Fills the store level by level and measures. Ours: one checked gateway with
 * a persistence file, restarted at the 10,000-group level to time the restore,
 * then once more with `--web.enable-openmetrics` for the OpenMetrics scrape row.
 * Upstream: an unchecked filler with a persistence file; at each level it
 * stops and a checked gateway restores the file and is measured.
 */
export async function levelsPhase(
  kind: Kind,
  spec: GatewaySpec,
  opts: BenchOptions,
  plan: Plan,
  budget: Budget,
  res: GatewayResults,
  dir: string,
  share: number,
): Promise<void> {
  const file = join(dir, `${kind}-levels.data`);
  const levels = planLevels(opts.quick);
  const phaseEnd = performance.now() + budget.leftMs * share;
  let filled = 0;
  let gw: Gateway | undefined;
  try {
    for (const level of levels) {
      if (performance.now() > phaseEnd || budget.expired) {
        log(`  ${kind}: out of time; skipping ${level.name} and above`);
        res.details[`skipped_${level.name}`] = "budget";
        break;
      }
      const phaseBudget = new Budget(Math.max(0, phaseEnd - performance.now()));
      if (kind === "upstream") {
        const filler = await spawnGateway(
          { ...spec, persistenceFile: file, unchecked: true },
          opts,
        );
        await fill(filler, filled, level.groups, opts.conns, budget);
        await filler.stop();
        gw = await spawnGateway({ ...spec, persistenceFile: file }, opts);
        res.figures[`restore_ms_${level.name.replace(/\s+/g, "_")}`] = gw.readyMs;
      } else {
        gw ??= await spawnGateway({ ...spec, persistenceFile: file }, opts);
        await fill(gw, filled, level.groups, opts.conns, budget);
      }
      filled = level.groups;
      if (level.groups === 0) {
        // Idle after one scrape as Prometheus makes it: ours loads its gzip compressor (and with
        // it Deno's Node.js layer, ~4 MiB) with the first gzip scrape, a cost of the process, not
        // of the series stored (the per-series rows subtract this figure).
        const warm = await fetch(gw.url + "/metrics", { headers: prometheusHeaders("2.42") });
        await warm.arrayBuffer();
        await sleep(500);
        res.figures.rss_idle = (await memoryOf(gw.pid)).rss;
      }
      await measureLevel(gw, level, plan, phaseBudget, res, opts);
      if (level.name === PER_SERIES_LEVEL) {
        // Memory once the gateway has had time to settle after the pushes and scrapes (ours gives
        // its heap's unused capacity back after 2 s without a request).
        await sleep(SETTLE_MS);
        res.figures.rss_settled = (await memoryOf(gw.pid)).rss;
      }
      if (level.reference) {
        // Restore-to-ready: stop (persists), start on the file, time spawn → /-/ready.
        // Upstream's checked gateway has just restored the file: that start counts.
        const times: number[] = kind === "upstream" ? [gw.readyMs] : [];
        while (times.length < plan.restarts && (times.length === 0 || !phaseBudget.expired)) {
          await gw.stop();
          gw = undefined;
          gw = await spawnGateway({ ...spec, persistenceFile: file }, opts);
          times.push(gw.readyMs);
        }
        const s = record(res, "restore_ms", times);
        res.figures.restore_ms = s.p50;
        await sleep(1000);
        res.figures.rss_restored = (await memoryOf(gw.pid)).rss;
        log(
          `  ${kind}: restore ${REFERENCE_GROUPS} groups → ready p50 ${
            s.p50.toFixed(0)
          } ms (n=${s.n}); rss after restore ${((res.figures.rss_restored) / MIB).toFixed(0)} MiB`,
        );
        // Repeated scrapes on the freshly restored process (the same start for both gateways).
        await peakPhase(gw, plan, res, Math.max(plan.peakMs / 3, phaseBudget.slice(plan.peakMs)));
        if (kind !== "upstream" && !phaseBudget.expired) {
          // OpenMetrics (ours only): one more start on the file, with the flag; nothing measured
          // above ran with it.
          await gw.stop();
          gw = undefined;
          const args = [...spec.args ?? [], "--web.enable-openmetrics"];
          gw = await spawnGateway({ ...spec, persistenceFile: file, args }, opts);
          await openMetricsScrapePhase(
            gw,
            level.name.replace(/\s+/g, "_"),
            { n: plan.scrapeN, ms: plan.scrapeMs },
            phaseBudget,
            res,
            probePusher(gw, 5000),
          );
        }
      }
      if (kind === "upstream") {
        await gw.stop();
        gw = undefined;
      }
    }
  } finally {
    await gw?.stop();
  }
}

// ---------------------------------------------------------------------------
// Profile mode

/** `--profile`: CPU-profiles our gateway in one scenario and prints the hottest functions. */
export async function profileMain(opts: BenchOptions): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "pushgateway-prof-" });
  const budget = new Budget(opts.budgetMs);
  try {
    const file = join(dir, "store.data");
    log(`filling ${opts.profileGroups} groups (unprofiled)…`);
    const filler = await spawnGateway({ kind: "ours", persistenceFile: file }, opts);
    await fill(filler, 0, opts.profileGroups, opts.conns, budget);
    await filler.stop();
    const profDir = join(dir, "prof");
    await Deno.mkdir(profDir);
    const gw = await spawnGateway(
      { kind: "ours", persistenceFile: file, cpuProfDir: profDir, v8Flags: "" },
      opts,
    );
    log(`profiling scenario "${opts.profile}"…`);
    if (opts.profile === "push" || opts.profile === "mixed") {
      const r = await startLoad({
        url: gw.url,
        conns: opts.conns,
        from: 0,
        to: opts.profileGroups,
        maxPushes: 1_000_000,
        durationMs: 10_000,
      }).result;
      log(`  ${(r.pushes / (r.elapsedMs / 1000)).toFixed(0)} pushes/s`);
    }
    if (opts.profile === "scrape" || opts.profile === "mixed") {
      // As Prometheus 2.42 scrapes (gzip), each right after a one-group push.
      let k = 0;
      const s = await prometheusScrapes(gw.url + "/metrics", "2.42", {
        n: 20,
        ms: 30_000,
        before: async () => {
          const r = await fetch(gw.url + PROBE_PATH, {
            method: "PUT",
            body: groupBody(0, k++),
            headers: plain,
          });
          await r.arrayBuffer();
        },
      });
      log(`  gzip scrape after push p50 ${summarize(s.ms).p50.toFixed(1)} ms`);
    }
    await gw.stop();
    for await (const e of Deno.readDir(profDir)) {
      if (!e.name.endsWith(".cpuprofile")) continue;
      const profile = JSON.parse(await Deno.readTextFile(join(profDir, e.name))) as CpuProfile;
      const s = summarizeCpuProfile(profile, 35);
      console.log(
        `total sampled ${s.totalMs.toFixed(0)} ms, idle ${s.idleMs.toFixed(0)} ms; top self time:`,
      );
      for (const fn of s.functions) {
        console.log(
          `${fn.selfMs.toFixed(0).padStart(7)} ms ${
            (fn.share * 100).toFixed(1).padStart(5)
          }%  ${fn.where}`,
        );
      }
      const keep = join(Deno.cwd(), `bench-${opts.profile}.cpuprofile`);
      await Deno.copyFile(join(profDir, e.name), keep);
      console.log(`profile kept at ${keep}`);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
