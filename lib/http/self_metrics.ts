/**
 * The gateway's own metrics: `pushgateway_build_info`, the HTTP request
 * counter, the push duration and size summaries, and the `process_*` metrics
 * this runtime can report honestly (on Linux, from `/proc/self`, as client_golang).
 *
 * @module
 */

import { parseNetstatOctets } from "@lib/http/proc_netstat.ts";
import { type Metric, type MetricFamily, MetricType } from "@lib/model/metric.ts";
import type { OwnFamily } from "@lib/store/store.ts";
import type { BuildInfo } from "@lib/version.ts";

/** The labels of `pushgateway_build_info`. */
export interface BuildLabels {
  branch: string;
  goarch: string;
  goos: string;
  goversion: string;
  revision: string;
  tags: string;
  version: string;
}

/** The `pushgateway_build_info` labels of a build (the runtime in `goversion`). */
export function buildLabels(info: BuildInfo): BuildLabels {
  return {
    branch: info.branch,
    goarch: info.goarch,
    goos: info.goos,
    goversion: info.goVersion,
    revision: info.revision,
    tags: info.tags,
    version: info.version,
  };
}

const BUILD_INFO_HELP =
  "A metric with a constant '1' value labeled by version, revision, branch, goversion from which pushgateway was built, and the goos and goarch for the build.";
const REQUESTS_HELP = "Total HTTP requests processed by the Pushgateway, excluding scrapes.";
const DURATION_HELP = "HTTP request duration for pushes to the Pushgateway.";
const SIZE_HELP = "HTTP request size for pushes to the Pushgateway.";

/**
 * Every family the gateway exposes itself, with type and help (pushes must agree with them).
 * Upstream's store rewrites the help of pushed families named like the families its registry
 * gathers at start (build info, `process_*`); the request families have no series then, so
 * client_golang's gatherer refuses a push with another help instead.
 */
export const OWN_FAMILIES: ReadonlyMap<string, OwnFamily> = new Map<string, OwnFamily>([
  ["pushgateway_build_info", {
    type: MetricType.GAUGE,
    help: BUILD_INFO_HELP,
    otherHelp: "rewrite",
  }],
  ["pushgateway_http_requests_total", {
    type: MetricType.COUNTER,
    help: REQUESTS_HELP,
    otherHelp: "refuse",
  }],
  ["pushgateway_http_push_duration_seconds", {
    type: MetricType.SUMMARY,
    help: DURATION_HELP,
    otherHelp: "refuse",
  }],
  ["pushgateway_http_push_size_bytes", {
    type: MetricType.SUMMARY,
    help: SIZE_HELP,
    otherHelp: "refuse",
  }],
  ["process_cpu_seconds_total", {
    type: MetricType.COUNTER,
    help: "Total user and system CPU time spent in seconds.",
    otherHelp: "rewrite",
  }],
  ["process_open_fds", {
    type: MetricType.GAUGE,
    help: "Number of open file descriptors.",
    otherHelp: "rewrite",
  }],
  ["process_max_fds", {
    type: MetricType.GAUGE,
    help: "Maximum number of open file descriptors.",
    otherHelp: "rewrite",
  }],
  ["process_virtual_memory_bytes", {
    type: MetricType.GAUGE,
    help: "Virtual memory size in bytes.",
    otherHelp: "rewrite",
  }],
  ["process_virtual_memory_max_bytes", {
    type: MetricType.GAUGE,
    help: "Maximum amount of virtual memory available in bytes.",
    otherHelp: "rewrite",
  }],
  ["process_resident_memory_bytes", {
    type: MetricType.GAUGE,
    help: "Resident memory size in bytes.",
    otherHelp: "rewrite",
  }],
  ["process_start_time_seconds", {
    type: MetricType.GAUGE,
    help: "Start time of the process since unix epoch in seconds.",
    otherHelp: "rewrite",
  }],
  ["process_network_receive_bytes_total", {
    type: MetricType.COUNTER,
    help: "Number of bytes received by the process over the network.",
    otherHelp: "rewrite",
  }],
  ["process_network_transmit_bytes_total", {
    type: MetricType.COUNTER,
    help: "Number of bytes sent by the process over the network.",
    otherHelp: "rewrite",
  }],
]);

/**
 * The gateway's own families: {@linkcode OWN_FAMILIES} plus those other parts
 * contribute through a {@linkcode Collector} (what the store is built with, so
 * pushes must agree with them all).
 *
 * @param extra The families of each other part.
 * @returns The merged map.
 * @throws {Error} When two sources name the same family.
 */
export function withOwnFamilies(
  ...extra: ReadonlyMap<string, OwnFamily>[]
): ReadonlyMap<string, OwnFamily> {
  const all = new Map(OWN_FAMILIES);
  for (const families of extra) {
    for (const [name, family] of families) {
      if (all.has(name)) throw new Error(`own metric family ${name} is defined twice`);
      all.set(name, family);
    }
  }
  return all;
}

const QUANTILES = [0.1, 0.5, 0.9] as const;
const WINDOW_MS = 10 * 60 * 1000;
const AGE_BUCKETS = 5;
const SAMPLES_PER_BUCKET = 2048;

/**
 * A summary like client_golang's with `MaxAge` 10 minutes and 5 age buckets:
 * quantiles over the last 10 minutes (exact over a bounded reservoir per age
 * bucket), count and sum over all time.
 */
class WindowedSummary {
  count = 0;
  sum = 0;
  readonly #buckets: { start: number; seen: number; samples: number[] }[] = [];

  observe(v: number, now: number): void {
    this.count++;
    this.sum += v;
    const span = WINDOW_MS / AGE_BUCKETS;
    let head = this.#buckets[this.#buckets.length - 1];
    if (!head || now - head.start >= span) {
      head = { start: now, seen: 0, samples: [] };
      this.#buckets.push(head);
      while (this.#buckets.length > AGE_BUCKETS) this.#buckets.shift();
    }
    head.seen++;
    if (head.samples.length < SAMPLES_PER_BUCKET) head.samples.push(v);
    else {
      const j = Math.floor(Math.random() * head.seen);
      if (j < SAMPLES_PER_BUCKET) head.samples[j] = v;
    }
  }

  quantiles(now: number): { quantile: number; value: number }[] {
    const live = this.#buckets.filter((b) => now - b.start < WINDOW_MS).flatMap((b) => b.samples);
    live.sort((a, b) => a - b);
    return QUANTILES.map((q) => ({
      quantile: q,
      value: live.length === 0
        ? NaN
        : live[Math.min(live.length - 1, Math.max(0, Math.ceil(q * live.length) - 1))] as number,
    }));
  }
}

/** Clock ticks per second of `/proc/self/stat`'s times (`USER_HZ`, 100 on Linux; client_golang's too). */
const USER_HZ = 100;

/**
 * The CPU time (user and system, seconds) in the fields of `/proc/self/stat`
 * after the command name: `utime` and `stime` are its 14th and 15th fields.
 */
export function statCpuSeconds(fields: readonly string[]): number | undefined {
  const ticks = Number(fields[11]) + Number(fields[12]);
  return Number.isFinite(ticks) ? ticks / USER_HZ : undefined;
}

/**
 * `node:process`'s `cpuUsage`, for where `/proc/self/stat` cannot be read
 * (not Linux, or the release's permissions: Deno refuses `/proc/self` to
 * all but `--allow-all`). Loaded with the first collection that needs it
 * ({@linkcode SelfMetrics.prepare}): importing any `node:` module starts
 * Deno's Node.js compatibility layer, about 30 ms of every start.
 */
let nodeCpuUsage: (() => { user: number; system: number }) | undefined;
let nodeCpuUsageLoading: Promise<void> | undefined;

function loadNodeCpuUsage(): Promise<void> {
  nodeCpuUsageLoading ??= import("node:process").then((m) => void (nodeCpuUsage = m.cpuUsage));
  return nodeCpuUsageLoading;
}

/** The CPU time from `node:process`, once loaded. */
function nodeCpuSeconds(): number | undefined {
  if (nodeCpuUsage === undefined) return undefined;
  const cpu = nodeCpuUsage();
  return (cpu.user + cpu.system) / 1e6;
}

/** Reads a Linux /proc file, or undefined elsewhere. */
function readProc(path: string): string | undefined {
  try {
    return Deno.readTextFileSync(path);
  } catch {
    return undefined;
  }
}

/** A source of more own families (e.g. the store's), called at every collection. */
export type Collector = () => MetricFamily[];

/** Collects and renders the gateway's own metrics. */
export class SelfMetrics {
  readonly #build: BuildLabels;
  readonly #startSeconds: number;
  readonly #requests = new Map<string, number>();
  readonly #durations = new Map<string, WindowedSummary>();
  readonly #sizes = new Map<string, WindowedSummary>();
  readonly #now: () => number;
  readonly #extra: readonly Collector[];
  /** Whether `/proc/self/stat` could be read (undefined until tried). */
  #procStat: boolean | undefined;

  /**
   * Creates the collector; `now` returns epoch milliseconds; `extra` adds
   * families of other parts (their names must be among the store's own families).
   */
  constructor(build: BuildLabels, now: () => number = Date.now, extra: readonly Collector[] = []) {
    this.#build = build;
    this.#now = now;
    this.#extra = extra;
    this.#startSeconds = (performance.timeOrigin) / 1000;
  }

  /**
   * What {@linkcode collect} needs loaded first: a promise while the CPU
   * time must come from `node:process` and it is not loaded yet (this call
   * starts loading it), else undefined. The scrape handler awaits it.
   */
  prepare(): Promise<void> | undefined {
    if (nodeCpuUsage !== undefined) return undefined;
    this.#procStat ??= readProc("/proc/self/stat") !== undefined;
    return this.#procStat ? undefined : loadNodeCpuUsage();
  }

  /** Counts one request of an instrumented handler. */
  countRequest(handler: string, method: string, code: number): void {
    const m = method.toLowerCase();
    const known = ["get", "put", "post", "delete", "options", "patch", "head", "connect", "trace"];
    const key = `${code}\u0000${handler}\u0000${known.includes(m) ? m : "unknown"}`;
    this.#requests.set(key, (this.#requests.get(key) ?? 0) + 1);
  }

  /** Records one push's duration (seconds) and approximate request size (bytes). */
  observePush(method: string, seconds: number, sizeBytes: number): void {
    const m = method.toLowerCase();
    const now = this.#now();
    let d = this.#durations.get(m);
    if (!d) this.#durations.set(m, d = new WindowedSummary());
    d.observe(seconds, now);
    let s = this.#sizes.get(m);
    if (!s) this.#sizes.set(m, s = new WindowedSummary());
    s.observe(sizeBytes, now);
  }

  /** The current families (families without series are left out, as upstream). */
  collect(): MetricFamily[] {
    const out: MetricFamily[] = [];
    const own = (name: string, metric: Metric[]): void => {
      if (metric.length === 0) return;
      const f = OWN_FAMILIES.get(name) as OwnFamily;
      out.push({ name, help: f.help, type: f.type, metric });
    };
    const b = this.#build;
    own("pushgateway_build_info", [{
      label: (Object.keys(b) as (keyof BuildLabels)[]).sort().map((k) => ({
        name: k,
        value: b[k],
      })),
      gauge: { value: 1 },
    }]);
    own(
      "pushgateway_http_requests_total",
      [...this.#requests].map(([key, value]) => {
        const [code, handler, method] = key.split("\u0000") as [string, string, string];
        return {
          label: [{ name: "code", value: code }, { name: "handler", value: handler }, {
            name: "method",
            value: method,
          }],
          counter: { value },
        };
      }),
    );
    const now = this.#now();
    const summaries = (m: Map<string, WindowedSummary>): Metric[] =>
      [...m].map(([method, s]) => ({
        label: [{ name: "method", value: method }],
        summary: { sampleCount: s.count, sampleSum: s.sum, quantile: s.quantiles(now) },
      }));
    own("pushgateway_http_push_duration_seconds", summaries(this.#durations));
    own("pushgateway_http_push_size_bytes", summaries(this.#sizes));
    this.#process(own);
    for (const collect of this.#extra) out.push(...collect());
    return out;
  }

  #process(own: (name: string, metric: Metric[]) => void): void {
    const gauge = (name: string, value: number | undefined): void => {
      if (value !== undefined && Number.isFinite(value)) {
        own(name, [{ label: [], gauge: { value } }]);
      }
    };
    // /proc/self is readable only with broad permissions; without it these are left out.
    const stat = readProc("/proc/self/stat");
    const fields = stat?.slice(stat.lastIndexOf(")") + 2).split(" ");
    // Without /proc/self/stat, node:process's clock (left out until prepare() has loaded it).
    const cpuSeconds = fields ? statCpuSeconds(fields) : nodeCpuSeconds();
    if (cpuSeconds !== undefined) {
      own("process_cpu_seconds_total", [{ label: [], counter: { value: cpuSeconds } }]);
    }
    let openFds: number | undefined;
    try {
      openFds = [...Deno.readDirSync("/proc/self/fd")].length;
    } catch { /* not Linux */ }
    gauge("process_open_fds", openFds);
    const limits = readProc("/proc/self/limits");
    const maxFds = limits?.match(/^Max open files\s+(\d+)/m)?.[1];
    gauge("process_max_fds", maxFds === undefined ? undefined : Number(maxFds));
    gauge("process_resident_memory_bytes", Deno.memoryUsage().rss);
    if (fields) gauge("process_virtual_memory_bytes", Number(fields[20]));
    const maxVm = limits?.match(/^Max address space\s+(\S+)/m)?.[1];
    if (maxVm !== undefined) {
      gauge("process_virtual_memory_max_bytes", maxVm === "unlimited" ? 2 ** 64 : Number(maxVm));
    }
    gauge("process_start_time_seconds", this.#startSeconds);
    // As client_golang: the network namespace's IpExt octets, both left out when unreadable.
    const netstat = readProc("/proc/self/net/netstat");
    const octets = netstat === undefined ? undefined : parseNetstatOctets(netstat);
    if (octets) {
      own("process_network_receive_bytes_total", [{
        label: [],
        counter: { value: octets.receiveBytes },
      }]);
      own("process_network_transmit_bytes_total", [{
        label: [],
        counter: { value: octets.transmitBytes },
      }]);
    }
  }
}
