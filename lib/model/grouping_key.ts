/**
 * Grouping keys in push URLs, the parts that are not HTTP: upstream's base64url
 * decoding of `@base64` values (`decodeBase64` in handler/push.go, with Go's
 * error texts), and building the push path of a grouping key (the UI's
 * "Delete Group" button). Parsing a request's path is in
 * {@link ../http/grouping_path.ts}.
 *
 * @module
 */

import { encodeBase64Url } from "@std/encoding/base64url";
import { escapeValueEncoding } from "@lib/model/escaping.ts";
import { isValidLegacyLabelName } from "@lib/model/names.ts";

/** How label names in the URL are read. */
export interface GroupingKeyOptions {
  /** `--push.enable-utf8-names`: UTF-8 label names and `U__` escapes in the path. */
  utf8Names: boolean;
}

/** The suffix that marks a base64url-encoded value (or job). */
export const BASE64_SUFFIX = "@base64";

const ESCAPE_PREFIX = "U__";

/**
 * A value that is not valid base64url. The message is Go's
 * `illegal base64 data at input byte N`; `partial` is what Go had decoded
 * before it stopped (upstream prints it in the job error).
 */
export class Base64DecodeError extends Error {
  /** Byte offset (in the UTF-8 input after trimming `=`) where decoding failed. */
  readonly offset: number;
  /** The bytes Go had decoded before the failing quantum. */
  readonly partial: Uint8Array;

  /** Creates the error for a failure at byte `offset`. */
  constructor(offset: number, partial: Uint8Array) {
    super(`illegal base64 data at input byte ${offset}`);
    this.name = "Base64DecodeError";
    this.offset = offset;
    this.partial = partial;
  }
}

// ---------------------------------------------------------------------------
// base64url, decoded the way Go's base64.RawURLEncoding does it.

const B64URL_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const B64URL_DECODE: Uint8Array = (() => {
  const table = new Uint8Array(256).fill(0xff);
  for (let i = 0; i < B64URL_ALPHABET.length; i++) table[B64URL_ALPHABET.charCodeAt(i)] = i;
  return table;
})();

/**
 * Decodes a base64url value the way upstream does: every trailing `=` is
 * removed first, then the rest is decoded like Go's `RawURLEncoding`
 * (padding optional, `\r` and `\n` skipped, unused trailing bits ignored).
 * So `"="` decodes to `""`. Throws a {@linkcode Base64DecodeError} with Go's
 * message. Bytes that are not UTF-8 become U+FFFD.
 */
export function decodeBase64Value(s: string): string {
  return new TextDecoder().decode(decodeBase64Bytes(s));
}

/** Like {@linkcode decodeBase64Value}, but returns the raw bytes. */
export function decodeBase64Bytes(s: string): Uint8Array {
  // Trailing padding goes first. A loop, not /=+$/: that regex is quadratic on a long run of "="
  // that is not at the end (a 60,000-character path segment took seconds).
  let end = s.length;
  while (end > 0 && s.charCodeAt(end - 1) === 0x3d) end--;
  const src = new TextEncoder().encode(s.slice(0, end));
  const out = new Uint8Array(Math.floor((src.length * 6) / 8) + 3);
  let n = 0;
  let si = 0;
  const quad = [0, 0, 0, 0];
  while (si < src.length) {
    // One quantum of up to four significant characters (Go's decodeQuantum).
    let got = 0;
    while (got < 4) {
      if (si === src.length) {
        if (got === 1) throw new Base64DecodeError(si - got, out.slice(0, n));
        break;
      }
      const c = src[si++]!;
      const v = B64URL_DECODE[c]!;
      if (v !== 0xff) {
        quad[got++] = v;
      } else if (c !== 0x0a && c !== 0x0d) {
        throw new Base64DecodeError(si - 1, out.slice(0, n));
      }
    }
    if (got === 0) break;
    for (let k = got; k < 4; k++) quad[k] = 0;
    const val = (quad[0]! << 18) | (quad[1]! << 12) | (quad[2]! << 6) | quad[3]!;
    const bytes = [(val >> 16) & 0xff, (val >> 8) & 0xff, val & 0xff];
    for (let k = 0; k < got - 1; k++) out[n++] = bytes[k]!;
  }
  return out.slice(0, n);
}

/**
 * Builds the push path of a grouping key the way the UI's "Delete Group"
 * button does: `/metrics/job@base64/<b64>{/<name>@base64/<b64>=}` with the
 * labels sorted by name (job excluded), every value base64url-encoded and
 * followed by one `=` so that empty values work. Names are URI-component
 * encoded; with `utf8Names`, names that are not legacy-valid (or that start
 * with `U__`) are `U__`-escaped so that the path parses back to the same key.
 */
export function encodeGroupingPath(
  labels: Record<string, string>,
  options: GroupingKeyOptions = { utf8Names: false },
): string {
  // `RawURLEncoding` of the UTF-8 bytes (encodeBase64Url adds no padding), then one "=".
  const value = (v: string): string => encodeBase64Url(v) + "=";
  let path = `/metrics/job${BASE64_SUFFIX}/${value(labels["job"] ?? "")}`;
  const names = Object.keys(labels).filter((n) => n !== "job").sort();
  for (const name of names) {
    const needsEscape = options.utf8Names &&
      (!isValidLegacyLabelName(name) || name.startsWith(ESCAPE_PREFIX));
    const pathName = needsEscape ? escapeValueEncoding(name) : name;
    path += `/${encodeURIComponent(pathName)}${BASE64_SUFFIX}/${value(labels[name]!)}`;
  }
  return path;
}
