/**
 * Content-Type detection for pushes, as upstream does it: Go's
 * `mime.ParseMediaType` (RFC 2045/2231 parameters, Go's error cases), then the
 * protobuf-delimited check of the push handler. Anything else is text.
 *
 * @module
 */

/** The protobuf exposition's media type. */
export const PROTO_TYPE = "application/vnd.google.protobuf";
/** The `proto` parameter naming the message of the protobuf exposition. */
export const PROTO_PROTOCOL = "io.prometheus.client.MetricFamily";
/**
 * The full Content-Type of length-delimited protobuf exposition, as clients
 * send it with a push and ask for it in `Accept` (and as `/metrics` answers it,
 * before `; escaping=…`).
 *
 * @example
 * ```ts
 * import { assert } from "@std/assert";
 * assert(isProtobufDelimited(PROTO_DELIMITED));
 * ```
 */
export const PROTO_DELIMITED = `${PROTO_TYPE}; proto=${PROTO_PROTOCOL}; encoding=delimited`;

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

/** The OpenMetrics text media type. */
export const OPENMETRICS_TEXT_TYPE = "application/openmetrics-text";

/**
 * Tells whether a push body is declared as OpenMetrics text (not in
 * upstream, which parses it as text 0.0.4): the Content-Type parses (Go's
 * `mime.ParseMediaType`) as `application/openmetrics-text`, case-insensitive,
 * whatever its parameters (`version`, `charset`).
 *
 * @param contentType The request's Content-Type, or `null` when absent.
 * @returns `true` for an OpenMetrics body.
 *
 * @example
 * ```ts
 * import { assert } from "@std/assert";
 * assert(isOpenMetricsText("application/openmetrics-text; version=1.0.0; charset=utf-8"));
 * assert(!isOpenMetricsText("text/plain; version=0.0.4"));
 * ```
 */
export function isOpenMetricsText(contentType: string | null): boolean {
  if (contentType === null) return false;
  return parseMediaType(contentType)?.type === OPENMETRICS_TEXT_TYPE;
}
