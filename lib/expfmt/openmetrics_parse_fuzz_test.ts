import { assert } from "@std/assert";
import { parseOpenMetrics } from "@lib/expfmt/openmetrics_parse.ts";
import { generateOpenMetricsInputs } from "@lib/expfmt/openmetrics_fuzz_gen.ts";
import { ParseError } from "@lib/model/parse_error.ts";
import type { ValidationScheme } from "@lib/model/names.ts";

const SEED = 20261207;
const COUNT = 5000;

function show(input: Uint8Array): string {
  return JSON.stringify(new TextDecoder().decode(input));
}

Deno.test(`parseOpenMetrics fuzz: ${COUNT} seeded inputs return families or throw ParseError`, () => {
  let parsed = 0;
  let rejected = 0;
  for (const { seed, input } of generateOpenMetricsInputs(SEED, COUNT)) {
    for (const scheme of ["legacy", "utf8"] as ValidationScheme[]) {
      let result: unknown;
      try {
        result = parseOpenMetrics(input, { scheme });
      } catch (e) {
        if (e instanceof ParseError) {
          assert(e.line > 0, `seed ${seed}: no line in ${e.message}`);
          rejected++;
          continue;
        }
        throw new Error(`seed ${seed} (${scheme}) threw ${e}; input: ${show(input)}`);
      }
      assert(Array.isArray(result), `seed ${seed}: not an array; input: ${show(input)}`);
      for (const mf of result) {
        assert(mf.metric.length > 0, `seed ${seed}: empty family ${mf.name}`);
      }
      parsed++;
    }
  }
  // The generator must exercise both outcomes, or the test proves little.
  assert(parsed > COUNT / 10, `only ${parsed} inputs parsed`);
  assert(rejected > COUNT / 10, `only ${rejected} inputs rejected`);
});

Deno.test("OpenMetrics fuzz generator is deterministic per seed", () => {
  const a = [...generateOpenMetricsInputs(7, 20)].map((x) => show(x.input));
  const b = [...generateOpenMetricsInputs(7, 20)].map((x) => show(x.input));
  const c = [...generateOpenMetricsInputs(8, 20)].map((x) => show(x.input));
  assert(a.join() === b.join(), "same seed, different inputs");
  assert(a.join() !== c.join(), "different seeds, same inputs");
});
