/**
 * The snapshot decoder's fast path: group lines in the common shape keep the objects `JSON.parse`
 * made. Anything else is left to the validating decoder in `snapshot_decode.ts`.
 *
 * @module
 */

import type { Group, GroupingLabels, GroupTtl, StoredFamily } from "@lib/store/types.ts";
import {
  type Bucket,
  classicHistogram,
  emptyHistogram,
  type Histogram,
  type LabelPair,
  type Metric,
  type MetricFamily,
  type Timestamp,
} from "@lib/model/metric.ts";
import {
  assignDefined,
  decodeNumber,
  isObject,
  type Json,
  TYPES_BY_NAME,
} from "@lib/store/snapshot.ts";

/**
 * The common shapes of a group line (every field known and of the right
 * type, every number a plain JSON number, every repeated field the decoder
 * must not add present) are checked cheaply and the objects `JSON.parse`
 * made are kept as the model's objects, without a copy. Anything else — an
 * unknown field, a special number, a missing label list, a wrong type —
 * makes the fast path give up, and the line is decoded again by the
 * validating decoder above, which reports errors with their path. The fast
 * path only ever rewrites the parsed objects into equivalent ones (a label
 * pair by an equal pair, a classic histogram by its model form), so the
 * second decode gives what a single one would have.
 */

/** Returns the pooled string equal to `s`, pooling `s` when it is new. */
function intern(pool: Map<string, string>, s: string): string {
  const pooled = pool.get(s);
  if (pooled !== undefined) return pooled;
  pool.set(s, s);
  return s;
}

/**
 * Checks the numeric field `key` of `o`; an encoded special value (`"+Inf"`,
 * `"NaN"`, …) is replaced in place by its number. Absent is fine when `optional`.
 */
function fixNum(o: Json, key: string, optional: boolean): boolean {
  const v = o[key];
  if (typeof v === "number") return true;
  if (v === undefined) return optional;
  const n = decodeNumber(v);
  if (n === undefined) return false;
  o[key] = n;
  return true;
}

/**
 * Checks a label list; with `grouping`, pairs equal to a grouping label (or
 * to `instance=""`) are replaced by one shared pair per line (`shared`).
 */
function fastLabels(
  v: unknown,
  grouping: Json | undefined,
  shared: Map<string, LabelPair> | undefined,
): boolean {
  if (!Array.isArray(v)) return false;
  for (let i = 0; i < v.length; i++) {
    const p = v[i];
    if (!isObject(p)) return false;
    for (const k in p) if (k !== "name" && k !== "value") return false;
    const name = p.name, value = p.value;
    if (typeof name !== "string" || typeof value !== "string") return false;
    if (shared === undefined) continue;
    const s = shared.get(name);
    if (s !== undefined) {
      if (s.value === value) v[i] = s;
    } else if (
      (name === "instance" && value === "") ||
      (Object.hasOwn(grouping as Json, name) && (grouping as Json)[name] === value)
    ) {
      shared.set(name, p as unknown as LabelPair);
    }
  }
  return true;
}

function fastTimestamp(v: unknown): boolean {
  if (!isObject(v)) return false;
  for (const k in v) if (k !== "seconds" && k !== "nanos") return false;
  return fixNum(v, "seconds", false) && fixNum(v, "nanos", false);
}

function fastExemplar(v: unknown): boolean {
  if (!isObject(v)) return false;
  let hasLabel = false;
  for (const k in v) {
    switch (k) {
      case "label":
        if (!fastLabels(v.label, undefined, undefined)) return false;
        hasLabel = true;
        break;
      case "value":
        if (!fixNum(v, "value", false)) return false;
        break;
      case "timestamp":
        if (!fastTimestamp(v.timestamp)) return false;
        break;
      default:
        return false;
    }
  }
  return hasLabel;
}

function fastValue(v: unknown): boolean {
  if (!isObject(v)) return false;
  for (const k in v) if (k !== "value") return false;
  return fixNum(v, "value", true);
}

function fastCounter(v: unknown): boolean {
  if (!isObject(v)) return false;
  for (const k in v) {
    switch (k) {
      case "value":
        if (!fixNum(v, "value", false)) return false;
        break;
      case "exemplar":
        if (!fastExemplar(v.exemplar)) return false;
        break;
      case "createdTimestamp":
        if (!fastTimestamp(v.createdTimestamp)) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

function fastSummary(v: unknown): boolean {
  if (!isObject(v)) return false;
  let hasQuantile = false;
  for (const k in v) {
    switch (k) {
      case "sampleCount":
      case "sampleSum":
        if (!fixNum(v, k, false)) return false;
        break;
      case "quantile": {
        const qs = v.quantile;
        if (!Array.isArray(qs)) return false;
        for (const q of qs) {
          if (!isObject(q)) return false;
          for (const qk in q) if (qk !== "quantile" && qk !== "value") return false;
          if (!fixNum(q, "quantile", true) || !fixNum(q, "value", true)) return false;
        }
        hasQuantile = true;
        break;
      }
      case "createdTimestamp":
        if (!fastTimestamp(v.createdTimestamp)) return false;
        break;
      default:
        return false;
    }
  }
  return hasQuantile;
}

function fastBucket(v: unknown): boolean {
  if (!isObject(v)) return false;
  for (const k in v) {
    switch (k) {
      case "cumulativeCount":
      case "cumulativeCountFloat":
      case "upperBound":
        if (!fixNum(v, k, false)) return false;
        break;
      case "exemplar":
        if (!fastExemplar(v.exemplar)) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

/** A classic histogram in its model form, or `undefined` for anything else (native buckets included). */
function fastHistogram(v: unknown): Histogram | undefined {
  if (!isObject(v)) return undefined;
  for (const k in v) {
    switch (k) {
      case "sampleCount":
      case "sampleCountFloat":
      case "sampleSum":
        if (!fixNum(v, k, false)) return undefined;
        break;
      case "bucket": {
        const bs = v.bucket;
        if (!Array.isArray(bs)) return undefined;
        for (const b of bs) if (!fastBucket(b)) return undefined;
        break;
      }
      case "createdTimestamp":
        if (!fastTimestamp(v.createdTimestamp)) return undefined;
        break;
      default:
        return undefined;
    }
  }
  const bucket = (v.bucket ?? []) as Bucket[];
  const sampleCount = v.sampleCount as number | undefined;
  const sampleSum = v.sampleSum as number | undefined;
  if (
    sampleCount !== undefined && sampleSum !== undefined &&
    v.sampleCountFloat === undefined && v.createdTimestamp === undefined
  ) {
    return classicHistogram(sampleCount, sampleSum, bucket); // the usual shape
  }
  return assignDefined<Histogram>({ ...emptyHistogram(), bucket }, {
    sampleCount,
    sampleCountFloat: v.sampleCountFloat as number | undefined,
    sampleSum,
    createdTimestamp: v.createdTimestamp as Timestamp | undefined,
  });
}

function fastMetric(m: unknown, grouping: Json, shared: Map<string, LabelPair>): boolean {
  if (!isObject(m)) return false;
  let hasLabel = false;
  for (const k in m) {
    switch (k) {
      case "label":
        if (!fastLabels(m.label, grouping, shared)) return false;
        hasLabel = true;
        break;
      case "gauge":
      case "untyped":
        if (!fastValue(m[k])) return false;
        break;
      case "counter":
        if (!fastCounter(m.counter)) return false;
        break;
      case "summary":
        if (!fastSummary(m.summary)) return false;
        break;
      case "histogram": {
        const h = fastHistogram(m.histogram);
        if (h === undefined) return false;
        m.histogram = h;
        break;
      }
      case "timestampMs":
        if (!fixNum(m, "timestampMs", false)) return false;
        break;
      default:
        return false;
    }
  }
  return hasLabel;
}

function fastFamily(
  v: unknown,
  grouping: Json,
  shared: Map<string, LabelPair>,
  pool: Map<string, string>,
): StoredFamily | undefined {
  if (!isObject(v)) return undefined;
  for (const k in v) {
    switch (k) {
      case "name":
      case "help":
      case "type":
      case "unit":
      case "lastPushMs":
      case "metric":
        break;
      default:
        return undefined;
    }
  }
  if (!fixNum(v, "lastPushMs", false)) return undefined;
  const name = v.name, help = v.help, unit = v.unit, lastPushMs = v.lastPushMs as number;
  if (typeof name !== "string") return undefined;
  if (help !== undefined && typeof help !== "string") return undefined;
  if (unit !== undefined && typeof unit !== "string") return undefined;
  const type = typeof v.type === "string" ? TYPES_BY_NAME.get(v.type) : undefined;
  if (type === undefined) return undefined;
  let metric = v.metric as Metric[] | undefined;
  if (metric === undefined) metric = [];
  else if (!Array.isArray(metric)) return undefined;
  for (let i = 0; i < metric.length; i++) {
    if (!fastMetric(metric[i], grouping, shared)) return undefined;
  }
  const family: MetricFamily = help === undefined
    ? { name: intern(pool, name), type, metric }
    : { name: intern(pool, name), help: intern(pool, help), type, metric };
  if (unit !== undefined) family.unit = unit;
  return { family, lastPushMs };
}

/** The group of a line in the common shape, or `undefined` to decode it the validating way. */
export function fastGroup(
  v: unknown,
  pool: Map<string, string>,
  version: number,
): Group | undefined {
  if (!isObject(v)) return undefined;
  for (const k in v) {
    if (k !== "labels" && k !== "families" && (k !== "ttl" || version < 2)) return undefined;
  }
  const ttl = v.ttl === undefined ? undefined : fastTtl(v.ttl);
  if (ttl === null) return undefined;
  const labels = v.labels, list = v.families;
  if (!isObject(labels) || !Array.isArray(list)) return undefined;
  for (const k in labels) if (typeof labels[k] !== "string") return undefined;
  const shared = new Map<string, LabelPair>();
  const families = new Map<string, StoredFamily>();
  for (let i = 0; i < list.length; i++) {
    const stored = fastFamily(list[i], labels, shared, pool);
    if (stored === undefined || families.has(stored.family.name)) return undefined;
    families.set(stored.family.name, stored);
  }
  const group = { labels: labels as GroupingLabels, families };
  return ttl === undefined ? group : { ...group, ttl };
}

/** A group's `ttl` in the common shape, or null to give up. */
function fastTtl(v: unknown): GroupTtl | null {
  if (!isObject(v) || typeof v.fromHeader !== "boolean") return null;
  for (const k in v) if (k !== "fromHeader" && k !== "deadlineMs") return null;
  const deadlineMs = v.deadlineMs;
  if (deadlineMs !== undefined && typeof deadlineMs !== "number") return null;
  return { fromHeader: v.fromHeader, deadlineMs };
}
