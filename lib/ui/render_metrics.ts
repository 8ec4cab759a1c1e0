/**
 * HTML for one group's metric families: each family a collapsible panel
 * with its help, type and last push time, and a Labels | Value table whose
 * value cell shows counters, gauges and untyped values directly, summaries
 * as quantiles with count and sum, classic histograms as `≤ bound` buckets
 * and native histograms as bucket ranges. Where a family or series has them
 * (OpenMetrics or protobuf pushes), its unit, exemplars and created
 * timestamps are shown too; without them the HTML is what it was before
 * they existed. Pure; everything escaped.
 *
 * @module
 */

import { formatGoFloat } from "@lib/gocompat/format_float.ts";
import {
  type Exemplar,
  type Histogram,
  type LabelPair,
  type Metric,
  METRIC_TYPE_NAMES,
  MetricType,
  type Timestamp,
} from "@lib/model/metric.ts";
import { countText, nativeHistogramBuckets } from "@lib/model/native_histogram.ts";
import type { StoredFamily } from "@lib/store/types.ts";
import { formatRfc3339Nano, formatTimestampRfc3339Nano } from "@lib/gocompat/go_json.ts";
import { escapeHtml } from "@lib/ui/html.ts";
import { labelText } from "@lib/ui/group_path.ts";

/**
 * Formats `v` as Go's `strconv.FormatFloat(v, 'f', -1, 64)` (upstream's UI
 * `value` function): the shortest round-tripping digits, never an exponent.
 *
 * @param v The number.
 * @returns `1700000000.5`, `0.0000001`, `NaN`, `+Inf`, `-Inf`, `-0`, …
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * assertEquals(formatFixedFloat(1.7e9), "1700000000");
 * assertEquals(formatFixedFloat(1e-7), "0.0000001");
 * ```
 */
export function formatFixedFloat(v: number): string {
  if (v !== v) return "NaN";
  if (v === Infinity) return "+Inf";
  if (v === -Infinity) return "-Inf";
  if (v === 0) return Object.is(v, -0) ? "-0" : "0";
  const sign = v < 0 ? "-" : "";
  const [mantissa, expText] = Math.abs(v).toExponential().split("e") as [string, string];
  const digits = mantissa.replace(".", "");
  const exp = Number(expText);
  if (exp < 0) return `${sign}0.${"0".repeat(-exp - 1)}${digits}`;
  if (exp >= digits.length - 1) return sign + digits + "0".repeat(exp - digits.length + 1);
  return `${sign}${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
}

/**
 * Go's `time.RFC3339` text (whole seconds, local zone) of epoch milliseconds.
 *
 * @param ms Epoch milliseconds.
 * @returns E.g. `2023-11-14T22:13:20Z`.
 */
export function formatRfc3339(ms: number): string {
  return formatRfc3339Nano(Math.floor(ms / 1000) * 1000);
}

/** A label badge: job, instance and other labels get their own colours. */
export function labelBadge(name: string, value: string): string {
  const kind = name === "job" ? " job" : name === "instance" ? " instance" : "";
  return `<span class="lbl${kind}">${escapeHtml(labelText(name, value))}</span>`;
}

function labelsCell(labels: readonly LabelPair[]): string {
  return labels.map((l) => labelBadge(l.name, l.value)).join(" ");
}

function row(head: string, value: string): string {
  return `<tr><th scope="row">${head}</th><td>${escapeHtml(value)}</td></tr>`;
}

/**
 * An exemplar as text, OpenMetrics-like: `{trace_id="abc"} 0.5 @ <time>`
 * (the time only when it has one). Not HTML-escaped.
 *
 * @param e The exemplar.
 * @returns The text.
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * assertEquals(exemplarText({ label: [{ name: "trace_id", value: "a" }], value: 0.5 }), '{trace_id="a"} 0.5');
 * ```
 */
export function exemplarText(e: Exemplar): string {
  const labels = e.label.map((l) => labelText(l.name, l.value)).join(", ");
  const time = e.timestamp ? ` @ ${formatTimestampRfc3339Nano(e.timestamp)}` : "";
  return `{${labels}} ${formatFixedFloat(e.value ?? 0)}${time}`;
}

function createdRow(ts: Timestamp | undefined): string {
  return ts ? row("Created", formatTimestampRfc3339Nano(ts)) : "";
}

/** True when the histogram has native (sparse) buckets or native-only fields. */
function isNative(h: Histogram): boolean {
  return h.schema !== undefined || h.zeroThreshold !== undefined ||
    h.positiveSpan.length + h.negativeSpan.length > 0;
}

const OPEN: Readonly<Record<number, [string, string]>> = {
  0: ["(", "]"],
  1: ["[", ")"],
  2: ["(", ")"],
  3: ["[", "]"],
};

function histogramTable(h: Histogram): string {
  let rows = "";
  for (const b of h.bucket) {
    const bound = escapeHtml(formatFixedFloat(b.upperBound ?? 0));
    rows += row(
      `Sample values &le; ${bound}`,
      countText(b.cumulativeCountFloat, b.cumulativeCount),
    );
    if (b.exemplar) rows += row(`Exemplar &le; ${bound}`, exemplarText(b.exemplar));
  }
  for (const e of h.exemplars) rows += row("Exemplar", exemplarText(e));
  let count = countText(h.sampleCountFloat, h.sampleCount);
  if (isNative(h)) {
    const native = nativeHistogramBuckets(h);
    count = native.count;
    for (const [rule, lower, upper, n] of native.buckets) {
      const [l, r] = OPEN[rule] ?? ["(", "]"];
      rows += row(`Bucket ${escapeHtml(`${l}${lower}, ${upper}${r}`)}`, n);
    }
    rows += row("Schema", String(h.schema ?? 0));
    rows += row("Zero threshold", formatGoFloat(h.zeroThreshold ?? 0));
  }
  rows += row("Total sample Count", count);
  rows += row("Sample Sum", formatFixedFloat(h.sampleSum ?? 0));
  rows += createdRow(h.createdTimestamp);
  return `<table class="inner">${rows}</table>`;
}

/** The value cell of one series. */
export function valueCell(m: Metric, type: MetricType): string {
  if (m.summary && type === MetricType.SUMMARY) {
    let rows = "";
    for (const q of m.summary.quantile) {
      rows += row(
        `Quantile ${escapeHtml(formatGoFloat(q.quantile ?? 0))}`,
        formatFixedFloat(q.value ?? 0),
      );
    }
    rows += row("Sample Count", String(m.summary.sampleCount ?? 0));
    rows += row("Sample Sum", formatFixedFloat(m.summary.sampleSum ?? 0));
    rows += createdRow(m.summary.createdTimestamp);
    return `<table class="inner">${rows}</table>`;
  }
  if (m.histogram) return histogramTable(m.histogram);
  const v = m.gauge?.value ?? m.counter?.value ?? m.untyped?.value ?? 0;
  const value = `<span class="val">${escapeHtml(formatFixedFloat(v))}</span>`;
  const c = m.counter;
  const extra = (c?.exemplar ? row("Exemplar", exemplarText(c.exemplar)) : "") +
    createdRow(c?.createdTimestamp);
  return extra === "" ? value : `${value}<table class="inner">${extra}</table>`;
}

/**
 * One family as a collapsed `<details>` panel; `id` identifies it for the
 * remembered-open state in the browser.
 *
 * @param name Family name.
 * @param stored The stored family.
 * @param id A page-unique, stable identifier.
 * @returns The HTML.
 */
export function renderFamily(name: string, stored: StoredFamily, id: string): string {
  const f = stored.family;
  const type = METRIC_TYPE_NAMES[f.type] ?? "UNTYPED";
  const help = f.help ? ` <span class="help">${escapeHtml(f.help)}</span>` : "";
  const unit = f.unit ? ` <span class="unit">unit: ${escapeHtml(f.unit)}</span>` : "";
  const pushed = formatRfc3339(stored.lastPushMs);
  let rows = "";
  for (const m of f.metric) {
    rows += `<tr><td class="labels">${labelsCell(m.label)}</td><td>${
      valueCell(m, f.type)
    }</td></tr>`;
  }
  return `<details class="family" data-id="${escapeHtml(id)}"><summary>` +
    `<span class="fname">${escapeHtml(name)}</span>` +
    ` <span class="type t-${type.toLowerCase()}">${type}</span>${unit}${help}` +
    ` <span class="pushed">last pushed: <time datetime="${pushed}">${pushed}</time></span>` +
    `</summary><div class="family-body"><table class="samples"><thead><tr><th>Labels</th>` +
    `<th>Value</th></tr></thead><tbody>${rows}</tbody></table></div></details>`;
}

/**
 * All families of a group, sorted by name.
 *
 * @param families The group's families by name.
 * @param groupId The group's identifier; families get `<groupId>#<name>`.
 * @returns The HTML.
 */
export function renderFamilies(
  families: ReadonlyMap<string, StoredFamily>,
  groupId: string,
): string {
  const names = [...families.keys()].sort();
  let out = "";
  for (const name of names) {
    out += renderFamily(name, families.get(name) as StoredFamily, `${groupId}#${name}`);
  }
  return out;
}
