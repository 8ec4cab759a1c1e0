import { parseText } from "@lib/expfmt/text_parse.ts";
import { generateInputs } from "@lib/expfmt/fuzz_gen.ts";
import { assertDeterministic, fuzzParser } from "@lib/expfmt/test_fuzz.ts";

const SEED = 20240611;
const COUNT = 5000;

Deno.test(`parseText fuzz: ${COUNT} seeded inputs return families or throw ParseError`, () => {
  fuzzParser(generateInputs, parseText, SEED, COUNT);
});

Deno.test("fuzz generator is deterministic per seed", () => {
  assertDeterministic(generateInputs);
});
