/**
 * Seeded generator of OpenMetrics text inputs, for fuzzing the OpenMetrics
 * parser against Python's (`scripts/fuzz.ts`, `tests/openmetrics_python_test.ts`).
 *
 * Documents are built from the format's grammar (families of every type with
 * HELP/TYPE/UNIT lines, their samples, labels with escapes, exemplars,
 * timestamps, `# EOF`), then often broken on purpose: a line-level slip (a
 * wrong value, a dropped or repeated line, an odd TYPE word, a stray space) or
 * byte-level mutations.
 *
 * @module
 */

import { mutateBytes, Prng } from "@lib/expfmt/fuzz_gen.ts";

const ENC = new TextEncoder();

const STEMS = ["a", "foo", "req_seconds", "x:y", "_z", "b_total", "c_info", "h_bucket", "s_count"];
const TYPES = [
  "counter",
  "gauge",
  "summary",
  "histogram",
  "gaugehistogram",
  "stateset",
  "info",
  "unknown",
];
const ODD_TYPES = ["untyped", "Counter", "gauge ", "", "histogram_x"];
const VALUES = ["0", "1", "2", "1.5", "-1", "-0", "1e3", "0.25", "+Inf", "-Inf", "NaN", "17"];
const ODD_VALUES = ["inf", "nan", "1_0", " 1", "0x1", "1e400", ".5", "5.", "+3", "١", "1.0.0", ""];
const TIMESTAMPS = [
  "1",
  "1700000000",
  "1700000000.123",
  "1.5",
  "0",
  "-1.5",
  "1e9",
  "1.5e3",
  "1.700000000123e+09",
];
const ODD_TIMESTAMPS = ["NaN", "+Inf", "1.+5", "abc", "1e999"];
const LABEL_NAMES = ["a", "b", "job", "_x", "le", "quantile", "__name__", "a:b", "1a", ""];
const LABEL_VALUES = ["", "x", "v 1", 'q\\"q', "b\\\\s", "n\\nl", "}", "{", ",", "é", "=", "# "];
const BOUNDS = ["0.1", "1", "2.5", "10", "1e3"];
const ODD_FLOATS = ["nan", "NaN", " 1", "1_0", "1.0", "+1", "01", "0x1", "Inf", "1e", ""];

/** A label set in text form, `{…}` or `""`; `avoid` is not used as a name. */
function labels(r: Prng, odd: number, extra = ""): string {
  const parts: string[] = [];
  const n = r.int(3);
  const used = new Set<string>();
  for (let i = 0; i < n; i++) {
    const name = r.chance(odd) ? r.pick(LABEL_NAMES) : r.pick(["a", "b", "job", "_x"]);
    if (used.has(name) && !r.chance(odd)) continue;
    used.add(name);
    parts.push(`${name}="${r.chance(0.3) ? r.pick(LABEL_VALUES) : "v" + r.int(3)}"`);
  }
  if (extra !== "") parts.splice(r.int(parts.length + 1), 0, extra);
  if (parts.length === 0 && !r.chance(0.2)) return "";
  const trailing = r.chance(odd) ? "," : "";
  return "{" + parts.join(",") + trailing + "}";
}

function value(r: Prng, odd: number): string {
  return r.chance(odd) ? r.pick(ODD_VALUES) : r.pick(VALUES);
}

function tail(r: Prng, odd: number, ts: string, exemplar: boolean): string {
  let out = ts === "" ? "" : " " + ts;
  if (exemplar || r.chance(odd / 2)) {
    const ex = r.chance(0.8) ? `{trace_id="${r.int(1000)}"}` : labels(r, odd);
    const long = r.chance(odd) ? `{t="${"x".repeat(r.pick([120, 126, 127, 130]))}"}` : ex;
    out += ` # ${long || "{}"} ${value(r, odd)}`;
    if (r.chance(0.5)) out += " " + (r.chance(odd) ? r.pick(ODD_TIMESTAMPS) : r.pick(TIMESTAMPS));
  }
  return out;
}

/** The sample lines of one series (one MetricPoint) of a family. */
function seriesLines(r: Prng, name: string, type: string, odd: number, ts: string): string[] {
  const l = labels(r, odd);
  const withLabel = (extra: string) => labels(r, odd, extra) || `{${extra}}`;
  const ex = (p: number) => r.chance(p);
  const v = () => value(r, odd);
  const count = () => String(r.int(20));
  switch (type) {
    case "counter": {
      const out = [
        `${name}_total${l} ${r.chance(0.8) ? count() : v()}${tail(r, odd, ts, ex(0.4))}`,
      ];
      if (r.chance(0.3)) {
        out.push(`${name}_created${l} ${r.pick(TIMESTAMPS)}${tail(r, odd, ts, false)}`);
      }
      return out;
    }
    case "summary": {
      const out: string[] = [];
      for (const q of ["0", "0.5", "0.9", "1"].filter(() => r.chance(0.5))) {
        const quantile = r.chance(odd) ? r.pick(["1.5", "-0", ...ODD_FLOATS]) : q;
        out.push(`${name}${withLabel(`quantile="${quantile}"`)} ${v()}${tail(r, odd, ts, false)}`);
      }
      if (r.chance(0.8)) out.push(`${name}_sum${l} ${count()}${tail(r, odd, ts, false)}`);
      if (r.chance(0.8)) out.push(`${name}_count${l} ${count()}${tail(r, odd, ts, false)}`);
      return out;
    }
    case "histogram":
    case "gaugehistogram": {
      const g = type === "gaugehistogram" ? "g" : "";
      const out: string[] = [];
      let c = 0;
      const bounds = BOUNDS.filter(() => r.chance(0.5));
      if (r.chance(odd)) bounds.unshift("-1");
      if (!r.chance(odd)) bounds.push("+Inf");
      for (const b of bounds) {
        c += r.int(3);
        let le = b === "+Inf" && r.chance(odd) ? r.pick(["Inf", "inf", "+inf"]) : b;
        if (r.chance(odd / 2)) le = r.pick(ODD_FLOATS);
        out.push(`${name}_bucket${withLabel(`le="${le}"`)} ${c}${tail(r, odd, ts, ex(0.3))}`);
      }
      if (r.chance(0.7)) {
        out.push(`${name}_${g}count${l} ${r.chance(odd) ? c + 1 : c}${tail(r, odd, ts, false)}`);
        out.push(`${name}_${g}sum${l} ${r.chance(0.8) ? count() : v()}${tail(r, odd, ts, false)}`);
      }
      if (type === "histogram" && r.chance(0.2)) {
        out.push(`${name}_created${l} ${r.pick(TIMESTAMPS)}${tail(r, odd, ts, false)}`);
      }
      return out;
    }
    case "stateset":
      return ["s1", "s2"].filter(() => r.chance(0.7)).map((s) =>
        `${name}${withLabel(`${name}="${s}"`)} ${r.chance(0.8) ? r.pick(["0", "1"]) : v()}${
          tail(r, odd, ts, false)
        }`
      );
    case "info":
      return [`${name}_info${l} ${r.chance(0.8) ? "1" : v()}${tail(r, odd, ts, false)}`];
    default:
      return [`${name}${l} ${v()}${tail(r, odd, ts, false)}`];
  }
}

/**
 * Rewrites the lines of a family named `plain` to use the quoted UTF-8 name
 * `quoted` instead: `# TYPE "a.b" …`, `{"a.b_total",l="v"} 1`.
 */
function quoteName(lines: string[], plain: string, quoted: string): string[] {
  const q = (s: string) => '"' + s.replace(/[\\"]/g, (c) => "\\" + c) + '"';
  return lines.map((line) => {
    if (line.startsWith("# ")) return line.replace(" " + plain + " ", " " + q(quoted) + " ");
    if (!line.startsWith(plain)) return line;
    const m = /^[a-zA-Z0-9_:]*/.exec(line)![0];
    const name = q(quoted + m.slice(plain.length));
    const rest = line.slice(m.length);
    if (rest.startsWith("{}")) return "{" + name + "}" + rest.slice(2);
    if (rest.startsWith("{")) return "{" + name + "," + rest.slice(1);
    return "{" + name + "}" + rest;
  });
}

function family(r: Prng, index: number, odd: number): string[] {
  const type = r.pick(TYPES);
  const unit = r.chance(0.2) ? r.pick(["seconds", "bytes", "x"]) : "";
  if (r.chance(odd)) {
    const lines = family(r, index, odd);
    const plain = /^(?:# \S+ )?([a-zA-Z_:][a-zA-Z0-9_:]*)/.exec(lines[0] ?? "")?.[1];
    return plain === undefined
      ? lines
      : quoteName(lines, plain, r.pick(["a.b", "ü", 'q"', "x y"]) + index);
  }
  const base = r.chance(odd) ? r.pick(STEMS) : `m${index}_${r.pick(STEMS)}`;
  const name = unit !== "" && r.chance(0.8) ? `${base}_${unit}` : base;
  const meta: string[] = [];
  if (r.chance(0.5)) {
    meta.push(`# HELP ${name} ${r.pick(["Help.", "", 'with \\"q\\" \\\\ \\n', "odd \\t"])}`);
  }
  if (r.chance(0.8)) meta.push(`# TYPE ${name} ${r.chance(odd) ? r.pick(ODD_TYPES) : type}`);
  if (unit !== "") meta.push(`# UNIT ${name} ${unit}`);
  if (r.chance(0.3)) meta.reverse();
  const lines = [...meta];
  const series = r.int(3) + (r.chance(0.1) ? 0 : 1);
  const ts = r.chance(0.15) ? r.pick(TIMESTAMPS) : "";
  for (let s = 0; s < series; s++) lines.push(...seriesLines(r, name, type, odd, ts));
  return lines;
}

/** Line-level slips: each turns a likely valid document into a likely invalid one. */
function slip(r: Prng, lines: string[]): void {
  const at = r.int(lines.length);
  switch (r.int(7)) {
    case 0:
      lines.splice(at, 1);
      break;
    case 1:
      lines.splice(at, 0, lines[at] ?? "");
      break;
    case 2:
      lines.splice(at, 0, r.pick(["", "# a comment", "#", "# EOF", " ", "# HELP", "# TYPE x"]));
      break;
    case 3: {
      const b = r.int(lines.length);
      [lines[at], lines[b]] = [lines[b]!, lines[at]!];
      break;
    }
    case 4:
      lines[at] = (lines[at] ?? "").replace(" ", r.pick(["  ", "\t", "", " # "]));
      break;
    case 5:
      lines[at] = (lines[at] ?? "") + r.pick([" ", " 1", " # {}", "\r"]);
      break;
    default:
      lines[at] = (lines[at] ?? "").replace(/[0-9]+/, r.pick(ODD_VALUES));
  }
}

/**
 * Generates one input: a grammar-built document, often broken by a slip or
 * by byte mutations.
 *
 * @param r The random source.
 * @returns The input bytes.
 */
export function generateOpenMetricsInput(r: Prng): Uint8Array {
  const odd = r.pick([0, 0.01, 0.05, 0.2]);
  const lines: string[] = [];
  const families = r.int(4);
  for (let f = 0; f < families; f++) lines.push(...family(r, f, odd));
  if (r.chance(0.3)) slip(r, lines);
  if (r.chance(0.1)) slip(r, lines);
  if (!r.chance(odd)) lines.push("# EOF");
  let text = lines.join("\n");
  if (r.chance(0.85)) text += "\n";
  const bytes = ENC.encode(text);
  if (r.chance(0.6)) return bytes;
  return mutateBytes(r, bytes, {
    truncate: true,
    donors: [ENC.encode("# EOF\n"), ENC.encode(' # {a="b"} 1')],
  });
}

/**
 * `count` inputs from `seed`, each with the seed that reproduces it alone.
 *
 * @param seed The first seed.
 * @param count How many inputs.
 * @returns The inputs with their seeds.
 */
export function* generateOpenMetricsInputs(
  seed: number,
  count: number,
): Generator<{ seed: number; input: Uint8Array }> {
  for (let i = 0; i < count; i++) {
    const s = (seed + i) >>> 0;
    yield { seed: s, input: generateOpenMetricsInput(new Prng(s)) };
  }
}
