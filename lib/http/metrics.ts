/**
 * `GET <prefix><telemetry-path>`: every group merged per family, plus the
 * gateway's own metrics, in text 0.0.4 or protobuf as upstream negotiates,
 * gzip-compressed when the client accepts it.
 *
 * @module
 */

import { concat } from "@std/bytes/concat";
import { negotiate } from "@lib/expfmt/negotiate.ts";
import { encodeFamily, frameDelimited } from "@lib/expfmt/proto.ts";
import { renderFamilyText } from "@lib/expfmt/text_render.ts";
import { escapeMetricFamily, type EscapingScheme } from "@lib/model/escaping.ts";
import type { MetricFamily } from "@lib/model/metric.ts";
import { compareMetrics } from "@lib/store/metric_store.ts";
import type { AppContext } from "@lib/http/context.ts";

/** Rendering caches keyed by the store's merged family objects (stable until a write changes them). */
const textCache = new WeakMap<MetricFamily, string>();
const protoCache = new WeakMap<MetricFamily, Uint8Array>();

function cached<V>(cache: WeakMap<MetricFamily, V>, f: MetricFamily, make: () => V): V {
  let v = cache.get(f);
  if (v === undefined) cache.set(f, v = make());
  return v;
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
  const names = new Set([...ctx.store.familyNames(), ...own.keys()]);
  const out: MetricFamily[] = [];
  for (const name of [...names].sort()) {
    const pushed = ctx.store.mergedFamily(name);
    const mine = own.get(name);
    if (pushed && mine) {
      const metric = [...mine.metric, ...pushed.metric].sort(compareMetrics);
      out.push({ ...mine, metric });
    } else if (pushed && pushed.metric.length > 0) out.push(pushed);
    else if (mine) out.push(mine);
  }
  return out;
}

function renderText(families: MetricFamily[], scheme: EscapingScheme): string {
  let out = "";
  for (const f of families) {
    const escaped = escapeMetricFamily(f, scheme);
    out += cached(textCache, escaped, () => renderFamilyText(escaped));
  }
  return out;
}

function renderProto(families: MetricFamily[], scheme: EscapingScheme): Uint8Array<ArrayBuffer> {
  const parts = families.map((f) => {
    const escaped = escapeMetricFamily(f, scheme);
    return cached(protoCache, escaped, () => frameDelimited(encodeFamily(escaped)));
  });
  return concat(parts);
}

/** The scrape handler. */
export function metricsHandler(ctx: AppContext) {
  return (req: Request): Response => {
    let negotiated = negotiate(req.headers.get("accept"));
    // The protobuf text forms upstream can also serve are not implemented: answer text 0.0.4.
    if (negotiated.format !== "protobuf" && negotiated.format !== "text") {
      negotiated = negotiate(`text/plain;version=0.0.4;escaping=${negotiated.escaping}`);
    }
    const families = gatherFamilies(ctx);
    const body: Uint8Array<ArrayBuffer> | string = negotiated.format === "protobuf"
      ? renderProto(families, negotiated.escaping)
      : renderText(families, negotiated.escaping);
    const headers = new Headers({ "content-type": negotiated.contentType });
    if (acceptsGzip(req.headers.get("accept-encoding"))) {
      headers.set("content-encoding", "gzip");
      const stream = new Blob([body]).stream().pipeThrough(new CompressionStream("gzip"));
      return new Response(stream, { status: 200, headers });
    }
    return new Response(body, { status: 200, headers });
  };
}
