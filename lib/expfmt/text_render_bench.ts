/**
 * Benchmarks of the text renderer and float formatting at scrape scale:
 * `deno bench lib/expfmt/text_render_bench.ts`.
 *
 * @module
 */

import { renderText } from "@lib/expfmt/text_render.ts";
import { formatGoFloat, formatTextFloat } from "@lib/gocompat/format_float.ts";
import { escapeMetricFamily } from "@lib/model/escaping.ts";
import { emptyHistogram, type MetricFamily, MetricType } from "@lib/model/metric.ts";

const SERIES = 100_000;

function gaugeFamily(name: string, n: number): MetricFamily {
  const metric = [];
  for (let i = 0; i < n; i++) {
    metric.push({
      label: [
        { name: "instance", value: `host-${i % 1000}.example.org:9100` },
        { name: "job", value: `batch_${i % 37}` },
        { name: "path", value: `/var/lib/data/${i}` },
      ],
      gauge: { value: i % 3 === 0 ? i : i * 1.37e3 + 0.25 },
    });
  }
  return { name, help: "A gauge for benchmarking.", type: MetricType.GAUGE, metric };
}

function histogramFamily(n: number): MetricFamily {
  const metric = [];
  const bounds = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
  for (let i = 0; i < n; i++) {
    metric.push({
      label: [{ name: "job", value: `j${i}` }, { name: "instance", value: "" }],
      histogram: {
        ...emptyHistogram(),
        sampleCount: 1000 + i,
        sampleSum: 1795534477.338 + i,
        bucket: bounds.map((b, k) => ({ upperBound: b, cumulativeCount: k * 90 + i })),
      },
      timestampMs: 1795534477338,
    });
  }
  return { name: "request_duration_seconds", type: MetricType.HISTOGRAM, metric };
}

const gauges = [gaugeFamily("bench_gauge", SERIES)];
const histograms = [histogramFamily(SERIES / 10)];
const utf8 = [gaugeFamily("bench.gauge", SERIES / 10)];
const values = Array.from({ length: 1000 }, (_, i) => i % 4 === 0 ? i : i * 1234.5678e-3);

Deno.bench("renderText() 100k gauge series", () => {
  renderText(gauges);
});

Deno.bench("renderText() 10k classic histograms (130k lines)", () => {
  renderText(histograms);
});

Deno.bench("escapeMetricFamily(underscores) + renderText() 10k UTF-8 series", () => {
  renderText(utf8.map((f) => escapeMetricFamily(f, "underscores")));
});

Deno.bench("escapeMetricFamily(underscores) on 100k legacy series (no-op)", () => {
  escapeMetricFamily(gauges[0]!, "underscores");
});

Deno.bench("formatTextFloat() 1000 mixed values", () => {
  for (const v of values) formatTextFloat(v);
});

Deno.bench("formatGoFloat() 1000 mixed values", () => {
  for (const v of values) formatGoFloat(v);
});
