/**
 * The heap probe of `deno task bench`: in a child process started with
 * `--v8-flags=--expose-gc` (`bench.ts --heap-probe <groups>`), the same
 * parse → store → render path without sockets, with the V8 heap measured
 * after each stage (heap used plus external memory, where ArrayBuffer contents
 * such as the cached scrape bytes live).
 *
 * @module
 */

import { groupBody, SERIES_PER_GROUP } from "./bench_lib.ts";
import { BENCH_SCRIPT, log, sleep } from "./bench_process.ts";
import { TEXT_ACCEPT } from "./bench_phases.ts";
import { prometheusHeaders } from "./bench_scrape.ts";

export interface HeapProbe {
  groups: number;
  series: number;
  heapBaseline: number;
  heapBodies: number;
  heapStore: number;
  heapMerged: number;
  /** After a gzip scrape as Prometheus 2.42 makes it (the deflated runs cached). */
  heapGzip: number;
  /** After an identity scrape as well (the rendered bytes kept too). */
  heapRendered: number;
  rssStore: number;
  rssRendered: number;
  externalRendered: number;
  /** The cold gzip scrape. */
  gzipMs: number;
  /** The identity scrape after it (renders the runs again, keeps their bytes). */
  renderMs: number;
  bytesPerSeries: {
    bodies: number;
    store: number;
    merged: number;
    gzipCache: number;
    renderCache: number;
  };
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
    // ArrayBuffer contents (cached scrape bytes) live outside the V8 heap: count them too.
    const mu = Deno.memoryUsage();
    return mu.heapUsed + mu.external;
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
  const ctx = { store: { view: store }, self, config: {} } as unknown as Parameters<
    typeof metricsHandler
  >[0];
  const handler = metricsHandler(ctx);
  let t0 = performance.now();
  const gz = await handler(new Request("http://x/metrics", { headers: prometheusHeaders("2.42") }));
  await gz.arrayBuffer();
  const gzipMs = performance.now() - t0;
  const heapGzip = await heap();
  t0 = performance.now();
  const res = await handler(new Request("http://x/metrics", { headers: { accept: TEXT_ACCEPT } }));
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
    heapGzip,
    heapRendered,
    rssStore,
    rssRendered: mu.rss,
    externalRendered: mu.external,
    gzipMs,
    renderMs,
    bytesPerSeries: {
      bodies: bodiesBytes / series,
      store: (heapStore - heapBaseline) / series,
      merged: (heapMerged - heapStore) / series,
      gzipCache: (heapGzip - heapMerged) / series,
      renderCache: (heapRendered - heapGzip) / series,
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
