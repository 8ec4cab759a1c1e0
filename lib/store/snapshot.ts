/**
 * The snapshot format of the metric store (format version 1): pure encoding
 * and decoding, no I/O. {@link ./persistence.ts} writes and reads the files.
 *
 * ## Layout
 *
 * A snapshot is UTF-8 text made of lines, each ending with `\n`:
 *
 * 1. a header: `{"format":"pushgateway-deno-snapshot","version":1}`;
 * 2. one line per group: `{"labels":{…},"families":[…]}`;
 * 3. a trailer: `{"groups":N,"sha256":"<64 hex digits>"}`, where `N` is the
 *    number of group lines and the digest covers every byte before the
 *    trailer (the header and group lines with their newlines).
 *
 * Nothing may follow the trailer. A missing trailer means the file was
 * truncated; a digest mismatch means it was damaged. Every line is written
 * and read on its own, so writing and reading can both stream.
 *
 * ## Group line
 *
 * - `labels`: the grouping labels as a JSON object (name → value), in the
 *   group's own key order.
 * - `families`: the group's families in the order of its map (the map key is
 *   the family name). Each family is its {@linkcode MetricFamily} written
 *   field by field with the model's field names, plus `lastPushMs` (the
 *   family's last-push time, Unix epoch milliseconds):
 *   `{"name","help"?,"type","unit"?,"lastPushMs","metric"?}`.
 *
 * The model is written as it is in memory, with three rules:
 *
 * - **Presence.** An optional field that is `undefined` is left out, so it
 *   stays absent after a restore (an empty `help` is `"help":""`; an absent
 *   one has no key). A repeated field (an array) that is empty is left out
 *   too and comes back as `[]`.
 * - **Type.** `type` is the upper-case type name (`"COUNTER"`, `"GAUGE"`,
 *   `"SUMMARY"`, `"UNTYPED"`, `"HISTOGRAM"`, `"GAUGE_HISTOGRAM"`).
 * - **Numbers.** Every numeric field, integer or float, is a JSON number when
 *   it is finite and not negative zero. JSON cannot carry the others, so they
 *   are the strings `"NaN"`, `"+Inf"`, `"-Inf"` and `"-0"`. A JSON number is
 *   written with the shortest text that parses back to the same double, so
 *   every value round-trips bit for bit (NaN payloads excepted: all NaNs
 *   come back as the canonical NaN).
 *
 * Field names per message: metric `label`, `gauge`, `counter`, `summary`,
 * `untyped`, `histogram`, `timestampMs`; label `name`, `value`; gauge and
 * untyped `value`; counter `value`, `exemplar`, `createdTimestamp`; summary
 * `sampleCount`, `sampleSum`, `quantile` (each `quantile`, `value`),
 * `createdTimestamp`; histogram `sampleCount`, `sampleCountFloat`,
 * `sampleSum`, `bucket` (each `cumulativeCount`, `cumulativeCountFloat`,
 * `upperBound`, `exemplar`), `createdTimestamp`, `schema`, `zeroThreshold`,
 * `zeroCount`, `zeroCountFloat`, `negativeSpan`/`positiveSpan` (each
 * `offset`, `length`), `negativeDelta`, `negativeCount`, `positiveDelta`,
 * `positiveCount`, `exemplars`; exemplar `label`, `value`, `timestamp`;
 * timestamp `seconds`, `nanos`.
 *
 * Example (one group, wrapped here for reading; each is one line in a file):
 *
 * ```text
 * {"format":"pushgateway-deno-snapshot","version":1}
 * {"labels":{"job":"batch","instance":""},"families":[{"name":"up","help":"",
 *   "type":"GAUGE","lastPushMs":1716820000000.5,"metric":[{"label":[{"name":
 *   "instance","value":""},{"name":"job","value":"batch"}],"gauge":{"value":"NaN"}}]}]}
 * {"groups":1,"sha256":"…"}
 * ```
 *
 * @module
 */

import { createHash, type Hash } from "node:crypto";
import type { Group, GroupingLabels, StoredFamily } from "@lib/store/types.ts";
import { groupingKey } from "@lib/store/types.ts";
import {
  type Bucket,
  type BucketSpan,
  type Counter,
  type Exemplar,
  type Histogram,
  type LabelPair,
  type Metric,
  METRIC_TYPE_NAMES,
  type MetricFamily,
  MetricType,
  type Quantile,
  type Summary,
  type Timestamp,
} from "@lib/model/metric.ts";

/** The `format` value of the header line. */
export const SNAPSHOT_FORMAT = "pushgateway-deno-snapshot";
/** The format version this module writes and the only one it reads. */
export const SNAPSHOT_VERSION = 1;

/** Why a snapshot could not be decoded. */
export type SnapshotErrorKind = "header" | "version" | "checksum" | "truncated" | "malformed";

/** A snapshot that cannot be restored: damaged, truncated, foreign or of another version. */
export class SnapshotError extends Error {
  /** The class of problem. */
  readonly kind: SnapshotErrorKind;
  /** The 1-based line the problem was found on, when it is tied to one. */
  readonly line: number | undefined;

  /**
   * Creates the error.
   *
   * @param kind The class of problem.
   * @param detail What exactly is wrong.
   * @param line The 1-based line, if any.
   */
  constructor(kind: SnapshotErrorKind, detail: string, line?: number) {
    super(`Invalid snapshot${line === undefined ? "" : ` (line ${line})`}: ${detail}`);
    this.name = "SnapshotError";
    this.kind = kind;
    this.line = line;
  }
}

// ---------------------------------------------------------------------------
// Numbers

/** A number as it appears in a snapshot. */
export type EncodedNumber = number | "NaN" | "+Inf" | "-Inf" | "-0";

/**
 * Encodes a number for JSON: itself when finite and not `-0`, otherwise
 * `"NaN"`, `"+Inf"`, `"-Inf"` or `"-0"`.
 *
 * @param value Any number.
 * @returns A value `JSON.stringify` keeps exactly.
 */
export function encodeNumber(value: number): EncodedNumber {
  if (Number.isFinite(value)) return Object.is(value, -0) ? "-0" : value;
  if (Number.isNaN(value)) return "NaN";
  return value > 0 ? "+Inf" : "-Inf";
}

/**
 * Decodes a value written by {@linkcode encodeNumber}.
 *
 * @param value The parsed JSON value.
 * @returns The number, or `undefined` when `value` is not an encoded number.
 */
export function decodeNumber(value: unknown): number | undefined {
  if (typeof value === "number") return value;
  switch (value) {
    case "NaN":
      return NaN;
    case "+Inf":
      return Infinity;
    case "-Inf":
      return -Infinity;
    case "-0":
      return -0;
  }
  return undefined;
}

// ---------------------------------------------------------------------------
// Encoding

type Json = Record<string, unknown>;

function setNumber(out: Json, key: string, value: number | undefined): void {
  if (value !== undefined) out[key] = encodeNumber(value);
}

function setNumbers(out: Json, key: string, values: readonly number[]): void {
  if (values.length > 0) out[key] = values.map(encodeNumber);
}

function setList<T>(out: Json, key: string, values: readonly T[], encode: (v: T) => Json): void {
  if (values.length > 0) out[key] = values.map(encode);
}

function encodeLabel(pair: LabelPair): Json {
  return { name: pair.name, value: pair.value };
}

function encodeTimestamp(ts: Timestamp): Json {
  return { seconds: encodeNumber(ts.seconds), nanos: encodeNumber(ts.nanos) };
}

function setTimestamp(out: Json, key: string, ts: Timestamp | undefined): void {
  if (ts !== undefined) out[key] = encodeTimestamp(ts);
}

function encodeExemplar(ex: Exemplar): Json {
  const out: Json = {};
  setList(out, "label", ex.label, encodeLabel);
  setNumber(out, "value", ex.value);
  setTimestamp(out, "timestamp", ex.timestamp);
  return out;
}

function setExemplar(out: Json, key: string, ex: Exemplar | undefined): void {
  if (ex !== undefined) out[key] = encodeExemplar(ex);
}

function encodeValue(v: { value?: number }): Json {
  const out: Json = {};
  setNumber(out, "value", v.value);
  return out;
}

function encodeCounter(c: Counter): Json {
  const out: Json = {};
  setNumber(out, "value", c.value);
  setExemplar(out, "exemplar", c.exemplar);
  setTimestamp(out, "createdTimestamp", c.createdTimestamp);
  return out;
}

function encodeQuantile(q: Quantile): Json {
  const out: Json = {};
  setNumber(out, "quantile", q.quantile);
  setNumber(out, "value", q.value);
  return out;
}

function encodeSummary(s: Summary): Json {
  const out: Json = {};
  setNumber(out, "sampleCount", s.sampleCount);
  setNumber(out, "sampleSum", s.sampleSum);
  setList(out, "quantile", s.quantile, encodeQuantile);
  setTimestamp(out, "createdTimestamp", s.createdTimestamp);
  return out;
}

function encodeBucket(b: Bucket): Json {
  const out: Json = {};
  setNumber(out, "cumulativeCount", b.cumulativeCount);
  setNumber(out, "cumulativeCountFloat", b.cumulativeCountFloat);
  setNumber(out, "upperBound", b.upperBound);
  setExemplar(out, "exemplar", b.exemplar);
  return out;
}

function encodeSpan(s: BucketSpan): Json {
  const out: Json = {};
  setNumber(out, "offset", s.offset);
  setNumber(out, "length", s.length);
  return out;
}

function encodeHistogram(h: Histogram): Json {
  const out: Json = {};
  setNumber(out, "sampleCount", h.sampleCount);
  setNumber(out, "sampleCountFloat", h.sampleCountFloat);
  setNumber(out, "sampleSum", h.sampleSum);
  setList(out, "bucket", h.bucket, encodeBucket);
  setTimestamp(out, "createdTimestamp", h.createdTimestamp);
  setNumber(out, "schema", h.schema);
  setNumber(out, "zeroThreshold", h.zeroThreshold);
  setNumber(out, "zeroCount", h.zeroCount);
  setNumber(out, "zeroCountFloat", h.zeroCountFloat);
  setList(out, "negativeSpan", h.negativeSpan, encodeSpan);
  setNumbers(out, "negativeDelta", h.negativeDelta);
  setNumbers(out, "negativeCount", h.negativeCount);
  setList(out, "positiveSpan", h.positiveSpan, encodeSpan);
  setNumbers(out, "positiveDelta", h.positiveDelta);
  setNumbers(out, "positiveCount", h.positiveCount);
  setList(out, "exemplars", h.exemplars, encodeExemplar);
  return out;
}

function encodeMetric(m: Metric): Json {
  const out: Json = {};
  setList(out, "label", m.label, encodeLabel);
  if (m.gauge !== undefined) out.gauge = encodeValue(m.gauge);
  if (m.counter !== undefined) out.counter = encodeCounter(m.counter);
  if (m.summary !== undefined) out.summary = encodeSummary(m.summary);
  if (m.untyped !== undefined) out.untyped = encodeValue(m.untyped);
  if (m.histogram !== undefined) out.histogram = encodeHistogram(m.histogram);
  setNumber(out, "timestampMs", m.timestampMs);
  return out;
}

function encodeFamily(stored: StoredFamily): Json {
  const f = stored.family;
  const out: Json = { name: f.name };
  if (f.help !== undefined) out.help = f.help;
  out.type = METRIC_TYPE_NAMES[f.type];
  if (f.unit !== undefined) out.unit = f.unit;
  out.lastPushMs = encodeNumber(stored.lastPushMs);
  setList(out, "metric", f.metric, encodeMetric);
  return out;
}

/**
 * Encodes the header line.
 *
 * @returns The header line with its trailing newline.
 */
export function encodeHeaderLine(): string {
  return JSON.stringify({ format: SNAPSHOT_FORMAT, version: SNAPSHOT_VERSION }) + "\n";
}

/**
 * Encodes one group as a snapshot line.
 *
 * @param group The group to encode.
 * @returns One line of JSON with its trailing newline.
 */
export function encodeGroupLine(group: Group): string {
  const families: Json[] = [];
  for (const stored of group.families.values()) families.push(encodeFamily(stored));
  return JSON.stringify({ labels: { ...group.labels }, families }) + "\n";
}

/**
 * Encodes the trailer line.
 *
 * @param groups The number of group lines written.
 * @param sha256 The hex SHA-256 of everything before the trailer.
 * @returns The trailer line with its trailing newline.
 */
export function encodeTrailerLine(groups: number, sha256: string): string {
  return JSON.stringify({ groups, sha256 }) + "\n";
}

/**
 * Produces a snapshot piece by piece while keeping the running checksum:
 * call {@linkcode SnapshotEncoder.header} once, then
 * {@linkcode SnapshotEncoder.group} per group, then
 * {@linkcode SnapshotEncoder.trailer} once, and write the returned strings
 * in order.
 */
export class SnapshotEncoder {
  #hash: Hash = createHash("sha256");
  #groups = 0;

  /**
   * Returns the header line.
   *
   * @returns The header line with its newline.
   */
  header(): string {
    return this.#add(encodeHeaderLine());
  }

  /**
   * Returns the line of one group.
   *
   * @param group The group.
   * @returns The group line with its newline.
   */
  group(group: Group): string {
    this.#groups++;
    return this.#add(encodeGroupLine(group));
  }

  /**
   * Returns the trailer; the encoder must not be used afterwards.
   *
   * @returns The trailer line with its newline.
   */
  trailer(): string {
    return encodeTrailerLine(this.#groups, this.#hash.digest("hex"));
  }

  /** The number of groups encoded so far. */
  get groups(): number {
    return this.#groups;
  }

  #add(line: string): string {
    this.#hash.update(line, "utf8");
    return line;
  }
}

/**
 * Encodes a whole snapshot into one string (for tests and small stores; the
 * file writer streams with {@linkcode SnapshotEncoder} instead).
 *
 * @param groups The groups.
 * @returns The complete snapshot text.
 */
export function encodeSnapshot(groups: Iterable<Group>): string {
  const encoder = new SnapshotEncoder();
  let text = encoder.header();
  for (const group of groups) text += encoder.group(group);
  return text + encoder.trailer();
}

// ---------------------------------------------------------------------------
// Decoding

/**
 * Thrown inside the decoder. The field path is prepended segment by segment
 * as the error propagates, so decoding builds no path strings unless it fails.
 */
class FieldError extends Error {
  path = "";
}

/** Rethrows `err` with `segment` prepended to its path. */
function rethrowAt(segment: string, err: unknown): never {
  if (err instanceof FieldError) err.path = segment + err.path;
  throw err;
}

function isObject(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function obj(v: unknown): Json {
  if (!isObject(v)) throw new FieldError("expected an object");
  return v;
}

function str(v: unknown): string {
  if (typeof v !== "string") throw new FieldError("expected a string");
  return v;
}

function num(v: unknown): number {
  const n = decodeNumber(v);
  if (n === undefined) throw new FieldError("expected a number");
  return n;
}

/** Decodes the required field `key`. */
function req<T>(o: Json, key: string, decode: (v: unknown) => T): T {
  try {
    return decode(o[key]);
  } catch (err) {
    rethrowAt(`.${key}`, err);
  }
}

/** Decodes the optional field `key`; `undefined` when absent. */
function opt<T>(o: Json, key: string, decode: (v: unknown) => T): T | undefined {
  const v = o[key];
  if (v === undefined) return undefined;
  try {
    return decode(v);
  } catch (err) {
    rethrowAt(`.${key}`, err);
  }
}

/** Decodes the repeated field `key`; `[]` when absent. */
function list<T>(o: Json, key: string, decode: (v: unknown) => T): T[] {
  const v = o[key];
  if (v === undefined) return [];
  if (!Array.isArray(v)) rethrowAt(`.${key}`, new FieldError("expected an array"));
  const out: T[] = new Array(v.length);
  let i = 0;
  try {
    for (; i < v.length; i++) out[i] = decode(v[i]);
  } catch (err) {
    rethrowAt(`.${key}[${i}]`, err);
  }
  return out;
}

/** Copies the defined entries of `fields` onto `target` (keeps absent fields absent). */
function assignDefined<T extends object>(target: T, fields: Partial<T>): T {
  for (const key in fields) {
    const value = fields[key];
    if (value !== undefined) target[key] = value as T[typeof key];
  }
  return target;
}

function decodeLabel(v: unknown): LabelPair {
  const o = obj(v);
  return { name: req(o, "name", str), value: req(o, "value", str) };
}

function decodeTimestamp(v: unknown): Timestamp {
  const o = obj(v);
  return { seconds: req(o, "seconds", num), nanos: req(o, "nanos", num) };
}

function decodeExemplar(v: unknown): Exemplar {
  const o = obj(v);
  return assignDefined<Exemplar>({ label: list(o, "label", decodeLabel) }, {
    value: opt(o, "value", num),
    timestamp: opt(o, "timestamp", decodeTimestamp),
  });
}

function decodeValue(v: unknown): { value?: number } {
  const o = obj(v);
  return assignDefined({}, { value: opt(o, "value", num) });
}

function decodeCounter(v: unknown): Counter {
  const o = obj(v);
  return assignDefined<Counter>({}, {
    value: opt(o, "value", num),
    exemplar: opt(o, "exemplar", decodeExemplar),
    createdTimestamp: opt(o, "createdTimestamp", decodeTimestamp),
  });
}

function decodeQuantile(v: unknown): Quantile {
  const o = obj(v);
  return assignDefined<Quantile>({}, {
    quantile: opt(o, "quantile", num),
    value: opt(o, "value", num),
  });
}

function decodeSummary(v: unknown): Summary {
  const o = obj(v);
  return assignDefined<Summary>({ quantile: list(o, "quantile", decodeQuantile) }, {
    sampleCount: opt(o, "sampleCount", num),
    sampleSum: opt(o, "sampleSum", num),
    createdTimestamp: opt(o, "createdTimestamp", decodeTimestamp),
  });
}

function decodeBucket(v: unknown): Bucket {
  const o = obj(v);
  return assignDefined<Bucket>({}, {
    cumulativeCount: opt(o, "cumulativeCount", num),
    cumulativeCountFloat: opt(o, "cumulativeCountFloat", num),
    upperBound: opt(o, "upperBound", num),
    exemplar: opt(o, "exemplar", decodeExemplar),
  });
}

function decodeSpan(v: unknown): BucketSpan {
  const o = obj(v);
  return assignDefined<BucketSpan>({}, {
    offset: opt(o, "offset", num),
    length: opt(o, "length", num),
  });
}

function decodeHistogram(v: unknown): Histogram {
  const o = obj(v);
  const h: Histogram = {
    bucket: list(o, "bucket", decodeBucket),
    negativeSpan: list(o, "negativeSpan", decodeSpan),
    negativeDelta: list(o, "negativeDelta", num),
    negativeCount: list(o, "negativeCount", num),
    positiveSpan: list(o, "positiveSpan", decodeSpan),
    positiveDelta: list(o, "positiveDelta", num),
    positiveCount: list(o, "positiveCount", num),
    exemplars: list(o, "exemplars", decodeExemplar),
  };
  return assignDefined(h, {
    sampleCount: opt(o, "sampleCount", num),
    sampleCountFloat: opt(o, "sampleCountFloat", num),
    sampleSum: opt(o, "sampleSum", num),
    createdTimestamp: opt(o, "createdTimestamp", decodeTimestamp),
    schema: opt(o, "schema", num),
    zeroThreshold: opt(o, "zeroThreshold", num),
    zeroCount: opt(o, "zeroCount", num),
    zeroCountFloat: opt(o, "zeroCountFloat", num),
  });
}

function decodeMetric(v: unknown): Metric {
  const o = obj(v);
  return assignDefined<Metric>({ label: list(o, "label", decodeLabel) }, {
    gauge: opt(o, "gauge", decodeValue),
    counter: opt(o, "counter", decodeCounter),
    summary: opt(o, "summary", decodeSummary),
    untyped: opt(o, "untyped", decodeValue),
    histogram: opt(o, "histogram", decodeHistogram),
    timestampMs: opt(o, "timestampMs", num),
  });
}

const TYPES_BY_NAME: ReadonlyMap<string, MetricType> = new Map(
  Object.values(MetricType).map((t) => [METRIC_TYPE_NAMES[t], t]),
);

function metricType(v: unknown): MetricType {
  const type = TYPES_BY_NAME.get(str(v));
  if (type === undefined) throw new FieldError("unknown metric type");
  return type;
}

function decodeFamily(v: unknown): StoredFamily {
  const o = obj(v);
  const family = assignDefined<MetricFamily>({
    name: req(o, "name", str),
    type: req(o, "type", metricType),
    metric: list(o, "metric", decodeMetric),
  }, {
    help: opt(o, "help", str),
    unit: opt(o, "unit", str),
  });
  return { family, lastPushMs: req(o, "lastPushMs", num) };
}

function decodeLabels(v: unknown): GroupingLabels {
  const labels: Record<string, string> = {};
  for (const [name, value] of Object.entries(obj(v))) {
    if (typeof value !== "string") {
      rethrowAt(`[${JSON.stringify(name)}]`, new FieldError("expected a string"));
    }
    // defineProperty: a label named "__proto__" must stay an ordinary entry.
    Object.defineProperty(labels, name, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return labels;
}

function decodeGroup(v: unknown): Group {
  const o = obj(v);
  const labels = req(o, "labels", decodeLabels);
  const families = new Map<string, StoredFamily>();
  list(o, "families", decodeFamily).forEach((stored, i) => {
    if (families.has(stored.family.name)) {
      const err = new FieldError(`duplicate family ${JSON.stringify(stored.family.name)}`);
      rethrowAt(`.families[${i}]`, err);
    }
    families.set(stored.family.name, stored);
  });
  return { labels, families };
}

// ---------------------------------------------------------------------------
// Fast path: keep JSON.parse's objects

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
    // The usual shape, built in one literal (no out-of-object properties).
    return {
      sampleCount,
      sampleSum,
      bucket,
      negativeSpan: [],
      negativeDelta: [],
      negativeCount: [],
      positiveSpan: [],
      positiveDelta: [],
      positiveCount: [],
      exemplars: [],
    };
  }
  return assignDefined<Histogram>({
    bucket,
    negativeSpan: [],
    negativeDelta: [],
    negativeCount: [],
    positiveSpan: [],
    positiveDelta: [],
    positiveCount: [],
    exemplars: [],
  }, {
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
function fastGroup(v: unknown, pool: Map<string, string>): Group | undefined {
  if (!isObject(v)) return undefined;
  for (const k in v) if (k !== "labels" && k !== "families") return undefined;
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
  return { labels: labels as GroupingLabels, families };
}

function parseLine(line: string, lineNo: number, what: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    throw new SnapshotError("malformed", `${what} is not valid JSON`, lineNo);
  }
}

/**
 * Decodes a snapshot incrementally: feed text with
 * {@linkcode SnapshotDecoder.push} in any chunking, then call
 * {@linkcode SnapshotDecoder.finish}. Groups are only handed out once the
 * trailer's checksum and count have been verified.
 */
export class SnapshotDecoder {
  #pending = "";
  #lineNo = 0;
  #hash: Hash = createHash("sha256");
  #groups: Group[] = [];
  #keys = new Set<string>();
  #state: "header" | "groups" | "done" = "header";
  /** Family names and helps seen so far, so equal strings are stored once. */
  #pool = new Map<string, string>();

  /**
   * Feeds the next piece of text.
   *
   * @param chunk Any slice of the snapshot text, in order.
   * @throws {SnapshotError} As soon as a complete line is found to be invalid.
   */
  push(chunk: string): void {
    const text = this.#pending + chunk;
    let start = 0;
    // The checksum covers every complete line before the trailer; it is fed
    // once per chunk (not per line) from `hashFrom`.
    let hashFrom = 0;
    for (let nl = text.indexOf("\n"); nl !== -1; nl = text.indexOf("\n", start)) {
      if (this.#line(text.slice(start, nl), text, hashFrom, start)) hashFrom = nl + 1;
      start = nl + 1;
    }
    if (this.#state !== "done" && hashFrom < start) {
      this.#hash.update(text.slice(hashFrom, start), "utf8");
    }
    this.#pending = text.slice(start);
  }

  /**
   * Checks that the snapshot is complete and returns its groups.
   *
   * @returns The groups, in file order.
   * @throws {SnapshotError} If the text ended early or the checksum failed.
   */
  finish(): Group[] {
    if (this.#pending !== "") {
      if (this.#state === "header" && this.#lineNo === 0) {
        this.#line(this.#pending, "", 0, 0); // reports a bad header before "truncated"
      }
      throw new SnapshotError("truncated", "last line has no newline", this.#lineNo + 1);
    }
    if (this.#state === "header") throw new SnapshotError("truncated", "file is empty");
    if (this.#state === "groups") {
      throw new SnapshotError("truncated", `trailer missing after ${this.#groups.length} groups`);
    }
    return this.#groups;
  }

  /** Handles one line; true when it was the trailer (`text[hashFrom, start)` is then hashed first). */
  #line(line: string, text: string, hashFrom: number, start: number): boolean {
    const lineNo = ++this.#lineNo;
    switch (this.#state) {
      case "header":
        this.#header(line, lineNo);
        this.#state = "groups";
        return false;
      case "groups": {
        const value = parseLine(line, lineNo, "line");
        if (isObject(value) && "sha256" in value) {
          if (hashFrom < start) this.#hash.update(text.slice(hashFrom, start), "utf8");
          this.#trailer(value, lineNo);
          this.#state = "done";
          return true;
        }
        this.#group(value, lineNo);
        return false;
      }
      case "done":
        throw new SnapshotError("malformed", "data after the trailer", lineNo);
    }
  }

  #header(line: string, lineNo: number): void {
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      throw new SnapshotError("header", "not a pushgateway-deno snapshot", lineNo);
    }
    if (!isObject(value) || value.format !== SNAPSHOT_FORMAT) {
      throw new SnapshotError("header", "not a pushgateway-deno snapshot", lineNo);
    }
    if (value.version !== SNAPSHOT_VERSION) {
      throw new SnapshotError(
        "version",
        `unsupported format version ${
          JSON.stringify(value.version)
        } (supported: ${SNAPSHOT_VERSION})`,
        lineNo,
      );
    }
  }

  #group(value: unknown, lineNo: number): void {
    let group: Group | undefined;
    try {
      group = fastGroup(value, this.#pool) ?? decodeGroup(value);
    } catch (err) {
      if (err instanceof FieldError) {
        const path = err.path === "" ? "group" : err.path.replace(/^\./, "");
        throw new SnapshotError("malformed", `malformed group: ${path}: ${err.message}`, lineNo);
      }
      throw err;
    }
    const key = groupingKey(group.labels);
    if (this.#keys.has(key)) {
      throw new SnapshotError("malformed", "duplicate group", lineNo);
    }
    this.#keys.add(key);
    this.#groups.push(group);
  }

  #trailer(value: Json, lineNo: number): void {
    const digest = this.#hash.digest("hex");
    if (typeof value.sha256 !== "string" || typeof value.groups !== "number") {
      throw new SnapshotError("malformed", "malformed trailer", lineNo);
    }
    if (value.sha256 !== digest) {
      throw new SnapshotError("checksum", "checksum mismatch", lineNo);
    }
    if (value.groups !== this.#groups.length) {
      throw new SnapshotError(
        "malformed",
        `trailer counts ${value.groups} groups, found ${this.#groups.length}`,
        lineNo,
      );
    }
  }
}

/**
 * Decodes a complete snapshot.
 *
 * @param text The whole file as text.
 * @returns The groups, in file order.
 * @throws {SnapshotError} With the reason when the snapshot is not valid.
 */
export function decodeSnapshot(text: string): Group[] {
  const decoder = new SnapshotDecoder();
  decoder.push(text);
  return decoder.finish();
}
