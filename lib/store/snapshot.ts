/**
 * The snapshot format of the metric store (format version 2; version 1 is
 * still read): pure encoding and decoding, no I/O. {@link ./persistence.ts}
 * writes and reads the files.
 *
 * ## Layout
 *
 * A snapshot is UTF-8 text made of lines, each ending with `\n`:
 *
 * 1. a header: `{"format":"pushgateway-deno-snapshot","version":2}`;
 * 2. one line per group: `{"labels":{…},"ttl":{…},"families":[…]}` (`ttl` optional);
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
 * - `ttl` (version 2; left out when the group follows the default TTL and
 *   has no deadline): `{"fromHeader":true|false,"deadlineMs"?:N}`, whether
 *   the group's time to live came from the `Pushgateway-TTL` header and its
 *   deadline in Unix epoch milliseconds (absent: never). At restore a
 *   header TTL keeps its deadline; a default one is recomputed from the
 *   current `--push.default-ttl`. A version 1 group has no `ttl` and follows
 *   the default. The synthetic `push_expiry_time_seconds` family is never
 *   written: it is rebuilt from `ttl`.
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
 * {"format":"pushgateway-deno-snapshot","version":2}
 * {"labels":{"job":"batch","instance":""},"ttl":{"fromHeader":true,
 *   "deadlineMs":1716823600000.5},"families":[{"name":"up","help":"",
 *   "type":"GAUGE","lastPushMs":1716820000000.5,"metric":[{"label":[{"name":
 *   "instance","value":""},{"name":"job","value":"batch"}],"gauge":{"value":"NaN"}}]}]}
 * {"groups":1,"sha256":"…"}
 * ```
 *
 * @module
 */

import { METRIC_TYPE_NAMES, MetricType } from "@lib/model/metric.ts";

/** The `format` value of the header line. */
export const SNAPSHOT_FORMAT = "pushgateway-deno-snapshot";
/** The format version this module writes. */
export const SNAPSHOT_VERSION = 2;
/** Every format version the decoder reads. */
export const SNAPSHOT_VERSIONS: readonly number[] = [1, 2];

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
// Shared by the encoder and the decoders

/** A JSON object as `JSON.parse` makes it. */
export type Json = Record<string, unknown>;

/** Whether `v` is a JSON object (not an array, not null). */
export function isObject(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Metric types by their upper-case name (`"COUNTER"`, …, `"GAUGE_HISTOGRAM"`). */
export const TYPES_BY_NAME: ReadonlyMap<string, MetricType> = new Map(
  Object.values(MetricType).map((t) => [METRIC_TYPE_NAMES[t], t]),
);

/** Copies the defined entries of `fields` onto `target` (keeps absent fields absent). */
export function assignDefined<T extends object>(target: T, fields: Partial<T>): T {
  for (const key in fields) {
    const value = fields[key];
    if (value !== undefined) target[key] = value as T[typeof key];
  }
  return target;
}
