/**
 * Process plumbing of `deno task bench`: the run's log, starting and stopping
 * gateway processes (ours or Debian's reference) on loopback ports, and
 * reading their memory and CPU time from `/proc`.
 *
 * @module
 */

import { dirname } from "@std/path";
import { TextLineStream } from "@std/streams/text-line-stream";
import { freePort } from "../tests/helpers/gateway.ts";
import { type BenchOptions, parseProcStatCpuMs, parseProcStatus } from "./bench_lib.ts";
import { V8_FLAGS } from "./release_lib.ts";

const ROOT = new URL("../", import.meta.url);
const DEFAULT_MAIN = new URL("main.ts", ROOT).pathname;
/** The bench entry point, which child processes run with `--load-worker` or `--heap-probe`. */
export const BENCH_SCRIPT = new URL("./bench.ts", import.meta.url).pathname;

/** Which gateway a figure belongs to. */
export type Kind = "ours" | "oursV8" | "upstream";

/** Bytes in a MiB. */
export const MIB = 1024 * 1024;

/** When the run started (`performance.now()`). */
export const START = performance.now();

/** Writes a progress line, stamped with the seconds since the start, to stderr. */
export function log(msg: string): void {
  const t = ((performance.now() - START) / 1000).toFixed(1).padStart(6);
  console.error(`[${t}s] ${msg}`);
}

/** Sleeps; only to let time pass between measurements. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

// ---------------------------------------------------------------------------
// Processes

/** Every child still running, so an interrupted run kills them. */
export const children = new Set<Deno.ChildProcess>();

/** Kills (SIGKILL) every child still running. */
export function killAll(): void {
  for (const c of children) {
    try {
      c.kill("SIGKILL");
    } catch { /* gone */ }
  }
}

/** A child's output as lines. */
export function lines(stream: ReadableStream<Uint8Array>): ReadableStream<string> {
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
export interface Gateway {
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
export interface GatewaySpec {
  readonly kind: Kind;
  /** V8 flags (ours only). */
  readonly v8Flags?: string;
  /** `--persistence.file=` value ("" for none). */
  readonly persistenceFile: string;
  /** Upstream: `--push.disable-consistency-check`. */
  readonly unchecked?: boolean;
  /** Ours: `--cpu-prof` into this directory. */
  readonly cpuProfDir?: string;
  /** More flags (e.g. `--storage.postgres-url=…`). */
  readonly args?: readonly string[];
  /** Ours: this entry point instead of `--main`'s (e.g. a baseline checkout). */
  readonly main?: string;
}

/**
 * Starts a gateway as `spec` says on a free loopback port and waits until
 * `/-/ready` answers 200 (the time that took is `readyMs`); retries on
 * another port when it does not come up.
 */
export async function spawnGateway(spec: GatewaySpec, opts: BenchOptions): Promise<Gateway> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = freePort();
    const listen = `--web.listen-address=127.0.0.1:${port}`;
    const common = [listen, `--persistence.file=${spec.persistenceFile}`, "--log.level=warn"];
    if (spec.unchecked) common.push("--push.disable-consistency-check");
    common.push(...spec.args ?? []);
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
      // The flags the release and `deno task start` run with, then the variant's.
      const v8 = [...V8_FLAGS, ...spec.v8Flags ? spec.v8Flags.split(",") : []];
      if (v8.length > 0) runtime.push(`--v8-flags=${v8.join(",")}`);
      if (spec.cpuProfDir) runtime.push("--cpu-prof", `--cpu-prof-dir=${spec.cpuProfDir}`);
      const main = spec.main || opts.main || DEFAULT_MAIN;
      cmd = new Deno.Command(Deno.execPath(), {
        args: [...runtime, main, ...common],
        // Deno finds the deno.json (import map, unstable flags) from the working directory, so
        // another checkout's gateway runs from its own directory.
        cwd: dirname(main),
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

/** Resident and peak resident memory of a process, in bytes. */
export async function memoryOf(pid: number): Promise<{ rss: number; hwm: number }> {
  return parseProcStatus(await Deno.readTextFile(`/proc/${pid}/status`));
}

/** CPU time (user + system) a process has used so far, in ms. */
export async function cpuMsOf(pid: number): Promise<number> {
  return parseProcStatCpuMs(await Deno.readTextFile(`/proc/${pid}/stat`));
}

/** Resets the peak RSS (`VmHWM`) of a process; false when the kernel refuses. */
export async function resetPeak(pid: number): Promise<boolean> {
  try {
    await Deno.writeTextFile(`/proc/${pid}/clear_refs`, "5");
    return true;
  } catch {
    return false;
  }
}
