/**
 * Seeded generator of random and mutated text exposition inputs, for fuzzing
 * the parsers (`text_parse_fuzz_test.ts`, `scripts/fuzz.ts`).
 *
 * Inputs are built from a small grammar of the text format (HELP/TYPE lines,
 * samples with odd names, label sets, floats and timestamps, comments, blank
 * lines, whitespace) and then, most of the time, mutated at the byte level
 * (insert, delete, flip, duplicate, splice lines, invalid UTF-8).
 *
 * @module
 */

/** A small, fast, seeded PRNG (sfc32 seeded through splitmix32). */
export class Prng {
  #a: number;
  #b: number;
  #c: number;
  #d: number;

  /** Creates a generator; equal seeds give equal sequences. */
  constructor(seed: number) {
    let s = seed >>> 0;
    const mix = (): number => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.#a = mix();
    this.#b = mix();
    this.#c = mix();
    this.#d = mix();
    for (let i = 0; i < 12; i++) this.next();
  }

  /** The next unsigned 32-bit integer. */
  next(): number {
    const t = (((this.#a + this.#b) >>> 0) + this.#d) >>> 0;
    this.#d = (this.#d + 1) >>> 0;
    this.#a = this.#b ^ (this.#b >>> 9);
    this.#b = (this.#c + (this.#c << 3)) >>> 0;
    this.#c = ((this.#c << 21) | (this.#c >>> 11)) >>> 0;
    this.#c = (this.#c + t) >>> 0;
    return t;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return n <= 0 ? 0 : this.next() % n;
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.next() / 4294967296 < p;
  }

  /** A random element of a non-empty array. */
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
}

const LEGACY_NAMES = [
  "foo",
  "bar_total",
  "http_requests",
  "a:b:c",
  "_x",
  "h",
  "s",
  "h_bucket",
  "h_count",
  "h_sum",
  "s_count",
  "s_sum",
  "gh_bucket",
  "gh",
  "foo_count",
  "x_bucket",
  "metric",
];
const ODD_NAMES = [
  "",
  "1abc",
  "my.metric",
  "é",
  "a-b",
  "a b",
  "__name__",
  "quantile",
  "le",
  '"quoted"',
  "\\",
  "{",
  "_count",
  "_sum",
  "_bucket",
];
const LABEL_NAMES = ["a", "b", "job", "instance", "le", "quantile", "x1", "_", "A_b"];
const VALUES = [
  "0",
  "1",
  "-1",
  "1.5",
  "-2.5",
  ".5",
  "5.",
  "+5",
  "1E3",
  "1e-3",
  "-0",
  "NaN",
  "nan",
  "Inf",
  "+Inf",
  "-Inf",
  "inf",
  "Infinity",
  "-infinity",
  "+nan",
  "infin",
  "0x10",
  "1_000",
  "1e400",
  "-1e400",
  "1e-400",
  "0x1p3",
  "1p3",
  ".",
  "e5",
  "1e",
  "1e+",
  "18446744073709551615",
  "18446744073709551616",
  "9223372036854775808",
  "1.7976931348623157e308",
  "1.7976931348623159e308",
  "",
  "1\r",
  "abc",
  "4.9e-324",
  "00012",
];
const TIMESTAMPS = [
  "0",
  "1",
  "-1",
  "+7",
  "1700000000000",
  "9223372036854775807",
  "9223372036854775808",
  "-9223372036854775808",
  "-9223372036854775809",
  "1.5",
  "1e3",
  "0x10",
  "",
  "12a",
];
const TYPES = [
  "counter",
  "gauge",
  "summary",
  "histogram",
  "untyped",
  "gauge_histogram",
  "gaugehistogram",
  "COUNTER",
  "Histogram",
  "unknown",
  "counter ",
  "",
  "hıstogram",
];
const SNIPPETS = [
  "{}",
  "{} 1",
  '{"my.metric"} 1',
  '{"a","b"} 1',
  '{a="b"} 1',
  '{"h_bucket",le="1"} 1',
  '{"s",a="b",quantile="0.5"} 1',
  "# EOF",
  "#TYPE foo counter",
  "# HELP",
  "# TYPE foo",
  "#",
  '# HELP foo a\\"b\\\\c\\nd',
  "# HELP foo bad \\t escape",
  'foo{a="\\xyz"} 1',
  'foo{a="\\\\\\"\\n"} 1',
  'foo{a="b",a="c"} 1',
  "foo{,} 1",
  'foo{a="b",,} 1',
  "foo 1 2 3",
  "foo 1 ",
  "foo  1\t2",
  'foo{ a = "b" , } 1',
  '{"a\\\\b", "c\\"d"="e"} 1',
  'foo{"x.y"="1"} 1',
  "\xbd 1",
  'foo{a="\xbd"} 1',
  'foo{a="\xe2\x82"} 1',
  '"unterminated 1',
];

const ENC = new TextEncoder();

/** How often odd choices are made in the current document (set per document). */
let odd = 0.1;

function genName(r: Prng): string {
  if (!r.chance(odd * 2)) return r.pick(LEGACY_NAMES);
  const n = r.pick(ODD_NAMES);
  return r.chance(0.5) ? `"${n}"` : n;
}

function genLabelValue(r: Prng): string {
  const pieces = ["", "v", "0.5", "+Inf", "1", "NaN", "bla", "\\n", '\\"', "\\\\", "é"];
  const oddPieces = ["\\t", "0x1p-3", "1e400", "\\", "\n", "{", "}"];
  let s = "";
  const n = r.int(3);
  for (let i = 0; i < n; i++) s += r.pick(r.chance(odd) ? oddPieces : pieces);
  return s;
}

function ws(r: Prng): string {
  return r.chance(1 - odd) ? "" : r.pick([" ", "\t", "  ", " \t"]);
}

function genLabels(r: Prng, inBraces: string | undefined): string {
  const parts: string[] = [];
  if (inBraces !== undefined) parts.push(inBraces);
  const n = r.int(4);
  const used = new Set<string>();
  for (let i = 0; i < n; i++) {
    let name = r.chance(1 - odd / 2) ? r.pick(LABEL_NAMES) : r.pick(ODD_NAMES);
    if (used.has(name) && !r.chance(odd)) continue;
    used.add(name);
    if (r.chance(odd)) name = `"${name}"`;
    parts.push(`${ws(r)}${name}${ws(r)}=${ws(r)}"${genLabelValue(r)}"${ws(r)}`);
  }
  if (inBraces !== undefined && parts.length > 1 && r.chance(0.3)) {
    // Move the quoted metric name somewhere else in the set.
    const [first] = parts.splice(0, 1);
    parts.splice(r.int(parts.length + 1), 0, first!);
  }
  return "{" + parts.join(",") + (r.chance(0.2) && parts.length > 0 ? "," : "") + ws(r) + "}";
}

function genSample(r: Prng, family: string): string {
  const suffixes = ["", "", "_bucket", "_count", "_sum", "_total"];
  const name = r.chance(0.85) ? family + r.pick(suffixes) : genName(r);
  let line = ws(r);
  if (r.chance(odd)) {
    line += genLabels(r, `"${name}"`);
  } else {
    line += name;
    if (r.chance(0.7)) line += ws(r) + genLabels(r, undefined);
  }
  line += r.pick([" ", " ", "\t", "  "]);
  line += r.chance(1 - odd)
    ? r.pick(["0", "1", "2", "3.5", "17", "100", "1e3", "-2"])
    : r.pick(VALUES);
  if (r.chance(0.2)) {
    line += " " + (r.chance(1 - odd) ? r.pick(["1", "1700000000000"]) : r.pick(TIMESTAMPS));
  }
  if (r.chance(odd / 3)) line += r.pick([" ", " x", "\t"]);
  return line;
}

function genDocument(r: Prng): string[] {
  odd = r.pick([0.005, 0.02, 0.05, 0.2]);
  const lines: string[] = [];
  const families = r.int(4) + 1;
  for (let f = 0; f < families; f++) {
    const name = genName(r);
    if (r.chance(0.5)) lines.push(`# HELP ${name} ${r.pick(["help text", "a \\\\ b \\n c", ""])}`);
    if (r.chance(0.7)) {
      lines.push(`# TYPE ${name} ${r.pick(TYPES.slice(0, r.chance(odd * 2) ? undefined : 7))}`);
    }
    const samples = r.int(5);
    for (let s = 0; s < samples; s++) lines.push(genSample(r, name));
    if (r.chance(0.1)) lines.push(r.pick(["", "# a comment", "   ", "# EOF"]));
    if (r.chance(odd)) lines.push(r.pick(SNIPPETS));
  }
  return lines;
}

function joinLines(r: Prng, lines: string[]): string {
  const eol = r.chance(odd / 2) ? "\r\n" : "\n";
  let text = lines.join(eol);
  if (!r.chance(odd / 2)) text += eol;
  return text;
}

const SPECIAL_BYTES = [
  0x0a,
  0x20,
  0x09,
  0x22,
  0x5c,
  0x7b,
  0x7d,
  0x2c,
  0x3d,
  0x23,
  0x0d,
  0x00,
  0xbd,
  0xc3,
  0xe2,
  0xff,
  0x2e,
  0x65,
  0x2b,
  0x2d,
];

function mutate(r: Prng, input: Uint8Array, donor: Uint8Array): Uint8Array {
  const bytes = [...input];
  const steps = r.int(4) + 1;
  for (let i = 0; i < steps; i++) {
    const at = r.int(bytes.length + 1);
    switch (r.int(6)) {
      case 0:
        bytes.splice(at, 0, r.chance(0.7) ? r.pick(SPECIAL_BYTES) : r.int(256));
        break;
      case 1:
        bytes.splice(at, r.int(4) + 1);
        break;
      case 2:
        if (at < bytes.length) bytes[at] = bytes[at]! ^ (1 << r.int(8));
        break;
      case 3:
        if (at < bytes.length) bytes[at] = r.pick(SPECIAL_BYTES);
        break;
      case 4: {
        const len = r.int(12) + 1;
        bytes.splice(at, 0, ...bytes.slice(at, at + len));
        break;
      }
      default: {
        // Splice a slice of the donor in.
        const from = r.int(donor.length + 1);
        const len = r.int(40);
        bytes.splice(at, r.int(3), ...donor.subarray(from, from + len));
      }
    }
  }
  return Uint8Array.from(bytes);
}

/** Opt-in extra steps of {@linkcode mutateBytes}; without them its sequence is unchanged. */
export interface MutateBytesOptions {
  /** Also cut the input short at a random offset. */
  truncate?: boolean;
  /** Also replace up to 7 bytes by a prefix (up to 31 bytes) of one of these inputs. */
  donors?: readonly Uint8Array[];
}

/**
 * Mutates arbitrary bytes (for binary formats): flips, inserts, deletes and
 * duplicates a few bytes; returns the input unchanged a quarter of the time.
 * `options` adds truncation and splicing from donors to the choice of steps.
 */
export function mutateBytes(
  r: Prng,
  input: Uint8Array,
  options: MutateBytesOptions = {},
): Uint8Array {
  if (r.chance(0.25)) return input;
  const extra: ((bytes: number[], at: number) => void)[] = [];
  if (options.truncate) extra.push((bytes, at) => bytes.length = at);
  const donors = options.donors;
  if (donors !== undefined && donors.length > 0) {
    extra.push((bytes, at) => {
      bytes.splice(at, r.int(8), ...r.pick(donors).subarray(0, r.int(32)));
    });
  }
  const bytes = [...input];
  const steps = r.int(3) + 1;
  for (let i = 0; i < steps; i++) {
    const at = r.int(bytes.length + 1);
    const step = r.int(4 + extra.length);
    switch (step) {
      case 0:
        bytes.splice(at, 0, r.int(256));
        break;
      case 1:
        bytes.splice(at, r.int(3) + 1);
        break;
      case 2:
        if (at < bytes.length) bytes[at] = bytes[at]! ^ (1 << r.int(8));
        break;
      case 3:
        bytes.splice(at, 0, ...bytes.slice(at, at + r.int(8) + 1));
        break;
      default:
        extra[step - 4]!(bytes, at);
    }
  }
  return Uint8Array.from(bytes);
}

/** Generates one input: a grammar-built document, mutated most of the time. */
export function generateInput(r: Prng): Uint8Array {
  const doc = ENC.encode(joinLines(r, genDocument(r)));
  if (r.chance(0.5)) return doc;
  const donor = ENC.encode(joinLines(r, genDocument(r)));
  return mutate(r, doc, donor);
}

/** `count` inputs from `seed`, each with the seed that reproduces it alone. */
export function* generateInputs(
  seed: number,
  count: number,
): Generator<{ seed: number; input: Uint8Array }> {
  for (let i = 0; i < count; i++) {
    const s = (seed + i) >>> 0;
    yield { seed: s, input: generateInput(new Prng(s)) };
  }
}
