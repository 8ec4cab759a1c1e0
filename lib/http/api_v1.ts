/**
 * The JSON API under `<prefix>/api/v1/`: status, metrics, admin wipe and the
 * CORS preflight, with upstream's JSON shapes and Go's number and time forms.
 *
 * @module
 */

import { formatGoFloat } from "@lib/gocompat/format_float.ts";
import {
  type Exemplar,
  type Metric,
  METRIC_TYPE_NAMES,
  type MetricType,
} from "@lib/model/metric.ts";
import { MetricType as T } from "@lib/model/metric.ts";
import { countText, nativeHistogramBuckets } from "@lib/model/native_histogram.ts";
import { type Group, lastPushSuccessful, type StoredFamily } from "@lib/store/types.ts";
import { buildInformation } from "@lib/version.ts";
import type { AppContext } from "@lib/http/context.ts";
import { counted } from "@lib/http/instrument.ts";
import {
  formatRfc3339Nano,
  formatTimestampRfc3339Nano,
  goJson,
  sortedRecord,
} from "@lib/gocompat/go_json.ts";
import { Router } from "@lib/http/router.ts";

const CORS_HEADERS: Readonly<Record<string, string>> = {
  "access-control-allow-headers": "Accept, Authorization, Content-Type, Origin",
  "access-control-allow-methods": "GET, POST, DELETE, OPTIONS",
  "access-control-allow-origin": "*",
  "access-control-expose-headers": "Date",
  "cache-control": "no-cache, no-store, must-revalidate",
};

/** Go's `fmt.Sprint(float64)`: like the text format but `-0` stays `-0`. */
function sprint(v: number | undefined): string {
  return formatGoFloat(v ?? 0);
}

function labelsOf(m: Metric): Record<string, string> {
  const out: Record<string, string> = {};
  for (const l of m.label) out[l.name] = l.value;
  return sortedRecord(out);
}

/**
 * An exemplar (ours, not upstream's): its labels, value and, when it has one,
 * its timestamp; `le` names the classic bucket it belongs to.
 */
function encodeExemplar(e: Exemplar, le?: number): Record<string, unknown> {
  const labels: Record<string, string> = {};
  for (const l of e.label) labels[l.name] = l.value;
  return sortedRecord({
    labels: sortedRecord(labels),
    le: le === undefined ? undefined : sprint(le),
    timestamp: e.timestamp && formatTimestampRfc3339Nano(e.timestamp),
    value: sprint(e.value),
  });
}

/**
 * Adds the fields upstream's API does not have, only where the metric has
 * their data (so a metric without any encodes exactly as upstream's):
 * `created` (the created timestamp of a counter, summary or histogram),
 * `exemplar` (a counter's) and `exemplars` (a histogram's: its classic
 * buckets' exemplars with their `le`, in bucket order, then its native ones).
 */
function addOpenMetricsFields(out: Record<string, unknown>, m: Metric): void {
  const created = m.counter?.createdTimestamp ?? m.summary?.createdTimestamp ??
    m.histogram?.createdTimestamp;
  if (created) out.created = formatTimestampRfc3339Nano(created);
  if (m.counter?.exemplar) out.exemplar = encodeExemplar(m.counter.exemplar);
  const h = m.histogram;
  if (h) {
    const exemplars: Record<string, unknown>[] = [];
    for (const b of h.bucket) {
      if (b.exemplar) exemplars.push(encodeExemplar(b.exemplar, b.upperBound ?? 0));
    }
    for (const e of h.exemplars) exemplars.push(encodeExemplar(e));
    if (exemplars.length > 0) out.exemplars = exemplars;
  }
}

/**
 * One metric as upstream's `makeEncodableMetrics` writes it (keys sorted like
 * a Go map), plus our OpenMetrics fields where present.
 */
function encodeMetric(m: Metric, type: MetricType): Record<string, unknown> {
  const out: Record<string, unknown> = { labels: labelsOf(m) };
  if (type === T.SUMMARY) {
    const s = m.summary;
    const q: Record<string, string> = {};
    for (const x of s?.quantile ?? []) q[sprint(x.quantile)] = sprint(x.value);
    out.quantiles = sortedRecord(q);
    out.count = String(s?.sampleCount ?? 0);
    out.sum = sprint(s?.sampleSum);
  } else if (type === T.HISTOGRAM) {
    const h = m.histogram;
    out.sum = sprint(h?.sampleSum);
    if (h && h.negativeSpan.length + h.positiveSpan.length > 0) {
      const native = nativeHistogramBuckets(h);
      out.count = native.count;
      out.buckets = native.buckets;
    } else {
      const b: Record<string, string> = {};
      for (const x of h?.bucket ?? []) {
        b[sprint(x.upperBound)] = countText(x.cumulativeCountFloat, x.cumulativeCount);
      }
      out.buckets = sortedRecord(b);
      out.count = countText(h?.sampleCountFloat, h?.sampleCount);
    }
  } else {
    out.value = sprint(m.gauge?.value ?? m.counter?.value ?? m.untyped?.value ?? 0);
  }
  addOpenMetricsFields(out, m);
  return sortedRecord(out);
}

function encodeFamily(stored: StoredFamily): Record<string, unknown> {
  const f = stored.family;
  const out: Record<string, unknown> = {
    time_stamp: formatRfc3339Nano(stored.lastPushMs),
    type: METRIC_TYPE_NAMES[f.type],
  };
  if (f.help) out.help = f.help;
  if (f.unit) out.unit = f.unit; // ours: the OpenMetrics unit
  out.metrics = f.metric.map((m) => encodeMetric(m, f.type));
  return out;
}

/** The JSON text of each stored family (stored families are immutable, so it never goes stale). */
const familyJson = new WeakMap<StoredFamily, string>();

function familyJsonOf(stored: StoredFamily): string {
  let text = familyJson.get(stored);
  if (text === undefined) familyJson.set(stored, text = goJson(encodeFamily(stored)));
  return text;
}

/** One group as JSON text: members in Go's map order, families from the cache. */
function groupJson(group: Group): string {
  const members: [string, string][] = [
    ["labels", goJson(sortedRecord(group.labels))],
    ["last_push_successful", String(lastPushSuccessful(group))],
  ];
  for (const [name, stored] of group.families) members.push([name, familyJsonOf(stored)]);
  members.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return "{" + members.map(([k, v]) => goJson(k) + ":" + v).join(",") + "}";
}

function jsonText(text: string): Response {
  return new Response(text, {
    status: 200,
    headers: { "content-type": "application/json", ...CORS_HEADERS },
  });
}

function json(data: unknown): Response {
  return jsonText(goJson({ status: "success", data }));
}

/** Builds the API router (paths relative to `<prefix>/api/v1`), each route counted under upstream's handler label. */
export function apiRouter(ctx: AppContext): Router {
  const router = new Router()
    .on(
      "OPTIONS",
      "/*path",
      counted(
        ctx,
        "api/v1/options",
        () => new Response(null, { status: 200, headers: CORS_HEADERS }),
      ),
    )
    .on(
      "GET",
      "/status",
      counted(ctx, "api/v1/status", () =>
        json({
          build_information: sortedRecord(buildInformation(ctx.buildInfo)),
          flags: sortedRecord(ctx.config.flagValues),
          start_time: formatRfc3339Nano(ctx.startTimeMs),
        })),
    )
    .on(
      "GET",
      "/metrics",
      counted(
        ctx,
        "api/v1/metrics",
        () =>
          jsonText(
            '{"status":"success","data":[' + ctx.store.view.groups().map(groupJson).join(",") +
              "]}",
          ),
      ),
    );
  if (ctx.config.enableAdminApi) {
    router.on(
      "PUT",
      "/admin/wipe",
      counted(ctx, "wipe", async () => {
        await ctx.store.submit({ kind: "wipe" });
        return new Response(null, { status: 202 });
      }),
    );
  }
  return router;
}
