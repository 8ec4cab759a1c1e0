/**
 * `deno task bench`: our gateway and Debian's reference `prometheus-pushgateway`
 * measured side by side in one run, on loopback ports, within a time budget.
 *
 * ```sh
 * deno run --allow-all scripts/bench.ts [--quick] [--json out.json] [--budget seconds]
 *   [--v8-flags=--max-semi-space-size=1,--optimize-for-size] [--conns 8] [--no-upstream]
 * deno run --allow-all scripts/bench.ts --profile push|scrape|mixed [--profile-groups 10000]
 * ```
 *
 * Every gateway runs as its own process; concurrent pushes come from a
 * separate load-generator process (this script with `--load-worker`), so the
 * measuring event loop only times sequential requests. Memory is read from
 * `/proc/<pid>/status`; the heap per series comes from an in-process probe
 * (`--heap-probe`) that pushes the same workload through the same store.
 * Figures go to stdout (a Markdown table) and to a JSON file.
 *
 * @module
 */

import { TextLineStream } from "@std/streams/text-line-stream";
import { freePort } from "../tests/helpers/gateway.ts";
import { join } from "@std/path";
import { PROTO_DELIMITED } from "@lib/expfmt/media_type.ts";
import {
  type BenchOptions,
  Budget,
  type CpuProfile,
  formatTable,
  groupBody,
  groupPath,
  type Level,
  meetsTarget,
  METRICS_PER_GROUP,
  parseBenchArgs,
  parseProcStatCpuMs,
  parseProcStatus,
  planLevels,
  REFERENCE_GROUPS,
  type Row,
  SERIES_PER_GROUP,
  summarize,
  summarizeCpuProfile,
  type Summary,
} from "./bench_lib.ts";

const ROOT = new URL("../", import.meta.url);
const DEFAULT_MAIN = new URL("main.ts", ROOT).pathname;
const SELF = new URL(import.meta.url).pathname;

const TEXT_ACCEPT = "text/plain;version=0.0.4";
const PROTO_ACCEPT = PROTO_DELIMITED;
/** The group the latency probes replace (kept apart from the fill groups). */
const PROBE_PATH = groupPath(0, "probe");

/** Which gateway a figure belongs to. */
type Kind = "ours" | "oursV8" | "upstream";

const MIB = 1024 * 1024;

function log(msg: string): void {
  const t = ((performance.now() - START) / 1000).toFixed(1).padStart(6);
  console.error(`[${t}s] ${msg}`);
}
const START = performance.now();

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

// ---------------------------------------------------------------------------
// Processes

/** Every child still running, so an interrupted run kills them. */
const children = new Set<Deno.ChildProcess>();

function killAll(): void {
  for (const c of children) {
    try {
      c.kill("SIGKILL");
    } catch { /* gone */ }
  }
}

/** A child's output as lines. */
function lines(stream: ReadableStream<Uint8Array>): ReadableStream<string> {
  return stream.pipeThrough(new TextDecoderStream()).pipeThrough(new TextLineStream());
}

/** Keeps the last lines of a child's output (and drains it, so the child never blocks). */
function drain(stream: ReadableStream<Uint8Array>, keep: string[]): void {
  (async () => {
    for await (const line of lines(stream)) {
      if (line === "") continue;
      keep.push(line);
      if (keep.length > 40) keep.shift();
    }
  })().catch(() => {});
}

/** A running gateway. */
interface Gateway {
  readonly kind: Kind;
  readonly url: string;
  readonly pid: number;
  /** Spawn → first `/-/ready` 200, in milliseconds. */
  readonly readyMs: number;
  /** SIGTERM, wait (SIGKILL after 60 s); the gateways persist on the way out. */
  stop(): Promise<void>;
  /** The last log lines. */
  tail(): string;
}

/** How to start a gateway. */
interface GatewaySpec {
  readonly kind: Kind;
  /** V8 flags (ours only). */
  readonly v8Flags?: string;
  /** `--persistence.file=` value ("" for none). */
  readonly persistenceFile: string;
  /** Upstream: `--push.disable-consistency-check`. */
  readonly unchecked?: boolean;
  /** Ours: `--cpu-prof` into this directory. */
  readonly cpuProfDir?: string;
}

async function spawnGateway(spec: GatewaySpec, opts: BenchOptions): Promise<Gateway> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = freePort();
    const listen = `--web.listen-address=127.0.0.1:${port}`;
    const common = [listen, `--persistence.file=${spec.persistenceFile}`, "--log.level=warn"];
    if (spec.unchecked) common.push("--push.disable-consistency-check");
    let cmd: Deno.Command;
    if (spec.kind === "upstream") {
      cmd = new Deno.Command(opts.upstreamBin, {
        args: common,
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      });
    } else {
      const runtime = ["run", "--allow-all", "--quiet"];
      if (spec.v8Flags) runtime.push(`--v8-flags=${spec.v8Flags}`);
      if (spec.cpuProfDir) runtime.push("--cpu-prof", `--cpu-prof-dir=${spec.cpuProfDir}`);
      cmd = new Deno.Command(Deno.execPath(), {
        args: [...runtime, opts.main || DEFAULT_MAIN, ...common],
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
        env: { RUST_BACKTRACE: "0" },
      });
    }
    const started = performance.now();
    const child = cmd.spawn();
    children.add(child);
    const lines: string[] = [];
    drain(child.stdout, lines);
    drain(child.stderr, lines);
    let exited = false;
    const status = child.status.then((s) => {
      exited = true;
      children.delete(child);
      return s;
    });
    const url = `http://127.0.0.1:${port}`;
    let readyMs = NaN;
    for (const deadline = started + 120_000; !exited && performance.now() < deadline;) {
      try {
        const res = await fetch(`${url}/-/ready`);
        await res.body?.cancel();
        if (res.status === 200) {
          readyMs = performance.now() - started;
          break;
        }
      } catch { /* not listening yet */ }
      await sleep(5);
    }
    if (exited || Number.isNaN(readyMs)) {
      try {
        child.kill("SIGKILL");
      } catch { /* gone */ }
      const s = await status;
      log(`${spec.kind} did not become ready (exit ${s.code}); retrying:\n${lines.join("\n")}`);
      continue;
    }
    // Upstream exits 0 when its port is taken; a gateway answering on a port we
    // did not start it on would be caught here.
    await sleep(20);
    if (exited) continue;
    return {
      kind: spec.kind,
      url,
      pid: child.pid,
      readyMs,
      async stop() {
        try {
          child.kill("SIGTERM");
        } catch { /* gone */ }
        const timer = setTimeout(() => {
          try {
            child.kill("SIGKILL");
          } catch { /* gone */ }
        }, 60_000);
        await status;
        clearTimeout(timer);
      },
      tail: () => lines.join("\n"),
    };
  }
  throw new Error(`${spec.kind}: could not start the gateway`);
}

async function memoryOf(pid: number): Promise<{ rss: number; hwm: number }> {
  return parseProcStatus(await Deno.readTextFile(`/proc/${pid}/status`));
}

/** CPU time (user + system) a process has used so far, in ms. */
async function cpuMsOf(pid: number): Promise<number> {
  return parseProcStatCpuMs(await Deno.readTextFile(`/proc/${pid}/stat`));
}

/** Resets the peak RSS (`VmHWM`) of a process; false when the kernel refuses. */
async function resetPeak(pid: number): Promise<boolean> {
  try {
    await Deno.writeTextFile(`/proc/${pid}/clear_refs`, "5");
    return true;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------
// The load generator (a separate process)

/** What the load generator does. */
interface LoadSpec {
  readonly url: string;
  readonly conns: number;
  /** Groups `[from, to)` are pushed round-robin. */
  readonly from: number;
  readonly to: number;
  readonly maxPushes: number;
  readonly durationMs: number;
}

/** What the load generator reports. */
interface LoadResult {
  readonly pushes: number;
  readonly errors: number;
  readonly elapsedMs: number;
  readonly statuses: Record<string, number>;
}

/** Runs the load (in the load-generator process): `conns` keep-alive fetch loops. */
async function runLoad(spec: LoadSpec, onStarted: () => void): Promise<LoadResult> {
  let next = 0;
  let errors = 0;
  let started = false;
  const statuses: Record<string, number> = {};
  const t0 = performance.now();
  const end = t0 + spec.durationMs;
  const span = Math.max(1, spec.to - spec.from);
  const client = Deno.createHttpClient({ poolMaxIdlePerHost: spec.conns });
  const loop = async (): Promise<void> => {
    while (next < spec.maxPushes && performance.now() < end) {
      const k = next++;
      const i = spec.from + (k % span);
      try {
        const res = await fetch(spec.url + groupPath(i), {
          method: "PUT",
          body: groupBody(i, k),
          client,
        });
        await res.arrayBuffer();
        statuses[res.status] = (statuses[res.status] ?? 0) + 1;
        if (res.status >= 300) errors++;
      } catch {
        errors++;
        await sleep(10);
      }
      if (!started) {
        started = true;
        onStarted();
      }
    }
  };
  await Promise.all(Array.from({ length: spec.conns }, loop));
  client.close();
  return { pushes: next, errors, elapsedMs: performance.now() - t0, statuses };
}

/** The load-generator process's entry: reads a LoadSpec, prints `started`, then the result. */
async function loadWorkerMain(specJson: string): Promise<void> {
  const spec = JSON.parse(specJson) as LoadSpec;
  const out = (s: string) => Deno.stdout.writeSync(new TextEncoder().encode(s + "\n"));
  const result = await runLoad(spec, () => out("started"));
  out(JSON.stringify(result));
}

/** A running load generator. */
interface Load {
  /** Resolves once the first push completed. */
  readonly started: Promise<void>;
  readonly result: Promise<LoadResult>;
}

function startLoad(spec: LoadSpec): Load {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-net", "--quiet", SELF, "--load-worker", JSON.stringify(spec)],
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  children.add(child);
  let markStarted: () => void = () => {};
  const started = new Promise<void>((r) => (markStarted = r));
  const result = (async () => {
    let last = "";
    for await (const line of lines(child.stdout)) {
      if (line === "started") markStarted();
      else if (line !== "") last = line;
    }
    await child.status;
    children.delete(child);
    markStarted();
    if (last === "") throw new Error("load generator failed");
    return JSON.parse(last) as LoadResult;
  })();
  return { started, result };
}

/** Pushes groups `[from, to)` once each with `conns` connections; returns pushes/s. */
async function fill(gw: Gateway, from: number, to: number, conns: number, budget: Budget) {
  if (to <= from) return;
  const t0 = performance.now();
  const r = await startLoad({
    url: gw.url,
    conns,
    from,
    to,
    maxPushes: to - from,
    durationMs: Math.max(1000, budget.leftMs),
  }).result;
  const rate = r.pushes / (r.elapsedMs / 1000);
  log(
    `  ${gw.kind}: filled groups ${from}..${to} in ${(performance.now() - t0).toFixed(0)} ms ` +
      `(${rate.toFixed(0)} pushes/s, ${r.errors} errors)`,
  );
  if (r.errors > 0) throw new Error(`${gw.kind}: fill failed: ${JSON.stringify(r.statuses)}`);
}

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
type Figures = Record<string, number>;
/** Sample summaries kept for the JSON file. */
type Details = Record<string, Summary | LoadResult | number | string>;

interface GatewayResults {
  figures: Figures;
  details: Details;
}

function newResults(): GatewayResults {
  return { figures: {}, details: {} };
}

function record(r: GatewayResults, name: string, samples: number[]): Summary {
  const s = summarize(samples);
  r.details[name] = s;
  return s;
}

/** Phase sizes: full or quick. */
interface Plan {
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

function planFor(quick: boolean): Plan {
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
async function throughputPhase(
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
 * a persistence file, restarted at the 10,000-group level to time the restore.
 * Upstream: an unchecked filler with a persistence file; at each level it
 * stops and a checked gateway restores the file and is measured.
 */
async function levelsPhase(
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
        await sleep(500);
        res.figures.rss_idle = (await memoryOf(gw.pid)).rss;
      }
      await measureLevel(gw, level, plan, phaseBudget, res, opts);
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
// Heap probe (in-process: the same parse → store → render path, no sockets)

interface HeapProbe {
  groups: number;
  series: number;
  heapBaseline: number;
  heapBodies: number;
  heapStore: number;
  heapMerged: number;
  heapRendered: number;
  rssStore: number;
  rssRendered: number;
  externalRendered: number;
  renderMs: number;
  bytesPerSeries: { bodies: number; store: number; merged: number; renderCache: number };
}

async function heapProbeMain(groups: number): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error("run with --v8-flags=--expose-gc");
  const { parseText } = await import("@lib/expfmt/text_parse.ts");
  const { MetricStore } = await import("@lib/store/metric_store.ts");
  const { OWN_FAMILIES, SelfMetrics } = await import("@lib/http/self_metrics.ts");
  const { metricsHandler } = await import("@lib/http/metrics.ts");
  const heap = async (): Promise<number> => {
    for (let i = 0; i < 3; i++) {
      gc();
      await sleep(10);
    }
    return Deno.memoryUsage().heapUsed;
  };
  const heapBaseline = await heap();
  let bodies: string[] | undefined = Array.from({ length: groups }, (_, i) => groupBody(i, 1));
  const heapBodies = await heap();
  const store = new MetricStore(OWN_FAMILIES);
  const enc = new TextEncoder();
  for (let i = 0; i < groups; i++) {
    const families = parseText(enc.encode(bodies[i] as string), { scheme: "legacy" });
    const r = store.push({
      labels: { job: "bench", instance: `host-${i}` },
      families,
      replace: true,
      timeMs: Date.now(),
    });
    if (!r.ok) throw new Error(r.error);
  }
  const bodiesBytes = heapBodies - heapBaseline;
  bodies = undefined;
  const heapStore = await heap();
  for (const name of store.familyNames()) store.mergedFamily(name);
  const heapMerged = await heap();
  const rssStore = Deno.memoryUsage().rss;
  const self = new SelfMetrics({
    branch: "",
    goarch: "amd64",
    goos: "linux",
    goversion: "",
    revision: "",
    tags: "",
    version: "bench",
  });
  // Only the fields the scrape handler reads.
  const ctx = { store, self } as unknown as Parameters<typeof metricsHandler>[0];
  const handler = metricsHandler(ctx);
  const t0 = performance.now();
  const res = handler(new Request("http://x/metrics", { headers: { accept: TEXT_ACCEPT } }));
  await res.arrayBuffer();
  const renderMs = performance.now() - t0;
  const heapRendered = await heap();
  const mu = Deno.memoryUsage();
  const series = groups * SERIES_PER_GROUP;
  const probe: HeapProbe = {
    groups,
    series,
    heapBaseline,
    heapBodies: bodiesBytes,
    heapStore,
    heapMerged,
    heapRendered,
    rssStore,
    rssRendered: mu.rss,
    externalRendered: mu.external,
    renderMs,
    bytesPerSeries: {
      bodies: bodiesBytes / series,
      store: (heapStore - heapBaseline) / series,
      merged: (heapMerged - heapStore) / series,
      renderCache: (heapRendered - heapMerged) / series,
    },
  };
  console.log(JSON.stringify(probe));
}

async function runHeapProbe(groups: number, v8Flags: string): Promise<HeapProbe | undefined> {
  const flags = ["--expose-gc", ...(v8Flags ? v8Flags.split(",") : [])].join(",");
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-all",
      "--quiet",
      `--v8-flags=${flags}`,
      SELF,
      "--heap-probe",
      String(groups),
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    log(`heap probe failed: ${new TextDecoder().decode(out.stderr)}`);
    return undefined;
  }
  return JSON.parse(new TextDecoder().decode(out.stdout)) as HeapProbe;
}

// ---------------------------------------------------------------------------
// Profile mode

async function profileMain(opts: BenchOptions): Promise<void> {
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
      const s = await scrapes(gw, "/metrics", TEXT_ACCEPT, 20, 30_000, true);
      log(`  scrape after push p50 ${summarize(s.ms).p50.toFixed(1)} ms`);
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

// ---------------------------------------------------------------------------
// Table

function rows(results: Partial<Record<Kind, GatewayResults>>, heap?: HeapProbe): Row[] {
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
  const mem = "Memory (RSS from /proc)";
  out.push(row(mem, "idle, empty store", "MiB", "rss_idle", "lower", MIB));
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
  const perSeries = (k: Kind): number | undefined => {
    const tag = "100k_series";
    const rss = get(k, `rss_${tag}`), idle = get(k, "rss_idle");
    if (rss === undefined || idle === undefined) return undefined;
    return (rss - idle) /
      (planLevels(false).find((l) => l.name === "100k series")!.groups * SERIES_PER_GROUP);
  };
  out.push({
    section: mem,
    label: "per series at 100k series (above idle)",
    unit: "bytes",
    ours: perSeries("ours"),
    oursV8: perSeries("oursV8"),
    upstream: perSeries("upstream"),
    better: "lower",
  });
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
      }; render cache +${heap.bytesPerSeries.renderCache.toFixed(0)}`,
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

// ---------------------------------------------------------------------------
// Main

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
      } MiB; text render cache +${
        ((heap.heapRendered - heap.heapMerged) / MIB).toFixed(1)
      } MiB; cold render ${heap.renderMs.toFixed(0)} ms; rss ${
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

const USAGE = `usage: deno run --allow-all scripts/bench.ts [options]
  --quick                 ~1 minute run (fewer levels, shorter phases)
  --json FILE             results file (default bench-results.json)
  --budget SECONDS        time budget of the whole run (default 470; quick 90)
  --v8-flags=A,B          V8 flags of the second variant of our gateway ("" to skip);
                          default --max-semi-space-size=1,--optimize-for-size
  --conns N               connections of the concurrent throughput phase (default 8)
  --no-upstream           do not start Debian's prometheus-pushgateway
  --upstream-bin PATH     reference binary (default /usr/bin/prometheus-pushgateway)
  --main PATH             our entry point (default: this checkout's main.ts), e.g. a patched copy
  --profile push|scrape|mixed
                          instead of benchmarking: --cpu-prof our gateway in one scenario
                          and print the functions by self time
  --profile-groups N      store size for --profile (default 10000)`;

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
    else await benchMain(opts);
  }
}
