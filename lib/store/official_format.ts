/**
 * The official Pushgateway's persistence file: what upstream's
 * `storage/diskmetricstore.go` writes with Go's `encoding/gob`, read into our
 * {@linkcode Group}s and written back from them. Pure: bytes in, bytes out.
 *
 * ## Layout
 *
 * One gob value of type `GroupingKeyToMetricGroup`:
 *
 * ```go
 * type GroupingKeyToMetricGroup map[string]MetricGroup // key: sorted name/value pairs joined by 0xFF
 * type MetricGroup struct {
 *   Labels  map[string]string                           // the grouping labels
 *   Metrics NameToTimestampedMetricFamilyMap            // map[string]TimestampedMetricFamily
 * }
 * type TimestampedMetricFamily struct {
 *   Timestamp            time.Time                      // GobEncoder: Time.MarshalBinary
 *   GobbableMetricFamily *GobbableMetricFamily          // GobEncoder: proto.Marshal of the family
 * }
 * ```
 *
 * Upstream's encoder also defines the types inside `dto.MetricFamily`
 * (`Metric`, `LabelPair`, …, with `XXX_*` fields in 1.5.1 and without them in
 * newer builds), though no value uses them; the decoder reads them and ignores
 * them. `last_push_successful` is not stored: it follows from the push and
 * failure gauges, as upstream derives it.
 *
 * @module
 */

import { decodeGob, GobEncoded, GobMap, GobStruct, type GobValue } from "@lib/gob/decode.ts";
import { encodeGob, type GobSchema } from "@lib/gob/encode.ts";
import { GobError } from "@lib/gob/wire.ts";
import { decodeFamily } from "@lib/protobuf/decode.ts";
import { encodeFamily } from "@lib/protobuf/encode.ts";
import { ParseError } from "@lib/model/parse_error.ts";
import {
  type Group,
  groupingKey,
  type GroupingLabels,
  type StoredFamily,
} from "@lib/store/types.ts";

/** An official persistence file that cannot be restored: the reason is the message. */
export class OfficialFormatError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(`Invalid official Pushgateway persistence file: ${message}`);
    this.name = "OfficialFormatError";
  }
}

// ---------------------------------------------------------------------------
// time.Time's binary form

/** Seconds from 0001-01-01 (Go's internal epoch) to 1970-01-01. */
const UNIX_TO_INTERNAL = 62135596800n;

/**
 * Decodes `time.Time.MarshalBinary` output (version 1: 15 bytes, version 2
 * with a seconds offset: 16 bytes) to Unix epoch milliseconds. The zone offset
 * does not change the instant and is ignored.
 *
 * @throws {OfficialFormatError} On any other length or version.
 */
export function decodeGoTime(data: Uint8Array): number {
  const version = data[0];
  if (!((version === 1 && data.length === 15) || (version === 2 && data.length === 16))) {
    throw new OfficialFormatError(
      `a time value has version ${version} and ${data.length} bytes (Go writes 1 with 15, 2 with 16)`,
    );
  }
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const unixSeconds = view.getBigInt64(1, false) - UNIX_TO_INTERNAL;
  const nanos = view.getInt32(9, false);
  if (nanos < 0 || nanos > 999_999_999) {
    throw new OfficialFormatError(`a time value has ${nanos} nanoseconds`);
  }
  return Number(unixSeconds) * 1000 + nanos / 1e6;
}

/** The milliseconds of Go's zero `time.Time` (0001-01-01T00:00:00Z): an absent Timestamp field. */
export const GO_ZERO_TIME_MS = -Number(UNIX_TO_INTERNAL) * 1000;

/**
 * Encodes Unix epoch milliseconds as `time.Time.MarshalBinary` does for a UTC
 * time (version 1, offset -1). The fraction is rounded to microseconds, the
 * precision our JSON API shows, so both gateways show the same `time_stamp`.
 */
export function encodeGoTime(epochMs: number): Uint8Array {
  const wholeMs = Math.floor(epochMs);
  let seconds = Math.floor(wholeMs / 1000);
  let nanos = (wholeMs - seconds * 1000) * 1e6 + Math.round((epochMs - wholeMs) * 1e3) * 1e3;
  if (nanos >= 1e9) {
    seconds++;
    nanos -= 1e9;
  }
  const out = new Uint8Array(15);
  const view = new DataView(out.buffer);
  out[0] = 1;
  view.setBigInt64(1, BigInt(seconds) + UNIX_TO_INTERNAL, false);
  view.setInt32(9, nanos, false);
  view.setInt16(13, -1, false); // UTC
  return out;
}

// ---------------------------------------------------------------------------
// Decoding

function field(s: GobStruct, name: string): GobValue | undefined {
  return s.fields.get(name);
}

function asStruct(v: GobValue | undefined, what: string): GobStruct {
  if (v instanceof GobStruct) return v;
  throw new OfficialFormatError(`${what} is not a struct`);
}

/** A map field; absent (Go's zero value: empty map) gives no entries. */
function mapEntries(v: GobValue | undefined, what: string): [GobValue, GobValue][] {
  if (v === undefined) return [];
  if (v instanceof GobMap) return v.entries;
  throw new OfficialFormatError(`${what} is not a map`);
}

function asString(v: GobValue, what: string): string {
  if (typeof v === "string") return v;
  throw new OfficialFormatError(`${what} is not a string`);
}

function asEncoded(v: GobValue | undefined, what: string): GobEncoded | undefined {
  if (v === undefined || v instanceof GobEncoded) return v;
  throw new OfficialFormatError(`${what} is not a self-encoded value`);
}

/** A label map in name order; `__proto__` stays an ordinary key. */
function decodeLabels(v: GobValue | undefined, key: string): GroupingLabels {
  const pairs = mapEntries(v, `the labels of group ${JSON.stringify(key)}`)
    .map(([n, val]) => [asString(n, "a label name"), asString(val, "a label value")] as const)
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const labels: Record<string, string> = {};
  for (const [name, value] of pairs) {
    Object.defineProperty(labels, name, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return labels;
}

function decodeFamilyEntry(name: string, value: GobValue, group: string): StoredFamily {
  const tmf = asStruct(value, `family ${JSON.stringify(name)} of group ${group}`);
  const time = asEncoded(field(tmf, "Timestamp"), "a Timestamp");
  const encoded = asEncoded(field(tmf, "GobbableMetricFamily"), "a GobbableMetricFamily");
  if (encoded === undefined) {
    throw new OfficialFormatError(`family ${JSON.stringify(name)} of group ${group} has no data`);
  }
  let family;
  try {
    family = decodeFamily(encoded.data);
  } catch (err) {
    if (!(err instanceof ParseError)) throw err;
    throw new OfficialFormatError(
      `family ${JSON.stringify(name)} of group ${group}: ${err.message}`,
    );
  }
  if (family.name !== name) {
    throw new OfficialFormatError(
      `family ${JSON.stringify(family.name)} is stored under the name ${JSON.stringify(name)}`,
    );
  }
  return { family, lastPushMs: time === undefined ? GO_ZERO_TIME_MS : decodeGoTime(time.data) };
}

/**
 * Decodes an official persistence file into groups, in file order. Every
 * family keeps its fields (type, HELP, labels, values, native histograms)
 * and its push time; the push and failure gauges are families like the others.
 *
 * @param bytes The whole file.
 * @returns The groups.
 * @throws {OfficialFormatError} When the file is truncated or damaged, or its
 * content does not have upstream's shape (the message says what was found).
 */
export function decodeOfficialFile(bytes: Uint8Array): Group[] {
  let value: GobValue;
  try {
    value = decodeGob(bytes).value;
  } catch (err) {
    if (err instanceof GobError) throw new OfficialFormatError(err.message);
    throw err;
  }
  if (!(value instanceof GobMap)) throw new OfficialFormatError("the top level is not a map");
  const groups: Group[] = [];
  for (const [rawKey, rawGroup] of value.entries) {
    const key = asString(rawKey, "a grouping key");
    const group = asStruct(rawGroup, `group ${JSON.stringify(key)}`);
    // The key (names and values joined by the byte 0xFF, not valid UTF-8) is not needed: the
    // labels are the group's identity. Two groups with the same labels are caught on restore.
    const labels = decodeLabels(field(group, "Labels"), key);
    const families = new Map<string, StoredFamily>();
    for (const [rawName, entry] of mapEntries(field(group, "Metrics"), "Metrics")) {
      const name = asString(rawName, "a family name");
      families.set(name, decodeFamilyEntry(name, entry, JSON.stringify(key)));
    }
    groups.push({ labels, families });
  }
  return groups;
}

// ---------------------------------------------------------------------------
// Encoding

const STRING: GobSchema = { kind: "string" };
const TIMESTAMPED_FAMILY: GobSchema = {
  kind: "struct",
  name: "TimestampedMetricFamily",
  fields: [
    { name: "Timestamp", type: { kind: "gobEncoder", name: "Time" } },
    { name: "GobbableMetricFamily", type: { kind: "gobEncoder", name: "GobbableMetricFamily" } },
  ],
};
/** Upstream's `GroupingKeyToMetricGroup` and the types inside it, as {@linkcode encodeGob} takes them. */
export const OFFICIAL_FILE_SCHEMA: GobSchema = {
  kind: "map",
  name: "GroupingKeyToMetricGroup",
  key: STRING,
  elem: {
    kind: "struct",
    name: "MetricGroup",
    fields: [
      {
        name: "Labels",
        type: { kind: "map", name: "map[string]string", key: STRING, elem: STRING },
      },
      {
        name: "Metrics",
        type: {
          kind: "map",
          name: "NameToTimestampedMetricFamilyMap",
          key: STRING,
          elem: TIMESTAMPED_FAMILY,
        },
      },
    ],
  },
};

/**
 * Encodes groups as an official persistence file, which upstream's
 * `DiskMetricStore` restores. Push times are written to the microsecond.
 * Upstream's extra definitions of the `dto` types are not written (no value
 * uses them, and its decoder does not need them).
 *
 * @param groups The groups to write.
 * @returns The file's bytes.
 */
export function encodeOfficialFile(groups: Iterable<Group>): Uint8Array {
  const entries: [string, unknown][] = [];
  for (const group of groups) {
    const metrics: [string, unknown][] = [];
    for (const [name, stored] of group.families) {
      metrics.push([name, {
        Timestamp: encodeGoTime(stored.lastPushMs),
        GobbableMetricFamily: encodeFamily(stored.family),
      }]);
    }
    entries.push([groupingKey(group.labels), {
      Labels: Object.entries(group.labels),
      Metrics: metrics,
    }]);
  }
  return encodeGob(OFFICIAL_FILE_SCHEMA, entries);
}
