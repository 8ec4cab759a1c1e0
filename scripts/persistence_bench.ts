/**
 * Measures `--persistence.file` on a big store against the real gateway
 * process: fills 10k groups / 100k series, then reports the snapshot write
 * time, the gateway's memory during writes, and how long pushes and scrapes
 * stall while a write runs. A measurement, not a test: it prints figures.
 *
 * Write start and end come from the file system (inotify via `Deno.watchFs`):
 * the `<file>.in_progress.*` temp file appearing, then the rename onto the
 * file. Memory is sampled from `/proc/<pid>/status` (VmRSS, VmHWM).
 *
 * ```sh
 * deno run --allow-all scripts/persistence_bench.ts [--groups=10000] [--families=10] \
 *   [--series=1] [--concurrency=6] [--interval=2s] [--measure-seconds=10] \
 *   [--disable-consistency-check]
 * ```
 *
 * @module
 */

import { parseArgs } from "@std/cli/parse-args";
import { basename, join } from "@std/path";
import { type RunningGateway, startGateway } from "../tests/helpers/gateway.ts";

interface Options {
  groups: number;
  families: number;
  series: number;
  concurrency: number;
  interval: string;
  measureSeconds: number;
  disableConsistencyCheck: boolean;
}

function parseOptions(argv: string[]): Options {
  const a = parseArgs(argv, {
    string: ["groups", "families", "series", "concurrency", "interval", "measure-seconds"],
    boolean: ["disable-consistency-check"],
    default: {
      groups: "10000",
      families: "10",
      series: "1",
      concurrency: "6",
      interval: "2s",
      "measure-seconds": "10",
    },
  });
  return {
    groups: Number(a.groups),
    families: Number(a.families),
    series: Number(a.series),
    concurrency: Number(a.concurrency),
    interval: a.interval,
    measureSeconds: Number(a["measure-seconds"]),
    disableConsistencyCheck: a["disable-consistency-check"],
  };
}

/** The body of one group's push: `families` gauges with `series` series each. */
function groupBody(group: number, families: number, series: number): string {
  let body = "";
  for (let f = 0; f < families; f++) {
    body += `# HELP bench_family_${f} Benchmark family ${f}.\n# TYPE bench_family_${f} gauge\n`;
    for (let s = 0; s < series; s++) {
      body += `bench_family_${f}{series="${s}",shard="${group % 97}"} ${group * 1000 + s}.5\n`;
    }
  }
  return body;
}

/** Memory of a process in KiB, from `/proc/<pid>/status`. */
function memoryKiB(pid: number): { rss: number; hwm: number } | undefined {
  try {
    const status = Deno.readTextFileSync(`/proc/${pid}/status`);
    const rss = Number(status.match(/^VmRSS:\s+(\d+)/m)?.[1]);
    const hwm = Number(status.match(/^VmHWM:\s+(\d+)/m)?.[1]);
    return Number.isFinite(rss) ? { rss, hwm } : undefined;
  } catch {
    return undefined;
  }
}

interface Window {
  start: number;
  end?: number;
}

/** Follows snapshot writes in `dir` through inotify. */
function watchWrites(dir: string, file: string): { windows: Window[]; close(): void } {
  const windows: Window[] = [];
  const watcher = Deno.watchFs(dir, { recursive: false });
  const prefix = basename(file) + ".in_progress.";
  (async () => {
    try {
      for await (const event of watcher) {
        const now = performance.now();
        const names = event.paths.map((p) => basename(p));
        const open = windows.at(-1);
        if (event.kind === "create" && names.some((n) => n.startsWith(prefix))) {
          if (!open || open.end !== undefined) windows.push({ start: now });
        } else if (
          open && open.end === undefined && event.kind !== "access" &&
          names.includes(basename(file)) && !names.every((n) => n.startsWith(prefix))
        ) {
          open.end = now;
        }
      }
    } catch {
      // closed
    }
  })();
  return { windows, close: () => watcher.close() };
}

function inWindow(windows: readonly Window[], from: number, to: number): boolean {
  return windows.some((w) => w.end !== undefined && from < w.end && to > w.start);
}

function stats(values: readonly number[]): string {
  if (values.length === 0) return "n=0";
  const sorted = [...values].sort((a, b) => a - b);
  const q = (p: number): number =>
    sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
  return `n=${sorted.length} p50=${q(0.5).toFixed(1)}ms p99=${q(0.99).toFixed(1)}ms max=${
    sorted.at(-1)!.toFixed(1)
  }ms`;
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

async function fill(gw: RunningGateway, o: Options): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < o.groups) {
      const g = next++;
      const res = await fetch(`${gw.url}/metrics/job/bench/group/${g}`, {
        method: "PUT",
        body: groupBody(g, o.families, o.series),
      });
      const text = await res.text();
      if (res.status !== 200) throw new Error(`push ${g}: ${res.status} ${text}`);
      if (g > 0 && g % 2000 === 0) console.log(`  filled ${g} groups`);
    }
  };
  await Promise.all(Array.from({ length: o.concurrency }, worker));
}

interface Span {
  from: number;
  to: number;
}

/**
 * Runs a push loop (and a scrape loop) for `measureSeconds` while interval
 * writes happen, then prints write times, latencies and memory.
 */
async function measure(
  gw: RunningGateway,
  dir: string,
  file: string,
  o: Options,
  withScrapes: boolean,
): Promise<void> {
  const watch = watchWrites(dir, file);
  const samples: { t: number; rss: number }[] = [];
  const sampler = setInterval(() => {
    const m = memoryKiB(gw.process.pid);
    if (m) samples.push({ t: performance.now(), rss: m.rss });
  }, 5);
  const pushes: Span[] = [];
  const scrapes: Span[] = [];
  const until = performance.now() + o.measureSeconds * 1000;
  const pushLoop = async (): Promise<void> => {
    for (let i = 0; performance.now() < until; i++) {
      const from = performance.now();
      const g = (i * 7919) % o.groups;
      const res = await fetch(`${gw.url}/metrics/job/bench/group/${g}`, {
        method: "PUT",
        body: groupBody(g, o.families, o.series),
      });
      await res.text();
      pushes.push({ from, to: performance.now() });
    }
  };
  const scrapeLoop = async (): Promise<void> => {
    while (withScrapes && performance.now() < until) {
      const from = performance.now();
      const res = await fetch(`${gw.url}/metrics`);
      await res.arrayBuffer();
      scrapes.push({ from, to: performance.now() });
    }
  };
  await Promise.all([pushLoop(), scrapeLoop()]);
  clearInterval(sampler);
  // Let a write that is still running finish before the numbers are taken.
  for (let i = 0; i < 200 && watch.windows.at(-1)?.end === undefined; i++) {
    if (watch.windows.length === 0) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  watch.close();
  const done = watch.windows.filter((w) => w.end !== undefined);
  const durations = done.map((w) => w.end! - w.start);
  const split = (list: Span[], inside: boolean): number[] =>
    list.filter((r) => inWindow(done, r.from, r.to) === inside).map((r) => r.to - r.from);
  const rssIn = samples.filter((s) => inWindow(done, s.t, s.t)).map((s) => s.rss);
  const rssOut = samples.filter((s) => !inWindow(done, s.t, s.t)).map((s) => s.rss);
  const kib = (n: number): string => `${(n / 1024).toFixed(0)} MiB`;
  console.log(`-- serving ${withScrapes ? "pushes and scrapes" : "pushes only"}:`);
  console.log(`   interval writes (${done.length}): ${stats(durations)}`);
  console.log(`   push latency, overlapping a write: ${stats(split(pushes, true))}`);
  console.log(`   push latency, no write:            ${stats(split(pushes, false))}`);
  if (withScrapes) {
    console.log(`   scrape latency, overlapping a write: ${stats(split(scrapes, true))}`);
    console.log(`   scrape latency, no write:            ${stats(split(scrapes, false))}`);
  }
  console.log(
    `   RSS max outside writes ${kib(Math.max(0, ...rssOut))}, during writes ${
      kib(Math.max(0, ...rssIn))
    }`,
  );
}

async function main(): Promise<void> {
  const o = parseOptions(Deno.args);
  const dir = await Deno.makeTempDir({ prefix: "pgw-bench-" });
  const file = join(dir, "p.db");
  const extra = o.disableConsistencyCheck ? ["--push.disable-consistency-check"] : [];
  const kib = (n: number): string => `${(n / 1024).toFixed(0)} MiB`;
  try {
    console.log(
      `store: ${o.groups} groups x ${o.families} families x ${o.series} series = ` +
        `${o.groups * o.families * o.series} series (+2 timestamp gauges per group)`,
    );

    // 1. Fill with no interval write, then time the final write of SIGTERM.
    let gw = await startGateway([
      `--persistence.file=${file}`,
      "--persistence.interval=1h",
      ...extra,
    ]);
    const fillMs = await timed(() => fill(gw, o));
    console.log(
      `fill: ${(fillMs / 1000).toFixed(1)} s (${(o.groups / fillMs * 1000).toFixed(0)} pushes/s, ` +
        `concurrency ${o.concurrency})`,
    );
    const filledMem = memoryKiB(gw.process.pid);
    const watch = watchWrites(dir, file);
    let peak = 0;
    const sampler = setInterval(() => {
      const m = memoryKiB(gw.process.pid);
      if (m) peak = Math.max(peak, m.rss);
    }, 5);
    const stopMs = await timed(() => gw.stop("SIGTERM"));
    clearInterval(sampler);
    await new Promise((r) => setTimeout(r, 100));
    watch.close();
    const size = (await Deno.stat(file)).size;
    const final = watch.windows[0];
    console.log(
      `final write on SIGTERM: SIGTERM->exit ${stopMs.toFixed(0)} ms; write (temp file ` +
        `created -> renamed) ${final?.end ? (final.end - final.start).toFixed(0) : "?"} ms; ` +
        `file ${(size / 1048576).toFixed(1)} MiB`,
    );
    console.log(
      `memory: after fill RSS ${filledMem ? kib(filledMem.rss) : "?"}, ` +
        `peak RSS during shutdown ${kib(peak)}`,
    );

    // 2. Restore, then writes every interval while pushes and scrapes run.
    const restoreStart = performance.now();
    gw = await startGateway([
      `--persistence.file=${file}`,
      `--persistence.interval=${o.interval}`,
      ...extra,
    ], {
      timeoutMs: 300_000,
    });
    console.log(`restore: spawn -> listening ${(performance.now() - restoreStart).toFixed(0)} ms`);
    const restoredMem = memoryKiB(gw.process.pid);
    for (const withScrapes of [false, true]) {
      await measure(gw, dir, file, o, withScrapes);
    }
    console.log(`memory: after restore RSS ${restoredMem ? kib(restoredMem.rss) : "?"}`);
    const hwm = memoryKiB(gw.process.pid)?.hwm ?? 0;
    await gw.stop("SIGTERM");
    console.log(`memory: VmHWM of the serving gateway ${kib(hwm)}`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

if (import.meta.main) await main();
