/**
 * Differential test of the OpenMetrics renderer against Go's encoder: a small
 * program (`testdata/interop/go_openmetrics/main.go`) built offline against
 * Debian's golang-github-prometheus-common-dev (0.39) renders the same
 * families with `expfmt.MetricFamilyToOpenMetrics`, and our bytes must equal
 * its bytes.
 *
 * The corpus holds what 0.39 writes as the newest encoder does (see
 * `helpers/family_gen.ts`); units, gauge histograms, quoted names, created
 * lines and exemplars without labels are pinned by the table tests in
 * `lib/expfmt/openmetrics_render_test.ts`. Without Go or the library the test
 * is skipped with a message, except under `CI=true`, where it fails.
 */

import { assert, assertEquals } from "@std/assert";
import { decodeBase64 } from "@std/encoding/base64";
import { encodeDelimited } from "@lib/protobuf/encode.ts";
import { renderFamilyOpenMetrics } from "@lib/expfmt/openmetrics_render.ts";
import { Prng } from "@lib/expfmt/fuzz_gen.ts";
import { emptyHistogram, type MetricFamily, MetricType } from "@lib/model/metric.ts";
import { testNeeding } from "./helpers/requirements.ts";
import { buildGoProgram, goRequirement } from "./helpers/go_build.ts";
import { generateFamilies } from "./helpers/family_gen.ts";
import { INTEROP_DATA } from "./helpers/interop.ts";

const GO = goRequirement(
  "github.com/prometheus/common/expfmt/openmetrics_create.go",
  '"golang-github-prometheus-common-dev"',
);
const SOURCE = new URL("go_openmetrics/main.go", INTEROP_DATA).pathname;

/** Renders `families` with Go's `MetricFamilyToOpenMetrics`, one result per family. */
async function goRender(families: MetricFamily[]): Promise<{ out: string; err: string }[]> {
  const binary = await buildGoProgram(SOURCE, "go_openmetrics");
  const child = new Deno.Command(binary, { stdin: "piped", stdout: "piped", stderr: "piped" })
    .spawn();
  // Write while reading: the answers fill the stdout pipe long before the input ends.
  const writing = (async () => {
    const writer = child.stdin.getWriter();
    await writer.write(encodeDelimited(families));
    await writer.close();
  })();
  const out = await child.output();
  await writing;
  const stderr = new TextDecoder().decode(out.stderr);
  assertEquals(out.code, 0, `go_openmetrics failed: ${stderr}`);
  const lines = new TextDecoder().decode(out.stdout).split("\n").filter((l) => l !== "");
  const decoder = new TextDecoder();
  return lines.map((l) => {
    const r = JSON.parse(l) as { out: string | null; err: string };
    return { out: decoder.decode(decodeBase64(r.out ?? "")), err: r.err };
  });
}

/** Hand-picked cases next to the random corpus. */
const EDGE_CASES: MetricFamily[] = [
  {
    name: "c",
    type: MetricType.COUNTER,
    metric: [{ label: [{ name: "a", value: "b" }], counter: { value: 2 ** 60 } }],
  },
  {
    name: "h",
    type: MetricType.HISTOGRAM,
    help: "",
    metric: [{
      label: [],
      histogram: {
        ...emptyHistogram(),
        bucket: [{ upperBound: Infinity, cumulativeCount: 3 }, {
          upperBound: 1,
          cumulativeCount: 1,
        }],
        sampleCount: 2 ** 53,
        sampleSum: -0,
      },
    }],
  },
  {
    name: "s",
    type: MetricType.SUMMARY,
    metric: [{ label: [], summary: { quantile: [{}, { quantile: 1e-7, value: 1e21 }] } }],
  },
  {
    name: "e_total",
    type: MetricType.COUNTER,
    metric: [{
      label: [{ name: "x", value: "" }],
      counter: {
        value: 1,
        exemplar: {
          label: [{ name: "t", value: '\\"\n' }],
          timestamp: { seconds: 253402300799, nanos: 999999999 },
        },
      },
      timestampMs: -1,
    }],
  },
];

testNeeding(GO, "openmetrics: our renderer writes Go's bytes over a generated corpus", async () => {
  const families = [...EDGE_CASES, ...generateFamilies(new Prng(20261207), "go", 3000)];
  const results = await goRender(families);
  assertEquals(results.length, families.length);
  let exemplars = 0;
  for (let i = 0; i < families.length; i++) {
    const family = families[i]!;
    const go = results[i]!;
    assertEquals(go.err, "", `Go refused family ${i}: ${JSON.stringify(family)}`);
    const ours = renderFamilyOpenMetrics(family);
    if (ours !== go.out) {
      assertEquals(ours, go.out, `family ${i}: ${JSON.stringify(family)}`);
    }
    if (ours.includes(" # {")) exemplars++;
  }
  assert(exemplars > 100, `only ${exemplars} families with exemplars`);
});
