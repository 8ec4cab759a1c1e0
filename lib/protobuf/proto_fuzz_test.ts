import { assert, assertEquals, assertInstanceOf } from "@std/assert";
import { decodeDelimited, decodeFamily } from "@lib/protobuf/decode.ts";
import { encodeDelimited } from "@lib/protobuf/encode.ts";
import { ParseError } from "@lib/model/parse_error.ts";
import { emptyHistogram, type MetricFamily } from "@lib/model/metric.ts";
import { mutateBytes, Prng } from "@lib/expfmt/fuzz_gen.ts";

/** The only texts a decoder may fail with. */
const MESSAGES = new Set([
  "unexpected EOF",
  "proto: cannot parse invalid wire-format data",
  "proto: variable length integer overflow",
]);

const CASES = 5000;

const SEED_FAMILIES: MetricFamily[] = [
  {
    name: "c_total",
    help: "counter",
    type: 0,
    unit: "seconds",
    metric: [{
      label: [{ name: "a", value: "x" }],
      counter: {
        value: 1.5,
        exemplar: {
          label: [{ name: "id", value: "1" }],
          value: 1,
          timestamp: { seconds: 9, nanos: 1 },
        },
        createdTimestamp: { seconds: 1700000000, nanos: 0 },
      },
      timestampMs: 1700000000000,
    }],
  },
  { name: "g", help: "", type: 1, metric: [{ label: [], gauge: { value: NaN } }] },
  {
    name: "s",
    type: 2,
    metric: [{
      label: [{ name: "q", value: "é" }],
      summary: { sampleCount: 3, sampleSum: 6, quantile: [{ quantile: 0.5, value: 2 }] },
    }],
  },
  { name: "u", type: 3, metric: [{ label: [], untyped: { value: -Infinity } }] },
  {
    name: "h",
    type: 4,
    metric: [{
      label: [],
      histogram: {
        ...emptyHistogram(),
        sampleCount: 10,
        sampleSum: 2.5,
        bucket: [{ cumulativeCount: 3, upperBound: 1, exemplar: { label: [], value: 0.5 } }],
        schema: -3,
        zeroThreshold: 1e-9,
        zeroCount: 2,
        negativeSpan: [{ offset: -1, length: 2 }],
        negativeDelta: [1, -1],
        positiveSpan: [{ offset: 2, length: 1 }],
        positiveDelta: [-5000000000],
        exemplars: [{
          label: [{ name: "t", value: "x" }],
          value: 3,
          timestamp: { seconds: 1, nanos: 0 },
        }],
      },
    }],
  },
  {
    name: "fh",
    type: 5,
    metric: [{
      label: [],
      histogram: {
        ...emptyHistogram(),
        sampleCountFloat: 3.5,
        zeroCountFloat: 0.5,
        positiveSpan: [{ offset: 0, length: 2 }],
        positiveCount: [1, 2],
        createdTimestamp: { seconds: 3, nanos: 4 },
      },
    }],
  },
];

/** Valid streams to mutate: each family alone, all of them, and a packed hand-made one. */
const SEEDS: Uint8Array[] = [
  ...SEED_FAMILIES.map((f) => encodeDelimited([f])),
  encodeDelimited(SEED_FAMILIES),
  new Uint8Array([
    0x16,
    0x0a,
    0x01,
    0x68,
    0x18,
    0x04,
    0x22,
    0x0f,
    0x3a,
    0x0d,
    0x6a,
    0x03,
    0x02,
    0x01,
    0x04,
    0x5a,
    0x08,
    0,
    0,
    0,
    0,
    0,
    0,
    0xf8,
    0x3f,
  ]),
];

function assertOnlyParseError(err: unknown): void {
  assertInstanceOf(err, ParseError);
  assert(MESSAGES.has(err.message), `unexpected message: ${err.message}`);
  assertEquals(err.line, 0);
}

function assertFamilies(families: MetricFamily[]): void {
  assert(Array.isArray(families));
  for (const f of families) {
    assertEquals(typeof f.name, "string");
    assert(Number.isInteger(f.type) && f.type >= 0 && f.type <= 5, `type ${f.type}`);
    assert(Array.isArray(f.metric));
  }
  // Whatever decodes re-encodes to something that decodes to the same families.
  assertEquals(decodeDelimited(encodeDelimited(families)), families);
}

Deno.test("decodeDelimited() only returns families or throws ParseError on mutated input", () => {
  const r = new Prng(0x5eed1234);
  let decoded = 0;
  let rejected = 0;
  for (let i = 0; i < CASES; i++) {
    const bytes = i % 10 === 9
      ? Uint8Array.from({ length: r.int(64) }, () => r.int(256))
      : mutateBytes(r, SEEDS[i % SEEDS.length]!, { truncate: true, donors: SEEDS });
    let families: MetricFamily[] | undefined;
    try {
      families = decodeDelimited(bytes);
    } catch (err) {
      assertOnlyParseError(err);
      rejected++;
    }
    if (families) {
      assertFamilies(families);
      decoded++;
    }
    try {
      decodeFamily(bytes);
    } catch (err) {
      assertOnlyParseError(err);
    }
  }
  // Both outcomes must actually be exercised.
  assert(decoded > CASES / 20, `only ${decoded} decoded`);
  assert(rejected > CASES / 4, `only ${rejected} rejected`);
});
