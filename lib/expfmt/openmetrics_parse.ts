/**
 * Parser for the OpenMetrics 1.0.0 text format, for push bodies (upstream has
 * none: prometheus/common has no OpenMetrics parser, pushgateway issue #400).
 * Errors are ours, in the text parser's style:
 * `openmetrics format parsing error in line N: <message>`.
 *
 * What it checks follows the specification and Python's strict parser
 * (`prometheus_client.openmetrics.parser`): the `# EOF` line last, no blank
 * lines, HELP/TYPE/UNIT at most once each and before the samples, known types,
 * units that end the name, families not interleaved and their names not
 * clashing, every series' samples together, timestamps consistent within a
 * series, the sample names each type allows, exemplars only on counter `_total`
 * and histogram `_bucket` samples and with at most 128 characters of labels,
 * counter-like values not negative or NaN, integer counts, `le` and
 * `quantile` labels, histogram buckets in order with a `+Inf` bucket matching
 * `_count`, stateset values 0/1 and info values 1.
 *
 * How OpenMetrics maps onto {@linkcode MetricFamily}:
 * - a counter `x` becomes the family `x_total` (the name client libraries use
 *   in text 0.0.4), `x_created` its created timestamp;
 * - `info` and `stateset` become gauges named as their samples (`x_info`, `x`);
 * - `gaugehistogram` becomes a gauge histogram (`_gcount`/`_gsum` into count
 *   and sum); `unknown` becomes untyped;
 * - `# UNIT` is kept (an empty unit is none), exemplars are kept, created
 *   timestamps of summaries and histograms too;
 * - sample timestamps are kept in `timestampMs`, so that the store refuses
 *   them as upstream refuses timestamps in text; every timestamp of a series
 *   makes its own metric, as OpenMetrics' MetricPoints;
 * - families with only HELP/TYPE/UNIT lines are left out.
 *
 * Deliberate deviations from Python's parser, each pinned by an example and
 * recognised by the differential fuzz (`tests/helpers/openmetrics_python.ts`,
 * `deno task fuzz --target openmetrics-python`):
 * - a line must follow the grammar exactly (Python skips the character after
 *   the labels' `}` unread, whatever it is);
 * - `le` and `quantile` values follow the number grammar and a NaN `le` is
 *   refused in any spelling (Python's `float()` also takes spaces and
 *   underscores there, and it refuses only `NaN`);
 * - a repeated sample (same name, labels and timestamp) is refused (Python
 *   keeps the first);
 * - `__name__` is a reserved label name, as in the text parser;
 * - a counter needs its `_total` sample (Python takes `_created` alone);
 * - created and exemplar timestamps must be dates in the years 1 to 9999;
 * - numbers are ASCII (Python also takes other Unicode digits, and timestamps
 *   such as `1.+5`).
 * Python also refuses exemplar label values with `}` and misreads exponent-form
 * timestamps such as `1.700000000123e+09` (as 1.7 s); both are its bugs.
 *
 * @module
 */

import { goQuote } from "@lib/gocompat/go_quote.ts";
import {
  type Bucket,
  emptyHistogram,
  type Exemplar,
  type LabelPair,
  type Metric,
  type MetricFamily,
  MetricType,
} from "@lib/model/metric.ts";
import type { ValidationScheme } from "@lib/model/names.ts";
import { ParseError } from "@lib/model/parse_error.ts";
import {
  type ExemplarParts,
  LineError,
  type SampleParts,
  splitDescriptor,
  splitSample,
  unescapeHelp,
} from "@lib/expfmt/openmetrics_line.ts";
import {
  parseOpenMetricsNumber,
  parseTimestampMs,
  parseTimestampSeconds,
} from "@lib/expfmt/openmetrics_numbers.ts";

/** Options of {@linkcode parseOpenMetrics}. */
export interface OpenMetricsParseOptions {
  /** `"utf8"` also allows quoted names (with `--push.enable-utf8-names`). */
  scheme: ValidationScheme;
}

/** The OpenMetrics types and the sample-name suffixes each allows. */
const SUFFIXES: Readonly<Record<string, readonly string[]>> = {
  counter: ["_total", "_created"],
  gauge: [""],
  summary: ["", "_count", "_sum", "_created"],
  histogram: ["_count", "_sum", "_bucket", "_created"],
  gaugehistogram: ["_gcount", "_gsum", "_bucket"],
  stateset: [""],
  info: ["_info"],
  unknown: [""],
};

const MODEL_TYPES: Readonly<Record<string, MetricType>> = {
  counter: MetricType.COUNTER,
  gauge: MetricType.GAUGE,
  summary: MetricType.SUMMARY,
  histogram: MetricType.HISTOGRAM,
  gaugehistogram: MetricType.GAUGE_HISTOGRAM,
  stateset: MetricType.GAUGE,
  info: MetricType.GAUGE,
  unknown: MetricType.UNTYPED,
};

/** One MetricPoint: a metric and what the end-of-family checks need. */
interface Point {
  metric: Metric;
  line: number;
  bound?: number;
  lastCount: number;
  hasCount: boolean;
  hasSum: boolean;
  negativeBucket: boolean;
  negativeGsum: boolean;
  /** The samples seen, for the types with several per metric (suffix, and `=le` or `=quantile`). */
  samples: Set<string> | undefined;
}

/** A family while parsing. */
interface Family {
  name: string;
  line: number;
  help?: string;
  type?: string;
  unit?: string;
  unitLine: number;
  /** Sample name → suffix, for the type (or `unknown` before a TYPE line). */
  allowed: Map<string, string>;
  points: Point[];
  byKey: Map<string, Point>;
  seenGroups: Set<string>;
  group?: string;
  groupTs?: number | null;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** A collision-free key of a label list (sorted by name, length-prefixed). */
function labelKey(labels: LabelPair[]): string {
  let sorted = true;
  for (let i = 1; i < labels.length; i++) {
    if (labels[i - 1]!.name > labels[i]!.name) sorted = false;
  }
  const list = sorted ? labels : labels.slice().sort((a, b) => a.name < b.name ? -1 : 1);
  let key = "";
  for (const l of list) key += l.name.length + ":" + l.name + l.value.length + ":" + l.value;
  return key;
}

function codePoints(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

class Parser {
  readonly scheme: ValidationScheme;
  lineNo = 0;
  fam: Family | undefined;
  readonly families: Family[] = [];
  readonly names = new Set<string>();

  constructor(scheme: ValidationScheme) {
    this.scheme = scheme;
  }

  fail(msg: string, line = this.lineNo): ParseError {
    return new ParseError(msg, line, "openmetrics");
  }

  run(text: string): MetricFamily[] {
    const lines = text.split("\n");
    let eof = false;
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      this.lineNo = i + 1;
      if (eof) {
        if (i === lines.length - 1 && line === "") break;
        throw this.fail(`line after "# EOF"`);
      }
      if (line === "") {
        if (i === lines.length - 1) break;
        throw this.fail("empty line");
      }
      try {
        if (line === "# EOF") eof = true;
        else if (line.startsWith("#")) this.descriptor(line);
        else this.sample(splitSample(line, this.scheme));
      } catch (e) {
        if (e instanceof LineError) throw this.fail(e.message);
        throw e;
      }
    }
    if (!eof) throw this.fail(`missing "# EOF" at the end`);
    this.finish();
    return this.families.flatMap((f) => this.output(f));
  }

  newFamily(name: string): Family {
    this.finish();
    const fam: Family = {
      name,
      line: this.lineNo,
      unitLine: 0,
      allowed: new Map([[name, ""]]),
      points: [],
      byKey: new Map(),
      seenGroups: new Set(),
    };
    this.families.push(fam);
    this.fam = fam;
    return fam;
  }

  descriptor(line: string): void {
    const m = /^# (HELP|TYPE|UNIT) /.exec(line);
    if (m === null) {
      const shown = line.length > 60 ? line.slice(0, 60) + "…" : line;
      throw this.fail(`invalid comment line ${goQuote(shown)}: only HELP, TYPE, UNIT and EOF`);
    }
    const keyword = m[1]!;
    const [name, rest] = splitDescriptor(line.slice(7), this.scheme);
    let fam = this.fam;
    if (fam?.name === name && fam.points.length > 0) {
      throw this.fail(`${keyword} line for metric name ${goQuote(name)} after its samples`);
    }
    if (fam?.name !== name) fam = this.newFamily(name);
    const second = `second ${keyword} line for metric name ${goQuote(name)}`;
    if (keyword === "HELP") {
      if (fam.help !== undefined) throw this.fail(second);
      fam.help = unescapeHelp(rest);
    } else if (keyword === "UNIT") {
      if (fam.unit !== undefined) throw this.fail(second);
      fam.unit = rest;
      fam.unitLine = this.lineNo;
    } else {
      if (fam.type !== undefined) throw this.fail(second);
      const suffixes = SUFFIXES[rest];
      if (suffixes === undefined || !Object.hasOwn(SUFFIXES, rest)) {
        throw this.fail(`unknown metric type ${goQuote(rest)}`);
      }
      fam.type = rest;
      fam.allowed = new Map(suffixes.map((s) => [name + s, s]));
    }
  }

  /** Checks a finished family: unit, name clashes, per-point rules. */
  finish(): void {
    const fam = this.fam;
    if (fam === undefined) return;
    this.fam = undefined;
    const type = fam.type ?? "unknown";
    if (fam.unit) {
      if (!fam.name.endsWith("_" + fam.unit)) {
        throw this.fail(
          `unit ${goQuote(fam.unit)} does not end metric name ${goQuote(fam.name)}`,
          fam.unitLine,
        );
      }
      if (type === "info" || type === "stateset") {
        throw this.fail(`${type} metric ${goQuote(fam.name)} cannot have a unit`, fam.unitLine);
      }
    }
    for (const s of new Set(["", ...SUFFIXES[type]!])) {
      if (this.names.has(fam.name + s)) {
        throw this.fail(
          `metric name ${goQuote(fam.name + s)} clashes with an earlier family`,
          fam.line,
        );
      }
      this.names.add(fam.name + s);
    }
    for (const p of fam.points) this.checkPoint(fam, type, p);
  }

  checkPoint(fam: Family, type: string, p: Point): void {
    const what = `${type} ${goQuote(fam.name)}`;
    const fail = (msg: string) => this.fail(`${what} ${msg}`, p.line);
    if (type === "counter" && p.metric.counter?.value === undefined) {
      throw fail("has a _created sample without its _total sample");
    }
    if (type !== "histogram" && type !== "gaugehistogram") return;
    const g = type === "gaugehistogram" ? "g" : "";
    if (p.bound !== Infinity) throw fail(`lacks the +Inf bucket`);
    if (p.hasCount && p.metric.histogram!.sampleCount !== p.lastCount) {
      throw fail(`has _${g}count different from its +Inf bucket`);
    }
    if (p.hasSum && !p.hasCount) throw fail(`has _${g}sum without _${g}count`);
    if (p.hasCount && !p.hasSum) throw fail(`has _${g}count without _${g}sum`);
    if (type === "histogram" && p.negativeBucket && p.hasSum) {
      throw fail("has negative buckets and a _sum");
    }
    if (p.negativeGsum && !p.negativeBucket) {
      throw fail("has a negative _gsum without negative buckets");
    }
  }

  number(text: string, what: string): number {
    const v = parseOpenMetricsNumber(text);
    if (v === undefined) throw this.fail(`expected float as ${what}, got ${goQuote(text)}`);
    return v;
  }

  /** The value of the `le` or `quantile` label, removed from `labels`. */
  special(labels: LabelPair[], label: string, sample: string): number {
    const i = labels.findIndex((l) => l.name === label);
    if (i === -1) throw this.fail(`missing '${label}' label on sample ${goQuote(sample)}`);
    const text = labels[i]!.value;
    labels.splice(i, 1);
    const v = parseOpenMetricsNumber(text);
    if (v === undefined || Number.isNaN(v)) {
      throw this.fail(`expected float as value for '${label}' label, got ${goQuote(text)}`);
    }
    if (v === Infinity && text !== "+Inf") {
      throw this.fail(`'${label}' label ${goQuote(text)} must be written "+Inf"`);
    }
    if (label === "quantile" && !(v >= 0 && v <= 1)) {
      throw this.fail(`'quantile' label ${goQuote(text)} is not between 0 and 1`);
    }
    return v;
  }

  exemplar(parts: ExemplarParts): Exemplar {
    let length = 0;
    for (const l of parts.labels) length += codePoints(l.name) + codePoints(l.value);
    if (length > 128) throw this.fail(`exemplar labels have ${length} characters, more than 128`);
    const e: Exemplar = { label: parts.labels, value: this.number(parts.value, "exemplar value") };
    if (parts.timestamp !== undefined) {
      const ts = parseTimestampSeconds(parts.timestamp);
      if (ts === undefined) {
        throw this.fail(`invalid exemplar timestamp ${goQuote(parts.timestamp)}`);
      }
      e.timestamp = ts;
    }
    return e;
  }

  sample(s: SampleParts): void {
    let fam = this.fam;
    let suffix = fam?.allowed.get(s.name);
    if (fam === undefined || suffix === undefined) {
      fam = this.newFamily(s.name);
      suffix = "";
    }
    const type = fam.type ?? "unknown";
    const value = this.number(s.value, "value");
    let ts: number | null = null;
    if (s.timestamp !== undefined) {
      const ms = parseTimestampMs(s.timestamp);
      if (ms === undefined) {
        throw this.fail(`expected a finite float as timestamp, got ${goQuote(s.timestamp)}`);
      }
      ts = ms;
    }

    // The labels that identify the series (OpenMetrics' Metric), and its own labels.
    let labels = s.labels;
    let special = NaN;
    if (type === "summary" && suffix === "") {
      special = this.special(labels = labels.slice(), "quantile", s.name);
    }
    if (suffix === "_bucket") special = this.special(labels = labels.slice(), "le", s.name);
    if (type === "stateset" && !labels.some((l) => l.name === fam.name)) {
      throw this.fail(`stateset sample ${goQuote(s.name)} lacks the label ${goQuote(fam.name)}`);
    }
    const own = labelKey(labels);
    const group = type === "info"
      ? ""
      : type === "stateset"
      ? labelKey(labels.filter((l) => l.name !== fam.name))
      : own;
    if (fam.group !== undefined && group !== fam.group && fam.seenGroups.has(group)) {
      throw this.fail(`samples of one series of ${goQuote(fam.name)} are not together`);
    }
    if (fam.group !== undefined && group === fam.group) {
      if ((ts === null) !== (fam.groupTs === null)) {
        throw this.fail(`samples with and without timestamp in one series of ${goQuote(fam.name)}`);
      }
      if (ts !== null && fam.groupTs! > ts && type !== "info") {
        throw this.fail(`timestamps go backwards in one series of ${goQuote(fam.name)}`);
      }
    }
    fam.group = group;
    fam.groupTs = ts;
    fam.seenGroups.add(group);

    this.checkValue(type, suffix, value, s.name);
    if (
      s.exemplar !== undefined &&
      !(suffix === "_bucket" || (type === "counter" && suffix === "_total"))
    ) {
      throw this.fail(
        `exemplar on ${
          goQuote(s.name)
        }: only counter _total and histogram _bucket samples have exemplars`,
      );
    }
    const exemplar = s.exemplar === undefined ? undefined : this.exemplar(s.exemplar);

    // One metric per series and timestamp (MetricPoint): several samples for the
    // types with suffixes, one sample for the others.
    const oneMetric = type === "counter" || type === "summary" || type === "histogram" ||
      type === "gaugehistogram";
    const base = oneMetric ? group : own;
    const pointKey = ts === null ? base : base + "@" + ts;
    let p = fam.byKey.get(pointKey);
    const sub = suffix + (Number.isNaN(special) ? "" : "=" + special);
    if (p === undefined) {
      const metric: Metric = { label: labels };
      if (ts !== null) metric.timestampMs = ts;
      p = {
        metric,
        line: this.lineNo,
        lastCount: 0,
        hasCount: false,
        hasSum: false,
        negativeBucket: false,
        negativeGsum: false,
        samples: oneMetric ? new Set([sub]) : undefined,
      };
      fam.byKey.set(pointKey, p);
      fam.points.push(p);
    } else if (p.samples === undefined || p.samples.has(sub)) {
      throw this.fail(`duplicate sample ${goQuote(s.name)}`);
    } else {
      p.samples.add(sub);
    }
    if (suffix === "_created") this.created(type, p.metric, s.value);
    else this.apply(fam, type, suffix, p, value, special, exemplar);
  }

  checkValue(type: string, suffix: string, value: number, name: string): void {
    const quoted = (): string => goQuote(name);
    const counterLike = suffix === "_total" || suffix === "_sum" || suffix === "_count" ||
      suffix === "_bucket" || suffix === "_gcount";
    if ((counterLike || suffix === "_gsum") && Number.isNaN(value)) {
      throw this.fail(`NaN value for counter-like sample ${quoted()}`);
    }
    if (counterLike && value < 0) {
      throw this.fail(`negative value for counter-like sample ${quoted()}`);
    }
    if (
      (suffix === "_bucket" || suffix === "_count" || suffix === "_gcount") &&
      !Number.isInteger(value)
    ) {
      throw this.fail(`non-integer value for count sample ${quoted()}`);
    }
    if (type === "summary" && suffix === "" && value < 0) {
      throw this.fail(`negative quantile value for summary sample ${quoted()}`);
    }
    if (type === "stateset" && value !== 0 && value !== 1) {
      throw this.fail(`stateset sample ${quoted()} must have the value 0 or 1`);
    }
    if (type === "info" && value !== 1) {
      throw this.fail(`info sample ${quoted()} must have the value 1`);
    }
  }

  /** A `_created` sample: the created timestamp of a counter, summary or histogram. */
  created(type: string, m: Metric, text: string): void {
    const created = parseTimestampSeconds(text);
    if (created === undefined) throw this.fail(`invalid created timestamp ${goQuote(text)}`);
    if (type === "counter") (m.counter ??= {}).createdTimestamp = created;
    else if (type === "summary") (m.summary ??= { quantile: [] }).createdTimestamp = created;
    else (m.histogram ??= emptyHistogram()).createdTimestamp = created;
  }

  /** Any other sample: its value into the metric of its point. */
  apply(
    fam: Family,
    type: string,
    suffix: string,
    p: Point,
    value: number,
    special: number,
    exemplar: Exemplar | undefined,
  ): void {
    const m = p.metric;
    switch (type) {
      case "counter": {
        const c = m.counter ??= {};
        c.value = value;
        if (exemplar !== undefined) c.exemplar = exemplar;
        return;
      }
      case "summary": {
        const s = m.summary ??= { quantile: [] };
        if (suffix === "_sum") s.sampleSum = value;
        else if (suffix === "_count") s.sampleCount = value;
        else s.quantile.push({ quantile: special, value });
        return;
      }
      case "histogram":
      case "gaugehistogram": {
        const h = m.histogram ??= emptyHistogram();
        if (suffix === "_count" || suffix === "_gcount") {
          h.sampleCount = value;
          p.hasCount = true;
        } else if (suffix === "_sum" || suffix === "_gsum") {
          h.sampleSum = value;
          p.hasSum = true;
          if (value < 0) p.negativeGsum = true;
        } else {
          if (p.bound !== undefined && special <= p.bound) {
            throw this.fail(`${type} ${goQuote(fam.name)} has buckets out of order`);
          }
          if (value < p.lastCount) {
            throw this.fail(`${type} ${goQuote(fam.name)} has bucket counts decreasing`);
          }
          p.bound = special;
          p.lastCount = value;
          if (special < 0) p.negativeBucket = true;
          const b: Bucket = { upperBound: special, cumulativeCount: value };
          if (exemplar !== undefined) b.exemplar = exemplar;
          h.bucket.push(b);
        }
        return;
      }
      case "unknown":
        m.untyped = { value };
        return;
      default:
        m.gauge = { value };
    }
  }

  output(fam: Family): MetricFamily[] {
    if (fam.points.length === 0) return [];
    const type = fam.type ?? "unknown";
    const name = type === "counter"
      ? fam.name + "_total"
      : type === "info"
      ? fam.name + "_info"
      : fam.name;
    const out: MetricFamily = {
      name,
      type: MODEL_TYPES[type]!,
      metric: fam.points.map((p) => p.metric),
    };
    if (fam.help !== undefined) out.help = fam.help;
    if (fam.unit) out.unit = fam.unit;
    return [out];
  }
}

/** The 1-based line of the first invalid UTF-8 sequence in `bytes`. */
function invalidUtf8Line(bytes: Uint8Array): number {
  let line = 1;
  let start = 0;
  for (let i = 0; i <= bytes.length; i++) {
    if (i === bytes.length || bytes[i] === 0x0a) {
      try {
        utf8.decode(bytes.subarray(start, i));
      } catch {
        return line;
      }
      line++;
      start = i + 1;
    }
  }
  return line;
}

/**
 * Parses an OpenMetrics 1.0.0 text body into metric families, mapped as the
 * module documentation describes.
 *
 * @param input The body, as bytes (must be UTF-8) or a string.
 * @param options `scheme: "utf8"` to allow quoted names.
 * @returns The families in the order of their first line.
 * @throws {ParseError} `openmetrics format parsing error in line N: <message>`.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * const [c] = parseOpenMetrics('# TYPE jobs counter\njobs_total 3 # {trace_id="a"} 1\n# EOF\n');
 * assertEquals(c!.name, "jobs_total");
 * assertEquals(c!.metric[0]!.counter?.exemplar?.label, [{ name: "trace_id", value: "a" }]);
 * ```
 */
export function parseOpenMetrics(
  input: Uint8Array | string,
  options: OpenMetricsParseOptions = { scheme: "legacy" },
): MetricFamily[] {
  let text: string;
  if (typeof input === "string") {
    text = input;
  } else {
    try {
      text = utf8.decode(input);
    } catch {
      throw new ParseError("invalid UTF-8", invalidUtf8Line(input), "openmetrics");
    }
  }
  return new Parser(options.scheme).run(text);
}
