import { assert, assertEquals, assertInstanceOf } from "@std/assert";
import { decodeDelimited, decodeFamily, encodeDelimited } from "@lib/expfmt/proto.ts";
import { ParseError } from "@lib/expfmt/parse_error.ts";
import { emptyHistogram, type MetricFamily } from "@lib/model/metric.ts";

/** The only texts a decoder may fail with. */
const MESSAGES = new Set([
  "unexpected EOF",
  "proto: cannot parse invalid wire-format data",
  "proto: variable length integer overflow",
]);

const CASES = 5000;

/** mulberry32: a small seeded PRNG returning floats in [0, 1). */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

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

function mutate(rand: () => number, seed: Uint8Array): Uint8Array {
  const int = (n: number): number => Math.floor(rand() * n);
  const bytes = Array.from(seed);
  const rounds = 1 + int(4);
  for (let r = 0; r < rounds; r++) {
    const at = int(bytes.length + 1);
    switch (int(8)) {
      case 0: // flip one bit
        if (bytes.length) bytes[at % bytes.length]! ^= 1 << int(8);
        break;
      case 1: // replace a byte, favouring interesting ones
        if (bytes.length) {
          bytes[at % bytes.length] = [0x00, 0x7f, 0x80, 0xff, 0x0f, 0x0c][int(6)] ?? int(256);
        }
        break;
      case 2: // insert random bytes
        bytes.splice(at, 0, ...Array.from({ length: 1 + int(4) }, () => int(256)));
        break;
      case 3: // delete a range
        bytes.splice(at, 1 + int(8));
        break;
      case 4: // truncate
        bytes.length = at;
        break;
      case 5: // duplicate a range
        bytes.splice(at, 0, ...bytes.slice(int(bytes.length + 1), at + int(16)));
        break;
      case 6: // random byte
        if (bytes.length) bytes[at % bytes.length] = int(256);
        break;
      default: // splice in part of another seed
        bytes.splice(at, int(8), ...SEEDS[int(SEEDS.length)]!.slice(0, int(32)));
    }
  }
  return new Uint8Array(bytes);
}

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
  const rand = mulberry32(0x5eed1234);
  let decoded = 0;
  let rejected = 0;
  for (let i = 0; i < CASES; i++) {
    const bytes = i % 10 === 9
      ? new Uint8Array(Array.from({ length: Math.floor(rand() * 64) }, () => rand() * 256))
      : mutate(rand, SEEDS[i % SEEDS.length]!);
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
