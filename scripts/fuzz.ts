/**
 * Fuzzes the body parsers with seeded random and mutated inputs.
 *
 *     deno run --allow-read scripts/fuzz.ts [--count N] [--seed S] [--target NAME]
 *
 * Every call must return families or throw a ParseError; anything else is a
 * failure: the seed and input are printed and the exit code is 1.
 *
 * @module
 */

import { parseArgs } from "@std/cli/parse-args";
import { parseText } from "@lib/expfmt/text_parse.ts";
import { ParseError } from "@lib/model/parse_error.ts";
import { decodeDelimited } from "@lib/protobuf/decode.ts";
import { encodeDelimited } from "@lib/protobuf/encode.ts";
import { generateInput, mutateBytes, Prng } from "@lib/expfmt/fuzz_gen.ts";
import type { MetricFamily } from "@lib/model/metric.ts";

/** A parser under test. */
interface Target {
  name: string;
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
];

function show(input: Uint8Array): string {
  return JSON.stringify(new TextDecoder().decode(input));
}

function main(): number {
  const args = parseArgs(Deno.args, { string: ["count", "seed", "target"] });
  const count = Number(args.count ?? 1_000_000);
  const seed = Number(args.seed ?? Date.now() % 2 ** 32) >>> 0;
  let list = TARGETS;
  if (args.target) list = list.filter((t) => t.name === args.target);
  if (!Number.isFinite(count) || count < 0 || list.length === 0) {
    console.error("usage: fuzz.ts [--count N] [--seed S] [--target NAME]");
    return 2;
  }
  console.log(`seed ${seed}, ${count} inputs, targets: ${list.map((t) => t.name).join(", ")}`);
  const stats = new Map(list.map((t) => [t.name, { ok: 0, rejected: 0 }]));
  const start = performance.now();
  for (let i = 0; i < count; i++) {
    const s = (seed + i) >>> 0;
    const r = new Prng(s);
    const text = generateInput(r);
    for (const target of list) {
      const st = stats.get(target.name)!;
      const input = target.prepare ? target.prepare(text, r) : text;
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
  const secs = (performance.now() - start) / 1000;
  for (const [name, st] of stats) console.log(`${name}: ${st.ok} parsed, ${st.rejected} rejected`);
  console.log(
    `done: ${count} inputs in ${secs.toFixed(1)} s, ${Math.round(count / secs)} inputs/s`,
  );
  return 0;
}

Deno.exit(main());
