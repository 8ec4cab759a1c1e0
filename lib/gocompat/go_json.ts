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
  const offsetMin = -d.getTimezoneOffset();
  let frac = nanos === 0 ? "" : "." + pad(nanos, 9).replace(/0+$/, "");
  if (nanos >= 1e9) frac = ""; // rounding spill-over; never reached with sane inputs
  const zone = offsetMin === 0
    ? "Z"
    : (offsetMin > 0 ? "+" : "-") + pad(Math.floor(Math.abs(offsetMin) / 60)) + ":" +
      pad(Math.abs(offsetMin) % 60);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${
    pad(d.getMinutes())
  }:${pad(d.getSeconds())}${frac}${zone}`;
}
