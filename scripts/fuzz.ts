/**
 * Fuzzes the body parsers with seeded random and mutated inputs.
 *
 *     deno run --allow-read --allow-run scripts/fuzz.ts [--count N] [--seed S] [--target NAME]
 *
 * Every call must return families or throw a ParseError; anything else is a
 * failure: the seed and input are printed and the exit code is 1.
 *
 * The target `openmetrics-python` is differential: each input goes to our
 * OpenMetrics parser and, in batches through one process, to Python's
 * (`prometheus_client.openmetrics.parser`, Debian's `/usr/bin/python3`).
 * Both must accept or refuse it alike, and accept the same samples, unless the
 * difference is one of the documented deviations
 * (`tests/helpers/openmetrics_python.ts`). Without that Python it is skipped
 * with a message.
 *
 * @module
 */

import { parseArgs } from "@std/cli/parse-args";
import { parseText } from "@lib/expfmt/text_parse.ts";
import { parseOpenMetrics } from "@lib/expfmt/openmetrics_parse.ts";
import { ParseError } from "@lib/model/parse_error.ts";
import { decodeDelimited } from "@lib/protobuf/decode.ts";
import { encodeDelimited } from "@lib/protobuf/encode.ts";
import { generateInput, mutateBytes, Prng } from "@lib/expfmt/fuzz_gen.ts";
import { generateOpenMetricsInput } from "@lib/expfmt/openmetrics_fuzz_gen.ts";
import type { MetricFamily } from "@lib/model/metric.ts";
import {
  compareWithPython,
  PYTHON,
  PYTHON_PARSER_FILE,
  PythonOpenMetrics,
} from "../tests/helpers/openmetrics_python.ts";

/** A parser under test. */
interface Target {
  name: string;
  /** Makes this target's input from the seeded source (default: a text exposition). */
  generate?: (r: Prng) => Uint8Array;
  /** Turns a generated text input into this target's input (default: as is). */
  prepare?: (text: Uint8Array, r: Prng) => Uint8Array;
  parse: (input: Uint8Array) => MetricFamily[];
}

/** Protobuf input: the text input's families encoded, then byte-mutated. */
function toProto(text: Uint8Array, r: Prng): Uint8Array {
  let encoded = text;
  try {
    encoded = encodeDelimited(parseText(text, { scheme: "utf8" }));
  } catch {
    // Not valid text: feed the raw bytes.
  }
  return mutateBytes(r, encoded);
}

/** The parsers to fuzz; a new decoder is one more entry. */
const TARGETS: Target[] = [
  { name: "text-legacy", parse: (b) => parseText(b, { scheme: "legacy" }) },
  { name: "text-utf8", parse: (b) => parseText(b, { scheme: "utf8" }) },
  { name: "proto-delimited", prepare: toProto, parse: decodeDelimited },
  {
    name: "openmetrics-legacy",
    generate: generateOpenMetricsInput,
    parse: (b) => parseOpenMetrics(b, { scheme: "legacy" }),
  },
  {
    name: "openmetrics-utf8",
    generate: generateOpenMetricsInput,
    parse: (b) => parseOpenMetrics(b, { scheme: "utf8" }),
  },
];

/** The differential target's name. */
const PYTHON_TARGET = "openmetrics-python";

function show(input: Uint8Array): string {
  return JSON.stringify(new TextDecoder().decode(input));
}

function fuzzParsers(list: Target[], seed: number, count: number): number {
  const stats = new Map(list.map((t) => [t.name, { ok: 0, rejected: 0 }]));
  const start = performance.now();
  for (let i = 0; i < count; i++) {
    const s = (seed + i) >>> 0;
    const r = new Prng(s);
    const text = generateInput(r);
    for (const target of list) {
      const st = stats.get(target.name)!;
      const base = target.generate ? target.generate(new Prng(s)) : text;
      const input = target.prepare ? target.prepare(base, r) : base;
      try {
        const out = target.parse(input);
        if (!Array.isArray(out)) throw new Error("result is not an array");
        st.ok++;
      } catch (e) {
        if (e instanceof ParseError) {
          st.rejected++;
          continue;
        }
        console.error(`FAIL ${target.name} seed ${s}: ${e instanceof Error ? e.stack : e}`);
        console.error(`input: ${show(input)}`);
        return 1;
      }
    }
    if ((i + 1) % 100_000 === 0) {
      const secs = (performance.now() - start) / 1000;
      console.log(`${i + 1} inputs, ${Math.round((i + 1) / secs)} inputs/s`);
    }
  }
  for (const [name, st] of stats) console.log(`${name}: ${st.ok} parsed, ${st.rejected} rejected`);
  return 0;
}

function pythonAvailable(): boolean {
  try {
    return Deno.statSync(PYTHON).isFile && Deno.statSync(PYTHON_PARSER_FILE).isFile;
  } catch {
    return false;
  }
}

/** Our OpenMetrics parser against Python's, in batches through one Python process. */
async function fuzzAgainstPython(seed: number, count: number): Promise<number> {
  if (!pythonAvailable()) {
    console.log(`${PYTHON_TARGET}: skipped, ${PYTHON} with prometheus_client is missing`);
    return 0;
  }
  const py = PythonOpenMetrics.start();
  const stats = new Map<string, number>();
  const decoder = new TextDecoder();
  try {
    for (let done = 0; done < count;) {
      const n = Math.min(2000, count - done);
      const inputs = Array.from({ length: n }, (_, k) => {
        const s = (seed + done + k) >>> 0;
        return { seed: s, input: generateOpenMetricsInput(new Prng(s)) };
      });
      const answers = await py.parse(inputs.map((x) => x.input));
      for (let k = 0; k < n; k++) {
        const { seed: s, input } = inputs[k]!;
        let ours: MetricFamily[] | ParseError;
        try {
          ours = parseOpenMetrics(input, { scheme: "legacy" });
        } catch (e) {
          if (!(e instanceof ParseError)) throw e;
          ours = e;
        }
        const c = compareWithPython(decoder.decode(input), ours, answers[k]!);
        if ("unexplained" in c) {
          console.error(`FAIL ${PYTHON_TARGET} seed ${s}: ${c.unexplained}`);
          console.error(`input: ${show(input)}`);
          return 1;
        }
        const key = "deviation" in c
          ? `deviation ${c.deviation}`
          : ours instanceof ParseError
          ? "both refuse"
          : "both accept";
        stats.set(key, (stats.get(key) ?? 0) + 1);
      }
      done += n;
    }
  } finally {
    await py.close();
  }
  const summary = [...stats].sort().map(([k, v]) => `${v} ${k}`).join(", ");
  console.log(`${PYTHON_TARGET}: ${summary}`);
  return 0;
}

async function main(): Promise<number> {
  const args = parseArgs(Deno.args, { string: ["count", "seed", "target"] });
  const count = Number(args.count ?? 1_000_000);
  const seed = Number(args.seed ?? Date.now() % 2 ** 32) >>> 0;
  let list = TARGETS;
  let python = true;
  if (args.target) {
    list = list.filter((t) => t.name === args.target);
    python = args.target === PYTHON_TARGET;
  }
  if (!Number.isFinite(count) || count < 0 || (list.length === 0 && !python)) {
    console.error("usage: fuzz.ts [--count N] [--seed S] [--target NAME]");
    return 2;
  }
  const names = [...list.map((t) => t.name), ...(python ? [PYTHON_TARGET] : [])];
  console.log(`seed ${seed}, ${count} inputs, targets: ${names.join(", ")}`);
  const start = performance.now();
  if (list.length > 0 && fuzzParsers(list, seed, count) !== 0) return 1;
  if (python && await fuzzAgainstPython(seed, count) !== 0) return 1;
  const secs = (performance.now() - start) / 1000;
  console.log(`done: ${count} inputs in ${secs.toFixed(1)} s`);
  return 0;
}

Deno.exit(await main());
