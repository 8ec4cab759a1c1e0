/**
 * Unsigned integers as kingpin's `Uint64()` flags read them: Go's
 * `strconv.ParseUint(s, 0, 64)`, so decimal, `0x`/`0o`/`0b` (and a leading
 * `0` for octal) prefixes and `_` between digits, with Go's error texts.
 *
 * @module
 */

/** A number text that does not parse; `message` is Go's error text. */
export class GoUintError extends Error {
  /** Creates the error with Go's text, e.g. `strconv.ParseUint: parsing "x": invalid syntax`. */
  constructor(message: string) {
    super(message);
    this.name = "GoUintError";
  }
}

const UINT64_MAX = (1n << 64n) - 1n;

/** Go's `underscoreOK`: underscores only between digits (or after a base prefix). */
function underscoresOk(s: string, hasPrefix: boolean): boolean {
  let saw: "digit" | "underscore" | "start" = hasPrefix ? "digit" : "start";
  for (const c of s) {
    if (c === "_") {
      if (saw !== "digit") return false;
      saw = "underscore";
    } else saw = "digit";
  }
  return saw !== "underscore";
}

/**
 * Parses `text` as Go's `strconv.ParseUint(text, 0, 64)` does.
 *
 * @param text The number text, e.g. `100000`, `0x10`, `1_000`.
 * @returns The value (above 2^53 the nearest double).
 * @throws {GoUintError} `strconv.ParseUint: parsing "<text>": invalid syntax`
 * or `…: value out of range`.
 * @example
 * ```ts
 * import { parseGoUint } from "@lib/gocompat/go_uint.ts";
 * parseGoUint("0x10"); // 16
 * ```
 */
export function parseGoUint(text: string): number {
  const fail = (why: string): GoUintError =>
    new GoUintError(`strconv.ParseUint: parsing ${JSON.stringify(text)}: ${why}`);
  let s = text;
  let base = 10;
  let prefix = false;
  if (s.length >= 2 && s[0] === "0") {
    const p = s[1]!.toLowerCase();
    if (p === "x" || p === "o" || p === "b") {
      base = p === "x" ? 16 : p === "o" ? 8 : 2;
      s = s.slice(2);
      prefix = true;
    } else {
      base = 8;
      s = s.slice(1);
      prefix = true;
    }
  }
  // Only a bare `0x`/`0o`/`0b` leaves nothing (a leading-zero octal keeps a digit).
  if (s === "" || !underscoresOk(s, prefix)) throw fail("invalid syntax");
  const digits = s.replaceAll("_", "");
  const valid = base === 16
    ? /^[0-9a-f]*$/i
    : base === 8
    ? /^[0-7]*$/
    : base === 2
    ? /^[01]*$/
    : /^[0-9]+$/;
  if (!valid.test(digits)) throw fail("invalid syntax");
  if (digits === "") return 0;
  const radix = base === 16 ? "0x" : base === 8 ? "0o" : base === 2 ? "0b" : "";
  const value = BigInt(radix + digits);
  if (value > UINT64_MAX) throw fail("value out of range");
  return Number(value);
}
