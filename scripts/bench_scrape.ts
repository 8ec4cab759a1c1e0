/**
 * Scrapes as Prometheus makes them, for the bench: Prometheus' own `Accept`
 * headers (2.42's, the one Debian ships, and 3.x's; docs/clients.md §3) with
 * `Accept-Encoding: gzip`, timed to the last byte of the **raw** compressed
 * body. Deno's `fetch` always decompresses, so the client is `node:http`,
 * which hands over the bytes as they came; they are decompressed afterwards,
 * outside the timing, to check what they hold.
 *
 * @module
 */

import http from "node:http";
import { gunzipSync } from "node:zlib";
import { concat } from "@std/bytes/concat";
import { type Budget, summarize } from "./bench_lib.ts";
import type { GatewayResults } from "./bench_phases.ts";
import { cpuMsOf, type Gateway, log, MIB } from "./bench_process.ts";

/** The `Accept` headers of the Prometheus versions the bench scrapes as. */
export const PROMETHEUS_ACCEPT = {
  /** Prometheus 2.34–2.48 (Debian bookworm ships 2.42): OpenMetrics first, text 0.0.4 at q=0.5. */
  "2.42":
    "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1",
  /** Prometheus 3.4 and later with UTF-8 names (the 3.x default). */
  "3.x":
    "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,application/openmetrics-text;version=0.0.1;q=0.5,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2",
} as const;

/** A Prometheus version the bench scrapes as. */
export type PrometheusVersion = keyof typeof PROMETHEUS_ACCEPT;

/** How a version appears in figure names. */
export const VERSION_TAGS: Readonly<Record<PrometheusVersion, string>> = {
  "2.42": "p242",
  "3.x": "p3",
};

/** One scrape as the wire carried it. */
export interface RawScrape {
  /** From sending the request to the last byte of the body, in ms. */
  readonly ms: number;
  readonly status: number;
  /** `Content-Encoding`, when any. */
  readonly encoding: string | undefined;
  /** `Content-Type`, when any. */
  readonly contentType: string | undefined;
  /** Bytes of the body as sent (compressed when encoded). */
  readonly wireBytes: number;
  /** Bytes of the body once decompressed. */
  readonly plainBytes: number;
}

/** One keep-alive connection per scraper, as Prometheus keeps one per target. */
export function scrapeAgent(): http.Agent {
  return new http.Agent({ keepAlive: true, maxSockets: 1 });
}

/**
 * GETs `url` with `headers` over `agent` without decoding the body; times
 * it to the last byte, then gunzips a gzip body (not timed).
 *
 * @throws When the body claims gzip and does not decompress.
 */
export function rawScrape(
  url: string,
  headers: Record<string, string>,
  agent: http.Agent,
): Promise<RawScrape> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = http.get(url, { headers, agent }, (res) => {
      const chunks: Uint8Array[] = [];
      res.on("data", (c: Uint8Array) => chunks.push(c));
      res.on("error", reject);
      res.on("end", () => {
        const ms = performance.now() - t0;
        try {
          const body = concat(chunks);
          const encoding = res.headers["content-encoding"];
          const plainBytes = encoding === "gzip" ? gunzipSync(body).length : body.length;
          resolve({
            ms,
            status: res.statusCode ?? 0,
            encoding,
            contentType: res.headers["content-type"],
            wireBytes: body.length,
            plainBytes,
          });
        } catch (err) {
          reject(new Error(`${url}: body does not decompress: ${err}`));
        }
      });
    });
    req.on("error", reject);
  });
}

/** The headers of a Prometheus scrape: its `Accept`, gzip, and the scrape timeout header. */
export function prometheusHeaders(version: PrometheusVersion): Record<string, string> {
  return {
    "accept": PROMETHEUS_ACCEPT[version],
    "accept-encoding": "gzip",
    "x-prometheus-scrape-timeout-seconds": "10",
  };
}

/** Sequential Prometheus-style scrapes and what they carried. */
export interface ScrapeRun {
  /** Times to the last raw byte, in ms. */
  readonly ms: number[];
  /** Compressed bytes of the last scrape. */
  readonly wireBytes: number;
  /** Decompressed bytes of the last scrape. */
  readonly plainBytes: number;
}

/**
 * Times up to `n` sequential scrapes of `url` as Prometheus `version` makes
 * them (at least one, then until `ms` have passed), each optionally preceded
 * by `before` (not timed, e.g. a one-group push). Every answer must be a 200
 * gzip body that decompresses to `plainBytes(expected)` within `tolerance`
 * (the gateway's own metrics move between scrapes), of the given Content-Type.
 */
export async function prometheusScrapes(
  url: string,
  version: PrometheusVersion,
  opts: {
    readonly n: number;
    readonly ms: number;
    readonly before?: () => Promise<void>;
    /** Expected decompressed size (e.g. the identity scrape's); checked when given. */
    readonly expectBytes?: number;
    readonly tolerance?: number;
    /** The answers' Content-Type must match this, when given. */
    readonly contentType?: RegExp;
  },
): Promise<ScrapeRun> {
  const agent = scrapeAgent();
  const headers = prometheusHeaders(version);
  const out: number[] = [];
  let last: RawScrape | undefined;
  const end = performance.now() + opts.ms;
  try {
    for (let k = 0; k < opts.n && (k < 1 || performance.now() < end); k++) {
      await opts.before?.();
      last = await rawScrape(url, headers, agent);
      if (last.status !== 200) throw new Error(`${url}: answered ${last.status}`);
      if (last.encoding !== "gzip") throw new Error(`${url}: not gzip (${last.encoding})`);
      if (opts.contentType && !opts.contentType.test(last.contentType ?? "")) {
        throw new Error(`${url}: answered ${last.contentType}`);
      }
      const want = opts.expectBytes;
      if (
        want !== undefined && Math.abs(last.plainBytes - want) > want * (opts.tolerance ?? 0.01)
      ) {
        throw new Error(`${url}: gzip body holds ${last.plainBytes} bytes, identity ${want}`);
      }
      out.push(last.ms);
    }
  } finally {
    agent.destroy();
  }
  return { ms: out, wireBytes: last?.wireBytes ?? 0, plainBytes: last?.plainBytes ?? 0 };
}

/**
 * The Prometheus scrapes of one store level, for each version: sequential
 * scrapes of the unchanged store, then each right after a one-group push
 * (`pushOne`, not timed). Figures (per version tag `v`, level `tag`):
 * `prom_<v>_ms_<tag>` and `prom_<v>_after_push_ms_<tag>` (p50, ms to the last
 * raw byte), `prom_<v>_cpu_ms_<tag>` (gateway CPU per scrape) and
 * `prom_<v>_after_push_cpu_ms_<tag>` (per push + scrape), and the sizes
 * `prom_gzip_bytes_<tag>` and `prom_plain_bytes_<tag>` (2.42's last scrape).
 * Every body must decompress to the identity scrape's size (within 1%).
 */
export async function prometheusScrapePhase(
  gw: Gateway,
  tag: string,
  identityBytes: number,
  sizes: { readonly n: number; readonly ms: number },
  budget: Budget,
  res: GatewayResults,
  pushOne: () => Promise<void>,
): Promise<void> {
  const f = res.figures;
  const url = gw.url + "/metrics";
  for (const version of Object.keys(PROMETHEUS_ACCEPT) as PrometheusVersion[]) {
    const v = VERSION_TAGS[version];
    for (const afterPush of [false, true]) {
      const name = afterPush ? `prom_${v}_after_push` : `prom_${v}`;
      const cpu0 = await cpuMsOf(gw.pid);
      const run = await prometheusScrapes(url, version, {
        n: sizes.n,
        ms: budget.slice(sizes.ms),
        before: afterPush ? pushOne : undefined,
        expectBytes: identityBytes,
      });
      f[`${name}_cpu_ms_${tag}`] = ((await cpuMsOf(gw.pid)) - cpu0) / run.ms.length;
      const s = summarize(run.ms);
      res.details[`${name}_ms_${tag}`] = s;
      f[`${name}_ms_${tag}`] = s.p50;
      if (version === "2.42" && !afterPush) {
        f[`prom_gzip_bytes_${tag}`] = run.wireBytes;
        f[`prom_plain_bytes_${tag}`] = run.plainBytes;
      }
      log(
        `  ${gw.kind} @ ${tag}: Prometheus ${version} gzip scrape${
          afterPush ? " right after a push" : ""
        } p50 ${s.p50.toFixed(1)} ms (n=${s.n}), ${(run.wireBytes / MIB).toFixed(2)} MiB → ${
          (run.plainBytes / MIB).toFixed(2)
        } MiB`,
      );
    }
  }
}

/** Untimed push + scrape pairs before the OpenMetrics row is timed. */
const WARM_UP = 10;

/** The Content-Type of an OpenMetrics 1.0.0 answer. */
const OPENMETRICS_1 = /^application\/openmetrics-text; version=1\.0\.0;/;

/**
 * The OpenMetrics row, on a gateway started with `--web.enable-openmetrics`:
 * Prometheus 2.42 scrapes (OpenMetrics first, gzip), each right after a
 * one-group push (`pushOne`, not timed), after an identity scrape (its size
 * is the check) and a few untimed pairs. Figures (level `tag`):
 * `prom_p242_om_after_push_ms_<tag>` (p50, ms to the last raw byte),
 * `prom_p242_om_after_push_cpu_ms_<tag>` (gateway CPU per push + scrape), and
 * `prom_om_gzip_bytes_<tag>`, `prom_om_plain_bytes_<tag>`. Every answer must
 * be OpenMetrics 1.0.0 and decompress to the identity OpenMetrics scrape's
 * size (within 1%).
 */
export async function openMetricsScrapePhase(
  gw: Gateway,
  tag: string,
  sizes: { readonly n: number; readonly ms: number },
  budget: Budget,
  res: GatewayResults,
  pushOne: () => Promise<void>,
): Promise<void> {
  const f = res.figures;
  const url = gw.url + "/metrics";
  const agent = scrapeAgent();
  let identity: RawScrape;
  try {
    const headers = { ...prometheusHeaders("2.42"), "accept-encoding": "identity" };
    identity = await rawScrape(url, headers, agent);
    // Untimed warm-up, as the text rows have had on their process: the first gzip scrape
    // compresses every run, and the OpenMetrics code is not yet compiled.
    for (let k = 0; k < WARM_UP; k++) {
      await pushOne();
      await rawScrape(url, prometheusHeaders("2.42"), agent);
    }
  } finally {
    agent.destroy();
  }
  if (!OPENMETRICS_1.test(identity.contentType ?? "")) {
    throw new Error(`${url}: not OpenMetrics (${identity.contentType}); flag missing?`);
  }
  const cpu0 = await cpuMsOf(gw.pid);
  const run = await prometheusScrapes(url, "2.42", {
    n: sizes.n,
    ms: budget.slice(sizes.ms),
    before: pushOne,
    expectBytes: identity.plainBytes,
    contentType: OPENMETRICS_1,
  });
  f[`prom_p242_om_after_push_cpu_ms_${tag}`] = ((await cpuMsOf(gw.pid)) - cpu0) / run.ms.length;
  const s = summarize(run.ms);
  res.details[`prom_p242_om_after_push_ms_${tag}`] = s;
  f[`prom_p242_om_after_push_ms_${tag}`] = s.p50;
  f[`prom_om_gzip_bytes_${tag}`] = run.wireBytes;
  f[`prom_om_plain_bytes_${tag}`] = run.plainBytes;
  log(
    `  ${gw.kind} @ ${tag}: Prometheus 2.42 OpenMetrics gzip scrape right after a push p50 ${
      s.p50.toFixed(1)
    } ms (n=${s.n}), ${(run.wireBytes / MIB).toFixed(2)} MiB → ${
      (run.plainBytes / MIB).toFixed(2)
    } MiB`,
  );
}
