import { parseOpenMetrics } from "@lib/expfmt/openmetrics_parse.ts";
import { generateOpenMetricsInputs } from "@lib/expfmt/openmetrics_fuzz_gen.ts";
import { assertDeterministic, fuzzParser } from "@lib/expfmt/test_fuzz.ts";

const SEED = 20261207;
const COUNT = 5000;

Deno.test(`parseOpenMetrics fuzz: ${COUNT} seeded inputs return families or throw ParseError`, () => {
  fuzzParser(generateOpenMetricsInputs, parseOpenMetrics, SEED, COUNT, true);
});

Deno.test("OpenMetrics fuzz generator is deterministic per seed", () => {
  assertDeterministic(generateOpenMetricsInputs);
});
