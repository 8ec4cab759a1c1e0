/**
 * The line grammar of the OpenMetrics 1.0.0 text format: one sample line, or
 * the name of a `# HELP`/`# TYPE`/`# UNIT` line, split into its parts. The
 * meaning of the parts (families, types, checks) is `openmetrics_parse.ts`.
 *
 * ```
 * sample   = name [labels] SP value [SP timestamp] [SP "#" SP labels SP value [SP timestamp]]
 * labels   = "{" [label *("," label)] "}"
 * label    = label-name "=" DQUOTE escaped-string DQUOTE
 * ```
 *
 * Names are legacy (`[a-zA-Z_:][a-zA-Z0-9_:]*`, labels without `:`); with UTF-8
 * names on, a name may also be double-quoted, the metric name then first inside
 * the braces (`{"my.metric",l="v"} 1`), as the newest Prometheus parser reads
 * them. Escapes in quoted strings are `\\`, `\"` and `\n`; any other backslash
 * is kept as it is, as Prometheus and Python's parser keep it.
 *
 * @module
 */

import { goQuote } from "@lib/gocompat/go_quote.ts";
import type { LabelPair } from "@lib/model/metric.ts";
import type { ValidationScheme } from "@lib/model/names.ts";

/** A grammar error: the message, without the line prefix. */
export class LineError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "LineError";
  }
}

/** The parts of an exemplar: `# {labels} value [timestamp]`. */
export interface ExemplarParts {
  /** The exemplar's labels, in line order. */
  labels: LabelPair[];
  /** The value, as text. */
  value: string;
  /** The timestamp in seconds, as text, when present. */
  timestamp?: string;
}

/** The parts of a sample line; numbers are still text. */
export interface SampleParts {
  /** The sample's metric name (unquoted). */
  name: string;
  /** The labels, in line order. */
  labels: LabelPair[];
  /** The value, as text. */
  value: string;
  /** The timestamp in seconds, as text, when present. */
  timestamp?: string;
  /** The exemplar, when present. */
  exemplar?: ExemplarParts;
}

const METRIC_START = /[a-zA-Z_:]/y;
const METRIC_NAME = /[a-zA-Z_:][a-zA-Z0-9_:]*/y;
const LABEL_NAME = /[a-zA-Z_][a-zA-Z0-9_]*/y;

/** What ends a bad token in an error message: space, brace, comma, equals, quote. */
function badToken(line: string, at: number): string {
  const m = /[^ {},="]*/y;
  m.lastIndex = at;
  const t = m.exec(line)![0];
  return goQuote(t === "" ? line.slice(at, at + 1) : t);
}

/** A cursor over one line. */
class Cursor {
  readonly line: string;
  readonly utf8: boolean;
  pos = 0;

  constructor(line: string, scheme: ValidationScheme) {
    this.line = line;
    this.utf8 = scheme === "utf8";
  }

  peek(): string {
    return this.line[this.pos] ?? "";
  }

  atEnd(): boolean {
    return this.pos >= this.line.length;
  }

  found(): string {
    return this.atEnd() ? "end of line" : goQuote(this.peek());
  }

  expect(c: string, what: string): void {
    if (this.peek() !== c) throw new LineError(`expected ${what}, found ${this.found()}`);
    this.pos++;
  }

  /** A legacy name matching `re` at the cursor, or `""`. */
  match(re: RegExp): string {
    re.lastIndex = this.pos;
    const m = re.exec(this.line);
    if (m === null) return "";
    this.pos += m[0].length;
    return m[0];
  }

  /** A double-quoted string at the cursor (the cursor is on the quote). */
  quoted(what: string): string {
    const line = this.line;
    const start = this.pos + 1;
    const close = line.indexOf('"', start);
    if (close !== -1) {
      const plain = line.slice(start, close);
      if (!plain.includes("\\")) {
        this.pos = close + 1;
        return plain;
      }
    }
    let out = "";
    let i = start;
    for (;;) {
      const c = line[i];
      if (c === undefined) throw new LineError(`unterminated ${what}`);
      if (c === '"') break;
      if (c === "\\") {
        const e = line[i + 1];
        if (e === "\\" || e === '"') out += e;
        else if (e === "n") out += "\n";
        else out += e === undefined ? "\\" : "\\" + e;
        i += e === undefined ? 1 : 2;
        continue;
      }
      out += c;
      i++;
    }
    this.pos = i + 1;
    return out;
  }

  /** A quoted name, only allowed with UTF-8 names. */
  quotedName(kind: string): string {
    if (!this.utf8) {
      throw new LineError(`quoted ${kind} names are only allowed with UTF-8 names enabled`);
    }
    const name = this.quoted(`${kind} name`);
    if (name === "") throw new LineError(`empty ${kind} name`);
    return name;
  }

  /** A metric name: legacy, or quoted with UTF-8 names. */
  metricName(): string {
    if (this.peek() === '"') return this.quotedName("metric");
    METRIC_START.lastIndex = this.pos;
    if (!METRIC_START.test(this.line)) {
      throw new LineError(`invalid metric name ${badToken(this.line, this.pos)}`);
    }
    return this.match(METRIC_NAME);
  }

  /** A token up to the next space or the end of the line. */
  token(what: string): string {
    const end = this.line.indexOf(" ", this.pos);
    const t = this.line.slice(this.pos, end === -1 ? undefined : end);
    if (t === "") throw new LineError(`expected ${what}, found ${this.found()}`);
    this.pos += t.length;
    return t;
  }

  /**
   * The label pairs up to and including `}`; the cursor is after `{` (or after
   * the `,` that follows a quoted metric name).
   */
  labels(metric: string, afterComma: boolean): LabelPair[] {
    const out: LabelPair[] = [];
    // A scan of `out` for a few labels, a set beyond: a line may hold very many.
    let seen: Set<string> | undefined;
    if (!afterComma && this.peek() === "}") {
      this.pos++;
      return out;
    }
    for (;;) {
      let name: string;
      if (this.peek() === '"') {
        name = this.quotedName("label");
      } else {
        name = this.match(LABEL_NAME);
        if (name === "") {
          const what = this.peek() === "}" ? "a label name after ','" : "a label name";
          throw new LineError(
            `expected ${what} for metric ${goQuote(metric)}, found ${this.found()}`,
          );
        }
      }
      if (name === "__name__") throw new LineError(`label name "__name__" is reserved`);
      if (out.length >= 16) seen ??= new Set(out.map((l) => l.name));
      if (seen === undefined ? out.some((l) => l.name === name) : seen.has(name)) {
        throw new LineError(`duplicate label names for metric ${goQuote(metric)}`);
      }
      this.expect("=", "'=' after label name");
      if (this.peek() !== '"') {
        throw new LineError(`expected '"' at start of label value, found ${this.found()}`);
      }
      seen?.add(name);
      out.push({ name, value: this.quoted("label value") });
      if (this.peek() === "}") {
        this.pos++;
        return out;
      }
      this.expect(",", "',' or '}' after label value");
    }
  }
}

/**
 * Splits a sample line into its parts.
 *
 * @param line The line, without its newline.
 * @param scheme `utf8` to allow quoted names.
 * @returns The parts, numbers as text.
 * @throws {LineError} The line does not follow the grammar.
 */
export function splitSample(line: string, scheme: ValidationScheme): SampleParts {
  const c = new Cursor(line, scheme);
  let name: string;
  let labels: LabelPair[] = [];
  if (c.peek() === "{" && line[1] === '"') {
    c.pos = 1;
    name = c.quotedName("metric");
    if (c.peek() === ",") {
      c.pos++;
      labels = c.labels(name, true);
    } else {
      c.expect("}", "',' or '}' after the metric name");
    }
  } else {
    name = c.metricName();
    if (c.peek() === "{") {
      c.pos++;
      labels = c.labels(name, false);
      c.expect(" ", "a space after the labels");
    } else if (c.peek() !== " ") {
      if (c.atEnd()) throw new LineError(`expected a value after metric name ${goQuote(name)}`);
      throw new LineError(`invalid metric name ${badToken(line, 0)}`);
    } else {
      c.pos++;
    }
  }
  if (line[0] === "{") c.expect(" ", "a space after the labels");
  const parts: SampleParts = { name, labels, value: c.token("a value") };
  if (c.atEnd()) return parts;
  c.expect(" ", "a space after the value");
  if (c.peek() !== "#") {
    parts.timestamp = c.token("a timestamp");
    if (c.atEnd()) return parts;
    c.expect(" ", "a space after the timestamp");
  }
  c.expect("#", "'#' of an exemplar");
  c.expect(" ", "a space after '#'");
  c.expect("{", "'{' of exemplar labels");
  const ex: ExemplarParts = { labels: c.labels(name, false), value: "" };
  c.expect(" ", "a space before the exemplar value");
  ex.value = c.token("an exemplar value");
  if (!c.atEnd()) {
    c.expect(" ", "a space after the exemplar value");
    ex.timestamp = c.token("an exemplar timestamp");
    if (!c.atEnd()) {
      throw new LineError(`unexpected text after the exemplar: ${goQuote(line.slice(c.pos))}`);
    }
  }
  parts.exemplar = ex;
  return parts;
}

/**
 * Splits the text after `# HELP `, `# TYPE ` or `# UNIT ` into the metric
 * name and the rest of the line (after one space).
 *
 * @param rest The line after the keyword and its space.
 * @param scheme `utf8` to allow a quoted name.
 * @returns The name and the text after it.
 * @throws {LineError} No valid name, or no space after it.
 */
export function splitDescriptor(rest: string, scheme: ValidationScheme): [string, string] {
  const c = new Cursor(rest, scheme);
  const name = c.metricName();
  c.expect(" ", `a space after metric name ${goQuote(name)}`);
  return [name, rest.slice(c.pos)];
}

/**
 * Unescapes HELP text: `\\`, `\"` and `\n`; other backslashes are kept.
 *
 * @param s The escaped text.
 * @returns The text.
 */
export function unescapeHelp(s: string): string {
  if (!s.includes("\\")) return s;
  return s.replace(
    /\\(.?)/gs,
    (all, c: string) => c === "\\" || c === '"' ? c : c === "n" ? "\n" : all,
  );
}
