/**
 * Go's `%q` formatting (`strconv.Quote`, `QuoteRune`) for the texts clients
 * see in error messages and log lines.
 *
 * @module
 */

const encoder = new TextEncoder();

const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u;

/**
 * Go's strconv.IsPrint (approximated with the JavaScript engine's Unicode tables): letters, marks,
 * numbers, punctuation, symbols and the ASCII space; not other spaces, controls or format runes.
 *
 * @param r A code point.
 * @returns `true` when Go prints `r` as is.
 */
export function isGoPrint(r: number): boolean {
  if (r < 0x80) return r >= 0x20 && r < 0x7f;
  return PRINTABLE.test(String.fromCodePoint(r));
}

function hex(v: number, width: number): string {
  return v.toString(16).padStart(width, "0");
}

/** Appends the escaped form of rune `r` as Go's appendEscapedRune does. */
function escapeRune(r: number, quote: number): string {
  if (r === quote || r === 0x5c) return "\\" + String.fromCharCode(r);
  if (isGoPrint(r)) return String.fromCodePoint(r);
  switch (r) {
    case 0x07:
      return "\\a";
    case 0x08:
      return "\\b";
    case 0x0c:
      return "\\f";
    case 0x0a:
      return "\\n";
    case 0x0d:
      return "\\r";
    case 0x09:
      return "\\t";
    case 0x0b:
      return "\\v";
  }
  if (r < 0x20 || r === 0x7f) return "\\x" + hex(r, 2);
  if (r < 0x10000) return "\\u" + hex(r, 4);
  return "\\U" + hex(r, 8);
}

/** Length of the valid UTF-8 sequence at `i` (Go's rules), or 0 when invalid. */
function utf8SeqLen(b: Uint8Array, i: number): number {
  const c = b[i]!;
  if (c < 0x80) return 1;
  const c1 = b[i + 1] ?? 0;
  const cont = (x: number): boolean => (x & 0xc0) === 0x80;
  if (c >= 0xc2 && c <= 0xdf) return cont(c1) ? 2 : 0;
  if (c >= 0xe0 && c <= 0xef) {
    const lo = c === 0xe0 ? 0xa0 : 0x80;
    const hi = c === 0xed ? 0x9f : 0xbf;
    return c1 >= lo && c1 <= hi && cont(b[i + 2] ?? 0) ? 3 : 0;
  }
  if (c >= 0xf0 && c <= 0xf4) {
    const lo = c === 0xf0 ? 0x90 : 0x80;
    const hi = c === 0xf4 ? 0x8f : 0xbf;
    return c1 >= lo && c1 <= hi && cont(b[i + 2] ?? 0) && cont(b[i + 3] ?? 0) ? 4 : 0;
  }
  return 0;
}

/** Go's `%q` of a byte string: double quotes, invalid UTF-8 bytes as `\xNN`. */
export function goQuoteBytes(b: Uint8Array): string {
  let out = '"';
  let i = 0;
  while (i < b.length) {
    const len = utf8SeqLen(b, i);
    if (len === 0) {
      out += "\\x" + hex(b[i]!, 2);
      i++;
      continue;
    }
    let r = b[i]!;
    if (len === 2) r = ((r & 0x1f) << 6) | (b[i + 1]! & 0x3f);
    else if (len === 3) r = ((r & 0x0f) << 12) | ((b[i + 1]! & 0x3f) << 6) | (b[i + 2]! & 0x3f);
    else if (len === 4) {
      r = ((r & 0x07) << 18) | ((b[i + 1]! & 0x3f) << 12) | ((b[i + 2]! & 0x3f) << 6) |
        (b[i + 3]! & 0x3f);
    }
    out += escapeRune(r, 0x22);
    i += len;
  }
  return out + '"';
}

/** Go's `%q` of a string (lone surrogates become U+FFFD, as UTF-8 encoding makes them). */
export function goQuote(s: string): string {
  return goQuoteBytes(encoder.encode(s));
}

/** Go's `%q` of a byte value (a rune U+0000..U+00FF in single quotes). */
export function goQuoteByte(c: number): string {
  return "'" + escapeRune(c, 0x27) + "'";
}
