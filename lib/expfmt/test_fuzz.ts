/**
 * The shared body of the text parsers' fuzz tests: seeded inputs either parse into non-empty
 * families or fail with a {@linkcode ParseError}, under both name validation schemes.
 * @module
 */
import { assert } from "@std/assert";
import { ParseError } from "@lib/model/parse_error.ts";
import type { MetricFamily } from "@lib/model/metric.ts";
import type { ValidationScheme } from "@lib/model/names.ts";

/** A seeded input generator, such as `generateInputs` of `fuzz_gen.ts`. */
export type FuzzInputs = (
  seed: number,
  count: number,
) => Iterable<{ seed: number; input: Uint8Array }>;

/** A parser under test. */
export type FuzzParser = (
  input: Uint8Array,
  options: { scheme: ValidationScheme },
) => MetricFamily[];

/** The input as a JSON string, for failure messages. */
export function showInput(input: Uint8Array): string {
  return JSON.stringify(new TextDecoder().decode(input));
}

/**
 * Runs `count` inputs of `generate` through `parse`. Throws when a parse throws anything but a
 * {@linkcode ParseError} (with a line number when `errorsHaveLines`), returns an empty family, or
 * when fewer than a tenth of the inputs parse or fail (the generator must exercise both).
 */
export function fuzzParser(
  generate: FuzzInputs,
  parse: FuzzParser,
  seed: number,
  count: number,
  errorsHaveLines = false,
): void {
  let parsed = 0;
  let rejected = 0;
  for (const { seed: inputSeed, input } of generate(seed, count)) {
    for (const scheme of ["legacy", "utf8"] as ValidationScheme[]) {
      let result: unknown;
      try {
        result = parse(input, { scheme });
      } catch (e) {
        if (e instanceof ParseError) {
          if (errorsHaveLines) assert(e.line > 0, `seed ${inputSeed}: no line in ${e.message}`);
          rejected++;
          continue;
        }
        throw new Error(`seed ${inputSeed} (${scheme}) threw ${e}; input: ${showInput(input)}`);
      }
      assert(Array.isArray(result), `seed ${inputSeed}: not an array; input: ${showInput(input)}`);
      for (const mf of result as MetricFamily[]) {
        assert(mf.metric.length > 0, `seed ${inputSeed}: empty family ${mf.name}`);
      }
      parsed++;
    }
  }
  assert(parsed > count / 10, `only ${parsed} inputs parsed`);
  assert(rejected > count / 10, `only ${rejected} inputs rejected`);
}

/** Throws unless `generate` gives the same inputs for one seed and other inputs for another. */
export function assertDeterministic(generate: FuzzInputs): void {
  const inputs = (seed: number) => [...generate(seed, 20)].map((x) => showInput(x.input)).join();
  assert(inputs(7) === inputs(7), "same seed, different inputs");
  assert(inputs(7) !== inputs(8), "different seeds, same inputs");
}
