/**
 * Pure helpers of the side-by-side benchmark (`scripts/bench.ts`): the
 * workload (group bodies and URLs), statistics, the result table, command-line
 * options, `/proc/<pid>/status` parsing and `.cpuprofile` summaries. No I/O.
 *
 * @module
 */

import { parseArgs } from "@std/cli/parse-args";

/** Metric objects (protobuf `Metric`s) in one pushed group body. */
export const METRICS_PER_GROUP = 9;
/**
 * Series (sample lines on `/metrics`) one group contributes: 16 from the body
 * (counter 3, gauge 3, histogram 3 buckets + sum + count, summary 2 quantiles
 * + sum + count, untyped 1) plus the two synthetic push-time gauges.
 */
export const SERIES_PER_GROUP = 18;

/**
 * The text body of group `i`: 5 families, 9 metrics, 16 samples, about 1 kB.
 * Values depend on `i` and `tick` so repeated pushes are not byte-identical.
 *
 * @param i The group number.
 * @param tick A counter mixed into the values (e.g. the push number).
 * @returns The exposition text (0.0.4), newline-terminated.
 */
export function groupBody(i: number, tick = 0): string {
  const v = i * 7 + tick;
  const lines = [
    "# HELP bench_jobs_processed_total Items processed, by outcome.",
    "# TYPE bench_jobs_processed_total counter",
    `bench_jobs_processed_total{outcome="success"} ${1000 + v}`,
    `bench_jobs_processed_total{outcome="retry"} ${v % 97}`,
    `bench_jobs_processed_total{outcome="failure"} ${v % 13}`,
    "# HELP bench_queue_items Items left in the queues.",
    "# TYPE bench_queue_items gauge",
    `bench_queue_items{queue="high"} ${v % 50}`,
    `bench_queue_items{queue="normal"} ${v % 200}`,
    `bench_queue_items{queue="low"} ${(v % 1000) + 0.5}`,
    "# HELP bench_phase_duration_seconds Duration of the run.",
    "# TYPE bench_phase_duration_seconds histogram",
    `bench_phase_duration_seconds_bucket{le="0.1"} ${v % 5}`,
    `bench_phase_duration_seconds_bucket{le="1"} ${(v % 5) + 3}`,
    `bench_phase_duration_seconds_bucket{le="+Inf"} ${(v % 5) + 4}`,
    `bench_phase_duration_seconds_sum ${(v % 100) / 10 + 1.25}`,
    `bench_phase_duration_seconds_count ${(v % 5) + 4}`,
    "# HELP bench_rpc_duration_seconds Latency of database calls.",
    "# TYPE bench_rpc_duration_seconds summary",
    `bench_rpc_duration_seconds{quantile="0.5"} 0.0${(v % 9) + 1}`,
    `bench_rpc_duration_seconds{quantile="0.99"} 0.${(v % 9) + 1}`,
    `bench_rpc_duration_seconds_sum ${(v % 300) + 0.75}`,
    `bench_rpc_duration_seconds_count ${2000 + v}`,
    "# HELP bench_last_run_info Facts about the last run.",
    `bench_last_run_info{version="1.${i % 10}.${v % 7}"} 1`,
  ];
  return lines.join("\n") + "\n";
}

/**
 * The push URL path of group `i`: `/metrics/job/<job>/instance/host-<i>`.
 *
 * @param i The group number.
 * @param job The job label value.
 * @returns The path (no host).
 */
export function groupPath(i: number, job = "bench"): string {
  return `/metrics/job/${job}/instance/host-${i}`;
}

/**
 * Groups needed so the store holds at least `series` series.
 *
 * @param series Wanted series count (sample lines on `/metrics`).
 * @returns The number of groups.
 */
export function groupsForSeries(series: number): number {
  return Math.ceil(series / SERIES_PER_GROUP);
}

/**
 * The nearest-rank percentile of sorted samples (`p` in 0–100).
 *
 * @param sorted Samples in ascending order.
 * @param p The percentile, 0–100.
 * @returns The sample at that rank, or NaN when there are none.
 */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))] as number;
}

/** Count, mean and percentiles of a set of samples. */
export interface Summary {
  readonly n: number;
  readonly mean: number;
  readonly min: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
}

/**
 * Summarises samples (any order).
 *
 * @param samples The samples.
 * @returns Count, mean, min, p50, p90, p99 and max (NaN when empty).
 */
export function summarize(samples: readonly number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  const n = sorted.length;
  const mean = n === 0 ? NaN : sorted.reduce((s, x) => s + x, 0) / n;
  return {
    n,
    mean,
    min: n === 0 ? NaN : sorted[0] as number,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: n === 0 ? NaN : sorted[n - 1] as number,
  };
}

/** Whether a smaller or a larger figure is better. */
export type Better = "lower" | "higher";

/** A target on the ratio ours/upstream (or on our absolute figure). */
export interface Target {
  /** `ratio`: ours / upstream; `abs`: our figure alone. */
  readonly on: "ratio" | "abs";
  /** `le`: must be ≤ value; `ge`: must be ≥ value. */
  readonly op: "le" | "ge";
  readonly value: number;
}

/** One line of the result table. */
export interface Row {
  /** Section the row belongs to (printed as a heading). */
  readonly section: string;
  readonly label: string;
  readonly unit: string;
  /** Our gateway, default runtime flags. */
  readonly ours?: number;
  /** Our gateway with the extra V8 flags. */
  readonly oursV8?: number;
  /** Debian's prometheus-pushgateway. */
  readonly upstream?: number;
  readonly better: Better;
  readonly target?: Target;
  /** Sample count or other detail, shown after the figures. */
  readonly note?: string;
}

/**
 * Our figure divided by upstream's, or undefined when either is missing or
 * upstream's is 0.
 *
 * @param ours Our figure.
 * @param upstream Upstream's figure.
 * @returns The ratio.
 */
export function ratio(ours: number | undefined, upstream: number | undefined): number | undefined {
  if (ours === undefined || upstream === undefined) return undefined;
  if (!Number.isFinite(ours) || !Number.isFinite(upstream) || upstream === 0) return undefined;
  return ours / upstream;
}

/**
 * Whether a figure meets its target: true/false, or undefined when it cannot
 * be judged (figure missing).
 *
 * @param row The row (its `target` and figures).
 * @param figure Which of our figures to judge.
 * @returns The verdict.
 */
export function meetsTarget(row: Row, figure: "ours" | "oursV8" = "ours"): boolean | undefined {
  const t = row.target;
  if (!t) return undefined;
  const value = t.on === "ratio" ? ratio(row[figure], row.upstream) : row[figure];
  if (value === undefined || !Number.isFinite(value)) return undefined;
  return t.op === "le" ? value <= t.value : value >= t.value;
}

/**
 * Formats a figure with about three significant digits and thousands
 * separators for large values; "—" when missing.
 *
 * @param v The value.
 * @returns The text.
 */
export function formatNumber(v: number | undefined): string {
  if (v === undefined || Number.isNaN(v)) return "—";
  if (!Number.isFinite(v)) return v > 0 ? "∞" : "-∞";
  const abs = Math.abs(v);
  if (abs >= 1000) return Math.round(v).toLocaleString("en-US");
  if (abs >= 100) return v.toFixed(0);
  if (abs >= 10) return v.toFixed(1);
  if (abs >= 1) return v.toFixed(2);
  if (abs === 0) return "0";
  return v.toPrecision(2);
}

/**
 * Formats a ratio as `0.12×`; "—" when undefined.
 *
 * @param r The ratio.
 * @returns The text.
 */
export function formatRatio(r: number | undefined): string {
  if (r === undefined) return "—";
  if (r >= 100) return `${Math.round(r)}×`;
  if (r >= 10) return `${r.toFixed(1)}×`;
  return `${r.toPrecision(2)}×`;
}

function formatTarget(t: Target | undefined): string {
  if (!t) return "";
  const op = t.op === "le" ? "≤" : "≥";
  return t.on === "ratio" ? `${op} ${t.value}×` : `${op} ${formatNumber(t.value)}`;
}

function verdict(v: boolean | undefined): string {
  return v === undefined ? "" : v ? " ok" : " MISS";
}

/** Display width of a string (every code point counts 1; the table uses no wide characters). */
function width(s: string): number {
  return [...s].length;
}

function pad(s: string, n: number, right: boolean): string {
  const fill = " ".repeat(Math.max(0, n - width(s)));
  return right ? fill + s : s + fill;
}

/**
 * Renders rows as a Markdown table grouped by section: figure, unit, ours,
 * ours with V8 flags, upstream, ratio ours/upstream, target with verdict.
 *
 * @param rows The rows.
 * @param v8Label Column title of the V8-flags variant.
 * @returns The Markdown text (a table per section, with a heading line).
 */
export function formatTable(rows: readonly Row[], v8Label = "ours+V8 flags"): string {
  const header = ["figure", "unit", "ours", v8Label, "upstream", "ours/up", "target", "note"];
  const right = [false, false, true, true, true, true, false, false];
  const sections: string[] = [];
  for (const r of rows) if (!sections.includes(r.section)) sections.push(r.section);
  const body = rows.map((r) => [
    r.label,
    r.unit,
    formatNumber(r.ours),
    formatNumber(r.oursV8),
    formatNumber(r.upstream),
    formatRatio(ratio(r.ours, r.upstream)),
    r.target ? formatTarget(r.target) + verdict(meetsTarget(r)) : "",
    r.note ?? "",
  ]);
  const widths = header.map((h, c) =>
    Math.max(width(h), ...body.map((b) => width(b[c] as string)))
  );
  const line = (cells: readonly string[]): string =>
    "| " + cells.map((cell, c) => pad(cell, widths[c] as number, right[c] as boolean)).join(" | ") +
    " |";
  const rule = "|" +
    widths.map((w, c) => (right[c] ? "-".repeat(w + 1) + ":" : "-".repeat(w + 2))).join("|") + "|";
  const out: string[] = [];
  for (const section of sections) {
    out.push(`**${section}**`, "", line(header), rule);
    rows.forEach((r, i) => {
      if (r.section === section) out.push(line(body[i] as string[]));
    });
    out.push("");
  }
  return out.join("\n");
}

/** Memory figures from `/proc/<pid>/status`, in bytes. */
export interface ProcMemory {
  /** Resident set size now (`VmRSS`). */
  readonly rss: number;
  /** Peak resident set size since start or the last `clear_refs` 5 (`VmHWM`). */
  readonly hwm: number;
}

/**
 * Parses `VmRSS` and `VmHWM` out of a `/proc/<pid>/status` text.
 *
 * @param text The file's content.
 * @returns The figures in bytes (NaN for a missing field).
 */
export function parseProcStatus(text: string): ProcMemory {
  const field = (name: string): number => {
    const m = new RegExp(`^${name}:\\s+(\\d+)\\s+kB`, "m").exec(text);
    return m ? Number(m[1]) * 1024 : NaN;
  };
  return { rss: field("VmRSS"), hwm: field("VmHWM") };
}

/**
 * CPU time (user + system, all threads) of a process from its
 * `/proc/<pid>/stat` line, in milliseconds.
 *
 * @param text The file's content.
 * @param ticksPerSecond The kernel's `CLK_TCK` (100 on Linux).
 * @returns The CPU time in ms, NaN when the line is malformed.
 */
export function parseProcStatCpuMs(text: string, ticksPerSecond = 100): number {
  // The command name (field 2) may hold spaces and parentheses: split after its last ")".
  const close = text.lastIndexOf(")");
  if (close < 0) return NaN;
  const fields = text.slice(close + 2).trim().split(/\s+/);
  // fields[0] is field 3 (state); utime and stime are fields 14 and 15.
  const utime = Number(fields[11]), stime = Number(fields[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) return NaN;
  return ((utime + stime) * 1000) / ticksPerSecond;
}

/** A node of a V8 `.cpuprofile`. */
export interface CpuProfileNode {
  readonly id: number;
  readonly callFrame: {
    readonly functionName: string;
    readonly url: string;
    readonly lineNumber: number;
  };
  readonly children?: readonly number[];
}

/** The parts of a V8 `.cpuprofile` the summary reads. */
export interface CpuProfile {
  readonly nodes: readonly CpuProfileNode[];
  /** Node id of each sample. */
  readonly samples: readonly number[];
  /** Microseconds since the previous sample, per sample. */
  readonly timeDeltas: readonly number[];
}

/** Self time of one function in a profile. */
export interface HotFunction {
  /** `name (file:line)`, with the file shortened to its last two path segments. */
  readonly where: string;
  readonly selfMs: number;
  /** Share of all sampled time, 0–1. */
  readonly share: number;
}

function shortUrl(url: string): string {
  if (url === "") return "";
  const parts = url.replace(/^file:\/\//, "").split("/");
  return parts.slice(-2).join("/");
}

/**
 * Sums a `.cpuprofile`'s sampled time by function (self time), biggest first.
 * Frames of the same function name, file and line are merged.
 *
 * @param profile The parsed profile.
 * @param top How many functions to return.
 * @returns The hottest functions and the total sampled time.
 */
export function summarizeCpuProfile(
  profile: CpuProfile,
  top = 25,
): { totalMs: number; idleMs: number; functions: HotFunction[] } {
  const byId = new Map<number, CpuProfileNode>();
  for (const n of profile.nodes) byId.set(n.id, n);
  const self = new Map<string, number>();
  let total = 0;
  let idle = 0;
  profile.samples.forEach((id, i) => {
    const dt = (profile.timeDeltas[i] ?? 0) / 1000;
    total += dt;
    const frame = byId.get(id)?.callFrame;
    const name = frame?.functionName || "(anonymous)";
    if (name === "(idle)" || name === "(program)") idle += name === "(idle)" ? dt : 0;
    const file = shortUrl(frame?.url ?? "");
    const where = file === "" ? name : `${name} (${file}:${(frame?.lineNumber ?? 0) + 1})`;
    self.set(where, (self.get(where) ?? 0) + dt);
  });
  const functions = [...self.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([where, ms]) => ({ where, selfMs: ms, share: total > 0 ? ms / total : 0 }));
  return { totalMs: total, idleMs: idle, functions };
}

/** Command-line options of the benchmark. */
export interface BenchOptions {
  /** ~1 minute development run: fewer levels, shorter phases. */
  readonly quick: boolean;
  /** Where the JSON results go. */
  readonly json: string;
  /** The whole run's time budget in milliseconds. */
  readonly budgetMs: number;
  /** V8 flags of the second variant of our gateway ("" skips the variant). */
  readonly v8Flags: string;
  /** Skip Debian's gateway even when installed. */
  readonly noUpstream: boolean;
  /** Path of the reference binary. */
  readonly upstreamBin: string;
  /** Our gateway's entry point (another checkout to compare a patch). */
  readonly main: string;
  /** Concurrent connections of the multi-client throughput phase. */
  readonly conns: number;
  /** Profile our gateway (`--cpu-prof`) in this scenario instead of benchmarking. */
  readonly profile: "" | "push" | "scrape" | "mixed";
  /** Groups in the store for `--profile`. */
  readonly profileGroups: number;
  /**
   * Run one scenario of its own instead of the side-by-side benchmark:
   * `expiry` (push latency with and without 100,000 deadlines), `restore` (restore → ready and
   * RSS after restore, alternating starts) or `memory`
   * (peak RSS of maximal pushes, one and four at once).
   */
  readonly scenario: "" | "expiry" | "memory" | "restore";
  /** The `memory` scenario's "before" gateway: another checkout's entry point ("" to skip). */
  readonly baselineMain: string;
  /** `--ha`: two replicas on one PostgreSQL beside one in-memory gateway, instead of the rest. */
  readonly ha: boolean;
}

/** The V8 flags of the second variant unless `--v8-flags` says otherwise. */
export const DEFAULT_V8_FLAGS = "--max-semi-space-size=1,--optimize-for-size";

/**
 * Parses the benchmark's command line.
 *
 * @param args The arguments (`Deno.args`).
 * @returns The options, or an error message.
 */
export function parseBenchArgs(args: readonly string[]): BenchOptions | { error: string } {
  // Unknown flags and stray positional arguments, as the user wrote them without dashes or value.
  const unknown: string[] = [];
  const a = parseArgs([...args], {
    unknown: (arg: string): boolean => {
      unknown.push(arg.replace(/^-+/, "").split("=")[0] as string);
      return false;
    },
    boolean: ["quick", "no-upstream", "help", "ha"],
    string: [
      "json",
      "budget",
      "v8-flags",
      "upstream-bin",
      "main",
      "conns",
      "profile",
      "profile-groups",
      "scenario",
      "baseline-main",
    ],
    default: {
      json: "bench-results.json",
      "v8-flags": DEFAULT_V8_FLAGS,
      "upstream-bin": "/usr/bin/prometheus-pushgateway",
      main: "",
      conns: "8",
      profile: "",
      "profile-groups": "10000",
      scenario: "",
      "baseline-main": "",
    },
  });
  if (a.help) return { error: "usage" };
  if (unknown.length > 0) return { error: `unknown argument: ${unknown[0]}` };
  const budgetS = a.budget === undefined ? (a.quick ? 150 : 600) : Number(a.budget);
  if (!Number.isFinite(budgetS) || budgetS <= 0) return { error: "--budget: seconds > 0" };
  const conns = Number(a.conns);
  if (!Number.isInteger(conns) || conns < 2 || conns > 256) {
    return { error: "--conns: an integer 2–256" };
  }
  const profile = a.profile;
  if (profile !== "" && profile !== "push" && profile !== "scrape" && profile !== "mixed") {
    return { error: "--profile: push, scrape or mixed" };
  }
  const profileGroups = Number(a["profile-groups"]);
  if (!Number.isInteger(profileGroups) || profileGroups < 1) {
    return { error: "--profile-groups: an integer ≥ 1" };
  }
  const scenario = a.scenario;
  if (scenario !== "" && scenario !== "expiry" && scenario !== "memory" && scenario !== "restore") {
    return { error: "--scenario: expiry, memory or restore" };
  }
  return {
    quick: a.quick,
    json: a.json,
    budgetMs: budgetS * 1000,
    v8Flags: a["v8-flags"],
    noUpstream: a["no-upstream"],
    upstreamBin: a["upstream-bin"],
    main: a.main,
    conns,
    profile,
    profileGroups,
    scenario,
    baselineMain: a["baseline-main"],
    ha: a.ha,
  };
}

/** A store size the benchmark fills to and measures at. */
export interface Level {
  /** Short name, e.g. `10k series`. */
  readonly name: string;
  readonly groups: number;
  /** Measure scrapes (text and protobuf) here. */
  readonly scrape: boolean;
  /** Measure scrape latency under push load here. */
  readonly scrapeUnderLoad: boolean;
  /** The 10,000-group level of the reference figures: API, repeated scrapes, restore. */
  readonly reference: boolean;
}

/** The reference figures' store size in groups. */
export const REFERENCE_GROUPS = 10_000;

/** The level whose resident memory is read again once the gateway settled (the per-series rows). */
export const PER_SERIES_LEVEL = "100k series";
/** How long a gateway is left without requests before that second reading (ms). */
export const SETTLE_MS = 3000;

/**
 * The store sizes to measure at, ascending: 0, 10k, 50k, 100k, 200k series and
 * the 10,000-group level of the reference figures (quick: 0 and 10k series and
 * 10,000 groups). Scrapes are measured at 10k and 100k series and 10,000
 * groups, scrapes under push load at 100k series (quick: 10k).
 *
 * @param quick The quick variant.
 * @returns The levels.
 */
export function planLevels(quick: boolean): Level[] {
  const series = quick ? [0, 10_000] : [0, 10_000, 50_000, 100_000, 200_000];
  const loaded = quick ? 10_000 : 100_000;
  const levels: Level[] = series.map((s) => ({
    name: s === 0 ? "empty" : `${s / 1000}k series`,
    groups: groupsForSeries(s),
    scrape: s === 10_000 || s === 100_000,
    scrapeUnderLoad: s === loaded,
    reference: false,
  }));
  levels.push({
    name: `${REFERENCE_GROUPS / 1000}k groups`,
    groups: REFERENCE_GROUPS,
    scrape: true,
    scrapeUnderLoad: false,
    reference: true,
  });
  return levels.sort((a, b) => a.groups - b.groups);
}

/** A time budget: a deadline and what is left of it. */
export class Budget {
  readonly #deadline: number;
  readonly #now: () => number;

  /**
   * @param ms The budget in milliseconds from now.
   * @param now The clock (ms); `performance.now` by default.
   */
  constructor(ms: number, now: () => number = () => performance.now()) {
    this.#now = now;
    this.#deadline = now() + ms;
  }

  /** Milliseconds left (never negative). */
  get leftMs(): number {
    return Math.max(0, this.#deadline - this.#now());
  }

  /** True once the deadline has passed. */
  get expired(): boolean {
    return this.leftMs === 0;
  }

  /**
   * A phase's allowance: `wantMs`, capped by what is left minus `reserveMs`
   * (kept for the phases after it), never negative.
   *
   * @param wantMs What the phase would like.
   * @param reserveMs What must stay for later phases.
   * @returns The allowance in milliseconds.
   */
  slice(wantMs: number, reserveMs = 0): number {
    return Math.max(0, Math.min(wantMs, this.leftMs - reserveMs));
  }
}
