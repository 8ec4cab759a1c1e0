/**
 * The heap probe of `deno task bench`: in a child process started with
 * `--v8-flags=--expose-gc` (`bench.ts --heap-probe <groups>`), the same
 * parse → store → render path without sockets, with the V8 heap measured
 * after each stage.
 *
 * @module
 */

import { groupBody, SERIES_PER_GROUP } from "./bench_lib.ts";
import { BENCH_SCRIPT, log, sleep } from "./bench_process.ts";
import { TEXT_ACCEPT } from "./bench_phases.ts";

export interface HeapProbe {
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

/** The probe process's entry: measures `groups` groups and prints a {@linkcode HeapProbe} as JSON. */
export async function heapProbeMain(groups: number): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error("run with --v8-flags=--expose-gc");
  const { parseText } = await import("@lib/expfmt/text_parse.ts");
  const { StoreState } = await import("@lib/store/state.ts");
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
  const store = new StoreState(OWN_FAMILIES);
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

/** Runs the probe in a child process; `undefined` when it fails. */
export async function runHeapProbe(
  groups: number,
  v8Flags: string,
): Promise<HeapProbe | undefined> {
  const flags = ["--expose-gc", ...(v8Flags ? v8Flags.split(",") : [])].join(",");
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-all",
      "--quiet",
      `--v8-flags=${flags}`,
      BENCH_SCRIPT,
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
