import { assert, assertEquals, assertMatch, assertThrows } from "@std/assert";
import { createHash } from "node:crypto";
import {
  decodeNumber,
  encodeNumber,
  SnapshotError,
  type SnapshotErrorKind,
} from "@lib/store/snapshot.ts";
import { decodeSnapshot, decodeSnapshotFile, SnapshotDecoder } from "@lib/store/snapshot_decode.ts";
import {
  encodeHeaderLine,
  encodeSnapshot,
  encodeSnapshotV2,
  encodeTrailerLine,
  SnapshotEncoder,
} from "@lib/store/snapshot_encode.ts";
import { encodeGroupLine } from "@lib/store/snapshot_json.ts";
import {
  type Group,
  PUSH_EXPIRY_TIME_METRIC,
  PUSH_FAILURE_TIME_HELP,
  PUSH_FAILURE_TIME_METRIC,
  PUSH_TIME_HELP,
  PUSH_TIME_METRIC,
  type StoredFamily,
} from "@lib/store/types.ts";
import {
  emptyHistogram,
  type Histogram,
  type MetricFamily,
  MetricType,
} from "@lib/model/metric.ts";

const GOLDEN_V1 = new URL("../../tests/testdata/snapshots/v1_sample.snapshot", import.meta.url);
const GOLDEN = new URL("../../tests/testdata/snapshots/v2_sample.snapshot", import.meta.url);
const GOLDEN_V3 = new URL("../../tests/testdata/snapshots/v3_sample.snapshot", import.meta.url);

/**
 * A canonical text of any value for strict comparison: unlike assertEquals it
 * tells -0 from 0, and it checks the order of Map entries and arrays and
 * whether an optional key is present (object key order is ignored).
 */
function canon(v: unknown): string {
  if (typeof v === "number") return Object.is(v, -0) ? "-0" : String(v);
  if (typeof v === "string") return JSON.stringify(v);
  if (v === undefined) return "undefined";
  if (v === null || typeof v !== "object") return String(v);
  if (v instanceof Map) {
    return `Map{${[...v].map(([k, x]) => `${canon(k)}=>${canon(x)}`).join(",")}}`;
  }
  if (Array.isArray(v)) return `[${v.map(canon).join(",")}]`;
  const proto = Object.getPrototypeOf(v);
  assert(proto === Object.prototype || proto === null, "plain objects only");
  const keys = Object.getOwnPropertyNames(v).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canon((v as Record<string, unknown>)[k])}`)}}`;
}

function assertSameGroups(actual: Group[], expected: Group[]): void {
  assertEquals(actual, expected);
  assertEquals(canon(actual), canon(expected));
  // Label key order is kept too (it is the order the store and UI see).
  assertEquals(
    actual.map((g) => Object.keys(g.labels)),
    expected.map((g) => Object.keys(g.labels)),
  );
}

/**
 * Groups as the store sees them: families by name (format 3 keeps them in
 * name order, as the store does), each its model and push time (a restored
 * family is the store's compact block; its `family` is the same model).
 */
function plain(groups: Group[]): unknown[] {
  return groups.map((g) => {
    const families = [...g.families.values()]
      .map((s) => ({ family: s.family, lastPushMs: s.lastPushMs }))
      .sort((a, b) => (a.family.name < b.family.name ? -1 : 1));
    return g.ttl === undefined ? { labels: g.labels, families } : {
      labels: g.labels,
      ttl: g.ttl,
      families,
    };
  });
}

/** Same groups, label order included, family order aside (see {@linkcode plain}). */
function assertSameContent(actual: Group[], expected: Group[]): void {
  assertEquals(canon(plain(actual)), canon(plain(expected)));
  assertEquals(
    actual.map((g) => Object.keys(g.labels)),
    expected.map((g) => Object.keys(g.labels)),
  );
}

/** `groups` with each group's families in name order (the order format 3 restores). */
function byName(groups: Group[]): Group[] {
  return groups.map((g) => ({
    ...g,
    families: new Map([...g.families].sort(([a], [b]) => (a < b ? -1 : 1))),
  }));
}

const T0 = 1716820000000.25;

function gauge(name: string, help: string | undefined, value: number): MetricFamily {
  const f: MetricFamily = {
    name,
    type: MetricType.GAUGE,
    metric: [{ label: [], gauge: { value } }],
  };
  if (help !== undefined) f.help = help;
  return f;
}

function stored(family: MetricFamily, lastPushMs = T0): [string, StoredFamily] {
  return [family.name, { family, lastPushMs }];
}

/** The two synthetic families every group carries. */
function synthetic(labels: Record<string, string>, push: number, failure: number): [
  string,
  StoredFamily,
][] {
  const label = Object.entries(labels).sort(([a], [b]) => a < b ? -1 : 1)
    .map(([name, value]) => ({ name, value }));
  const f = (name: string, help: string, value: number): MetricFamily => ({
    name,
    help,
    type: MetricType.GAUGE,
    metric: [{ label, gauge: { value } }],
  });
  return [
    stored(f(PUSH_TIME_METRIC, PUSH_TIME_HELP, push)),
    stored(f(PUSH_FAILURE_TIME_METRIC, PUSH_FAILURE_TIME_HELP, failure)),
  ];
}

function nativeHistogram(): Histogram {
  return {
    ...emptyHistogram(),
    sampleCount: 12,
    sampleSum: -3.25,
    schema: 3,
    zeroThreshold: 2.938735877055719e-39,
    zeroCount: 2,
    negativeSpan: [{ offset: -2, length: 2 }],
    negativeDelta: [1, -1],
    positiveSpan: [{ offset: 0, length: 3 }, { offset: 5, length: 1 }],
    positiveDelta: [2, 1, -2, 4],
    exemplars: [{
      label: [{ name: "trace_id", value: "abc" }],
      value: 1.5,
      timestamp: { seconds: 1716820000, nanos: 5 },
    }],
    createdTimestamp: { seconds: 1716810000, nanos: 0 },
  };
}

function floatHistogram(): Histogram {
  return {
    ...emptyHistogram(),
    sampleCountFloat: 7.5,
    sampleSum: NaN,
    schema: -4,
    zeroThreshold: 0,
    zeroCountFloat: 0.5,
    positiveSpan: [{ offset: 1, length: 2 }],
    positiveCount: [3.25, Infinity],
    negativeSpan: [{ offset: 0, length: 1 }],
    negativeCount: [-0],
  };
}

/** Groups covering every field of the model, special floats and UTF-8. */
function sampleGroups(): Group[] {
  const batchLabels = { job: "batch", instance: "" };
  const batch: Group = {
    labels: batchLabels,
    families: new Map([
      stored({
        name: "jobs_total",
        help: "Jobs done.",
        type: MetricType.COUNTER,
        metric: [{
          label: [{ name: "instance", value: "" }, { name: "job", value: "batch" }],
          counter: {
            value: 42,
            exemplar: {
              label: [{ name: "id", value: "x" }],
              value: 1,
              timestamp: { seconds: 1, nanos: 2 },
            },
            createdTimestamp: { seconds: 1716800000, nanos: 123456789 },
          },
          timestampMs: 1716820000123,
        }],
      }, T0 + 1),
      stored(gauge("no_help", undefined, NaN)),
      stored(gauge("empty_help", "", Infinity)),
      stored(gauge("neg_inf", "h", -Infinity)),
      stored(gauge("neg_zero", "h", -0)),
      stored(gauge("tiny", "h", 5e-324)),
      stored(gauge("big", "h", 2 ** 53 + 2)),
      stored({
        name: "value_absent",
        type: MetricType.UNTYPED,
        unit: "seconds",
        metric: [{ label: [], untyped: {} }, { label: [], untyped: { value: 0.1 } }, { label: [] }],
      }),
      stored({ name: "no_series", help: "x", type: MetricType.COUNTER, metric: [] }),
      stored({
        name: "rpc_seconds",
        help: "RPC latency.",
        type: MetricType.SUMMARY,
        metric: [{
          label: [{ name: "method", value: "get" }],
          summary: {
            sampleCount: 3,
            sampleSum: 1.5,
            quantile: [{ quantile: 0.5, value: NaN }, { quantile: 0.99, value: 2 }, {}],
            createdTimestamp: { seconds: 3, nanos: 4 },
          },
        }, { label: [], summary: { quantile: [] } }],
      }),
      stored({
        name: "req_seconds",
        help: "Classic histogram.",
        type: MetricType.HISTOGRAM,
        metric: [{
          label: [],
          histogram: {
            ...emptyHistogram(),
            sampleCount: 10,
            sampleSum: 4.5,
            bucket: [
              { cumulativeCount: 3, upperBound: 0.1 },
              {
                cumulativeCount: 9,
                upperBound: 1,
                exemplar: { label: [{ name: "trace", value: "t" }], value: 0.7 },
              },
              { cumulativeCount: 10, upperBound: Infinity },
            ],
          },
        }],
      }),
      stored({
        name: "native_seconds",
        help: "Native histogram.",
        type: MetricType.HISTOGRAM,
        metric: [{ label: [], histogram: nativeHistogram() }],
      }),
      stored({
        name: "float_hist",
        help: "Float histogram.",
        type: MetricType.GAUGE_HISTOGRAM,
        metric: [{
          label: [],
          histogram: {
            ...floatHistogram(),
            bucket: [{ cumulativeCountFloat: 1.5, upperBound: -0 }],
          },
        }],
      }),
      ...synthetic(batchLabels, 1716820000.25, 0),
    ]),
  };

  const utf8Labels: Record<string, string> = { job: "日本 job", "service.name": 'café/\n"q"' };
  Object.defineProperty(utf8Labels, "__proto__", { value: "p", enumerable: true });
  const utf8: Group = {
    labels: utf8Labels,
    families: new Map([
      stored({
        name: "my.metric 🚀",
        help: "Hëlp with \\ and\nnewline \u2028",
        type: MetricType.GAUGE,
        metric: [{ label: [{ name: "ключ", value: "😀" }], gauge: { value: 1 } }],
      }, 1.5),
      ...synthetic(utf8Labels, 1716820001, 1716820002.5),
    ]),
  };

  const emptyLabels = { job: "empty" };
  const empty: Group = {
    labels: emptyLabels,
    families: new Map(synthetic(emptyLabels, 0, 1716820003)),
  };
  return [batch, utf8, empty];
}

Deno.test("encodeNumber() and decodeNumber() round-trip every kind of double", () => {
  const cases: [number, unknown][] = [
    [0, 0],
    [-0, "-0"],
    [NaN, "NaN"],
    [Infinity, "+Inf"],
    [-Infinity, "-Inf"],
    [1.5, 1.5],
    [-2e-308, -2e-308],
    [5e-324, 5e-324],
    [Number.MAX_VALUE, Number.MAX_VALUE],
    [0.1 + 0.2, 0.30000000000000004],
  ];
  for (const [value, encoded] of cases) {
    assert(Object.is(encodeNumber(value), encoded), `encode ${value}`);
    const text = JSON.stringify(encodeNumber(value));
    assert(Object.is(decodeNumber(JSON.parse(text)), value), `round trip ${value}`);
  }
  for (const bad of ["Inf", "inf", "nan", "+0", "1", null, true, {}, []]) {
    assertEquals(decodeNumber(bad), undefined, `${JSON.stringify(bad)}`);
  }
});

Deno.test("decodeSnapshot() restores exactly what encodeSnapshot() wrote", () => {
  const groups = byName(sampleGroups());
  const text = encodeSnapshot(groups);
  const restored = decodeSnapshot(text);
  assertSameContent(restored, groups);
  // Families come back in name order.
  assertEquals(
    restored.map((g) => [...g.families.keys()]),
    groups.map((g) => [...g.families.keys()]),
  );
  // The "__proto__" grouping label stays an ordinary own entry.
  assertEquals(Object.getPrototypeOf(restored[1]!.labels), Object.prototype);
  assertEquals(restored[1]!.labels["__proto__"], "p");
  // Encoding the restored data gives the same bytes.
  assertEquals(encodeSnapshot(restored), text);
});

Deno.test("decodeSnapshot() keeps help presence and special floats", () => {
  const restored = decodeSnapshot(encodeSnapshot(sampleGroups()));
  const families = restored[0]!.families;
  assert(!("help" in families.get("no_help")!.family));
  assertEquals(families.get("empty_help")!.family.help, "");
  assert(Number.isNaN(families.get("no_help")!.family.metric[0]!.gauge!.value));
  assert(Object.is(families.get("neg_zero")!.family.metric[0]!.gauge!.value, -0));
  assertEquals(families.get("neg_inf")!.family.metric[0]!.gauge!.value, -Infinity);
  assertEquals(families.get("jobs_total")!.lastPushMs, T0 + 1);
  const fh = families.get("float_hist")!.family.metric[0]!.histogram!;
  assert(Object.is(fh.negativeCount[0], -0));
  assert(Object.is(fh.bucket[0]!.upperBound, -0));
  assertEquals(fh.positiveCount, [3.25, Infinity]);
});

/** The sample groups with the TTLs format version 2 carries: header (with and without deadline), default. */
function sampleGroupsV2(): Group[] {
  const ttls: Group["ttl"][] = [
    { fromHeader: true, deadlineMs: T0 + 3_600_000 },
    { fromHeader: true, deadlineMs: undefined },
    { fromHeader: false, deadlineMs: T0 + 60_000.5 },
  ];
  return sampleGroups().map((g, i) => ({ ...g, ttl: ttls[i] }));
}

Deno.test("encodeSnapshotV2() output matches the committed v2 sample file, which still reads", async () => {
  // Pins format version 2: a change here breaks every snapshot already on disk.
  const golden = await Deno.readTextFile(GOLDEN);
  assertEquals(encodeSnapshotV2(sampleGroupsV2()), golden);
  assertSameGroups(decodeSnapshot(golden), sampleGroupsV2());
});

Deno.test("encodeSnapshot() output matches the committed v3 sample file", async () => {
  // Pins format version 3: a change here breaks every snapshot already on disk.
  // Regenerate (only for a deliberate, versioned format change) with UPDATE_GOLDEN=1.
  const groups = byName(sampleGroupsV2());
  if (Deno.env.get("UPDATE_GOLDEN") === "1") {
    await Deno.writeTextFile(GOLDEN_V3, encodeSnapshot(groups));
  }
  const golden = await Deno.readTextFile(GOLDEN_V3);
  assertEquals(encodeSnapshot(groups), golden);
  assertSameContent(decodeSnapshot(golden), groups);
  // Every line is JSON on its own (what `jq` reads).
  for (const line of golden.split("\n").slice(0, -1)) JSON.parse(line);
});

Deno.test("decodeSnapshot() still reads the committed v1 sample file (groups follow the default TTL)", async () => {
  const v1 = await Deno.readTextFile(GOLDEN_V1);
  assertEquals(v1.split("\n")[0], '{"format":"pushgateway-deno-snapshot","version":1}');
  const groups = decodeSnapshot(v1);
  assertSameGroups(groups, sampleGroups());
  assert(groups.every((g) => g.ttl === undefined));
  // A `ttl` in a version 1 file is not part of that format: ignored.
  const lines = v1.split("\n");
  lines[1] = lines[1]!.replace('{"labels":', '{"ttl":{"fromHeader":true,"deadlineMs":5},"labels":');
  const body = lines.slice(0, -2).join("\n") + "\n";
  assertEquals(decodeSnapshot(withTrailer(body))[0]?.ttl, undefined);
});

Deno.test("encodeGroupLine() writes a TTL only when it says something, never the expiry gauge", () => {
  const [group] = sampleGroups();
  const withGauge: Group = {
    labels: group!.labels,
    families: new Map([...group!.families, [PUSH_EXPIRY_TIME_METRIC, {
      family: { name: PUSH_EXPIRY_TIME_METRIC, type: MetricType.GAUGE, metric: [] },
      lastPushMs: T0,
    }]]),
    ttl: { fromHeader: false, deadlineMs: undefined },
  };
  const line = encodeGroupLine(withGauge);
  assertEquals(line, encodeGroupLine(group!));
  assert(!line.includes(PUSH_EXPIRY_TIME_METRIC));
  assert(!line.includes('"ttl"'));
  const ttl = JSON.parse(encodeGroupLine({ ...group!, ttl: { fromHeader: true, deadlineMs: 7.5 } }))
    .ttl;
  assertEquals(ttl, { fromHeader: true, deadlineMs: 7.5 });
});

Deno.test("encodeSnapshotV2() writes header, one line per group and a checksummed trailer", () => {
  const groups = sampleGroups();
  const text = encodeSnapshotV2(groups);
  const lines = text.split("\n");
  assertEquals(lines.length, groups.length + 3); // header, groups, trailer, "" after final \n
  assertEquals(lines[0], '{"format":"pushgateway-deno-snapshot","version":2}');
  assertEquals(lines.at(-1), "");
  const trailer = JSON.parse(lines.at(-2)!);
  const body = lines.slice(0, -2).join("\n") + "\n";
  assertEquals(trailer, {
    groups: 3,
    sha256: createHash("sha256").update(body).digest("hex"),
  });
  assertEquals(text, body + encodeTrailerLine(3, trailer.sha256));
  assertEquals(encodeHeaderLine(2) + groups.map(encodeGroupLine).join(""), body);
  // Empty repeated fields are left out, special numbers are strings.
  const line = JSON.parse(lines[1]!);
  const noSeries = line.families.find((f: { name: string }) => f.name === "no_series");
  assertEquals(noSeries, { name: "no_series", help: "x", type: "COUNTER", lastPushMs: T0 });
  assertMatch(lines[1]!, /"gauge":\{"value":"NaN"\}/);
});

Deno.test("SnapshotEncoder and SnapshotDecoder stream in any chunking", () => {
  const groups = sampleGroups();
  const encoder = new SnapshotEncoder();
  const pieces = [encoder.header(), ...groups.map((g) => encoder.group(g)), encoder.trailer()];
  assertEquals(encoder.groups, 3);
  const text = pieces.join("");
  assertEquals(text, encodeSnapshot(groups));
  for (const size of [1, 7, 64, text.length]) {
    const decoder = new SnapshotDecoder();
    for (let i = 0; i < text.length; i += size) decoder.push(text.slice(i, i + size));
    assertSameContent(decoder.finish(), groups);
  }
});

Deno.test("decodeSnapshot() of a store with no groups", () => {
  const text = encodeSnapshot([]);
  assertEquals(text.split("\n").length, 3);
  assertEquals(decodeSnapshot(text), []);
});

/** `body` (a header line and group lines) with a valid trailer appended. */
function withTrailer(body: string): string {
  const sha = createHash("sha256").update(body).digest("hex");
  const count = body.split("\n").length - 2;
  return body + encodeTrailerLine(count, sha);
}

Deno.test("decodeSnapshot() rejects bad input with a clear reason", () => {
  const good = encodeSnapshotV2(sampleGroups());
  const lines = good.split("\n");
  const header = lines[0]!;
  const cases: [string, string, SnapshotErrorKind, RegExp][] = [
    ["empty", "", "truncated", /^Invalid snapshot: file is empty$/],
    ["only a newline", "\n", "header", /line 1.*not a pushgateway-deno snapshot/],
    ["garbage", "\x00\x01gob\xff", "header", /not a pushgateway-deno snapshot/],
    ["foreign JSON", '{"format":"other","version":1}\n', "header", /not a pushgateway/],
    ["JSON array header", "[1]\n", "header", /not a pushgateway/],
    [
      "version 4",
      '{"format":"pushgateway-deno-snapshot","version":4}\n{"groups":0,"sha256":"x"}\n',
      "version",
      /unsupported format version 4 \(supported: 1, 2, 3\)/,
    ],
    [
      "version as string",
      '{"format":"pushgateway-deno-snapshot","version":"1"}\n',
      "version",
      /"1"/,
    ],
    ["header only", header + "\n", "truncated", /trailer missing after 0 groups/],
    ["no final newline", good.slice(0, -1), "truncated", /last line has no newline/],
    [
      "wrong checksum",
      header + "\n" + encodeTrailerLine(0, "0".repeat(64)),
      "checksum",
      /checksum mismatch/,
    ],
    ["data after trailer", good + "{}\n", "malformed", /data after the trailer/],
    ["blank line after trailer", good + "\n", "malformed", /data after the trailer/],
    ["group not JSON", header + "\n{oops\n", "malformed", /line 2.*not valid JSON/],
    [
      "trailer count wrong",
      header + "\n" +
      encodeTrailerLine(1, createHash("sha256").update(header + "\n").digest("hex")),
      "malformed",
      /trailer counts 1 groups, found 0/,
    ],
    [
      "trailer sha not a string",
      header + '\n{"groups":0,"sha256":1}\n',
      "malformed",
      /malformed trailer/,
    ],
    [
      "labels missing",
      withTrailer(header + '\n{"families":[]}\n'),
      "malformed",
      /line 2.*labels: expected an object/,
    ],
    [
      "label value not a string",
      withTrailer(header + '\n{"labels":{"job":1},"families":[]}\n'),
      "malformed",
      /labels\["job"\]: expected a string/,
    ],
    [
      "bad number",
      withTrailer(
        header +
          '\n{"labels":{"job":"j"},"families":[{"name":"a","type":"GAUGE","lastPushMs":1,' +
          '"metric":[{"gauge":{"value":"Infinity"}}]}]}\n',
      ),
      "malformed",
      /families\[0\]\.metric\[0\]\.gauge\.value: expected a number/,
    ],
    [
      "unknown type",
      withTrailer(
        header +
          '\n{"labels":{"job":"j"},"families":[{"name":"a","type":"ENUM","lastPushMs":1}]}\n',
      ),
      "malformed",
      /families\[0\]\.type: unknown metric type/,
    ],
    [
      "lastPushMs missing",
      withTrailer(header + '\n{"labels":{"job":"j"},"families":[{"name":"a","type":"GAUGE"}]}\n'),
      "malformed",
      /families\[0\]\.lastPushMs: expected a number/,
    ],
    [
      "duplicate family",
      withTrailer(
        header + '\n{"labels":{"job":"j"},"families":[' +
          '{"name":"a","type":"GAUGE","lastPushMs":1},{"name":"a","type":"GAUGE","lastPushMs":1}]}\n',
      ),
      "malformed",
      /duplicate family "a"/,
    ],
    [
      "duplicate group",
      withTrailer(
        header + '\n{"labels":{"job":"j","a":"b"},"families":[]}\n' +
          '{"labels":{"a":"b","job":"j"},"families":[]}\n',
      ),
      "malformed",
      /line 3.*duplicate group/,
    ],
    [
      "histogram array not an array",
      withTrailer(
        header + '\n{"labels":{"job":"j"},"families":[{"name":"a","type":"HISTOGRAM",' +
          '"lastPushMs":1,"metric":[{"histogram":{"positiveDelta":5}}]}]}\n',
      ),
      "malformed",
      /histogram\.positiveDelta: expected an array/,
    ],
  ];
  for (const [name, text, kind, message] of cases) {
    const err = assertThrows(() => decodeSnapshot(text), SnapshotError, undefined, name);
    assertEquals(err.kind, kind, `${name}: ${err.message}`);
    assertMatch(err.message, message, name);
  }
});

Deno.test("decodeSnapshot() accepts a hand-written minimal group", () => {
  const header = encodeHeaderLine(2);
  const body = header + '{"labels":{"job":"j"},"families":[{"name":"a","type":"UNTYPED",' +
    '"lastPushMs":"-0","metric":[{"untyped":{"value":"-Inf"}}]}]}\n';
  const sha = createHash("sha256").update(body).digest("hex");
  const [group] = decodeSnapshot(body + encodeTrailerLine(1, sha));
  assertEquals(group!.labels, { job: "j" });
  const stored = group!.families.get("a")!;
  assert(Object.is(stored.lastPushMs, -0));
  assertEquals(stored.family, {
    name: "a",
    type: MetricType.UNTYPED,
    metric: [{ label: [], untyped: { value: -Infinity } }],
  });
});

Deno.test("decodeSnapshot() detects truncation at every byte", () => {
  const text = encodeSnapshot(sampleGroups());
  for (let end = 0; end < text.length; end++) {
    assertThrows(() => decodeSnapshot(text.slice(0, end)), SnapshotError, undefined, `end ${end}`);
  }
});

Deno.test("decodeSnapshot() detects single-bit flips", () => {
  const decoder = new TextDecoder();
  const assertDetected = (bytes: Uint8Array, i: number, bit: number): void => {
    const flipped = bytes.slice();
    flipped[i]! ^= 1 << bit;
    assertThrows(
      () => decodeSnapshot(decoder.decode(flipped)),
      SnapshotError,
      undefined,
      `byte ${i} bit ${bit}`,
    );
  };
  // Every bit of a small snapshot (header, UTF-8 group, trailer) ...
  const small = new TextEncoder().encode(encodeSnapshot(sampleGroups().slice(1)));
  for (let i = 0; i < small.length; i++) {
    for (let bit = 0; bit < 8; bit++) assertDetected(small, i, bit);
  }
  // ... and one bit of every byte of the full sample.
  const full = new TextEncoder().encode(encodeSnapshot(sampleGroups()));
  for (let i = 0; i < full.length; i++) assertDetected(full, i, i % 8);
});

/**
 * What a decoder with the running checksum makes of a file's bytes (fed
 * whole with `pushLines`, as a reader does): its groups, or the kind of its
 * SnapshotError.
 */
function syncOutcome(bytes: Uint8Array): Group[] | string {
  try {
    const decoder = new SnapshotDecoder();
    if (bytes.length > 0) decoder.pushLines(bytes);
    return decoder.finish();
  } catch (err) {
    if (err instanceof SnapshotError) return err.kind;
    throw err;
  }
}

/** What `decodeSnapshotFile` makes of `bytes`, decoded `chunk` bytes at a time. */
async function fileOutcome(
  bytes: Uint8Array<ArrayBuffer>,
  chunk?: number,
): Promise<Group[] | string> {
  try {
    return await decodeSnapshotFile(bytes, chunk);
  } catch (err) {
    if (err instanceof SnapshotError) return err.kind;
    throw err;
  }
}

Deno.test("decodeSnapshotFile() (checksum on another thread) reads what decodeSnapshot() reads, in any chunking", async () => {
  const utf8 = new TextEncoder();
  const texts = [
    encodeSnapshot(sampleGroups()),
    encodeSnapshot([]),
    await Deno.readTextFile(GOLDEN),
    await Deno.readTextFile(GOLDEN_V3),
  ];
  for (const [i, text] of texts.entries()) {
    for (const chunk of [1, 64, undefined]) {
      const groups = await decodeSnapshotFile(utf8.encode(text), chunk);
      assertEquals(groups.length, decodeSnapshot(text).length, `text ${i}, chunk ${chunk}`);
      assertSameContent(groups, decodeSnapshot(text));
    }
  }
});

Deno.test("decodeSnapshotFile() refuses what decodeSnapshot() refuses, for the same reason", async () => {
  const utf8 = new TextEncoder();
  const text = encodeSnapshot(sampleGroups().slice(1));
  const bytes = utf8.encode(text);
  const lines = text.split("\n");
  const trailer = JSON.parse(lines.at(-2)!);
  const cases: [string, string][] = [
    ["a wrong checksum", text.replace(trailer.sha256, "0".repeat(64))],
    ["a wrong count", text.replace(`"groups":${trailer.groups}`, `"groups":${trailer.groups + 1}`)],
    ["a line after the trailer", text + '{"labels":{"job":"x"}}\n'],
    ["no trailer", lines.slice(0, -2).join("\n") + "\n"],
    ["no final newline", text.slice(0, -1)],
    ["an empty file", ""],
    ["only a newline", "\n"],
  ];
  for (const [name, bad] of cases) {
    const expected = syncOutcome(utf8.encode(bad));
    assert(typeof expected === "string", `${name}: decodeSnapshot refuses it`);
    for (const chunk of [1, 64, undefined]) {
      assertEquals(await fileOutcome(utf8.encode(bad), chunk), expected, `${name}, chunk ${chunk}`);
    }
  }
  assertEquals(syncOutcome(utf8.encode(cases[0]![1])), "checksum");
  // Every truncation and one flipped bit per byte: refused, and for the same reason.
  for (let end = 0; end < bytes.length; end++) {
    const cut = bytes.slice(0, end);
    assertEquals(await fileOutcome(cut, 64), syncOutcome(cut), `end ${end}`);
  }
  for (let i = 0; i < bytes.length; i++) {
    const flipped = bytes.slice();
    flipped[i]! ^= 1 << (i % 8);
    const expected = syncOutcome(flipped);
    assert(typeof expected === "string", `byte ${i}: refused`);
    assertEquals(await fileOutcome(flipped, 64), expected, `byte ${i}`);
  }
});

/** A complete snapshot of these group lines (without newlines), with a valid trailer. */
function snapshotOf(groupLines: string[]): string {
  return withTrailer(encodeHeaderLine(2) + groupLines.map((l) => l + "\n").join(""));
}

Deno.test("decodeSnapshot() decodes common and unusual shapes alike", () => {
  // The decoder keeps JSON.parse's objects for lines in the common shape and
  // decodes any other line field by field; an unknown field anywhere forces
  // the second way and is dropped. Both must give the same groups.
  const groups = sampleGroups();
  const lines = groups.map((g) => encodeGroupLine(g).slice(0, -1));
  const expected = canon(groups);
  assertEquals(canon(decodeSnapshot(snapshotOf(lines))), expected);
  const unknown = [
    [/^\{/, '{"extra":1,'], // group
    [/"families":\[\{/, '"families":[{"extra":1,'], // first family
    [/"metric":\[\{/, '"metric":[{"extra":1,'], // first metric of a family
    [/"label":\[\{/, '"label":[{"extra":1,'], // a label pair
    [/"(gauge|counter|untyped)":\{/, '"$1":{"extra":1,'], // a value
    [/"histogram":\{/, '"histogram":{"extra":1,'],
    [/"bucket":\[\{/, '"bucket":[{"extra":1,'],
    [/"summary":\{/, '"summary":{"extra":1,'],
    [/"quantile":\[\{/, '"quantile":[{"extra":1,'],
    [/"exemplar":\{/, '"exemplar":{"extra":1,'],
    [/"createdTimestamp":\{/, '"createdTimestamp":{"extra":1,'],
  ] as const;
  for (const [where, replacement] of unknown) {
    const changed = lines.map((l) => l.replace(where, replacement));
    assert(changed.some((l, i) => l !== lines[i]), `${where} occurs in the sample`);
    assertEquals(canon(decodeSnapshot(snapshotOf(changed))), expected, `${where}`);
  }
});

Deno.test("decodeSnapshot() shares equal strings and grouping-label pairs", () => {
  const source: Group[] = [0, 1].map((i) => ({
    labels: { job: "j", instance: `h${i}` },
    families: new Map([["m", {
      family: {
        name: "m",
        help: "Some help text longer than a short string.",
        type: MetricType.GAUGE,
        metric: ["a", "b"].map((v) => ({
          label: [
            { name: "instance", value: `h${i}` },
            { name: "job", value: "j" },
            { name: "x", value: v },
          ],
          gauge: { value: 1 },
        })),
      },
      lastPushMs: T0,
    }]]),
  }));
  const restored = decodeSnapshot(encodeSnapshotV2(source));
  assertSameGroups(restored, source);
  const [f0, f1] = restored.map((g) => g.families.get("m")!.family);
  const [m0, m1] = f0!.metric;
  // Grouping-label pairs: one object per group line.
  assert(m0!.label[0] === m1!.label[0] && m0!.label[1] === m1!.label[1]);
  assert(m0!.label[2] !== m1!.label[2]);
  assert(m0!.label[0] !== f1!.metric[0]!.label[0], "other group, other instance pair");
});

Deno.test("decodeSnapshot() rejects bad format-3 lines with the path of the fault", () => {
  const header = encodeHeaderLine(3);
  const heads = '{"heads":[{"name":"a","type":"GAUGE"},{"name":"h","type":"HISTOGRAM"}],' +
    '"sets":[[],["x","1"],["b","1","a","2"]],"shapes":[["histogram",[1,"+Inf"]]]}\n';
  const group = (families: string, labels = '{"job":"j"}'): string =>
    withTrailer(header + heads + `{"labels":${labels},"families":[${families}]}\n`).replace(
      /"groups":2/,
      '"groups":1',
    );
  // A valid file of these lines first, so each case below fails for its own reason only.
  const ok = decodeSnapshot(
    withTrailer(
      header + heads + '{"labels":{"job":"j"},"families":[[0,1,"gauge",[0,1],[1,2]],' +
        "[1,1,0,[1],[3,1,5,4.5]]]}\n",
    ).replace('"groups":2', '"groups":1'),
  );
  assertEquals(ok[0]!.families.get("a")!.family.metric.map((m) => m.label), [
    [{ name: "job", value: "j" }],
    [{ name: "job", value: "j" }, { name: "x", value: "1" }],
  ]);
  assertEquals(ok[0]!.families.get("h")!.family.metric[0]!.histogram!.bucket.length, 2);
  const cases: [string, string, RegExp][] = [
    ["unknown table", withTrailer(header + '{"tables":[]}\n'), /line 2.*tables: unknown field/],
    [
      "head not defined",
      group('[7,1,"gauge",[0],[1]]'),
      /families\[0\]\[0\]: expected the number of a head defined before/,
    ],
    [
      "set not defined",
      group('[0,1,"gauge",[9],[1]]'),
      /families\[0\]\[3\]\[0\]: expected the number of a label set/,
    ],
    ["unknown shape", group('[0,1,"gaug",[0],[1]]'), /families\[0\]\[2\]: unknown shape/],
    [
      "too few numbers",
      group("[1,1,0,[0],[3,1]]"),
      /families\[0\]\[4\]: expected 4 numbers for the series' shapes/,
    ],
    [
      "bad number",
      group('[0,1,"gauge",[0],["Inf"]]'),
      /families\[0\]\[4\]\[0\]: expected a number/,
    ],
    [
      "grouping label in a set",
      group('[0,1,"gauge",[1],[1]]', '{"job":"j","x":"0"}'),
      /label set holds the grouping label "x"/,
    ],
    ["unsorted set", group('[0,1,"gauge",[2],[1]]'), /label names not sorted/],
    [
      "duplicate family",
      group('[0,1,"gauge",[0],[1]],[0,2,"gauge",[0],[1]]'),
      /duplicate family "a"/,
    ],
    [
      "duplicate family, unsorted",
      group('[1,1,0,[1],[3,1,5,4.5]],[0,1,"gauge",[0],[1]],[1,2,0,[1],[3,1,5,4.5]]'),
      /duplicate family "h"/,
    ],
    // Faults found after the fast path checked (and would have rewritten) earlier fields.
    [
      "bad number after shapes per series",
      group('[0,1,["gauge","untyped"],[0,1],[1,"x"]]'),
      /families\[0\]\[4\]\[1\]: expected a number/,
    ],
    [
      "rich shape without its series",
      group('[0,1,["gauge","rich"],[0,1],[1]]'),
      /families\[0\]\[5\]: expected an array/,
    ],
    ["short entry", group("[0,1]"), /families\[0\]: expected 5 to 7 fields/],
    [
      "whole series without a rich shape",
      group('[0,1,"gauge",[0],[1],[{}]]'),
      /families\[0\]\[5\]: no series of this family is stored whole/,
    ],
  ];
  for (const [name, text, message] of cases) {
    const err = assertThrows(() => decodeSnapshot(text), SnapshotError, undefined, name);
    assertEquals(err.kind, "malformed", `${name}: ${err.message}`);
    assertMatch(err.message, message, name);
  }
});

Deno.test("decodeSnapshot() reads the format-3 example of snapshot.ts", () => {
  const body = encodeHeaderLine(3) +
    '{"heads":[{"name":"up","help":"","type":"GAUGE"},{"name":"rpc","type":"HISTOGRAM"}],' +
    '"sets":[[],["code","200"]],"shapes":[["histogram",[0.1,"+Inf"]]]}\n' +
    '{"labels":{"job":"batch","instance":""},"ttl":{"fromHeader":true,' +
    '"deadlineMs":1716823600000.5},"families":[[0,1716820000000.5,"gauge",[0],["NaN"]],' +
    "[1,1716820000000.5,0,[1],[10,4.5,3,10]]]}\n";
  const [group] = decodeSnapshot(withTrailer(body).replace('"groups":2', '"groups":1'));
  assertEquals(group!.ttl, { fromHeader: true, deadlineMs: 1716823600000.5 });
  const group0 = [{ name: "instance", value: "" }, { name: "job", value: "batch" }];
  assert(Number.isNaN(group!.families.get("up")!.family.metric[0]!.gauge!.value));
  assertEquals(group!.families.get("rpc")!.family, {
    name: "rpc",
    type: MetricType.HISTOGRAM,
    metric: [{
      label: [{ name: "code", value: "200" }, ...group0],
      histogram: {
        ...emptyHistogram(),
        sampleCount: 10,
        sampleSum: 4.5,
        bucket: [{ cumulativeCount: 3, upperBound: 0.1 }, {
          cumulativeCount: 10,
          upperBound: Infinity,
        }],
      },
    }],
  });
});
