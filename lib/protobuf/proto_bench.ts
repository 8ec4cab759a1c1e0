import { decodeDelimited } from "@lib/protobuf/decode.ts";
import { encodeDelimited, encodeFamily, frameDelimited } from "@lib/protobuf/encode.ts";
import { emptyHistogram, type MetricFamily } from "@lib/model/metric.ts";

/** 100k small families as a push-heavy gateway holds them: two labels and one value each. */
const FAMILIES: MetricFamily[] = Array.from({ length: 100_000 }, (_, i) => ({
  name: `metric_${i}_total`,
  help: "Requests served.",
  type: 0,
  metric: [{
    label: [{ name: "instance", value: `host-${i % 100}:9100` }, { name: "job", value: "batch" }],
    counter: { value: i * 1.5 },
  }],
}));

const HISTOGRAMS: MetricFamily[] = Array.from({ length: 10_000 }, (_, i) => ({
  name: `latency_${i}_seconds`,
  type: 4,
  metric: [{
    label: [{ name: "job", value: "batch" }],
    histogram: {
      ...emptyHistogram(),
      sampleCount: 1000 + i,
      sampleSum: 12.5,
      bucket: [0.1, 0.5, 1, 5, Infinity].map((upperBound, b) => ({
        upperBound,
        cumulativeCount: 100 * (b + 1),
      })),
      schema: 3,
      zeroThreshold: 1e-128,
      zeroCount: 1,
      positiveSpan: [{ offset: -3, length: 8 }],
      positiveDelta: [1, 2, -1, 0, 3, -2, 1, -1],
    },
  }],
}));

const STREAM = encodeDelimited(FAMILIES);
const HISTOGRAM_STREAM = encodeDelimited(HISTOGRAMS);
const CACHED = FAMILIES.map(encodeFamily);

Deno.bench("encodeDelimited() 100k small counter families", { group: "encode" }, () => {
  encodeDelimited(FAMILIES);
});

Deno.bench("frameDelimited() 100k cached encodeFamily() results", { group: "encode" }, () => {
  for (const message of CACHED) frameDelimited(message);
});

Deno.bench("encodeDelimited() 10k classic+native histograms", { group: "encode" }, () => {
  encodeDelimited(HISTOGRAMS);
});

Deno.bench("decodeDelimited() 100k small counter families", { group: "decode" }, () => {
  decodeDelimited(STREAM);
});

Deno.bench("decodeDelimited() 10k classic+native histograms", { group: "decode" }, () => {
  decodeDelimited(HISTOGRAM_STREAM);
});
