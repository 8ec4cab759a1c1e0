/**
 * The load generator of `deno task bench`: concurrent keep-alive pushes from
 * a separate process (`bench.ts --load-worker <spec>`), so that the measuring
 * event loop only times sequential requests.
 *
 * @module
 */

import { type Budget, groupBody, groupPath } from "./bench_lib.ts";
import { BENCH_SCRIPT, children, type Gateway, lines, log, sleep } from "./bench_process.ts";

/** What the load generator does. */
export interface LoadSpec {
  readonly url: string;
  readonly conns: number;
  /** Groups `[from, to)` are pushed round-robin. */
  readonly from: number;
  readonly to: number;
  readonly maxPushes: number;
  readonly durationMs: number;
}

/** What the load generator reports. */
export interface LoadResult {
  readonly pushes: number;
  readonly errors: number;
  readonly elapsedMs: number;
  readonly statuses: Record<string, number>;
}

/** Runs the load (in the load-generator process): `conns` keep-alive fetch loops. */
export async function runLoad(spec: LoadSpec, onStarted: () => void): Promise<LoadResult> {
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
export async function loadWorkerMain(specJson: string): Promise<void> {
  const spec = JSON.parse(specJson) as LoadSpec;
  const out = (s: string) => Deno.stdout.writeSync(new TextEncoder().encode(s + "\n"));
  const result = await runLoad(spec, () => out("started"));
  out(JSON.stringify(result));
}

/** A running load generator. */
export interface Load {
  /** Resolves once the first push completed. */
  readonly started: Promise<void>;
  readonly result: Promise<LoadResult>;
}

/** Starts a load-generator process running `spec`. */
export function startLoad(spec: LoadSpec): Load {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-net", "--quiet", BENCH_SCRIPT, "--load-worker", JSON.stringify(spec)],
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
export async function fill(
  gw: Gateway,
  from: number,
  to: number,
  conns: number,
  budget: Budget,
): Promise<void> {
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
