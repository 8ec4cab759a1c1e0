/**
 * JSON and time text the way Go's `encoding/json` and `time` write them, so
 * the API's bytes match upstream's.
 *
 * @module
 */

/** Objects that stand for Go maps: their keys are written sorted. */
const goMaps = new WeakSet<object>();

function escapeString(s: string): string {
  return JSON.stringify(s).replace(
    /[<>&\u2028\u2029]/g,
    (c) => "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0"),
  );
}

function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Serialises `value` like Go's `json.Marshal`: `<`, `>`, `&`, U+2028 and U+2029
 * escaped; objects made by {@linkcode sortedRecord} (Go maps) have their keys
 * sorted, even integer-like ones (`"+Inf"` before `"0.5"` before `"1"`), which
 * `JSON.stringify` cannot do; other objects (Go structs) keep their order.
 * `undefined` members are left out.
 */
export function goJson(value: unknown): string {
  if (value === null || typeof value !== "object") {
    return typeof value === "string" ? escapeString(value) : JSON.stringify(value) ?? "null";
  }
  if (Array.isArray(value)) return "[" + value.map((v) => goJson(v ?? null)).join(",") + "]";
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  if (goMaps.has(record)) keys.sort(byCodeUnits);
  let out = "";
  for (const k of keys) {
    const v = record[k];
    if (v === undefined) continue;
    out += (out === "" ? "" : ",") + escapeString(k) + ":" + goJson(v);
  }
  return "{" + out + "}";
}

/** A copy of `record` that {@linkcode goJson} writes as a Go map (keys sorted). */
export function sortedRecord<T>(record: Readonly<Record<string, T>>): Record<string, T> {
  const out: Record<string, T> = { ...record };
  goMaps.add(out);
  return out;
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, "0");
}

/** Go's `time` text of `d` plus a fraction of `nanos` (0 ≤ nanos < 1e9), RFC3339Nano in the local zone. */
function rfc3339Nano(d: Date, nanos: number): string {
  const offsetMin = -d.getTimezoneOffset();
  const frac = nanos === 0 ? "" : "." + pad(nanos, 9).replace(/0+$/, "");
  const zone = offsetMin === 0
    ? "Z"
    : (offsetMin > 0 ? "+" : "-") + pad(Math.floor(Math.abs(offsetMin) / 60)) + ":" +
      pad(Math.abs(offsetMin) % 60);
  const year = d.getFullYear();
  // Go pads the year to four digits, after a minus sign for years before 1 BC.
  const yearText = (year < 0 ? "-" : "") + pad(Math.abs(year), 4);
  return `${yearText}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${
    pad(d.getMinutes())
  }:${pad(d.getSeconds())}${frac}${zone}`;
}

/**
 * Formats epoch milliseconds (fractions kept to the microsecond) as Go's
 * `time.RFC3339Nano` in the local zone: trailing zeros of the fraction
 * removed, `Z` for UTC, else `±hh:mm`.
 */
export function formatRfc3339Nano(epochMs: number): string {
  const wholeMs = Math.floor(epochMs);
  const d = new Date(wholeMs);
  // Epoch milliseconds as a double keep about a quarter of a microsecond: print microseconds.
  const nanos = Math.round((epochMs - wholeMs) * 1e3) * 1e3 + d.getMilliseconds() * 1e6;
  // A rounding spill-over (never reached with sane inputs) drops the fraction.
  return rfc3339Nano(d, nanos >= 1e9 ? 0 : nanos);
}

/** Milliseconds a JavaScript `Date` can hold either side of the epoch. */
const MAX_DATE_MS = 8.64e15;

/**
 * Formats a Unix time of whole seconds and nanoseconds (a protobuf
 * `Timestamp`) as `time.Unix(seconds, nanos).Format(time.RFC3339Nano)` in the
 * local zone, to the nanosecond; nanoseconds outside [0, 1e9) carry into the
 * seconds as in Go. A time beyond what a `Date` holds (±275,000 years) is
 * written as decimal Unix seconds instead.
 *
 * @param seconds Whole seconds since the epoch.
 * @param nanos Nanoseconds added to them.
 * @returns E.g. `2026-12-07T10:00:00.000000123Z` in UTC.
 * @example
 * ```ts
 * import { assertMatch } from "@std/assert";
 * assertMatch(formatUnixRfc3339Nano(1796605437, 911000000), /^2026-12-0\dT.*:57\.911(Z|[+-]\d\d:\d\d)$/);
 * ```
 */
/** A protobuf timestamp as the API and the UI show times: RFC 3339 in the local zone, to the nanosecond. */
export function formatTimestampRfc3339Nano(ts: { seconds: number; nanos: number }): string {
  return formatUnixRfc3339Nano(ts.seconds, ts.nanos);
}

export function formatUnixRfc3339Nano(seconds: number, nanos: number): string {
  const carry = Math.floor(nanos / 1e9);
  const s = seconds + carry;
  const n = nanos - carry * 1e9;
  if (!Number.isFinite(s) || !Number.isFinite(n) || Math.abs(s * 1000) > MAX_DATE_MS) {
    return n === 0 ? `${s}` : `${s}.${pad(n, 9).replace(/0+$/, "")}`;
  }
  return rfc3339Nano(new Date(s * 1000), n);
}
