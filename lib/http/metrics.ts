/**
 * `GET <prefix><telemetry-path>`: every group merged per family, plus the
 * gateway's own metrics, in text 0.0.4 or protobuf as upstream negotiates
 * (with `--web.enable-openmetrics`, OpenMetrics too, as promhttp negotiates
 * with `EnableOpenMetrics`), gzip-compressed when the client accepts it.
 * `GET <prefix>/-/metrics`: the gateway's own metrics alone, negotiated alike
 * (with the shared store, the telemetry path serves the pushed groups alone:
 * the own metrics differ per replica).
 *
 * The rendered and compressed bytes are kept between scrapes, per format and
 * escaping scheme, in an {@linkcode ExpositionCache}: a scrape after a write
 * renders and compresses only the runs of series the write touched.
 *
 * @module
 */

import {
  negotiate,
  type NegotiatedWithOpenMetrics,
  negotiateIncludingOpenMetrics,
  type OpenMetricsAwareFormat,
} from "@lib/expfmt/negotiate.ts";
import type { EscapingScheme } from "@lib/model/escaping.ts";
import type { MetricFamily } from "@lib/model/metric.ts";
import { compareMetrics } from "@lib/store/merged_view.ts";
import type { AppContext } from "@lib/http/context.ts";
import { ExpositionCache, type ScrapeBody, type ScrapeFamily } from "@lib/http/scrape_cache.ts";
import { rendererFor } from "@lib/http/scrape_formats.ts";

/** True when `Accept-Encoding` allows gzip (q > 0). */
export function acceptsGzip(header: string | null): boolean {
  if (!header) return false;
  for (const part of header.split(",")) {
    const [coding, ...params] = part.trim().split(";");
    if (coding?.trim().toLowerCase() !== "gzip") continue;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith("q="));
    return q === undefined || Number(q.slice(2)) > 0;
  }
  return false;
}

/** Which families a scrape serves: all, the pushed groups only, or the gateway's own only. */
export type ScrapeContent = "all" | "pushed" | "own";

/**
 * The families to expose, sorted by name, own and pushed ones merged. The
 * gateway's own families are volatile (new objects on every call); a pushed
 * family is the store's merged family, or a merge of it with an own family of
 * the same name, whose pushed series are the store's objects.
 */
export function gatherFamilies(ctx: AppContext, content: ScrapeContent = "all"): ScrapeFamily[] {
  const own = new Map(
    content === "pushed" ? [] : ctx.self.collect().map((f): [string, MetricFamily] => [f.name, f]),
  );
  const view = ctx.store.view;
  const names = new Set([...(content === "own" ? [] : view.familyNames()), ...own.keys()]);
  const out: ScrapeFamily[] = [];
  for (const name of [...names].sort()) {
    const pushed = content === "own" ? undefined : view.mergedFamily(name);
    const mine = own.get(name);
    if (pushed && mine) {
      const metric = [...mine.metric, ...pushed.metric].sort(compareMetrics);
      out.push({ family: { ...mine, metric }, volatile: false });
    } else if (pushed && pushed.metric.length > 0) out.push({ family: pushed, volatile: false });
    else if (mine) out.push({ family: mine, volatile: true });
  }
  return out;
}

/** How many format and scheme combinations keep a cache (the least recently used goes). */
const MAX_CACHES = 4;

/** Bytes per chunk the body stream hands to the server (each chunk costs a write). */
const CHUNK_BYTES = 64 * 1024;

/**
 * A body over the cached parts. Parts are small (a gzip piece is a few
 * kilobytes), and every chunk the stream hands out costs the server a write,
 * so consecutive small parts are copied together into chunks of about
 * {@linkcode CHUNK_BYTES}, one chunk per pull: only the chunks in flight are
 * ever copied, never the whole exposition.
 */
function partsStream(parts: readonly Uint8Array[]): ReadableStream<Uint8Array<ArrayBuffer>> {
  let i = 0;
  return new ReadableStream({
    pull(controller) {
      if (i >= parts.length) {
        controller.close();
        return;
      }
      const first = parts[i++] as Uint8Array<ArrayBuffer>;
      let size = first.length;
      let end = i;
      while (end < parts.length && size + parts[end]!.length <= CHUNK_BYTES) {
        size += parts[end++]!.length;
      }
      if (end === i) {
        controller.enqueue(first);
        return;
      }
      const chunk = new Uint8Array(size);
      chunk.set(first);
      let at = first.length;
      for (; i < end; i++) {
        chunk.set(parts[i]!, at);
        at += parts[i]!.length;
      }
      controller.enqueue(chunk);
    },
  });
}

/**
 * The scrape handler, serving `content`. OpenMetrics is on offer when
 * `ctx.config.enableOpenMetrics` is set (`--web.enable-openmetrics`); its
 * versions 1.0.0 and 0.0.1 share one cache (the same bytes under another
 * Content-Type).
 */
export function metricsHandler(
  ctx: AppContext,
  content: ScrapeContent = "all",
): (req: Request) => Response {
  const negotiator: (accept: string | null) => NegotiatedWithOpenMetrics =
    ctx.config.enableOpenMetrics === true ? negotiateIncludingOpenMetrics : negotiate;
  const caches = new Map<string, ExpositionCache>();
  const cacheFor = (format: OpenMetricsAwareFormat, scheme: EscapingScheme): ExpositionCache => {
    const key = format + " " + scheme;
    let cache = caches.get(key);
    if (cache !== undefined) caches.delete(key); // re-inserted last: most recently used
    else cache = new ExpositionCache(rendererFor(format), scheme);
    caches.set(key, cache);
    if (caches.size > MAX_CACHES) caches.delete(caches.keys().next().value as string);
    return cache;
  };
  return (req: Request): Response => {
    const negotiated = negotiator(req.headers.get("accept"));
    const cache = cacheFor(negotiated.format, negotiated.escaping);
    const families = gatherFamilies(ctx, content);
    const headers = new Headers({ "content-type": negotiated.contentType });
    let body: ScrapeBody;
    if (acceptsGzip(req.headers.get("accept-encoding"))) {
      headers.set("content-encoding", "gzip");
      body = cache.gzip(families);
    } else {
      body = cache.identity(families);
    }
    return new Response(partsStream(body.parts), { status: 200, headers });
  };
}
