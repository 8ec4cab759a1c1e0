/**
 * JSON and time text the way Go's `encoding/json` and `time` write them, so
 * the API's bytes match upstream's.
 *
 * @module
 */

/**
 * Serialises `value` like Go's `json.Marshal`: `<`, `>`, `&`, U+2028 and U+2029
 * escaped. Object keys keep their insertion order: build Go maps with
 * {@linkcode sortedRecord} and structs in field order.
 */
export function goJson(value: unknown): string {
  return JSON.stringify(value).replace(
    /[<>&\u2028\u2029]/g,
    (c) => "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0"),
  );
}

/** A copy of `record` with keys in Go's map order (sorted by byte value). */
export function sortedRecord<T>(record: Readonly<Record<string, T>>): Record<string, T> {
  const out: Record<string, T> = {};
  for (const k of Object.keys(record).sort()) out[k] = record[k] as T;
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
