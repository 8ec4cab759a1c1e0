/**
 * Content negotiation for `/metrics` and Content-Type detection for pushes,
 * as the newest Pushgateway does it: promhttp with OpenMetrics disabled
 * calls prometheus/common v0.69 `expfmt.Negotiate`, which walks the Accept
 * header as parsed and ordered by munnerz/goautoneg.
 *
 * @module
 */

import {
  DEFAULT_ESCAPING_SCHEME,
  type EscapingScheme,
  parseEscapingScheme,
} from "@lib/model/escaping.ts";

/** An exposition format the gateway serves. */
export type ExpositionFormat = "text" | "protobuf" | "proto-text" | "proto-compact";

/** The outcome of {@linkcode negotiate}. */
export interface Negotiated {
  /** The body format. */
  format: ExpositionFormat;
  /** How names must be escaped before encoding. */
  escaping: EscapingScheme;
  /** The response Content-Type, `; escaping=<scheme>` included. */
  contentType: string;
}

const PROTO_TYPE = "application/vnd.google.protobuf";
const PROTO_PROTOCOL = "io.prometheus.client.MetricFamily";
const PROTO_PREFIX = PROTO_TYPE + "; proto=" + PROTO_PROTOCOL + "; encoding=";

const CONTENT_TYPES: Readonly<Record<ExpositionFormat, string>> = {
  "text": "text/plain; version=0.0.4; charset=utf-8",
  "protobuf": PROTO_PREFIX + "delimited",
  "proto-text": PROTO_PREFIX + "text",
  "proto-compact": PROTO_PREFIX + "compact-text",
};

const PROTO_ENCODINGS: Readonly<Record<string, ExpositionFormat>> = {
  "delimited": "protobuf",
  "text": "proto-text",
  "compact-text": "proto-compact",
};

/** One clause of an Accept header, as goautoneg parses it. */
interface AcceptClause {
  type: string;
  subType: string;
  q: number;
  params: Map<string, string>;
}

/** goautoneg trims only ASCII spaces, not tabs. */
function trimSpaces(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && s.charCodeAt(a) === 0x20) a++;
  while (b > a && s.charCodeAt(b - 1) === 0x20) b--;
  return s.slice(a, b);
}

const GO_DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const GO_HEX = /^([+-]?)0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?[pP]([+-]?\d+)$/;
const GO_SPECIAL = /^(?:[+-]?(?:inf|infinity)|nan)$/i;

/** Go's `underscoreOK`: `_` only between digits (a base prefix counts as one). */
function underscoreOK(s: string): boolean {
  let i = s[0] === "+" || s[0] === "-" ? 1 : 0;
  let saw = "^";
  let hex = false;
  if (s[i] === "0" && /[box]/i.test(s[i + 1] ?? "")) {
    hex = /x/i.test(s[i + 1]!);
    saw = "0";
    i += 2;
  }
  for (; i < s.length; i++) {
    const c = s[i]!;
    if ((c >= "0" && c <= "9") || (hex && /[a-f]/i.test(c))) saw = "0";
    else if (c === "_") {
      if (saw !== "0") return false;
      saw = "_";
    } else {
      if (saw === "_") return false;
      saw = "!";
    }
  }
  return saw !== "_";
}

/**
 * `strconv.ParseFloat(s, 32)` as goautoneg uses it for `q`: the value rounded
 * to float32, or 0 for a syntax error (overflow gives ±Inf, as Go returns).
 */
function parseGoFloat32(s: string): number {
  if (s.includes("_")) {
    if (!underscoreOK(s)) return 0;
    s = s.replaceAll("_", "");
  }
  if (GO_DECIMAL.test(s)) return Math.fround(Number(s));
  if (GO_SPECIAL.test(s)) {
    const l = s.toLowerCase();
    return l === "nan" ? NaN : l.startsWith("-") ? -Infinity : Infinity;
  }
  const m = GO_HEX.exec(s);
  if (m === null) return 0;
  const int = m[2]!;
  const frac = m[3] ?? "";
  if (int === "" && frac === "") return 0;
  const v = parseInt(int + frac, 16) * 2 ** (Number(m[4]!) - 4 * frac.length);
  return Math.fround(m[1] === "-" ? -v : v);
}

/** goautoneg's `nextSplitElement`: split at the first `sep`. */
function splitFirst(s: string, sep: string): [string, string] {
  const i = s.indexOf(sep);
  return i === -1 ? [s, ""] : [s.slice(0, i), s.slice(i + 1)];
}

/** goautoneg `ParseAccept` without the sort. */
function parseAcceptClauses(header: string): AcceptClause[] {
  const out: AcceptClause[] = [];
  let remaining = header;
  while (remaining.length > 0) {
    let part: string;
    [part, remaining] = splitFirst(remaining, ",");
    part = trimSpaces(part);
    const [mediaRange, paramsPart] = splitFirst(part, ";");
    const [typePart, afterSlash] = splitFirst(mediaRange, "/");
    const type = trimSpaces(typePart);
    let subType: string;
    if (afterSlash.length === 0) {
      if (type !== "*") continue;
      subType = "*";
    } else {
      const [sub, rest] = splitFirst(afterSlash, "/");
      if (rest.length > 0) continue;
      subType = trimSpaces(sub);
    }
    const clause: AcceptClause = { type, subType, q: 1, params: new Map() };
    let rest = paramsPart;
    while (rest.length > 0) {
      let param: string;
      [param, rest] = splitFirst(rest, ";");
      const [key, afterEq] = splitFirst(param, "=");
      if (afterEq.length === 0) continue;
      const [value, extra] = splitFirst(afterEq, "=");
      if (extra.length !== 0) continue;
      const token = trimSpaces(key);
      // The q value is not trimmed: `q= 0.5` is a syntax error, hence 0.
      if (token === "q") clause.q = parseGoFloat32(value);
      else clause.params.set(token, trimSpaces(value));
    }
    out.push(clause);
  }
  return out;
}

/** goautoneg's `Less`; not a strict weak order, so the sort matters. */
function acceptLess(a: AcceptClause, b: AcceptClause): boolean {
  return a.q > b.q || (a.type !== "*" && b.type === "*") ||
    (a.subType !== "*" && b.subType === "*");
}

/**
 * Orders clauses as Go's `sort.Sort` does with goautoneg's comparator. Up to
 * 12 clauses Go's pdqsort is a plain insertion sort, reproduced exactly.
 * Longer headers (no real scraper sends one) get a stable sort on a
 * consistent form of the same rule, which can differ from Go's order.
 */
function sortClauses(clauses: AcceptClause[]): AcceptClause[] {
  if (clauses.length <= 12) {
    for (let i = 1; i < clauses.length; i++) {
      for (let j = i; j > 0 && acceptLess(clauses[j]!, clauses[j - 1]!); j--) {
        const t = clauses[j]!;
        clauses[j] = clauses[j - 1]!;
        clauses[j - 1] = t;
      }
    }
    return clauses;
  }
  const rank = (c: AcceptClause): number => (c.type === "*" ? 2 : 0) + (c.subType === "*" ? 1 : 0);
  return clauses.sort((a, b) => {
    if (a.q > b.q) return -1;
    if (a.q < b.q) return 1;
    return rank(a) - rank(b);
  });
}

/**
 * Parses an Accept header into clauses ordered as goautoneg's `ParseAccept`
 * orders them. Exported for tests and diagnostics.
 *
 * @param header The Accept header value.
 * @returns The clauses, most preferred first.
 */
export function parseAccept(
  header: string,
): { type: string; subType: string; q: number; params: Map<string, string> }[] {
  return sortClauses(parseAcceptClauses(header));
}

function result(format: ExpositionFormat, escaping: EscapingScheme): Negotiated {
  return { format, escaping, contentType: CONTENT_TYPES[format] + "; escaping=" + escaping };
}

/**
 * Chooses the `/metrics` response format from an Accept header, as
 * common v0.69 `expfmt.Negotiate` (OpenMetrics never offered).
 *
 * Clauses are walked in goautoneg order. A valid `escaping=` parameter on any
 * clause walked so far (matching or not) sets the scheme; unknown values are
 * ignored and the default is `underscores`. The first clause that is
 * `application/vnd.google.protobuf` with `proto=io.prometheus.client.MetricFamily`
 * and `encoding` `delimited`, `text` or `compact-text` picks that protobuf
 * form; the first `text/plain` clause with `version=0.0.4` or no version picks
 * text. Anything else (OpenMetrics, `text/plain;version=1.0.0`, `*` + `/*`,
 * garbage, no header) falls through to text. Names and values are compared
 * case-sensitively, as upstream does.
 *
 * @param accept The Accept header, or `null` when absent.
 * @returns The format, the escaping scheme and the exact Content-Type.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * assertEquals(
 *   negotiate(null).contentType,
 *   "text/plain; version=0.0.4; charset=utf-8; escaping=underscores",
 * );
 * ```
 */
export function negotiate(accept: string | null): Negotiated {
  let escaping = DEFAULT_ESCAPING_SCHEME;
  for (const c of sortClauses(parseAcceptClauses(accept ?? ""))) {
    const param = c.params.get("escaping");
    if (param !== undefined && param !== "") {
      escaping = parseEscapingScheme(param) ?? escaping;
    }
    if (c.type + "/" + c.subType === PROTO_TYPE && c.params.get("proto") === PROTO_PROTOCOL) {
      const format = PROTO_ENCODINGS[c.params.get("encoding") ?? ""];
      if (format !== undefined) return result(format, escaping);
    }
    if (c.type === "text" && c.subType === "plain") {
      const version = c.params.get("version") ?? "";
      if (version === "0.0.4" || version === "") return result("text", escaping);
    }
  }
  return result("text", escaping);
}

// ---- Content-Type of push bodies (Go's mime.ParseMediaType) ----

/** Go's `unicode.IsSpace`. */
function isGoSpace(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d) || c === 0x85 || c === 0xa0 || c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f ||
    c === 0x205f || c === 0x3000;
}

function trimLeftGoSpace(s: string): string {
  let i = 0;
  while (i < s.length && isGoSpace(s.charCodeAt(i))) i++;
  return s.slice(i);
}

function trimGoSpace(s: string): string {
  let b = s.length;
  while (b > 0 && isGoSpace(s.charCodeAt(b - 1))) b--;
  return trimLeftGoSpace(s.slice(0, b));
}

const TSPECIALS = '()<>@,;:\\"/[]?=';

function isTokenChar(c: string): boolean {
  const code = c.charCodeAt(0);
  return code > 0x20 && code < 0x7f && !TSPECIALS.includes(c);
}

/** Go's `consumeToken`: the leading token and the rest. */
function consumeToken(v: string): [string, string] {
  let i = 0;
  while (i < v.length && isTokenChar(v[i]!)) i++;
  return [v.slice(0, i), v.slice(i)];
}

/** Go's `consumeValue`: a token or a quoted-string; `["", v]` on failure. */
function consumeValue(v: string): [string, string] {
  if (v === "") return ["", ""];
  if (v[0] !== '"') return consumeToken(v);
  let out = "";
  for (let i = 1; i < v.length; i++) {
    const c = v[i]!;
    if (c === '"') return [out, v.slice(i + 1)];
    if (c === "\\" && i + 1 < v.length && TSPECIALS.includes(v[i + 1]!)) {
      out += v[i + 1];
      i++;
      continue;
    }
    if (c === "\r" || c === "\n") return ["", v];
    out += c;
  }
  return ["", v];
}

/** Go's `consumeMediaParam`: `[key, value, rest]`, key `""` on failure. */
function consumeMediaParam(v: string): [string, string, string] {
  let rest = trimLeftGoSpace(v);
  if (!rest.startsWith(";")) return ["", "", v];
  rest = trimLeftGoSpace(rest.slice(1));
  let key: string;
  [key, rest] = consumeToken(rest);
  key = key.toLowerCase();
  if (key === "") return ["", "", v];
  rest = trimLeftGoSpace(rest);
  if (!rest.startsWith("=")) return ["", "", v];
  rest = trimLeftGoSpace(rest.slice(1));
  const [value, rest2] = consumeValue(rest);
  if (value === "" && rest2 === rest) return ["", "", v];
  return [key, value, rest2];
}

/**
 * Go's `mime.ParseMediaType`, reduced to what the push handler needs: the
 * lower-cased media type and the parameters, or `undefined` on a parse error
 * (malformed type or parameter, a parameter repeated with another value). RFC 2231
 * continuations (`key*0`, `key*1`, …) are joined; their encoded forms
 * (`key*`, `key*0*`) are percent-decoded when their charset is UTF-8 or
 * US-ASCII.
 */
function parseMediaType(v: string): { type: string; params: Map<string, string> } | undefined {
  const semi = v.indexOf(";");
  const base = semi === -1 ? v : v.slice(0, semi);
  const type = trimGoSpace(base.toLowerCase());
  const [t1, r1] = consumeToken(type);
  if (t1 === "") return undefined;
  if (r1 !== "") {
    if (!r1.startsWith("/")) return undefined;
    const [t2, r2] = consumeToken(r1.slice(1));
    if (t2 === "" || r2 !== "") return undefined;
  }
  const params = new Map<string, string>();
  const continuation = new Map<string, Map<string, string>>();
  let rest = v.slice(base.length);
  while (rest.length > 0) {
    rest = trimLeftGoSpace(rest);
    if (rest.length === 0) break;
    const [key, value, after] = consumeMediaParam(rest);
    if (key === "") {
      if (trimGoSpace(after) === ";") break; // a trailing semicolon is fine
      return undefined;
    }
    let pmap = params;
    const star = key.indexOf("*");
    if (star !== -1) {
      const baseName = key.slice(0, star);
      pmap = continuation.get(baseName) ?? new Map();
      continuation.set(baseName, pmap);
    }
    // Newest Go tolerates a repeated parameter when the values agree.
    if (pmap.has(key) && pmap.get(key) !== value) return undefined;
    pmap.set(key, value);
    rest = after;
  }
  for (const [key, pieces] of continuation) {
    const single = pieces.get(key + "*");
    if (single !== undefined) {
      const dec = decode2231(single);
      if (dec !== undefined) params.set(key, dec);
      continue;
    }
    let joined = "";
    let valid = false;
    for (let n = 0;; n++) {
      const simple = pieces.get(`${key}*${n}`);
      if (simple !== undefined) {
        valid = true;
        joined += simple;
        continue;
      }
      const encoded = pieces.get(`${key}*${n}*`);
      if (encoded === undefined) break;
      valid = true;
      joined += n === 0 ? decode2231(encoded) ?? "" : percentDecode(encoded) ?? "";
    }
    if (valid) params.set(key, joined);
  }
  return { type, params };
}

function percentDecode(s: string): string | undefined {
  if (!s.includes("%")) return s;
  if (/%(?![0-9a-fA-F]{2})/.test(s)) return undefined;
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    if (s[i] === "%") {
      bytes.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      bytes.push(s.charCodeAt(i) & 0xff);
    }
  }
  return new TextDecoder().decode(new Uint8Array(bytes));
}

function decode2231(v: string): string | undefined {
  const parts = v.split("'");
  if (parts.length < 3) return undefined;
  const charset = parts[0]!.toLowerCase();
  if (charset !== "us-ascii" && charset !== "utf-8") return undefined;
  return percentDecode(parts.slice(2).join("'"));
}

/**
 * Tells whether a push body is length-delimited protobuf, as the push
 * handler decides: the Content-Type parses (Go's `mime.ParseMediaType`) as
 * `application/vnd.google.protobuf` with `proto=io.prometheus.client.MetricFamily`
 * and `encoding=delimited`. Type and parameter names are case-insensitive,
 * values exact (quoted values allowed), order free. Anything else, including
 * no Content-Type or one that does not parse, means the text format.
 *
 * @param contentType The request's Content-Type, or `null` when absent.
 * @returns `true` for a delimited protobuf body.
 *
 * @example
 * ```ts
 * import { assert } from "@std/assert";
 * assert(isProtobufDelimited(
 *   "application/vnd.google.protobuf; encoding=delimited; proto=io.prometheus.client.MetricFamily",
 * ));
 * assert(!isProtobufDelimited("text/plain"));
 * ```
 */
export function isProtobufDelimited(contentType: string | null): boolean {
  if (contentType === null) return false;
  const mt = parseMediaType(contentType);
  return mt !== undefined && mt.type === PROTO_TYPE &&
    mt.params.get("encoding") === "delimited" && mt.params.get("proto") === PROTO_PROTOCOL;
}
