/**
 * Content negotiation for `/metrics` as the newest Pushgateway does it
 * (Content-Type detection for pushes is `media_type.ts`): promhttp with OpenMetrics disabled
 * calls prometheus/common v0.69 `expfmt.Negotiate`, which walks the Accept
 * header as parsed and ordered by munnerz/goautoneg. With OpenMetrics enabled
 * (`--web.enable-openmetrics`, not in upstream) the gateway calls
 * {@linkcode negotiateIncludingOpenMetrics} instead, as promhttp does with
 * `EnableOpenMetrics`.
 *
 * @module
 */

import {
  DEFAULT_ESCAPING_SCHEME,
  type EscapingScheme,
  parseEscapingScheme,
} from "@lib/model/escaping.ts";
import { PROTO_DELIMITED, PROTO_PROTOCOL, PROTO_TYPE } from "@lib/expfmt/media_type.ts";

/** An exposition format the gateway serves. */
export type ExpositionFormat = "text" | "protobuf";

/** The outcome of {@linkcode negotiate}. */
export interface Negotiated {
  /** The body format. */
  format: ExpositionFormat;
  /** How names must be escaped before encoding. */
  escaping: EscapingScheme;
  /** The response Content-Type, `; escaping=<scheme>` included. */
  contentType: string;
}

const CONTENT_TYPES: Readonly<Record<ExpositionFormat, string>> = {
  "text": "text/plain; version=0.0.4; charset=utf-8",
  "protobuf": PROTO_DELIMITED,
};

/**
 * The protobuf encodings upstream negotiates. The protobuf text forms are not
 * implemented: a clause asking for one picks text 0.0.4 (Content-Type included).
 * A Map, so that `encoding=toString` finds nothing.
 */
const PROTO_ENCODINGS: ReadonlyMap<string, ExpositionFormat> = new Map([
  ["delimited", "protobuf"],
  ["text", "text"],
  ["compact-text", "text"],
]);

/** One clause of an Accept header, as goautoneg parses it. */
export interface AcceptClause {
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

// `\d+(?:\.\d*)?`, not `\d+\.?\d*`: the latter backtracks quadratically on a long run of digits
// that does not match (a 50,000-digit q value in an Accept header took 4.5 s).
const GO_DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
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
export function parseAccept(header: string): AcceptClause[] {
  return sortClauses(parseAcceptClauses(header));
}

/** A format `/metrics` may serve when OpenMetrics is enabled. */
export type OpenMetricsAwareFormat = ExpositionFormat | "openmetrics";

/** The outcome of {@linkcode negotiateIncludingOpenMetrics}. */
export interface NegotiatedWithOpenMetrics {
  /** The body format. */
  format: OpenMetricsAwareFormat;
  /** How names must be escaped before encoding. */
  escaping: EscapingScheme;
  /** The response Content-Type, `; escaping=<scheme>` included. */
  contentType: string;
}

/** The OpenMetrics media type. */
export const OPENMETRICS_TYPE = "application/openmetrics-text";

const OPENMETRICS_CONTENT_TYPES: ReadonlyMap<string, string> = new Map([
  ["1.0.0", OPENMETRICS_TYPE + "; version=1.0.0; charset=utf-8"],
  ["0.0.1", OPENMETRICS_TYPE + "; version=0.0.1; charset=utf-8"],
  ["", OPENMETRICS_TYPE + "; version=0.0.1; charset=utf-8"],
]);

function result(format: ExpositionFormat, escaping: EscapingScheme): Negotiated {
  return { format, escaping, contentType: CONTENT_TYPES[format] + "; escaping=" + escaping };
}

/**
 * The walk shared by both negotiations; `openMetrics` adds common v0.69
 * `NegotiateIncludingOpenMetrics`' clause test after the other two.
 */
function walk(accept: string | null, openMetrics: boolean): NegotiatedWithOpenMetrics {
  let escaping = DEFAULT_ESCAPING_SCHEME;
  for (const c of sortClauses(parseAcceptClauses(accept ?? ""))) {
    const param = c.params.get("escaping");
    if (param !== undefined && param !== "") {
      escaping = parseEscapingScheme(param) ?? escaping;
    }
    const mediaType = c.type + "/" + c.subType;
    if (mediaType === PROTO_TYPE && c.params.get("proto") === PROTO_PROTOCOL) {
      const format = PROTO_ENCODINGS.get(c.params.get("encoding") ?? "");
      if (format !== undefined) return result(format, escaping);
    }
    const version = c.params.get("version") ?? "";
    if (c.type === "text" && c.subType === "plain") {
      if (version === "0.0.4" || version === "") return result("text", escaping);
    }
    if (openMetrics && mediaType === OPENMETRICS_TYPE) {
      const contentType = OPENMETRICS_CONTENT_TYPES.get(version);
      if (contentType !== undefined) {
        return {
          format: "openmetrics",
          escaping,
          contentType: contentType + "; escaping=" + escaping,
        };
      }
    }
  }
  return result("text", escaping);
}

/**
 * Chooses the `/metrics` response format from an Accept header, as
 * common v0.69 `expfmt.Negotiate` (OpenMetrics never offered).
 *
 * Clauses are walked in goautoneg order. A valid `escaping=` parameter on any
 * clause walked so far (matching or not) sets the scheme; unknown values are
 * ignored and the default is `underscores`. The first clause that is
 * `application/vnd.google.protobuf` with `proto=io.prometheus.client.MetricFamily`
 * and `encoding` `delimited`, `text` or `compact-text` picks protobuf for
 * `delimited` and text 0.0.4 for the protobuf text forms (which upstream
 * serves and this gateway does not); the first `text/plain` clause with
 * `version=0.0.4` or no version picks text. Anything else (OpenMetrics,
 * `text/plain;version=1.0.0`, `*` + `/*`, garbage, no header) falls through
 * to text. Names and values are compared
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
  return walk(accept, false) as Negotiated;
}

/**
 * Chooses the `/metrics` response format with OpenMetrics on offer, as
 * client_golang's promhttp does with `EnableOpenMetrics` (common v0.69
 * `expfmt.NegotiateIncludingOpenMetrics`): the walk of {@linkcode negotiate},
 * where a clause that matches neither protobuf nor text but is
 * `application/openmetrics-text` with `version=1.0.0` picks OpenMetrics 1.0.0,
 * and one with `version=0.0.1` or no version picks OpenMetrics 0.0.1 (the same
 * bytes under another Content-Type). Other versions are passed over.
 *
 * @param accept The Accept header, or `null` when absent.
 * @returns The format, the escaping scheme and the exact Content-Type, e.g.
 * `application/openmetrics-text; version=1.0.0; charset=utf-8; escaping=underscores`.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * const n = negotiateIncludingOpenMetrics(
 *   "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5",
 * );
 * assertEquals(n.format, "openmetrics");
 * ```
 */
export function negotiateIncludingOpenMetrics(accept: string | null): NegotiatedWithOpenMetrics {
  return walk(accept, true);
}
