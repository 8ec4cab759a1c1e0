/**
 * Byte sizes in kingpin's `Bytes()` flag syntax (alecthomas/units `Base2Bytes`).
 *
 * Every unit is a power of 1024: `B`, `KB`/`KiB`, `MB`/`MiB`, `GB`/`GiB`,
 * `TB`/`TiB`, `PB`/`PiB`, `EB`/`EiB`; sums like `1MiB512KiB` and fractions like
 * `1.5MiB` work, and the lower-case SI `kB` is rejected, as upstream's units
 * package does. One extension: a plain number (`65536`) means bytes.
 *
 * @module
 */

const KIB = 1024;

const UNITS: ReadonlyMap<string, number> = new Map([
  ["B", 1],
  ["KiB", KIB],
  ["MiB", KIB ** 2],
  ["GiB", KIB ** 3],
  ["TiB", KIB ** 4],
  ["PiB", KIB ** 5],
  ["EiB", KIB ** 6],
  ["KB", KIB],
  ["MB", KIB ** 2],
  ["GB", KIB ** 3],
  ["TB", KIB ** 4],
  ["PB", KIB ** 5],
  ["EB", KIB ** 6],
]);

const PART = /^(\d*)(?:\.(\d*))?([^\d.]*)/;

/** A size text that does not parse; the message follows alecthomas/units. */
export class BytesSizeError extends Error {
  /** Creates the error with the given message. */
  constructor(message: string) {
    super(message);
    this.name = "BytesSizeError";
  }
}

/**
 * Parses a byte size such as `64MiB`, `512KB`, `1.5GiB` or a plain `65536`.
 *
 * @param text The size text.
 * @returns The size in bytes (whole, truncated like Go's `int64(f)`), never negative.
 * @throws {BytesSizeError} `units: invalid <text>`, `units: unknown unit <u> in <text>`, or
 * a negative size.
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { parseBytesSize } from "@lib/gocompat/bytes_size.ts";
 * assertEquals(parseBytesSize("64MiB"), 67108864);
 * ```
 */
export function parseBytesSize(text: string): number {
  if (/^\d+$/.test(text)) return Number(text);
  const invalid = (): BytesSizeError => new BytesSizeError(`units: invalid ${text}`);
  let s = text;
  let neg = false;
  if (s !== "" && (s[0] === "-" || s[0] === "+")) {
    neg = s[0] === "-";
    s = s.slice(1);
  }
  if (s === "0") return 0;
  if (s === "") throw invalid();
  let total = 0;
  while (s !== "") {
    const m = PART.exec(s);
    if (m === null) throw invalid();
    const [all, whole = "", frac, unitName = ""] = m;
    if (whole === "" && (frac === undefined || frac === "")) throw invalid();
    const value = Number(whole === "" ? "0" : whole) +
      (frac === undefined || frac === "" ? 0 : Number("0." + frac));
    const unit = UNITS.get(unitName);
    if (unit === undefined) throw new BytesSizeError(`units: unknown unit ${unitName} in ${text}`);
    total += value * unit;
    s = s.slice(all.length);
  }
  if (neg && total !== 0) throw new BytesSizeError(`invalid size ${text}: must not be negative`);
  if (total > Number.MAX_SAFE_INTEGER) throw new BytesSizeError("units: overflow parsing unit");
  return Math.trunc(total);
}

/**
 * Formats a byte count the way `units.Base2Bytes.String` does.
 *
 * @param bytes A whole, non-negative number of bytes.
 * @returns E.g. `64MiB`, `1KiB512B`, `0B`.
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { formatBytesSize } from "@lib/gocompat/bytes_size.ts";
 * assertEquals(formatBytesSize(1536), "1KiB512B");
 * ```
 */
export function formatBytesSize(bytes: number): string {
  if (bytes === 0) return "0B";
  const prefixes = ["", "K", "M", "G", "T", "P", "E"];
  const parts: string[] = [];
  let n = BigInt(Math.trunc(bytes));
  for (const prefix of prefixes) {
    const rest = n % 1024n;
    if (rest !== 0n) parts.unshift(`${rest}${prefix}${prefix === "" ? "B" : "iB"}`);
    n /= 1024n;
    if (n === 0n) break;
  }
  return parts.join("");
}
