/**
 * Shared helpers of the interop tests: a real Prometheus server scraping a
 * gateway on 127.0.0.1 (its samples, exemplars and metadata read back through
 * its HTTP API), and a small reader of `/metrics`.
 *
 * @module
 */

import { freePort } from "./gateway.ts";

/** Path of Debian's Prometheus server. */
export const PROMETHEUS_BIN = "/usr/bin/prometheus";

/** Folder of the interop test data (scripts, sources, config templates). */
export const INTEROP_DATA = new URL("../testdata/interop/", import.meta.url);

/** Fetches `url` and returns its body as text, failing on a non-2xx answer. */
export async function getText(url: string, headers: Record<string, string> = {}): Promise<string> {
  const res = await fetch(url, { headers });
  const text = await res.text();
  if (!res.ok) throw new Error(`GET ${url}: ${res.status} ${text}`);
  return text;
}

/** Removes a directory tree, ignoring a missing one. */
export async function removeTree(path: string): Promise<void> {
  try {
    await Deno.remove(path, { recursive: true });
  } catch { /* already gone */ }
}

/** One element of an instant-vector query result. */
export interface PromSample {
  readonly metric: Record<string, string>;
  /** The sample value as Prometheus prints it (`"1.5"`, `"+Inf"`, `"NaN"`). */
  readonly value: string;
}

/** One active target as `/api/v1/targets` reports it. */
export interface PromTarget {
  readonly labels: Record<string, string>;
  readonly scrapeUrl: string;
  readonly health: string;
  readonly lastError: string;
}

/** One series' exemplars as `/api/v1/query_exemplars` reports them. */
export interface PromExemplars {
  readonly seriesLabels: Record<string, string>;
  readonly exemplars: readonly {
    readonly labels: Record<string, string>;
    /** The value as Prometheus prints it. */
    readonly value: string;
    /** Seconds since the epoch. */
    readonly timestamp: number;
  }[];
}

/** A metric's metadata as `/api/v1/metadata` reports it. */
export interface PromMetadata {
  readonly type: string;
  readonly help: string;
  readonly unit: string;
}

/** A running Prometheus server. */
export interface RunningPrometheus {
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  /** stderr lines seen so far. */
  readonly logs: string[];
  /** Runs an instant query (`/api/v1/query`) and returns the vector result. */
  query(expr: string): Promise<PromSample[]>;
  /** The active targets (`/api/v1/targets`). */
  targets(): Promise<PromTarget[]>;
  /** The exemplars of `expr`'s series from `start` to `end` (`/api/v1/query_exemplars`, seconds). */
  exemplars(expr: string, start: number, end: number): Promise<PromExemplars[]>;
  /** The metadata of every metric family scraped so far (`/api/v1/metadata`), by family name. */
  metadata(): Promise<Record<string, PromMetadata[]>>;
  /** Stops the server with SIGTERM (SIGKILL if it hangs) and removes its files. */
  stop(): Promise<Deno.CommandStatus>;
}

/** Options of {@linkcode startPrometheus}. */
export interface PrometheusOptions {
  /** Scrape interval as Prometheus writes it (default `1s`). */
  readonly scrapeInterval?: string;
  /** Readiness polls of 200 ms before giving up (default 300, i.e. about a minute). */
  readonly readyAttempts?: number;
  /** More command-line arguments, e.g. `["--enable-feature=exemplar-storage"]`. */
  readonly args?: readonly string[];
}

interface PromApiAnswer<T> {
  status: string;
  error?: string;
  data: T;
}

async function promApi<T>(url: string): Promise<T> {
  const res = await fetch(url);
  const body = await res.json() as PromApiAnswer<T>;
  if (!res.ok || body.status !== "success") {
    throw new Error(`${url}: ${res.status} ${body.error ?? JSON.stringify(body)}`);
  }
  return body.data;
}

/** Collects the lines of `stream` into `sink` until it ends. */
async function collectLines(stream: ReadableStream<Uint8Array>, sink: string[]): Promise<void> {
  let buf = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    buf += chunk;
    const lines = buf.split("\n");
    buf = lines.pop() ?? "";
    sink.push(...lines);
  }
  if (buf) sink.push(buf);
}

/** Renders `tests/testdata/interop/prometheus.yml.tmpl` for one scrape target. */
export async function prometheusConfig(target: string, scrapeInterval: string): Promise<string> {
  const template = await Deno.readTextFile(new URL("prometheus.yml.tmpl", INTEROP_DATA));
  return template.replaceAll("@TARGET@", target).replaceAll("@INTERVAL@", scrapeInterval);
}

/**
 * Starts Prometheus on a free loopback port with a temporary config scraping
 * `target` (`host:port`) as job `pushgateway` with `honor_labels: true`, and a
 * temporary TSDB; waits until `/-/ready` answers.
 */
export async function startPrometheus(
  target: string,
  options: PrometheusOptions = {},
): Promise<RunningPrometheus> {
  const dir = await Deno.makeTempDir({ prefix: "pgw-interop-prom-" });
  try {
    const config = `${dir}/prometheus.yml`;
    await Deno.writeTextFile(
      config,
      await prometheusConfig(target, options.scrapeInterval ?? "1s"),
    );
    let lastLogs: string[] = [];
    for (let attempt = 0; attempt < 3; attempt++) {
      const started = await tryStart(dir, config, options.readyAttempts ?? 300, options.args ?? []);
      if ("url" in started) return started;
      lastLogs = started.logs;
    }
    throw new Error(`prometheus did not become ready:\n${lastLogs.join("\n")}`);
  } catch (err) {
    await removeTree(dir);
    throw err;
  }
}

async function tryStart(
  dir: string,
  config: string,
  readyAttempts: number,
  extraArgs: readonly string[],
): Promise<RunningPrometheus | { logs: string[] }> {
  const port = freePort();
  const url = `http://127.0.0.1:${port}`;
  const storage = await Deno.makeTempDir({ dir, prefix: "tsdb-" });
  const process = new Deno.Command(PROMETHEUS_BIN, {
    args: [
      `--config.file=${config}`,
      `--storage.tsdb.path=${storage}`,
      `--web.listen-address=127.0.0.1:${port}`,
      "--log.level=info",
      ...extraArgs,
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const logs: string[] = [];
  const pumps = Promise.all([
    collectLines(process.stdout, logs),
    collectLines(process.stderr, logs),
  ]);
  let exited = false;
  const status = process.status.then(async (s) => {
    exited = true;
    await pumps;
    return s;
  });
  const stop = async (): Promise<Deno.CommandStatus> => {
    try {
      process.kill("SIGTERM");
    } catch { /* already gone */ }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const hung = new Promise<void>((r) => (timer = setTimeout(r, 30_000)));
    await Promise.race([status, hung]);
    clearTimeout(timer);
    if (!exited) {
      try {
        process.kill("SIGKILL");
      } catch { /* gone */ }
    }
    const s = await status;
    await removeTree(dir);
    return s;
  };
  for (let i = 0; i < readyAttempts && !exited; i++) {
    try {
      const res = await fetch(`${url}/-/ready`);
      await res.body?.cancel();
      if (res.ok && !exited) {
        return {
          url,
          logs,
          query: async (expr) =>
            (await promApi<
              {
                resultType: string;
                result: { metric: Record<string, string>; value: [number, string] }[];
              }
            >(
              `${url}/api/v1/query?query=${encodeURIComponent(expr)}`,
            )).result.map((r) => ({ metric: r.metric, value: r.value[1] })),
          targets: async () =>
            (await promApi<{ activeTargets: PromTarget[] }>(`${url}/api/v1/targets?state=active`))
              .activeTargets,
          exemplars: (expr, start, end) =>
            promApi<PromExemplars[]>(
              `${url}/api/v1/query_exemplars?query=${
                encodeURIComponent(expr)
              }&start=${start}&end=${end}`,
            ),
          metadata: () => promApi<Record<string, PromMetadata[]>>(`${url}/api/v1/metadata`),
          stop,
        };
      }
    } catch { /* not yet */ }
    await new Promise((r) => setTimeout(r, 200));
  }
  // Not ready: stop this process (its directory is reused by the next attempt).
  try {
    process.kill("SIGKILL");
  } catch { /* gone */ }
  await status;
  await removeTree(storage);
  return { logs };
}

/** A temporary file tree that is removed by {@linkcode TempTree.remove}. */
export interface TempTree {
  readonly path: string;
  /** Writes `text` to `name` inside the tree and returns its path. */
  write(name: string, text: string): Promise<string>;
  remove(): Promise<void>;
}

/** Makes a temporary directory for one test. */
export async function tempTree(prefix: string): Promise<TempTree> {
  const path = await Deno.makeTempDir({ prefix });
  return {
    path,
    async write(name, text) {
      const file = `${path}/${name}`;
      await Deno.writeTextFile(file, text);
      return file;
    },
    remove: () => removeTree(path),
  };
}
