/**
 * The snapshot format of the metric store (format version 3; versions 1 and 2
 * are still read): pure encoding and decoding, no I/O. {@link ./persistence.ts}
 * writes and reads the files.
 *
 * ## Layout
 *
 * A snapshot is UTF-8 text made of lines, each ending with `\n` and each a
 * JSON value of its own (JSON Lines: `jq -c . file` reads it):
 *
 * 1. a header: `{"format":"pushgateway-deno-snapshot","version":3}`;
 * 2. group lines, one per group, in format 3 each preceded by a table line
 *    when it uses table entries no earlier line defined (see "Format 3");
 * 3. a trailer: `{"groups":N,"sha256":"<64 hex digits>"}`, where `N` is the
 *    number of group lines and the digest covers every byte before the
 *    trailer (the header, table and group lines with their newlines).
 *
 * Nothing may follow the trailer. A missing trailer means the file was
 * truncated; a digest mismatch means it was damaged. Every line is written
 * and read on its own, so writing and reading can both stream.
 *
 * ## Format 3
 *
 * Written for loading straight into the store's compact form
 * (`series_block.ts`): nothing is repeated per series that the store shares,
 * and no object is built per series while reading.
 *
 * **Table lines** `{"heads"?:[…],"sets"?:[…],"shapes"?:[…]}` append entries
 * to three tables; an entry is referred to by its position in its table
 * (from 0, counted over the whole file), and a line may only use entries
 * defined on earlier lines:
 *
 * - `heads`: family heads `{"name","help"?,"type","unit"?}` (type as below);
 * - `sets`: label sets as flat arrays `[name, value, name, value, …]`: a
 *   series' own labels, without the grouping labels, sorted by name (`[]`:
 *   none);
 * - `shapes`: `["summary", [quantile ranks…]]` or `["histogram", [upper
 *   bounds…]]`.
 *
 * **Group lines** `{"labels":{…},"ttl"?:{…},"families":[…]}`: `labels` and
 * `ttl` as in format 2 (below); each family is an array
 * `[head, lastPushMs, shape, sets, numbers, whole?, whole-labels?]`:
 *
 * - `head`: the number of its head; families are restored in name order and
 *   a name may appear once per group;
 * - `lastPushMs`: its last-push time, Unix epoch milliseconds;
 * - `shape`: what each series' numbers are, one for all series or an array
 *   with one per series: `"gauge"`, `"counter"`, `"untyped"` (one number, the
 *   value), the number of a shape (a summary: count, sum, one value per
 *   rank; a histogram: count, sum, one cumulative count per bound), or
 *   `"rich"` (no numbers: the series is written whole in field 6);
 * - `sets`: each series' label set by number; a series' labels are the
 *   group's labels merged with its set, in name order;
 * - `numbers`: every series' numbers one after the other, flat;
 * - `whole` (only when a series is `"rich"` or field 7 is present; else `0`):
 *   the `"rich"` series in order, each a metric of format 2 without `label`
 *   (a counter with an exemplar, a native histogram, a timestamp, …);
 * - `whole-labels` (`1` or absent): the sets hold each series' whole label
 *   list, in its own order, grouping labels included (for series that were
 *   pushed without the group's labels, which the gateway itself never does).
 *
 * Numbers are written as in format 2. Example (wrapped here for reading):
 *
 * ```text
 * {"format":"pushgateway-deno-snapshot","version":3}
 * {"heads":[{"name":"up","help":"","type":"GAUGE"},{"name":"rpc","type":"HISTOGRAM"}],
 *   "sets":[[],["code","200"]],"shapes":[["histogram",[0.1,"+Inf"]]]}
 * {"labels":{"job":"batch","instance":""},"ttl":{"fromHeader":true,
 *   "deadlineMs":1716823600000.5},"families":[[0,1716820000000.5,"gauge",[0],["NaN"]],
 *   [1,1716820000000.5,0,[1],[10,4.5,3,10]]]}
 * {"groups":1,"sha256":"…"}
 * ```
 *
 * ## Formats 1 and 2
 *
 * A version 1 or 2 file has no table lines; the group lines are described
 * below (version 3 keeps `labels` and `ttl` as they are).
 *
 * ### Group line (formats 1 and 2)
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
 * Example of format 2 (one group, wrapped here for reading; each is one line in a file):
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
export const SNAPSHOT_VERSION = 3;
/** Every format version the decoder reads. */
export const SNAPSHOT_VERSIONS: readonly number[] = [1, 2, 3];

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
