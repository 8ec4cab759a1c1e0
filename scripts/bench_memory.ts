/**
 * The `memory` scenario of `deno task bench` (`--scenario memory`): the peak
 * resident memory (`VmHWM` from `/proc/<pid>/status`, reset before each case)
 * of a fresh gateway receiving maximal pushes, one at a time and four at
 * once, with the default flags. Run with `--baseline-main <old main.ts>` the
 * same cases are measured on another checkout's gateway ("before") beside
 * this one ("after").
 *
 * The bodies are the largest the default `--push.max-body-size` (64 MiB)
 * lets through: one sample repeated (what made the gateway reach over a GiB),
 * distinct series past the series limit, and the largest push the default
 * limits accept (100,000 series with 16 labels each).
 *
 * @module
 */

import { summarize } from "./bench_lib.ts";
import type { BenchOptions } from "./bench_lib.ts";
import {
  type Gateway,
  log,
  memoryOf,
  MIB,
  resetPeak,
  sleep,
  spawnGateway,
} from "./bench_process.ts";

/** The default `--push.max-body-size`. */
const MAX_BODY = 64 * MIB;
/**
 * A gateway past this resident memory is killed (the machine is shared): its
 * peak is then reported as at least this much.
 */
export const RSS_CAP = 6 * 1024 * MIB;
/** A case still unanswered after this long is stopped the same way. */
export const CASE_TIME_CAP_MS = 120_000;

/** One measured case. */
export interface MemoryCase {
  readonly name: string;
  /** Concurrent pushes of the body (each to its own group). */
  readonly concurrent: number;
  readonly body: () => Uint8Array;
}

/** One sample line repeated up to the body cap: a single series, 16M times. */
export function repeatedBody(): Uint8Array {
  return new TextEncoder().encode("a 1\n".repeat(Math.floor(MAX_BODY / 4)));
}

/** Distinct one-label series up to the body cap (about 4M; far past the series limit). */
export function distinctBody(): Uint8Array {
  const parts: string[] = [];
  let size = 0;
  for (let i = 0;; i++) {
    const line = `a{x="${i}"} 1\n`;
    if (size + line.length > MAX_BODY) break;
    parts.push(line);
    size += line.length;
  }
  return new TextEncoder().encode(parts.join(""));
}

/**
 * The largest push the default limits accept: 100,000 series, 16 labels each
 * (the labels-and-values allowance), distinct values filling the body cap.
 */
export function largestAcceptedBody(series = 100_000, labels = 16): Uint8Array {
  const lineBytes = Math.floor(MAX_BODY / series) - 16;
  const valueLen = Math.max(1, Math.floor(lineBytes / labels) - 8);
  const parts: string[] = [];
  for (let i = 0; i < series; i++) {
    const pairs: string[] = [];
    for (let j = 0; j < labels; j++) {
      pairs.push(`l${j}="${String(i * labels + j).padStart(valueLen, "v")}"`);
    }
    parts.push(`big{${pairs.join(",")}} ${i}\n`);
  }
  return new TextEncoder().encode(parts.join(""));
}

/** The cases, in the order they run. */
export const MEMORY_CASES: readonly MemoryCase[] = [
  { name: "one sample repeated, 64 MiB", concurrent: 1, body: repeatedBody },
  { name: "one sample repeated, 64 MiB, four at once", concurrent: 4, body: repeatedBody },
  { name: "distinct series, 64 MiB", concurrent: 1, body: distinctBody },
  { name: "largest accepted: 100k series × 16 labels", concurrent: 1, body: largestAcceptedBody },
];

/** What one case measured on one gateway. */
export interface MemoryFigure {
  readonly case: string;
  readonly gateway: "before" | "after";
  readonly bodyBytes: number;
  /** Resident memory after start, before the pushes. */
  readonly rssIdle: number;
  /** Peak resident memory while the pushes were handled. */
  readonly peakRss: number;
  /** Resident memory once they were answered. */
  readonly rssAfter: number;
  /** The statuses answered, e.g. `{ "400": 2, "503": 2 }`. */
  readonly statuses: Record<string, number>;
  /** Milliseconds until the last answer. */
  readonly ms: number;
  /**
   * `answered`, or how the gateway ended instead: `killed` past {@linkcode RSS_CAP}
   * or {@linkcode CASE_TIME_CAP_MS}, or `died` by itself (e.g. out of heap);
   * `peakRss` is then the peak seen until then.
   */
  readonly outcome: "answered" | "killed" | "died";
}

/** Sends the case's pushes to a fresh gateway and reads its memory. */
async function measureCase(
  c: MemoryCase,
  body: Uint8Array,
  which: "before" | "after",
  main: string,
  opts: BenchOptions,
): Promise<MemoryFigure> {
  const gw: Gateway = await spawnGateway({ kind: "ours", persistenceFile: "", main }, opts);
  try {
    await sleep(500);
    const rssIdle = (await memoryOf(gw.pid)).rss;
    if (!(await resetPeak(gw.pid))) log("  cannot reset VmHWM: the peak includes the start");
    const t0 = performance.now();
    const statuses: Record<string, number> = {};
    let killed = false;
    let done = false;
    let peakSeen = 0;
    // Watch the process: kill it past the memory or time cap.
    const watch = (async () => {
      while (!done) {
        await sleep(100);
        const m = await memoryOf(gw.pid).catch(() => ({ rss: 0, hwm: 0 }));
        const rss = m.rss;
        if (Number.isFinite(m.hwm)) peakSeen = Math.max(peakSeen, m.hwm); // a zombie has no Vm lines
        if (!done && (rss > RSS_CAP || performance.now() - t0 > CASE_TIME_CAP_MS)) {
          killed = true;
          log(
            `  ${which}: ${(rss / MIB).toFixed(0)} MiB after ${
              ((performance.now() - t0) / 1000).toFixed(0)
            } s: killed at the cap`,
          );
          try {
            Deno.kill(gw.pid, "SIGKILL");
          } catch { /* gone */ }
          return;
        }
      }
    })();
    await Promise.all(Array.from({ length: c.concurrent }, async (_, k) => {
      try {
        const res = await fetch(`${gw.url}/metrics/job/memory/instance/${k}`, {
          method: "PUT",
          body: body as Uint8Array<ArrayBuffer>,
        });
        await res.arrayBuffer();
        statuses[res.status] = (statuses[res.status] ?? 0) + 1;
      } catch {
        statuses.error = (statuses.error ?? 0) + 1;
      }
    }));
    const ms = performance.now() - t0;
    done = true;
    await watch;
    const read = killed ? undefined : await memoryOf(gw.pid).catch(() => undefined);
    const now = read !== undefined && Number.isFinite(read.hwm) ? read : undefined;
    const outcome = killed ? "killed" : now === undefined ? "died" : "answered";
    if (outcome === "died") log(`  ${which}: the gateway died:\n${gw.tail()}`);
    const mem = now ?? { rss: NaN, hwm: peakSeen };
    const figure = {
      case: c.name,
      gateway: which,
      bodyBytes: body.length,
      rssIdle,
      peakRss: mem.hwm,
      rssAfter: mem.rss,
      statuses,
      ms,
      outcome,
    } as const;
    log(
      `  ${which}: ${c.name}: peak ${outcome === "answered" ? "" : "≥ "}${
        (mem.hwm / MIB).toFixed(0)
      } MiB (${outcome}), ` +
        `statuses ${JSON.stringify(statuses)}, ${(ms / 1000).toFixed(1)} s`,
    );
    return figure;
  } finally {
    await gw.stop();
  }
}

/** Runs every case on the baseline gateway (when given) and on ours. */
export async function memoryScenario(opts: BenchOptions): Promise<MemoryFigure[]> {
  const out: MemoryFigure[] = [];
  const gateways: ["before" | "after", string][] = [];
  if (opts.baselineMain !== "") gateways.push(["before", opts.baselineMain]);
  gateways.push(["after", opts.main]);
  for (const c of MEMORY_CASES) {
    log(`memory: ${c.name}`);
    const body = c.body();
    for (const [which, main] of gateways) out.push(await measureCase(c, body, which, main, opts));
  }
  return out;
}

/** The scenario's Markdown table. */
export function memoryReport(figures: readonly MemoryFigure[]): string {
  const mib = (b: number) => (b / MIB).toFixed(0);
  const lines = [
    "| case | gateway | body MiB | idle RSS MiB | peak RSS MiB | statuses | seconds |",
    "| --- | --- | ---: | ---: | ---: | --- | ---: |",
  ];
  for (const f of figures) {
    const statuses = Object.entries(f.statuses).map(([s, n]) => `${n}× ${s}`).join(", ");
    lines.push(
      `| ${f.case} | ${f.gateway} | ${mib(f.bodyBytes)} | ${mib(f.rssIdle)} | ${
        f.outcome === "answered" ? mib(f.peakRss) : `≥ ${mib(f.peakRss)} (${f.outcome})`
      } | ${statuses} | ${(f.ms / 1000).toFixed(1)} |`,
    );
  }
  const peaks = summarize(figures.filter((f) => f.gateway === "after").map((f) => f.peakRss));
  lines.push("", `Highest peak after: ${mib(peaks.max)} MiB.`);
  return lines.join("\n");
}
