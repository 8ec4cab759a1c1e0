/**
 * `GET <prefix><telemetry-path>`: every group merged per family, plus the
 * gateway's own metrics, in text 0.0.4 or protobuf as upstream negotiates,
 * gzip-compressed when the client accepts it.
 *
 * @module
 */

import { type ExpositionFormat, negotiate } from "@lib/expfmt/negotiate.ts";
import { encodeFamily, frameDelimited } from "@lib/protobuf/encode.ts";
import { renderFamilyText } from "@lib/expfmt/text_render.ts";
import { escapeMetricFamily, type EscapingScheme } from "@lib/model/escaping.ts";
import type { MetricFamily } from "@lib/model/metric.ts";
import { compareMetrics } from "@lib/store/merged_view.ts";
import type { AppContext } from "@lib/http/context.ts";

/**
 * Rendered bytes keyed by the store's merged family objects (stable until a
 * write changes them) and the escaping scheme. Keying by the unescaped family
 * means a cached scrape does not even look at the series (escaping scans every
 * label), and caching bytes means a scrape neither concatenates nor UTF-8
 * encodes the whole exposition.
 */
const textCache = new WeakMap<MetricFamily, Map<EscapingScheme, Uint8Array<ArrayBuffer>>>();
const protoCache = new WeakMap<MetricFamily, Map<EscapingScheme, Uint8Array<ArrayBuffer>>>();
const utf8 = new TextEncoder();

function rendered(
  cache: WeakMap<MetricFamily, Map<EscapingScheme, Uint8Array<ArrayBuffer>>>,
  f: MetricFamily,
  scheme: EscapingScheme,
  render: (escaped: MetricFamily) => Uint8Array<ArrayBuffer>,
): Uint8Array<ArrayBuffer> {
  let byScheme = cache.get(f);
  if (byScheme === undefined) cache.set(f, byScheme = new Map());
  let bytes = byScheme.get(scheme);
  if (bytes === undefined) byScheme.set(scheme, bytes = render(escapeMetricFamily(f, scheme)));
  return bytes;
}

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

/** All families to expose, sorted by name, own and pushed ones merged. */
export function gatherFamilies(ctx: AppContext): MetricFamily[] {
  const own = new Map(ctx.self.collect().map((f) => [f.name, f]));
  const view = ctx.store.view;
  const names = new Set([...view.familyNames(), ...own.keys()]);
  const out: MetricFamily[] = [];
  for (const name of [...names].sort()) {
    const pushed = view.mergedFamily(name);
    const mine = own.get(name);
    if (pushed && mine) {
      const metric = [...mine.metric, ...pushed.metric].sort(compareMetrics);
      out.push({ ...mine, metric });
    } else if (pushed && pushed.metric.length > 0) out.push(pushed);
    else if (mine) out.push(mine);
  }
  return out;
}

function renderParts(
  families: MetricFamily[],
  scheme: EscapingScheme,
  format: ExpositionFormat,
): Uint8Array<ArrayBuffer>[] {
  return format === "text"
    ? families.map((f) =>
      rendered(
        textCache,
        f,
        scheme,
        (e) => utf8.encode(renderFamilyText(e)) as Uint8Array<ArrayBuffer>,
      )
    )
    : families.map((f) =>
      rendered(
        protoCache,
        f,
        scheme,
        (e) => frameDelimited(encodeFamily(e)) as Uint8Array<ArrayBuffer>,
      )
    );
}

/** A body that hands out the cached parts one by one: no copy of the whole exposition per scrape. */
function partsStream(parts: Uint8Array<ArrayBuffer>[]): ReadableStream<Uint8Array<ArrayBuffer>> {
  let i = 0;
  return new ReadableStream({
    pull(controller) {
      while (i < parts.length && (parts[i] as Uint8Array).length === 0) i++;
      if (i < parts.length) controller.enqueue(parts[i++] as Uint8Array<ArrayBuffer>);
      else controller.close();
    },
  });
}

/** The scrape handler. */
export function metricsHandler(ctx: AppContext) {
  return (req: Request): Response => {
    const negotiated = negotiate(req.headers.get("accept"));
    const families = gatherFamilies(ctx);
    const parts = renderParts(families, negotiated.escaping, negotiated.format);
    const headers = new Headers({ "content-type": negotiated.contentType });
    if (acceptsGzip(req.headers.get("accept-encoding"))) {
      headers.set("content-encoding", "gzip");
      const stream = partsStream(parts).pipeThrough(new CompressionStream("gzip"));
      return new Response(stream, { status: 200, headers });
    }
    return new Response(partsStream(parts), { status: 200, headers });
  };
}
