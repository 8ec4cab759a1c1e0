/**
 * Python's strict OpenMetrics parser (`prometheus_client.openmetrics.parser`,
 * Debian's python3-prometheus-client for `/usr/bin/python3`) as a differential
 * oracle for our OpenMetrics parser and renderer: one Python process parses
 * batches of inputs, and {@linkcode compareWithPython} says whether our answer
 * agrees, or differs in one of the documented {@linkcode DEVIATIONS}.
 *
 * @module
 */

import { TextLineStream } from "@std/streams/text-line-stream";
import { encodeBase64 } from "@std/encoding/base64";
import type { Exemplar, LabelPair, MetricFamily } from "@lib/model/metric.ts";
import { MetricType } from "@lib/model/metric.ts";
import { ParseError } from "@lib/model/parse_error.ts";
import { parseOpenMetricsNumber } from "@lib/expfmt/openmetrics_numbers.ts";

/** Debian's Python, the only one that can import prometheus_client here. */
export const PYTHON = "/usr/bin/python3";
const SCRIPT = new URL("../testdata/openmetrics/python_parse.py", import.meta.url).pathname;

/** The parser module that must exist for {@linkcode PYTHON} to import it. */
export const PYTHON_PARSER_FILE =
  "/usr/lib/python3/dist-packages/prometheus_client/openmetrics/parser.py";

/** One sample as Python reports it; numbers as strings (`repr`, `nan`, `inf`, `-inf`). */
export interface PySample {
  name: string;
  labels: Record<string, string>;
  value: string;
  timestamp: string | null;
  exemplar?: { labels: Record<string, string>; value: string; timestamp: string | null };
}

/** One family as Python reports it. */
export interface PyFamily {
  name: string;
  type: string;
  help: string;
  unit: string;
  samples: PySample[];
}

/** Python's answer for one input. */
export type PyResult = { ok: true; families: PyFamily[] } | { ok: false; error: string };

/** A running Python parser process. */
export class PythonOpenMetrics {
  readonly #child: Deno.ChildProcess;
  readonly #lines: ReadableStreamDefaultReader<string>;

  private constructor(child: Deno.ChildProcess) {
    this.#child = child;
    this.#lines = child.stdout.pipeThrough(new TextDecoderStream()).pipeThrough(
      new TextLineStream(),
    ).getReader();
  }

  /** Starts the Python process. */
  static start(): PythonOpenMetrics {
    const child = new Deno.Command(PYTHON, {
      args: [SCRIPT],
      stdin: "piped",
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    return new PythonOpenMetrics(child);
  }

  /** Parses a batch of inputs; answers in input order. */
  async parse(inputs: Uint8Array[]): Promise<PyResult[]> {
    const writer = this.#child.stdin.getWriter();
    const enc = new TextEncoder();
    const writing = (async () => {
      let chunk = "";
      for (const input of inputs) {
        chunk += JSON.stringify({ b64: encodeBase64(input) }) + "\n";
        if (chunk.length > 1 << 16) {
          await writer.write(enc.encode(chunk));
          chunk = "";
        }
      }
      if (chunk !== "") await writer.write(enc.encode(chunk));
      writer.releaseLock();
    })();
    const out: PyResult[] = [];
    for (let i = 0; i < inputs.length; i++) {
      const { value, done } = await this.#lines.read();
      if (done) throw new Error("python parser exited early");
      out.push(JSON.parse(value) as PyResult);
    }
    await writing;
    return out;
  }

  /** Ends the process and waits for it. */
  async close(): Promise<void> {
    await this.#child.stdin.close();
    await this.#lines.cancel();
    await this.#child.status;
  }
}

/** A documented, deliberate difference between our parser and Python's. */
export interface Deviation {
  id: string;
  /** What differs, for the documentation and failure messages. */
  description: string;
  /** Whether the difference seen on `input` is this one. */
  explains(input: string, ours: MetricFamily[] | ParseError, py: PyResult): boolean;
}

// An independent reading of the line grammar, to tell Python's laxness from our mistakes.
const NAME = "[a-zA-Z_:][a-zA-Z0-9_:]*";
const LABELS = '\\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\\]|\\\\.)*"' +
  '(?:,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\\]|\\\\.)*")*)?\\}';
const SAMPLE_LINE = new RegExp(
  `^${NAME}(?:${LABELS})? [^ ]+(?: [^ #][^ ]*)?(?: # ${LABELS} [^ ]+(?: [^ ]+)?)?$`,
);
const DESCRIPTOR_LINE = new RegExp(`^# (?:HELP|TYPE|UNIT) ${NAME} .*$|^# EOF$`);

function ourLine(ours: ParseError): number {
  return ours.line;
}

function lineOf(input: string, line: number): string {
  return input.split("\n")[line - 1] ?? "";
}

/** Whether Python's `_parse_timestamp` reads `token` through its `int.int` branch. */
function pythonTakesTimestamp(token: string): boolean {
  const dot = token.indexOf(".");
  if (dot === -1) return false;
  const fraction = token.slice(dot + 1, dot + 10).padEnd(9, "0");
  return /^[+-]?\d+$/.test(token.slice(0, dot)) && /^[+-]?\d+$/.test(fraction);
}

/** Python accepted, we refused with `message` on a line that matches `test`. */
function refusedWith(message: RegExp, test?: (line: string) => boolean): Deviation["explains"] {
  return (input, ours, py) =>
    py.ok && ours instanceof ParseError && message.test(ours.message) &&
    (test === undefined || test(lineOf(input, ourLine(ours))));
}

/** The differences we keep on purpose (see `lib/expfmt/openmetrics_parse.ts`). */
export const DEVIATIONS: readonly Deviation[] = [
  {
    id: "line-grammar",
    description: "a line off the grammar that Python still reads, such as one with a " +
      "character other than a space after the labels' `}` (Python skips it unread); " +
      "recognised by an independent regular expression of the sample and comment lines",
    explains: (input, ours, py) =>
      py.ok && ours instanceof ParseError && ours.line > 0 &&
      !(SAMPLE_LINE.test(lineOf(input, ours.line)) ||
        DESCRIPTOR_LINE.test(lineOf(input, ours.line))),
  },
  {
    id: "le-quantile-spelling",
    description:
      "`le`/`quantile` values must be numbers without spaces or underscores, and a NaN " +
      "`le` is refused in any spelling; Python's float() takes more and refuses only `NaN`",
    explains: refusedWith(/for '(?:le|quantile)' label/),
  },
  {
    id: "repeated-sample",
    description:
      "a repeated sample (same name, labels and timestamp) is refused; Python keeps the first",
    explains: refusedWith(/duplicate sample/),
  },
  {
    id: "reserved-name-label",
    description: "`__name__` is a reserved label name, as in the text parser",
    explains: refusedWith(/"__name__" is reserved/),
  },
  {
    id: "counter-without-total",
    description: "a counter series needs its `_total` sample; Python takes `_created` alone",
    explains: refusedWith(/_created sample without its _total/),
  },
  {
    id: "timestamp-range",
    description: "created and exemplar timestamps must be dates in the years 1 to 9999 " +
      "(protobuf Timestamps)",
    explains: refusedWith(/invalid (?:created|exemplar) timestamp/),
  },
  {
    id: "number-grammar",
    description: "numbers are ASCII: Python's int()/float() also take other Unicode digits, and " +
      "its timestamp reader takes `<int>.<anything starting with up to nine digits>`, such as " +
      "`1.+5` or `1.700000000e+0+9`",
    explains: (_input, ours, py) => {
      if (!py.ok || !(ours instanceof ParseError)) return false;
      const m =
        /(float as (value|exemplar value|timestamp)|invalid exemplar timestamp),? (?:got )?"(.*)"$/
          .exec(ours.message);
      if (m === null) return false;
      const token = m[3]!;
      return /[^ -~]/.test(token) ||
        (!m[2]?.includes("value") && pythonTakesTimestamp(token));
    },
  },
  {
    id: "exemplar-brace",
    description: "Python refuses an exemplar whose label values contain `}` (it stops at the " +
      "first `}`)",
    explains: (input, ours, py) =>
      !py.ok && !(ours instanceof ParseError) && / # \{[^\n]*\}[^\n]*\}/.test(input),
  },
  {
    id: "exponent-timestamp",
    description: "Python misreads a timestamp in exponent form with nine or more fraction digits " +
      "(`1.700000000123e+09` as 1.7 s), the form Go's encoder writes; it may then take later " +
      "samples for repeats (and drop them) or for going backwards (and refuse)",
    explains: (input, ours, py) =>
      !(ours instanceof ParseError) && /\d\.\d{9,}e/i.test(input) &&
      (py.ok
        ? differenceFromPython(ours, py, { ignoreTimestamps: true }) === undefined
        : /Timestamps went backwards/.test(py.error)),
  },
];

function pyNumber(s: string | null): number | undefined {
  if (s === null) return undefined;
  if (s === "nan") return NaN;
  if (s === "inf") return Infinity;
  if (s === "-inf") return -Infinity;
  return Number(s);
}

/** One spelling per float, for `le` and `quantile` label values. */
function canon(v: number | undefined): string {
  if (v === undefined) return "?";
  return Number.isNaN(v) ? "NaN" : v === Infinity ? "+Inf" : v === -Infinity ? "-Inf" : String(v);
}

function sameNumber(a: number | undefined, b: number | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b);
  return a === b || Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));
}

/** A sample in a form both sides can be brought to. */
interface FlatSample {
  name: string;
  labels: string;
  value: number;
  timestamp?: number;
  exemplar?: { labels: string; value: number; timestamp?: number };
}

function labelText(labels: Record<string, string> | LabelPair[]): string {
  const pairs = Array.isArray(labels)
    ? labels.map((l) => [l.name, l.value])
    : Object.entries(labels);
  return JSON.stringify(pairs.sort(([a], [b]) => a! < b! ? -1 : a! > b! ? 1 : 0));
}

function ours2flat(families: MetricFamily[]): FlatSample[] {
  const out: FlatSample[] = [];
  for (const f of families) {
    for (const m of f.metric) {
      const ts = m.timestampMs === undefined ? undefined : m.timestampMs / 1000;
      const push = (name: string, value: number, extra: LabelPair[] = [], e?: Exemplar) => {
        const s: FlatSample = { name, labels: labelText([...m.label, ...extra]), value };
        if (ts !== undefined) s.timestamp = ts;
        if (e !== undefined) {
          s.exemplar = {
            labels: labelText(e.label),
            value: e.value ?? 0,
            timestamp: e.timestamp && e.timestamp.seconds + e.timestamp.nanos / 1e9,
          };
        }
        out.push(s);
      };
      const created = (base: string, c: { seconds: number; nanos: number } | undefined) => {
        if (c !== undefined) push(base + "_created", c.seconds + c.nanos / 1e9);
      };
      if (f.type === MetricType.COUNTER) {
        const base = f.name.slice(0, -"_total".length);
        push(f.name, m.counter!.value!, [], m.counter!.exemplar);
        created(base, m.counter!.createdTimestamp);
      } else if (f.type === MetricType.SUMMARY) {
        const s = m.summary!;
        for (const q of s.quantile) {
          push(f.name, q.value!, [{ name: "quantile", value: canon(q.quantile) }]);
        }
        if (s.sampleSum !== undefined) push(f.name + "_sum", s.sampleSum);
        if (s.sampleCount !== undefined) push(f.name + "_count", s.sampleCount);
        created(f.name, s.createdTimestamp);
      } else if (f.type === MetricType.HISTOGRAM || f.type === MetricType.GAUGE_HISTOGRAM) {
        const h = m.histogram!;
        const g = f.type === MetricType.GAUGE_HISTOGRAM ? "g" : "";
        for (const b of h.bucket) {
          const le = [{ name: "le", value: canon(b.upperBound) }];
          push(f.name + "_bucket", b.cumulativeCount!, le, b.exemplar);
        }
        if (h.sampleCount !== undefined) push(`${f.name}_${g}count`, h.sampleCount);
        if (h.sampleSum !== undefined) push(`${f.name}_${g}sum`, h.sampleSum);
        created(f.name, h.createdTimestamp);
      } else {
        push(f.name, (m.gauge ?? m.untyped)!.value!);
      }
    }
  }
  return out;
}

function py2flat(families: PyFamily[]): FlatSample[] {
  const out: FlatSample[] = [];
  for (const f of families) {
    for (const s of f.samples) {
      const labels = { ...s.labels };
      // `le` and `quantile` compare as numbers: ours are re-written from floats.
      const histogram = f.type === "histogram" || f.type === "gaugehistogram";
      if (histogram && s.name === f.name + "_bucket" && labels.le !== undefined) {
        labels.le = canon(parseOpenMetricsNumber(labels.le));
      }
      if (f.type === "summary" && s.name === f.name && labels.quantile !== undefined) {
        labels.quantile = canon(parseOpenMetricsNumber(labels.quantile));
      }
      const flat: FlatSample = {
        name: s.name,
        labels: labelText(labels),
        value: pyNumber(s.value)!,
      };
      if (s.timestamp !== null) flat.timestamp = pyNumber(s.timestamp);
      if (s.exemplar !== undefined) {
        flat.exemplar = {
          labels: labelText(s.exemplar.labels),
          value: pyNumber(s.exemplar.value)!,
          timestamp: pyNumber(s.exemplar.timestamp),
        };
      }
      out.push(flat);
    }
  }
  return out;
}

function sortKey(s: FlatSample, ignoreTimestamps: boolean): string {
  return `${s.name}\n${s.labels}\n${ignoreTimestamps ? s.timestamp !== undefined : s.timestamp}`;
}

function sameSample(a: FlatSample, b: FlatSample, ignoreTimestamps: boolean): boolean {
  const sameTime = (x: number | undefined, y: number | undefined) =>
    ignoreTimestamps ? (x === undefined) === (y === undefined) : sameNumber(x, y);
  if (a.name !== b.name || a.labels !== b.labels) return false;
  if (!sameNumber(a.value, b.value) || !sameTime(a.timestamp, b.timestamp)) return false;
  if ((a.exemplar === undefined) !== (b.exemplar === undefined)) return false;
  if (a.exemplar === undefined || b.exemplar === undefined) return true;
  return a.exemplar.labels === b.exemplar.labels &&
    sameNumber(a.exemplar.value, b.exemplar.value) &&
    sameTime(a.exemplar.timestamp, b.exemplar.timestamp);
}

/** Help and unit per sample name, on both sides. */
function metadata(families: { name: string; samples: string[]; help: string; unit: string }[]) {
  const out = new Map<string, string>();
  for (const f of families) for (const s of f.samples) out.set(s, `${f.help}\n${f.unit}`);
  return out;
}

/**
 * Compares our parse of `input` with Python's.
 *
 * @param ours Our families, or our ParseError.
 * @param py Python's answer.
 * @returns `undefined` when both agree (both refuse, or both accept the same
 *   samples, help and units), else a description of the difference.
 */
export function differenceFromPython(
  ours: MetricFamily[] | ParseError,
  py: PyResult,
  /** `ignoreTimestamps`: compare presence only, and let Python have fewer samples. */
  options: { ignoreTimestamps?: boolean } = {},
): string | undefined {
  if (ours instanceof ParseError) {
    return py.ok ? `we refuse (${ours.message}), Python accepts` : undefined;
  }
  if (!py.ok) return `we accept, Python refuses (${py.error})`;
  const ignore = options.ignoreTimestamps === true;
  const order = (x: FlatSample, y: FlatSample) => sortKey(x, ignore) < sortKey(y, ignore) ? -1 : 1;
  const a = ours2flat(ours).sort(order);
  const b = py2flat(py.families).sort(order);
  // Python's samples must be ours; ignoring timestamps, Python may have dropped some as repeats.
  const missing = ignore
    ? b.some((s) => !a.some((t) => sameSample(t, s, true)))
    : a.length !== b.length || a.some((s, i) => !sameSample(s, b[i]!, false));
  if (missing) {
    return `samples differ:\nours   ${JSON.stringify(a)}\npython ${JSON.stringify(b)}`;
  }
  const ourMeta = metadata(ours.map((f) => ({
    name: f.name,
    samples: ours2flat([f]).map((s) => s.name),
    help: f.help ?? "",
    unit: f.unit ?? "",
  })));
  const pyMeta = metadata(
    py.families.map((f) => ({ ...f, samples: f.samples.map((s) => s.name) })),
  );
  for (const [name, meta] of ourMeta) {
    if (pyMeta.get(name) !== meta) {
      return `help/unit of ${name} differ: ours ${JSON.stringify(meta)}, python ${
        JSON.stringify(pyMeta.get(name))
      }`;
    }
  }
  return undefined;
}

/**
 * Compares and classifies: `undefined` when both agree, the id of a
 * documented deviation that explains the difference, or an unexplained
 * difference (a failure).
 *
 * @param input The input text (as UTF-8; inputs that are not never differ).
 * @param ours Our families, or our ParseError.
 * @param py Python's answer.
 * @returns Agreement, a deviation id, or the unexplained difference.
 */
export function compareWithPython(
  input: string,
  ours: MetricFamily[] | ParseError,
  py: PyResult,
): { agree: true } | { deviation: string } | { unexplained: string } {
  const diff = differenceFromPython(ours, py);
  if (diff === undefined) return { agree: true };
  const d = DEVIATIONS.find((d) => d.explains(input, ours, py));
  return d === undefined ? { unexplained: diff } : { deviation: d.id };
}
