/**
 * Parser for the Prometheus text exposition format 0.0.4, behaving like the
 * `TextParser` of prometheus/common `expfmt` (v0.69): the same state machine,
 * the same accepted inputs, the same error messages and line numbers.
 *
 * The parser scans the raw bytes with an index (the input may hold invalid
 * UTF-8, which is only an error inside names and label values). It keeps
 * upstream's parser state across lines on purpose, because some odd inputs
 * (a line starting with `{` and no metric name in the braces) reuse the
 * family and metric of an earlier line upstream.
 *
 * @module
 */

import {
  goQuote as goQuoteString,
  goQuoteByte,
  goQuoteBytes as goQuote,
} from "@lib/gocompat/go_quote.ts";
import {
  emptyHistogram,
  type LabelPair,
  type Metric,
  METRIC_TYPE_NAMES,
  type MetricFamily,
  MetricType,
} from "@lib/model/metric.ts";
import type { ValidationScheme } from "@lib/model/names.ts";
import { ParseError } from "@lib/model/parse_error.ts";
import { PushBudget, type PushLimits } from "@lib/model/push_limits.ts";

/** Options of {@linkcode parseText}. */
export interface TextParseOptions {
  /** Name validation: `"legacy"` unless `--push.enable-utf8-names`. */
  scheme: ValidationScheme;
  /**
   * Limits of one push: the parse stops with a `PushLimitError` at the first
   * series or value past them (default: none).
   */
  limits?: PushLimits;
  /**
   * Stop after the line of the first series that repeats an earlier one of
   * its family (same labels), returning what was parsed up to it, the
   * repeat included. A push with a repeated series is refused by the
   * consistency check anyway, with the error for that series; the rest of
   * the body is not held in memory.
   */
  stopAtDuplicate?: boolean;
}

/**
 * Thrown for the inputs on which upstream's parser panics (a nil pointer
 * dereference or a nil map write in Go), e.g. `# TYPE foo counter\n{} 1\n`.
 * Go's net/http recovers such a panic and closes the connection without a
 * response. This is still a {@linkcode ParseError} (message
 * `invalid metric name`, the text upstream chose when it fixed the plain `{}`
 * case) so callers may answer 400, or check for this class to mimic upstream.
 */
export class TextParsePanic extends ParseError {
  /** The Go runtime error upstream panics with. */
  readonly goPanic: string;

  /** Creates the error for line `line`; `goPanic` names the Go runtime error. */
  constructor(line: number, goPanic: string) {
    super("invalid metric name", line);
    this.name = "TextParsePanic";
    this.goPanic = goPanic;
  }
}

const TAB: number = 0x09;
const NL: number = 0x0a;
const SP: number = 0x20;
const QUOTE: number = 0x22;
const HASH: number = 0x23;
const COMMA: number = 0x2c;
const COLON: number = 0x3a;
const EQ: number = 0x3d;
const BSLASH: number = 0x5c;
const LBRACE: number = 0x7b;
const RBRACE: number = 0x7d;

// States of the machine (upstream's stateFn functions).
const DONE = 0;
const START_OF_LINE = 1;
const START_COMMENT = 2;
const READING_METRIC_NAME = 3;
const READING_LABELS = 4;
const START_LABEL_NAME = 5;
const START_LABEL_VALUE = 6;
const READING_VALUE = 7;
const START_TIMESTAMP = 8;
const READING_HELP = 9;
const READING_TYPE = 10;

/**
 * Inputs above this size are not decoded into one string: tokens are built
 * from the bytes instead (about a tenth slower), so a large push is not held
 * twice while it is parsed (and V8 limits string length anyway).
 */
const MAX_TEXT = 4 << 20;

const TWO_63 = 9223372036854775808;
const TWO_64 = 18446744073709551616;

const NIL_POINTER = "runtime error: invalid memory address or nil pointer dereference";
const NIL_MAP = "assignment to entry in nil map";

/** Byte classes: bit 1 = label-name start, 2 = label-name continuation, 4 = metric-name extra (`:`). */
const CLASS = new Uint8Array(256);
for (let c = 0; c < 256; c++) {
  const letter = (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c === 0x5f;
  const digit = c >= 0x30 && c <= 0x39;
  if (letter || c === QUOTE) CLASS[c] = 3;
  else if (digit) CLASS[c] = 2;
  else if (c === COLON) CLASS[c] = 4;
}
const LABEL_START = 1;
const LABEL_CONT = 2;
const METRIC_EXTRA = 4;

/** Byte classes for legacy name validation: 1 = may start, 2 = may continue (CLASS without `"`). */
const LEGACY = CLASS.map((cls, c) => c === QUOTE ? 0 : cls & (LABEL_START | LABEL_CONT));

const utf8Fatal = new TextDecoder("utf-8", { fatal: true });
const utf8Lossy = new TextDecoder("utf-8");
const byteDecoder = new TextDecoder("x-user-defined");
const encoder = new TextEncoder();

/** A family while parsing: `type` undefined means no TYPE line and no sample yet. */
interface Family {
  name: string;
  help: string | undefined;
  type: MetricType | undefined;
  metric: Metric[];
  /** Its series so far by {@linkcode labelsHash} (a list after a collision), when duplicates are looked for. */
  seen?: Map<number, Metric | Metric[]>;
}

/** V8 makes a substring this long a view into its parent string (`SlicedString::kMinLength`). */
const SLICED_MIN = 13;

/** A label list this long is checked for repeated names with a set instead of a scan. */
const LABEL_SCAN_MAX = 16;

/** What a metric name resolved to in setOrCreateCurrentMF. */
interface Resolution {
  name: string;
  mf: Family;
  isSummaryCount: boolean;
  isSummarySum: boolean;
  isHistogramCount: boolean;
  isHistogramSum: boolean;
}

/** TYPE words by their upper-case form: the enum names plus upstream's `GAUGEHISTOGRAM` alias. */
const TYPE_NAMES: ReadonlyMap<string, MetricType> = new Map([
  ...Object.values(MetricType).map((t) => [METRIC_TYPE_NAMES[t], t] as const),
  ["GAUGEHISTOGRAM", MetricType.GAUGE_HISTOGRAM],
]);

function isHistogramType(t: MetricType | undefined): boolean {
  return t === MetricType.HISTOGRAM || t === MetricType.GAUGE_HISTOGRAM;
}

function hasSuffix(name: string, suffix: string): boolean {
  return name.length > suffix.length && name.endsWith(suffix);
}

/**
 * Go's `strconv.ParseFloat(s, 64)` for the bytes `b[s:e]`, after expfmt's
 * extra rejection of `p`, `P` and `_`: returns `undefined` on a syntax or
 * range error.
 */
export function parseGoFloat(b: Uint8Array, s: number, e: number): number | undefined {
  if (s >= e) return undefined;
  let i = s;
  let c = b[i]!;
  let neg = false;
  let signed = false;
  if (c === 0x2b || c === 0x2d) {
    neg = c === 0x2d;
    signed = true;
    i++;
  }
  const rest = e - i;
  if (rest === 3 || rest === 8) {
    // inf, infinity (with an optional sign); nan without a sign.
    const l0 = b[i]! | 0x20;
    const l1 = b[i + 1]! | 0x20;
    const l2 = b[i + 2]! | 0x20;
    if (l0 === 0x69 && l1 === 0x6e && l2 === 0x66) {
      if (rest === 3 || lowerEquals(b, i + 3, "inity")) {
        return neg ? -Infinity : Infinity;
      }
      return undefined;
    }
    if (rest === 3 && !signed && l0 === 0x6e && l1 === 0x61 && l2 === 0x6e) return NaN;
  }
  let digits = false;
  while (i < e && (c = b[i]!) >= 0x30 && c <= 0x39) {
    digits = true;
    i++;
  }
  if (i < e && b[i] === 0x2e) {
    i++;
    while (i < e && (c = b[i]!) >= 0x30 && c <= 0x39) {
      digits = true;
      i++;
    }
  }
  if (!digits) return undefined;
  if (i < e && (b[i]! | 0x20) === 0x65) {
    i++;
    if (i < e && (b[i] === 0x2b || b[i] === 0x2d)) i++;
    let expDigits = false;
    while (i < e && (c = b[i]!) >= 0x30 && c <= 0x39) {
      expDigits = true;
      i++;
    }
    if (!expDigits) return undefined;
  }
  if (i !== e) return undefined;
  if (e - s <= 15) {
    // Fast path for plain integers, which are exact.
    let k = s;
    const first = b[k]!;
    if (first === 0x2b || first === 0x2d) k++;
    let n = 0;
    for (; k < e; k++) {
      const d = b[k]! - 0x30;
      if (d < 0 || d > 9) break;
      n = n * 10 + d;
    }
    if (k === e) return first === 0x2d ? -n : n;
  }
  const v = Number(asciiString(b, s, e));
  return v === Infinity || v === -Infinity ? undefined : v;
}

function lowerEquals(b: Uint8Array, at: number, word: string): boolean {
  for (let k = 0; k < word.length; k++) {
    if ((b[at + k]! | 0x20) !== word.charCodeAt(k)) return false;
  }
  return true;
}

/** Go's `strconv.ParseInt(s, 10, 64)`; `undefined` on error. */
function parseGoInt64(b: Uint8Array, s: number, e: number): number | undefined {
  let i = s;
  if (i < e && (b[i] === 0x2b || b[i] === 0x2d)) i++;
  if (i === e) return undefined;
  for (let k = i; k < e; k++) {
    const c = b[k]!;
    if (c < 0x30 || c > 0x39) return undefined;
  }
  const text = asciiString(b, s, e);
  if (e - i > 18) {
    const big = BigInt(text);
    if (big > 9223372036854775807n || big < -9223372036854775808n) return undefined;
  }
  return Number(text) + 0; // + 0 turns -0 into 0
}

/** Go's `uint64(f)` on amd64 (used upstream for summary counts). */
function goFloatToUint64(v: number): number {
  if (v < TWO_63) {
    const t = Math.trunc(v);
    if (!(t > -TWO_63)) return TWO_63; // out of int64 range: the "integer indefinite" value
    return t < 0 ? TWO_64 + t : t + 0;
  }
  const y = v - TWO_63;
  if (!(y < TWO_63)) return TWO_63; // NaN, +Inf, >= 2^64
  return Math.trunc(y) + TWO_63;
}

/** True when Go's `float64(uint64(v)) == v`, i.e. an integer in [0, 2^64). */
function isUint64(v: number): boolean {
  return Number.isInteger(v) && v >= 0 && v < TWO_64;
}

function asciiString(b: Uint8Array, s: number, e: number): string {
  const len = e - s;
  if (len <= 0) return "";
  if (len <= 256) {
    return String.fromCharCode.apply(null, b.subarray(s, e) as unknown as number[]);
  }
  return utf8Lossy.decode(b.subarray(s, e));
}

function isAsciiString(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) >= 0x80) return false;
  return true;
}

function isAscii(b: Uint8Array, s: number, e: number): boolean {
  for (let i = s; i < e; i++) if (b[i]! >= 0x80) return false;
  return true;
}

/** FNV-1a of a label pair (name, a separator, value), over UTF-16 code units. */
function pairHash(pair: LabelPair): number {
  let h = 0x811c9dc5;
  const { name, value } = pair;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  h = Math.imul(h ^ 0xffff, 0x01000193);
  for (let i = 0; i < value.length; i++) h = Math.imul(h ^ value.charCodeAt(i), 0x01000193);
  return h;
}

/** An order-independent hash of a label list (the sum of its pairs' hashes). */
function labelsHash(pairs: readonly LabelPair[]): number {
  let h = 0;
  for (let i = 0; i < pairs.length; i++) h = (h + pairHash(pairs[i]!)) | 0;
  return h;
}

/** Whether two label lists (with unique names each) hold the same pairs, in any order. */
function sameLabelSet(a: readonly LabelPair[], b: readonly LabelPair[]): boolean {
  if (a.length !== b.length) return false;
  if (a.length > LABEL_SCAN_MAX) {
    const values = new Map(b.map((p) => [p.name, p.value]));
    return a.every((p) => values.get(p.name) === p.value);
  }
  return a.every((p) => b.some((q) => q.name === p.name && q.value === p.value));
}

/**
 * A canonical, collision-free key for a label map, standing in for
 * `model.LabelsToSignature` (names sorted, every part length-prefixed).
 */
function signature(labels: Map<string, string> | null): string {
  if (labels === null) return "";
  const names = [...labels.keys()];
  if (names.length > 1) names.sort();
  let key = "";
  for (const name of names) {
    const value = labels.get(name)!;
    key += `${name.length}:${name}${value.length}:${value}`;
  }
  return key;
}

/** Go's `strings.ToUpper` for matching a TYPE keyword (simple case mapping). */
function goToUpper(s: string): string {
  if (isAsciiString(s)) return s.toUpperCase();
  let out = "";
  for (const ch of s) {
    const up = ch.toUpperCase();
    out += up.length === ch.length && [...up].length === 1 ? up : ch;
  }
  return out;
}

class TextParser {
  readonly b: Uint8Array;
  /** The input as a string whose indices match the byte offsets; ASCII tokens are sliced from it. */
  readonly text: string | null;
  readonly n: number;
  readonly scheme: ValidationScheme;
  pos = 0;
  cur = 0;
  line = 0;

  readonly families = new Map<string, Family>();
  mf: Family | null = null;
  metric: Metric | null = null;
  pair: LabelPair | null = null;
  pairs: LabelPair[] = [];
  /** The names in `pairs`, once it is longer than {@linkcode LABEL_SCAN_MAX}. */
  pairNames: Set<string> | null = null;
  readonly budget: PushBudget | null;
  readonly stopAtDuplicate: boolean;
  /** A repeated series was found: stop at the end of its line. */
  stopAfterLine = false;
  labels: Map<string, string> | null = null;
  readonly summaries = new Map<string, Metric>();
  readonly histograms = new Map<string, Metric>();
  quantile = NaN;
  bucket = NaN;
  isSummaryCount = false;
  isSummarySum = false;
  isHistogramCount = false;
  isHistogramSum = false;
  insideBraces = false;
  insideBracesPresent = false;

  // The current token: either the input range [tS, tE) or buf[0, bufLen).
  tS = 0;
  tE = 0;
  tInBuf = false;
  buf = new Uint8Array(64);
  bufLen = 0;
  /** The last name setOrCreateCurrentMF resolved, and to what. */
  lastResolved: Resolution | null = null;
  /** Recently made ASCII token strings, see internRange. */
  readonly cache: string[] = new Array<string>(1024).fill("");

  constructor(b: Uint8Array, options: TextParseOptions) {
    this.b = b;
    this.budget = options.limits ? new PushBudget(options.limits) : null;
    this.stopAtDuplicate = options.stopAtDuplicate ?? false;
    if (b.length > MAX_TEXT) {
      // Too big to copy into one JavaScript string: build token strings from bytes.
      this.text = null;
    } else {
      // Pure ASCII input (the usual case) decodes fastest as UTF-8; otherwise
      // decode byte for byte so that indices still line up.
      const text = utf8Lossy.decode(b);
      this.text = text.length === b.length ? text : byteDecoder.decode(b);
    }
    this.n = b.length;
    this.scheme = options.scheme;
  }

  run(): MetricFamily[] {
    let state = START_OF_LINE;
    while (state !== DONE) {
      switch (state) {
        case START_OF_LINE:
          state = this.stopAfterLine ? DONE : this.startOfLine();
          break;
        case START_COMMENT:
          state = this.startComment();
          break;
        case READING_METRIC_NAME:
          state = this.readingMetricName();
          break;
        case READING_LABELS:
          state = this.readingLabels();
          break;
        case START_LABEL_NAME:
          state = this.startLabelName();
          break;
        case START_LABEL_VALUE:
          state = this.startLabelValue();
          break;
        case READING_VALUE:
          state = this.readingValue();
          break;
        case START_TIMESTAMP:
          state = this.startTimestamp();
          break;
        case READING_HELP:
          state = this.readingHelp();
          break;
        case READING_TYPE:
          state = this.readingType();
          break;
        default:
          throw new Error(`text parser: unknown state ${state}`);
      }
    }
    for (const m of this.histograms.values()) normalizeHistogram(m);
    const out: MetricFamily[] = [];
    for (const f of this.families.values()) {
      if (f.metric.length === 0) continue;
      const mf: MetricFamily = {
        name: f.name,
        type: f.type ?? MetricType.COUNTER,
        metric: f.metric,
      };
      if (f.help !== undefined) mf.help = f.help;
      out.push(mf);
    }
    return out;
  }

  // ---- errors -------------------------------------------------------------

  fail(msg: string): ParseError {
    return new ParseError(msg, this.line);
  }

  eof(): ParseError {
    this.pos = this.n;
    return this.fail("unexpected end of input stream");
  }

  escapeError(c: number): ParseError {
    return this.fail(`invalid escape sequence '\\${String.fromCharCode(c)}'`);
  }

  // ---- byte reading ---------------------------------------------------------

  readByte(): void {
    if (this.pos >= this.n) throw this.eof();
    this.cur = this.b[this.pos++]!;
  }

  skipBlankTab(): void {
    const b = this.b;
    const n = this.n;
    let p = this.pos;
    while (p < n) {
      const c = b[p++]!;
      if (c !== SP && c !== TAB) {
        this.cur = c;
        this.pos = p;
        return;
      }
    }
    throw this.eof();
  }

  skipBlankTabIfCurrentBlankTab(): void {
    if (this.cur === SP || this.cur === TAB) this.skipBlankTab();
  }

  // ---- tokens ---------------------------------------------------------------

  tokRange(s: number, e: number): void {
    this.tInBuf = false;
    this.tS = s;
    this.tE = e;
  }

  /** Switches the token to the buffer, starting with the input range [s, e). */
  tokToBuf(s: number, e: number): void {
    this.tInBuf = true;
    this.bufLen = 0;
    for (let i = s; i < e; i++) this.tokPush(this.b[i]!);
  }

  tokPush(c: number): void {
    if (this.bufLen === this.buf.length) {
      const bigger = new Uint8Array(this.buf.length * 2);
      bigger.set(this.buf);
      this.buf = bigger;
    }
    this.buf[this.bufLen++] = c;
  }

  tokLen(): number {
    return this.tInBuf ? this.bufLen : this.tE - this.tS;
  }

  tokBytes(): Uint8Array {
    return this.tInBuf ? this.buf.slice(0, this.bufLen) : this.b.subarray(this.tS, this.tE);
  }

  /** The token as a string, or `undefined` when it is not valid UTF-8. */
  tokUtf8(): string | undefined {
    if (!this.tInBuf && isAscii(this.b, this.tS, this.tE)) return this.internRange();
    try {
      return utf8Fatal.decode(this.tokBytes());
    } catch {
      return undefined;
    }
  }

  /** The token as a string, invalid UTF-8 replaced by U+FFFD. */
  tokLossy(): string {
    if (!this.tInBuf && isAscii(this.b, this.tS, this.tE)) {
      return this.slice(this.tS, this.tE);
    }
    return utf8Lossy.decode(this.tokBytes());
  }

  tokQuoted(): string {
    return goQuote(this.tokBytes());
  }

  /** Upstream's readTokenUntilWhitespace: the token starts with the current byte. */
  readTokenUntilWhitespace(): void {
    const b = this.b;
    const n = this.n;
    const s = this.pos - 1;
    let c = this.cur;
    let p = this.pos;
    while (c !== SP && c !== TAB && c !== NL) {
      if (p >= n) throw this.eof();
      c = b[p++]!;
    }
    this.cur = c;
    this.pos = p;
    this.tokRange(s, p - 1);
  }

  /**
   * Upstream's readTokenUntilNewline. With `escapes`, `\\`, `\n` and `\"`
   * are translated and other escapes are errors; without, backslashes are
   * dropped (upstream quirk).
   */
  readTokenUntilNewline(escapes: boolean): void {
    const b = this.b;
    const s = this.pos - 1;
    let p = s;
    const n = this.n;
    while (p < n) {
      const c = b[p]!;
      if (c === NL) {
        this.tokRange(s, p);
        this.cur = NL;
        this.pos = p + 1;
        return;
      }
      if (c === BSLASH) break;
      p++;
    }
    if (p >= n) throw this.eof();
    // A backslash: continue byte by byte as upstream does.
    this.tokToBuf(s, p);
    this.pos = p + 1;
    this.cur = BSLASH;
    let escaped = false;
    for (;;) {
      const c = this.cur;
      if (escapes && escaped) {
        if (c === BSLASH) this.tokPush(BSLASH);
        else if (c === 0x6e) this.tokPush(NL);
        else if (c === QUOTE) this.tokPush(QUOTE);
        else throw this.escapeError(c);
        escaped = false;
      } else if (c === NL) {
        return;
      } else if (c === BSLASH) {
        escaped = true;
      } else {
        this.tokPush(c);
      }
      this.readByte();
    }
  }

  /**
   * Upstream's readTokenAsMetricName / readTokenAsLabelName: an unquoted
   * name, or a quoted one (quotes may even start mid-name) with `\\`, `\n`
   * and `\"` escapes.
   */
  readTokenAsName(metric: boolean): void {
    let c = this.cur;
    const extra = metric ? METRIC_EXTRA : 0;
    if ((CLASS[c]! & (LABEL_START | extra)) === 0) {
      this.tokRange(this.pos, this.pos);
      return;
    }
    const s = this.pos - 1;
    if (c !== QUOTE) {
      const b = this.b;
      const n = this.n;
      let p = this.pos;
      const mask = LABEL_CONT | extra;
      for (;;) {
        if (p >= n) throw this.eof();
        c = b[p++]!;
        if ((CLASS[c]! & mask) === 0 || c === QUOTE) break;
      }
      this.cur = c;
      this.pos = p;
      if (c !== QUOTE) {
        this.tokRange(s, p - 1);
        return;
      }
      this.tokToBuf(s, p - 1);
    } else {
      this.tokToBuf(s, s);
    }
    const kind = metric ? "metric" : "label";
    const cont = LABEL_CONT | extra;
    let quoted = false;
    let escaped = false;
    for (;;) {
      c = this.cur;
      if (escaped) {
        if (c === BSLASH) this.tokPush(BSLASH);
        else if (c === 0x6e) this.tokPush(NL);
        else if (c === QUOTE) this.tokPush(QUOTE);
        else throw this.escapeError(c);
        escaped = false;
      } else if (c === QUOTE) {
        quoted = !quoted;
        if (!quoted) {
          this.readByte();
          return;
        }
      } else if (c === NL) {
        throw this.fail(`${kind} name ${this.tokQuoted()} contains unescaped new-line`);
      } else if (c === BSLASH) {
        escaped = true;
      } else {
        this.tokPush(c);
      }
      this.readByte();
      // Inside quotes every byte continues the name (upstream's
      // utf8.ValidString(string(b)) is always true for a single byte).
      if (!quoted && (CLASS[this.cur]! & cont) === 0) return;
    }
  }

  /** Upstream's readTokenAsLabelValue: starts after the opening quote; ends on the closing one. */
  readTokenAsLabelValue(): void {
    const b = this.b;
    const n = this.n;
    const s = this.pos;
    let p = s;
    for (;;) {
      if (p >= n) throw this.eof();
      const c = b[p]!;
      if (c === QUOTE) {
        this.tokRange(s, p);
        this.cur = QUOTE;
        this.pos = p + 1;
        return;
      }
      if (c === BSLASH || c === NL) break;
      p++;
    }
    this.tokToBuf(s, p);
    this.pos = p;
    let escaped = false;
    for (;;) {
      this.readByte();
      const c = this.cur;
      if (escaped) {
        if (c === QUOTE || c === BSLASH) this.tokPush(c);
        else if (c === 0x6e) this.tokPush(NL);
        else throw this.escapeError(c);
        escaped = false;
        continue;
      }
      if (c === QUOTE) return;
      if (c === NL) {
        throw this.fail(`label value ${this.tokQuoted()} contains unescaped new-line`);
      }
      if (c === BSLASH) escaped = true;
      else this.tokPush(c);
    }
  }

  /**
   * The ASCII input range [s, e) as a string of its own. (A slice of 13 or
   * more characters of the whole input's string would be a V8 sliced string,
   * keeping the entire body alive as long as the store keeps the value.)
   */
  slice(s: number, e: number): string {
    return this.text === null || e - s >= SLICED_MIN
      ? asciiString(this.b, s, e)
      : this.text.slice(s, e);
  }

  /**
   * The (ASCII) range token as a string, reusing an equal string seen
   * recently: names and many label values repeat from line to line, and
   * reusing them saves allocations.
   */
  internRange(): string {
    const b = this.b;
    const s = this.tS;
    const e = this.tE;
    const len = e - s;
    if (len === 0) return "";
    if (len > 64) return this.slice(s, e);
    const slot = (len * 31 + b[s]! * 7 + b[e - 1]! * 3 + b[s + (len >> 1)]!) & 1023;
    const cached = this.cache[slot]!;
    if (cached.length === len) {
      let i = 0;
      while (i < len && cached.charCodeAt(i) === b[s + i]) i++;
      if (i === len) return cached;
    }
    const str = this.slice(s, e);
    this.cache[slot] = str;
    return str;
  }

  /** Validates the token as a metric (or label) name under the scheme. */
  tokName(metric: boolean): string | undefined {
    const len = this.tokLen();
    if (len === 0) return undefined;
    if (this.scheme === "legacy") {
      const bytes = this.tInBuf ? this.buf : this.b;
      const s = this.tInBuf ? 0 : this.tS;
      const e = s + len;
      const first = bytes[s]!;
      if ((LEGACY[first]! & 1) === 0 && !(metric && first === COLON)) return undefined;
      for (let i = s + 1; i < e; i++) {
        const c = bytes[i]!;
        if ((LEGACY[c]! & 2) === 0 && !(metric && c === COLON)) return undefined;
      }
      return this.tInBuf ? asciiString(this.buf, 0, len) : this.internRange();
    }
    return this.tokUtf8();
  }

  // ---- families -------------------------------------------------------------

  setOrCreateCurrentMF(): void {
    this.isSummaryCount = false;
    this.isSummarySum = false;
    this.isHistogramCount = false;
    this.isHistogramSum = false;
    // The resolution of a name never changes once made (families are only
    // added, and a type once set stays), so the last one can be reused.
    const last = this.lastResolved;
    if (last !== null && this.tokEquals(last.name)) {
      this.mf = last.mf;
      this.isSummaryCount = last.isSummaryCount;
      this.isSummarySum = last.isSummarySum;
      this.isHistogramCount = last.isHistogramCount;
      this.isHistogramSum = last.isHistogramSum;
      return;
    }
    const name = this.tokName(true);
    if (name === undefined) throw this.fail(`invalid metric name ${this.tokQuoted()}`);
    this.resolveFamily(name);
    this.lastResolved = {
      name,
      mf: this.mf!,
      isSummaryCount: this.isSummaryCount,
      isSummarySum: this.isSummarySum,
      isHistogramCount: this.isHistogramCount,
      isHistogramSum: this.isHistogramSum,
    };
  }

  /** True when the token is exactly the ASCII string `s`. */
  tokEquals(s: string): boolean {
    const len = s.length;
    if (this.tInBuf || this.tE - this.tS !== len) return false;
    const b = this.b;
    const start = this.tS;
    for (let i = 0; i < len; i++) {
      const c = s.charCodeAt(i);
      if (c !== b[start + i] || c >= 0x80) return false;
    }
    return true;
  }

  /** Upstream's family lookup for a valid name: exact, then summary/histogram suffixes. */
  resolveFamily(name: string): void {
    const families = this.families;
    let mf = families.get(name);
    if (mf !== undefined) {
      this.mf = mf;
      return;
    }
    const isCount = hasSuffix(name, "_count");
    const isSum = hasSuffix(name, "_sum");
    if (isCount || isSum) {
      mf = families.get(name.slice(0, name.length - (isCount ? 6 : 4)));
      if (mf !== undefined && mf.type === MetricType.SUMMARY) {
        this.isSummaryCount = isCount;
        this.isSummarySum = isSum;
        this.mf = mf;
        return;
      }
      if (mf !== undefined && isHistogramType(mf.type)) {
        this.isHistogramCount = isCount;
        this.isHistogramSum = isSum;
        this.mf = mf;
        return;
      }
    } else if (hasSuffix(name, "_bucket")) {
      mf = families.get(name.slice(0, name.length - 7));
      if (mf !== undefined && isHistogramType(mf.type)) {
        this.mf = mf;
        return;
      }
    }
    mf = { name, help: undefined, type: undefined, metric: [] };
    families.set(name, mf);
    this.mf = mf;
  }

  // ---- states ---------------------------------------------------------------

  startOfLine(): number {
    this.line++;
    this.insideBraces = false;
    this.insideBracesPresent = false;
    const b = this.b;
    const n = this.n;
    let p = this.pos;
    let c = 0;
    for (;;) {
      if (p >= n) {
        this.pos = p;
        return DONE; // The only place where the end of input is fine.
      }
      c = b[p++]!;
      if (c !== SP && c !== TAB) break;
    }
    this.pos = p;
    this.cur = c;
    switch (c) {
      case HASH:
        return START_COMMENT;
      case NL:
        return START_OF_LINE;
      case LBRACE:
        this.insideBraces = true;
        return READING_LABELS;
    }
    return READING_METRIC_NAME;
  }

  startComment(): number {
    this.skipBlankTab();
    if (this.cur === NL) return START_OF_LINE;
    this.readTokenUntilWhitespace();
    if (this.cur === NL) return START_OF_LINE;
    const keyword = this.keyword();
    if (keyword === 0) {
      // A plain comment: skip to the end of the line.
      const i = this.b.indexOf(NL, this.pos - 1);
      if (i < 0) throw this.eof();
      this.pos = i + 1;
      this.cur = NL;
      return START_OF_LINE;
    }
    this.skipBlankTab();
    this.readTokenAsName(true);
    if (this.cur === NL) return START_OF_LINE;
    if (this.cur !== SP && this.cur !== TAB) throw this.fail("invalid metric name in comment");
    this.setOrCreateCurrentMF();
    this.skipBlankTab();
    if (this.cur === NL) return START_OF_LINE;
    return keyword === 1 ? READING_HELP : READING_TYPE;
  }

  /** 1 when the token is `HELP`, 2 when `TYPE`, else 0. */
  keyword(): number {
    if (this.tE - this.tS !== 4) return 0;
    const b = this.b;
    const s = this.tS;
    if (b[s] === 0x48 && b[s + 1] === 0x45 && b[s + 2] === 0x4c && b[s + 3] === 0x50) return 1;
    if (b[s] === 0x54 && b[s + 1] === 0x59 && b[s + 2] === 0x50 && b[s + 3] === 0x45) return 2;
    return 0;
  }

  readingMetricName(): number {
    this.readTokenAsName(true);
    if (this.tokLen() === 0) throw this.fail("invalid metric name");
    this.setOrCreateCurrentMF();
    const mf = this.mf!;
    if (mf.type === undefined) mf.type = MetricType.UNTYPED;
    this.metric = { label: [] };
    this.skipBlankTabIfCurrentBlankTab();
    return READING_LABELS;
  }

  readingLabels(): number {
    const t = this.mf?.type;
    if (t === MetricType.SUMMARY || isHistogramType(t)) {
      // Upstream makes a new map here; it is only used for signatures, so reuse one.
      const labels = this.labels ??= new Map();
      labels.clear();
      labels.set("__name__", this.mf!.name);
      this.quantile = NaN;
      this.bucket = NaN;
    }
    return this.cur === LBRACE ? START_LABEL_NAME : READING_VALUE;
  }

  /** Appends the collected label pairs to the current metric (at `}`). */
  closeLabels(): void {
    if (this.mf === null) throw this.fail("invalid metric name");
    const metric = this.metric;
    if (metric === null) throw new TextParsePanic(this.line, NIL_POINTER);
    if (metric.label.length === 0) metric.label = this.pairs;
    else for (const lp of this.pairs) metric.label.push(lp);
    this.pairs = [];
    this.pairNames = null;
  }

  startLabelName(): number {
    this.skipBlankTab();
    if (this.cur === RBRACE) {
      this.closeLabels();
      this.skipBlankTab();
      return READING_VALUE;
    }
    this.readTokenAsName(false);
    if (this.tokLen() === 0) {
      throw this.fail(`invalid label name for metric ${goQuoteString(this.mf?.name ?? "")}`);
    }
    this.skipBlankTabIfCurrentBlankTab();
    if (this.cur !== EQ) {
      if (this.insideBraces) {
        if (this.insideBracesPresent) {
          throw this.fail(`multiple metric names for metric ${goQuoteString(this.mf?.name ?? "")}`);
        }
        if (this.cur === COMMA || this.cur === RBRACE) {
          this.setOrCreateCurrentMF();
          const mf = this.mf!;
          if (mf.type === undefined) mf.type = MetricType.UNTYPED;
          this.metric = { label: [] };
          if (this.cur === COMMA) {
            this.insideBracesPresent = true;
            return START_LABEL_NAME;
          }
          this.closeLabels();
          this.skipBlankTab();
          return READING_VALUE;
        }
        throw this.fail(`unexpected end of metric name ${goQuoteByte(this.cur)}`);
      }
      throw this.fail(`expected '=' after label name, found ${goQuoteByte(this.cur)}`);
    }
    const bytes = this.tokLen();
    const isReserved = bytes === 8 && this.tokLossy() === "__name__";
    if (isReserved) throw this.fail(`label name "__name__" is reserved`);
    const name = this.tokName(false);
    if (name === undefined) throw this.fail(`invalid label name ${this.tokQuoted()}`);
    const pair: LabelPair = { name, value: "" };
    this.pair = pair;
    const t = this.mf?.type;
    const special = (t === MetricType.SUMMARY && name === "quantile") ||
      (isHistogramType(t) && name === "le");
    if (!special) {
      const pairs = this.pairs;
      if (this.hasLabel(name)) {
        throw this.fail(`duplicate label names for metric ${goQuoteString(this.mf?.name ?? "")}`);
      }
      this.budget?.check(pairs.length + 1);
      pairs.push(pair);
      this.pairNames?.add(name);
    }
    return START_LABEL_VALUE;
  }

  /** Whether the current line's labels already have `name` (a scan, or a set for long lists). */
  hasLabel(name: string): boolean {
    const pairs = this.pairs;
    if (pairs.length <= LABEL_SCAN_MAX) {
      for (let i = 0; i < pairs.length; i++) if (pairs[i]!.name === name) return true;
      return false;
    }
    this.pairNames ??= new Set(pairs.map((p) => p.name));
    return this.pairNames.has(name);
  }

  /** Counts a new series against the limits and, when asked, looks for an earlier equal one. */
  newSeries(mf: Family, metric: Metric, simple: boolean): void {
    this.budget?.series(metric.label.length);
    if (!this.stopAtDuplicate || !simple) return;
    const seen = mf.seen ??= new Map();
    const hash = labelsHash(metric.label);
    const before = seen.get(hash);
    if (before === undefined) {
      seen.set(hash, metric);
      return;
    }
    const earlier = Array.isArray(before) ? before : [before];
    if (earlier.some((m) => sameLabelSet(m.label, metric.label))) this.stopAfterLine = true;
    else seen.set(hash, [...earlier, metric]);
  }

  startLabelValue(): number {
    this.skipBlankTab();
    if (this.cur !== QUOTE) {
      throw this.fail(`expected '"' at start of label value, found ${goQuoteByte(this.cur)}`);
    }
    this.readTokenAsLabelValue();
    const value = this.tokUtf8();
    if (value === undefined) throw this.fail(`invalid label value ${this.tokQuoted()}`);
    const pair = this.pair!;
    pair.value = value;
    const t = this.mf?.type;
    if (t === MetricType.SUMMARY) {
      if (pair.name === "quantile") {
        const q = this.parseLabelFloat();
        if (q === undefined) {
          throw this.fail(
            `expected float as value for 'quantile' label, got ${goQuoteString(value)}`,
          );
        }
        this.quantile = q;
      } else {
        this.setLabel(pair);
      }
    }
    if (isHistogramType(t)) {
      if (pair.name === "le") {
        const le = this.parseLabelFloat();
        if (le === undefined) {
          throw this.fail(`expected float as value for 'le' label, got ${goQuoteString(value)}`);
        }
        this.bucket = le;
      } else {
        this.setLabel(pair);
      }
    }
    this.skipBlankTab();
    if (this.cur === COMMA) return START_LABEL_NAME;
    if (this.cur === RBRACE) {
      this.closeLabels();
      this.skipBlankTab();
      return READING_VALUE;
    }
    throw this.fail(`unexpected end of label value ${goQuoteString(value)}`);
  }

  setLabel(pair: LabelPair): void {
    if (this.labels === null) throw new TextParsePanic(this.line, NIL_MAP);
    this.labels.set(pair.name, pair.value);
  }

  /** parseFloat on the label value just read (the token holds its bytes). */
  parseLabelFloat(): number | undefined {
    if (this.tInBuf) return parseGoFloat(this.buf, 0, this.bufLen);
    return parseGoFloat(this.b, this.tS, this.tE);
  }

  readingValue(): number {
    const mf = this.mf!;
    let metric = this.metric!;
    const t = mf.type ?? MetricType.COUNTER;
    if (t === MetricType.SUMMARY || isHistogramType(t)) {
      const registry = t === MetricType.SUMMARY ? this.summaries : this.histograms;
      const sig = signature(this.labels);
      const existing = registry.get(sig);
      if (existing !== undefined) {
        metric = existing;
        this.metric = existing;
      } else {
        registry.set(sig, metric);
        mf.metric.push(metric);
        this.newSeries(mf, metric, false);
      }
    } else {
      mf.metric.push(metric);
      this.newSeries(mf, metric, true);
    }
    this.readTokenUntilWhitespace();
    const value = parseGoFloat(this.b, this.tS, this.tE);
    if (value === undefined) {
      throw this.fail(`expected float as value, got ${this.tokQuoted()}`);
    }
    switch (t) {
      case MetricType.COUNTER:
        metric.counter = { value };
        break;
      case MetricType.GAUGE:
        metric.gauge = { value };
        break;
      case MetricType.UNTYPED:
        metric.untyped = { value };
        break;
      case MetricType.SUMMARY: {
        const summary = metric.summary ??= { quantile: [] };
        if (this.isSummaryCount) summary.sampleCount = goFloatToUint64(value);
        else if (this.isSummarySum) summary.sampleSum = value;
        else if (!Number.isNaN(this.quantile)) {
          this.budget?.values(1);
          summary.quantile.push({ quantile: this.quantile, value });
        }
        break;
      }
      default: {
        const h = metric.histogram ??= emptyHistogram();
        if (this.isHistogramCount) {
          if (isUint64(value)) h.sampleCount = value + 0;
          else if (value < 0) {
            throw this.fail(`negative count for histogram ${goQuoteString(mf.name)}`);
          } else h.sampleCountFloat = value;
        } else if (this.isHistogramSum) {
          h.sampleSum = value;
        } else if (!Number.isNaN(this.bucket)) {
          this.budget?.values(1);
          if (isUint64(value)) {
            h.bucket.push({ upperBound: this.bucket, cumulativeCount: value + 0 });
          } else if (value < 0) {
            throw this.fail(`negative bucket population for histogram ${goQuoteString(mf.name)}`);
          } else {
            h.bucket.push({ upperBound: this.bucket, cumulativeCountFloat: value });
          }
        }
      }
    }
    return this.cur === NL ? START_OF_LINE : START_TIMESTAMP;
  }

  startTimestamp(): number {
    this.skipBlankTab();
    this.readTokenUntilWhitespace();
    const ts = parseGoInt64(this.b, this.tS, this.tE);
    if (ts === undefined) throw this.fail(`expected integer as timestamp, got ${this.tokQuoted()}`);
    this.metric!.timestampMs = ts;
    this.readTokenUntilNewline(false);
    if (this.tokLen() > 0) {
      throw this.fail(`spurious string after timestamp: ${this.tokQuoted()}`);
    }
    return START_OF_LINE;
  }

  readingHelp(): number {
    const mf = this.mf!;
    if (mf.help !== undefined) {
      throw this.fail(`second HELP line for metric name ${goQuoteString(mf.name)}`);
    }
    this.readTokenUntilNewline(true);
    mf.help = this.tokLossy();
    return START_OF_LINE;
  }

  readingType(): number {
    const mf = this.mf!;
    if (mf.type !== undefined) {
      throw this.fail(
        `second TYPE line for metric name ${
          goQuoteString(mf.name)
        }, or TYPE reported after samples`,
      );
    }
    this.readTokenUntilNewline(false);
    const raw = this.tokUtf8();
    const t = raw === undefined ? undefined : TYPE_NAMES.get(goToUpper(raw));
    if (t === undefined) throw this.fail(`unknown metric type ${this.tokQuoted()}`);
    mf.type = t;
    return START_OF_LINE;
  }
}

/** Upstream's normalizeHistogram: all counts integer, or all float. */
function normalizeHistogram(m: Metric): void {
  const h = m.histogram;
  if (h === undefined) return;
  let anyFloats = (h.sampleCountFloat ?? 0) !== 0;
  if (!anyFloats) anyFloats = h.bucket.some((bk) => (bk.cumulativeCountFloat ?? 0) !== 0);
  if (!anyFloats) return;
  if ((h.sampleCountFloat ?? 0) === 0) {
    h.sampleCountFloat = h.sampleCount ?? 0;
    delete h.sampleCount;
  }
  for (const bk of h.bucket) {
    if ((bk.cumulativeCountFloat ?? 0) === 0) {
      bk.cumulativeCountFloat = bk.cumulativeCount ?? 0;
      delete bk.cumulativeCount;
    }
  }
}

/**
 * Parses a text exposition (format 0.0.4) body as prometheus/common expfmt
 * v0.69 does. Returns the families in first-seen order, without the families
 * that got a HELP or TYPE line but no sample.
 *
 * @throws {ParseError} `text format parsing error in line N: <msg>` with
 *   upstream's message and line number ({@linkcode TextParsePanic} where
 *   upstream crashes).
 * @throws {PushLimitError} At the first series or value past `options.limits`.
 */
export function parseText(
  input: Uint8Array | string,
  options: TextParseOptions = { scheme: "legacy" },
): MetricFamily[] {
  const bytes = typeof input === "string" ? encoder.encode(input) : input;
  const parser = new TextParser(bytes, options);
  if (bytes.length <= KEPT_PARSER_MAX_BYTES) KEPT.parser = parser;
  return parser.run();
}

/**
 * The last parser of a small input, kept alive on purpose: a full collection
 * (the gateway's heap trimmer) would otherwise free `TextParser`'s map with
 * the last parser, and V8 would throw away the parser's optimised code.
 */
const KEPT: { parser?: TextParser } = {};
const KEPT_PARSER_MAX_BYTES = 64 * 1024;
