/**
 * Python's strict OpenMetrics parser (`prometheus_client.openmetrics.parser`,
 * Debian's python3-prometheus-client, run by `/usr/bin/python3`) against our
 * OpenMetrics parser and renderer:
 *
 * - differential fuzz of the parser: accept/refuse and the parsed samples
 *   agree, or differ in one of the documented deviations, each pinned by an
 *   example here (the long run is `deno task fuzz --target openmetrics-python`);
 * - Python accepts our scrapes of every family it can represent, and reads the
 *   same samples from them as our parser does, both as rendered and as
 *   `/metrics` serves them with `--web.enable-openmetrics` (gzip or not, as
 *   Prometheus 2.42 and 3.x ask, the gateway's own metrics included); what
 *   Go's encoder writes unchecked and Python refuses is kept out of that
 *   corpus, as listed in `helpers/family_gen.ts`, each entry pinned by an
 *   example.
 *
 * Without that Python the tests are skipped with a message, except under
 * `CI=true`, where they fail.
 */

import { assert, assertEquals } from "@std/assert";
import { parseOpenMetrics } from "@lib/expfmt/openmetrics_parse.ts";
import { renderOpenMetrics } from "@lib/expfmt/openmetrics_render.ts";
import { generateOpenMetricsInputs } from "@lib/expfmt/openmetrics_fuzz_gen.ts";
import { Prng } from "@lib/expfmt/fuzz_gen.ts";
import { emptyHistogram, type MetricFamily, MetricType } from "@lib/model/metric.ts";
import { ParseError } from "@lib/model/parse_error.ts";
import { hasProgram, testNeeding } from "./helpers/requirements.ts";
import {
  compareWithPython,
  DEVIATIONS,
  PYTHON,
  PYTHON_PARSER_FILE,
  PythonOpenMetrics,
} from "./helpers/openmetrics_python.ts";
import { generateFamilies, generateFamily, PYTHON_EXCLUSIONS } from "./helpers/family_gen.ts";
import { gunzipSync } from "node:zlib";
import { createApp } from "@lib/http/app.ts";
import { testAppContext } from "@lib/http/test_context.ts";
import { PROTO_DELIMITED } from "@lib/expfmt/media_type.ts";
import { encodeDelimited } from "@lib/protobuf/encode.ts";

const PY = {
  available: hasProgram(PYTHON) && hasProgram(PYTHON_PARSER_FILE),
  reason: `${PYTHON} with prometheus_client missing (Debian package "python3-prometheus-client")`,
};

function ours(input: Uint8Array | string): MetricFamily[] | ParseError {
  try {
    return parseOpenMetrics(input);
  } catch (e) {
    if (e instanceof ParseError) return e;
    throw e;
  }
}

async function withPython(fn: (py: PythonOpenMetrics) => Promise<void>): Promise<void> {
  const py = PythonOpenMetrics.start();
  try {
    await fn(py);
  } finally {
    await py.close();
  }
}

const ENC = new TextEncoder();

testNeeding(
  PY,
  "python: our OpenMetrics parser agrees with Python's on 4000 seeded inputs",
  () =>
    withPython(async (py) => {
      const inputs = [...generateOpenMetricsInputs(20261207, 4000)];
      const answers = await py.parse(inputs.map((x) => x.input));
      const decoder = new TextDecoder();
      const counts = new Map<string, number>();
      for (let i = 0; i < inputs.length; i++) {
        const { seed, input } = inputs[i]!;
        const mine = ours(input);
        const c = compareWithPython(decoder.decode(input), mine, answers[i]!);
        if ("unexplained" in c) {
          throw new Error(
            `seed ${seed}: ${c.unexplained}\ninput: ${JSON.stringify(decoder.decode(input))}`,
          );
        }
        const key = "deviation" in c
          ? c.deviation
          : mine instanceof ParseError
          ? "refuse"
          : "accept";
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
      assert((counts.get("accept") ?? 0) > 400, `too few accepted: ${[...counts]}`);
      assert((counts.get("refuse") ?? 0) > 400, `too few refused: ${[...counts]}`);
    }),
);

/** One example per documented deviation. */
const DEVIATION_EXAMPLES: Record<string, string[]> = {
  "line-grammar": ['a{b="c"}x1\n# EOF\n', 'a{b="c"}\t1\n# EOF\n'],
  "le-quantile-spelling": [
    '# TYPE h histogram\nh_bucket{le=" 1"} 1\nh_bucket{le="+Inf"} 1\n# EOF\n',
    '# TYPE h histogram\nh_bucket{le="nan"} 1\nh_bucket{le="+Inf"} 1\n# EOF\n',
  ],
  "repeated-sample": ["a 1\na 2\n# EOF\n"],
  "reserved-name-label": ['a{__name__="x"} 1\n# EOF\n'],
  "counter-without-total": ["# TYPE c counter\nc_created 1\n# EOF\n"],
  "timestamp-range": ['# TYPE c counter\nc_total 1 # {a="b"} 1 1e20\n# EOF\n'],
  "number-grammar": ["a \u0661\n# EOF\n", "a 1 1.+5\n# EOF\n"],
  "exemplar-brace": ['# TYPE c counter\nc_total 1 # {a="}"} 1\n# EOF\n'],
  "exponent-timestamp": ["a 1 1.700000000123e+09\n# EOF\n"],
};

testNeeding(
  PY,
  "python: each documented deviation is real and classified as such",
  () =>
    withPython(async (py) => {
      assertEquals(Object.keys(DEVIATION_EXAMPLES).sort(), DEVIATIONS.map((d) => d.id).sort());
      const cases = Object.entries(DEVIATION_EXAMPLES).flatMap(([id, inputs]) =>
        inputs.map((input) => ({ id, input }))
      );
      const answers = await py.parse(cases.map((c) => ENC.encode(c.input)));
      cases.forEach(({ id, input }, i) => {
        assertEquals(compareWithPython(input, ours(input), answers[i]!), { deviation: id }, input);
      });
    }),
);

/** A few families with units, which the generated corpus (0.39's features) lacks. */
const WITH_UNITS: MetricFamily[] = [
  {
    name: "u_req_seconds_total",
    type: MetricType.COUNTER,
    unit: "seconds",
    help: "Time.",
    metric: [{ label: [], counter: { value: 2 } }],
  },
  {
    name: "u_mem_bytes",
    type: MetricType.GAUGE,
    unit: "bytes",
    metric: [{ label: [], gauge: { value: 1 } }],
  },
];

testNeeding(
  PY,
  "python: Python accepts our scrapes of what it can represent, with our samples",
  () =>
    withPython(async (py) => {
      const r = new Prng(7);
      const texts = [renderOpenMetrics(WITH_UNITS)];
      for (let i = 0; i < 300; i++) {
        const escaping = r.pick(["underscores", "dots", "values"] as const);
        texts.push(renderOpenMetrics(generateFamilies(r, "python", r.int(8) + 1), { escaping }));
      }
      const answers = await py.parse(texts.map((t) => ENC.encode(t)));
      let exemplars = 0;
      texts.forEach((text, i) => {
        const answer = answers[i]!;
        assert(answer.ok, `Python refused our scrape: ${!answer.ok && answer.error}\n${text}`);
        // Python misreads the exponent-form timestamps Go writes; all else must match.
        const c = compareWithPython(text, ours(text), answer);
        if (!("agree" in c)) assertEquals(c, { deviation: "exponent-timestamp" }, text);
        if (text.includes(" # {")) exemplars++;
      });
      assert(exemplars > 50, `only ${exemplars} scrapes with exemplars`);
    }),
);

function h(fields: Partial<ReturnType<typeof emptyHistogram>>): ReturnType<typeof emptyHistogram> {
  return { ...emptyHistogram(), sampleCount: 1, sampleSum: 1, ...fields };
}

/** Per listed exclusion, families Go's encoder writes and Python refuses. */
const EXCLUSION_EXAMPLES: Record<string, MetricFamily[]> = {
  "negative-counter": [{
    name: "c_total",
    type: MetricType.COUNTER,
    metric: [{ label: [], counter: { value: -1 } }],
  }],
  "bad-sum": [
    {
      name: "h",
      type: MetricType.HISTOGRAM,
      metric: [{ label: [], histogram: h({ sampleSum: NaN }) }],
    },
    {
      name: "s",
      type: MetricType.SUMMARY,
      metric: [{ label: [], summary: { quantile: [], sampleSum: -1, sampleCount: 1 } }],
    },
  ],
  "negative-quantile": [{
    name: "s",
    type: MetricType.SUMMARY,
    metric: [{
      label: [],
      summary: { quantile: [{ quantile: 0.5, value: -1 }], sampleSum: 1, sampleCount: 1 },
    }],
  }],
  "quantile-range": [{
    name: "s",
    type: MetricType.SUMMARY,
    metric: [{
      label: [],
      summary: { quantile: [{ quantile: 1.5, value: 1 }], sampleSum: 1, sampleCount: 1 },
    }],
  }],
  "negative-bucket-sum": [{
    name: "h",
    type: MetricType.HISTOGRAM,
    metric: [{ label: [], histogram: h({ bucket: [{ upperBound: -1, cumulativeCount: 0 }] }) }],
  }],
  "bucket-order": [{
    name: "h",
    type: MetricType.HISTOGRAM,
    metric: [{
      label: [],
      histogram: h({
        bucket: [{ upperBound: 2, cumulativeCount: 1 }, { upperBound: 1, cumulativeCount: 1 }],
      }),
    }],
  }],
  "inf-bucket-count": [{
    name: "h",
    type: MetricType.HISTOGRAM,
    metric: [{
      label: [],
      histogram: h({ bucket: [{ upperBound: Infinity, cumulativeCount: 3 }], sampleCount: 4 }),
    }],
  }],
  "long-exemplar": [{
    name: "c_total",
    type: MetricType.COUNTER,
    metric: [{
      label: [],
      counter: { value: 1, exemplar: { label: [{ name: "t", value: "x".repeat(128) }], value: 1 } },
    }],
  }],
  "exemplar-brace": [{
    name: "c_total",
    type: MetricType.COUNTER,
    metric: [{
      label: [],
      counter: { value: 1, exemplar: { label: [{ name: "t", value: "{}" }], value: 1 } },
    }],
  }],
  "unknown-counter-exemplar": [{
    name: "c",
    type: MetricType.COUNTER,
    metric: [{
      label: [],
      counter: { value: 1, exemplar: { label: [{ name: "t", value: "x" }], value: 1 } },
    }],
  }],
  "colon-label": [{
    name: "g",
    type: MetricType.GAUGE,
    metric: [{ label: [{ name: "a:b", value: "x" }], gauge: { value: 1 } }],
  }],
  "quoted-name": [{
    name: "a.b",
    type: MetricType.GAUGE,
    metric: [{ label: [], gauge: { value: 1 } }],
  }],
  "gauge-histogram": [{
    name: "gh",
    type: MetricType.GAUGE_HISTOGRAM,
    metric: [{ label: [], histogram: h({}) }],
  }],
  "duplicate-series": [{
    name: "g",
    type: MetricType.GAUGE,
    metric: [{ label: [], gauge: { value: 1 } }, { label: [], gauge: { value: 2 } }],
  }],
  "name-clash": [
    { name: "x", type: MetricType.GAUGE, metric: [{ label: [], gauge: { value: 1 } }] },
    { name: "x_total", type: MetricType.COUNTER, metric: [{ label: [], counter: { value: 1 } }] },
  ],
};

testNeeding(
  PY,
  "python: each listed exclusion is written by Go's rules and refused or misread by Python",
  () =>
    withPython(async (py) => {
      assertEquals(
        Object.keys(EXCLUSION_EXAMPLES).sort(),
        PYTHON_EXCLUSIONS.map((e) => e.id).sort(),
      );
      const cases = Object.entries(EXCLUSION_EXAMPLES).flatMap(([id, families]) =>
        id === "name-clash"
          ? [{ id, text: renderOpenMetrics(families) }]
          : families.map((f) => ({ id, text: renderOpenMetrics([f]) }))
      );
      const answers = await py.parse(cases.map((c) => ENC.encode(c.text)));
      cases.forEach(({ id, text }, i) => {
        assert(text.length > "# EOF\n".length, `${id}: nothing rendered`);
        const answer = answers[i]!;
        // Python refuses, or reads other families or fewer samples than were written.
        const lines = text.split("\n").filter((l) => l !== "" && l !== "# EOF");
        const types = lines.filter((l) => l.startsWith("# TYPE ")).length;
        const samples = lines.filter((l) => !l.startsWith("#")).length;
        const misread = answer.ok && (answer.families.length !== types ||
          answer.families.reduce((n, f) => n + f.samples.length, 0) !== samples);
        assert(!answer.ok || misread, `${id}: Python read it as written\n${text}`);
      });
    }),
);

/**
 * A group's families from the `python` corpus as a push can carry them: no
 * sample timestamps (refused in pushes), no `job` or `instance` labels (the
 * grouping key sets them), no two series left with the same labels.
 */
function pushable(r: Prng, group: number): MetricFamily[] {
  const out: MetricFamily[] = [];
  const n = r.int(6) + 1;
  for (let i = 0; i < n; i++) {
    const f = generateFamily(r, "python", group * 100 + i);
    const seen = new Set<string>();
    f.metric = f.metric.flatMap((m) => {
      const label = m.label.filter((l) => l.name !== "job" && l.name !== "instance");
      const key = JSON.stringify(label);
      if (seen.has(key)) return [];
      seen.add(key);
      const { timestampMs: _, ...rest } = m;
      return [{ ...rest, label }];
    });
    out.push(f);
  }
  return out;
}

/** Prometheus' OpenMetrics-first Accept headers (docs/clients.md §3): 2.42's and 3.x's. */
const SCRAPER_ACCEPTS = [
  "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1",
  "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,application/openmetrics-text;version=0.0.1;q=0.5,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2",
];

testNeeding(
  PY,
  "python: Python accepts every /metrics scrape (--web.enable-openmetrics) of pushed families it can represent",
  () =>
    withPython(async (py) => {
      const ctx = testAppContext({ enableOpenMetrics: true });
      const app = createApp(ctx);
      const r = new Prng(2026);
      const scrapes: string[] = [];
      for (let step = 0; step < 120; step++) {
        // New groups at first, then groups pushed again (new families, the cache after a push).
        const group = step < 80 ? step : r.int(80);
        const res = await app(
          new Request(`http://gw/metrics/job/py/instance/g${group}`, {
            method: "PUT",
            headers: { "content-type": PROTO_DELIMITED },
            body: encodeDelimited(pushable(r, step < 80 ? group : 100 + step)) as BodyInit,
          }),
        );
        assertEquals(res.status, 200, `step ${step}: ${await res.text()}`);
        if (step % 6 !== 5) continue;
        for (const accept of SCRAPER_ACCEPTS) {
          const gzip = (step / 6) % 2 < 1;
          const scrape = await app(
            new Request("http://gw/metrics", {
              headers: { accept, "accept-encoding": gzip ? "gzip" : "identity" },
            }),
          );
          assertEquals(scrape.status, 200);
          assert(
            scrape.headers.get("content-type")!.startsWith("application/openmetrics-text;"),
            scrape.headers.get("content-type")!,
          );
          const body = new Uint8Array(await scrape.arrayBuffer());
          scrapes.push(new TextDecoder().decode(gzip ? gunzipSync(body) : body));
        }
      }
      const answers = await py.parse(scrapes.map((t) => ENC.encode(t)));
      let exemplars = 0;
      scrapes.forEach((text, i) => {
        const answer = answers[i]!;
        assert(answer.ok, `Python refused scrape ${i}: ${!answer.ok && answer.error}\n${text}`);
        const c = compareWithPython(text, ours(text), answer);
        if (!("agree" in c)) assertEquals(c, { deviation: "exponent-timestamp" }, text);
        exemplars += text.split(" # {").length - 1;
      });
      assertEquals(scrapes.length, 40);
      assert(scrapes.every((t) => t.includes("pushgateway_build_info")), "own metrics missing");
      assert(exemplars > 200, `only ${exemplars} exemplars in the scrapes`);
    }),
);
