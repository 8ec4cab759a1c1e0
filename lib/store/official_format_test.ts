import { assert, assertAlmostEquals, assertEquals, assertThrows } from "@std/assert";
import { encodeGob } from "@lib/gob/encode.ts";
import { formatRfc3339Nano } from "@lib/gocompat/go_json.ts";
import { encodeFamily } from "@lib/protobuf/encode.ts";
import { type MetricFamily, MetricType } from "@lib/model/metric.ts";
import {
  decodeGoTime,
  decodeOfficialFile,
  encodeGoTime,
  encodeOfficialFile,
  GO_ZERO_TIME_MS,
  OFFICIAL_FILE_SCHEMA,
  OfficialFormatError,
} from "@lib/store/official_format.ts";
import { type Group, lastPushSuccessful, pushGaugeValue } from "@lib/store/types.ts";

const FIXTURES = new URL("../../tests/testdata/official/", import.meta.url);
/** A persistence file in the newest upstream's layout (tests/testdata/official/README.md). */
const NEWEST = await Deno.readFile(new URL("newest_layout.gob", FIXTURES));

/** 2026-06-27T07:05:55.123456789Z, the fixture's base time. */
const T0_MS = Date.UTC(2026, 5, 27, 7, 5, 55, 123) + 0.456789;

function byJob(groups: Group[]): Map<string, Group> {
  return new Map(groups.map((g) => [g.labels.job as string, g]));
}

Deno.test("decodeGoTime() reads time.Time's binary forms; the zone does not move the instant", () => {
  // 2026-06-27T07:05:55.123456789+02:00, as Go wrote it in gob_kinds.gob (version 1, offset 120 min)
  const plus2 = Uint8Array.from([1, 0, 0, 0, 14, 225, 209, 81, 51, 7, 91, 205, 21, 0, 120]);
  assertAlmostEquals(decodeGoTime(plus2), T0_MS - 2 * 3600_000, 1e-3);
  // version 2 carries a seconds offset in a 16th byte
  const v2 = Uint8Array.from([2, ...plus2.subarray(1), 30]);
  assertEquals(decodeGoTime(v2), decodeGoTime(plus2));
  assertEquals(decodeGoTime(encodeGoTime(0)), 0);
  assertThrows(
    () => decodeGoTime(plus2.subarray(0, 14)),
    OfficialFormatError,
    "version 1 and 14 bytes",
  );
  assertThrows(() => decodeGoTime(Uint8Array.from([3, ...plus2.subarray(1)])), OfficialFormatError);
  const badNanos = plus2.slice();
  badNanos[9] = 0xff; // negative nanoseconds
  assertThrows(() => decodeGoTime(badNanos), OfficialFormatError, "nanoseconds");
});

Deno.test("encodeGoTime() writes UTC version-1 times rounded to the microsecond", () => {
  const bytes = encodeGoTime(T0_MS);
  assertEquals(bytes[0], 1);
  assertEquals([...bytes.subarray(13)], [0xff, 0xff], "offset -1: UTC");
  const view = new DataView(bytes.buffer);
  assertEquals(view.getBigInt64(1), BigInt(Math.floor(T0_MS / 1000)) + 62135596800n);
  assertEquals(view.getInt32(9), 123457000);
  // The JSON API shows microseconds: the written time shows the same.
  assertEquals(formatRfc3339Nano(decodeGoTime(bytes)), formatRfc3339Nano(T0_MS));
  // Rounding up into the next second carries.
  const carry = new DataView(encodeGoTime(1999.9996).buffer);
  assertEquals([carry.getBigInt64(1) - 62135596800n, carry.getInt32(9)], [2n, 0]);
  // Before 1970
  assertEquals(decodeGoTime(encodeGoTime(-1500.25)), -1500.25);
});

Deno.test("decodeOfficialFile() restores every field of the newest layout's fixture", () => {
  const groups = byJob(decodeOfficialFile(NEWEST));
  assertEquals([...groups.keys()].sort(), ["backup", "latency", "never-succeeded", "zürich/ost"]);

  const backup = groups.get("backup")!;
  assertEquals(backup.labels, { instance: "db1", job: "backup" });
  assertEquals([...backup.families.keys()].sort(), [
    "backup_last_success_timestamp_seconds",
    "backup_note",
    "backup_size_bytes_total",
    "push_failure_time_seconds",
    "push_time_seconds",
  ]);
  const size = backup.families.get("backup_size_bytes_total")!;
  assertEquals(formatRfc3339Nano(size.lastPushMs), "2026-06-27T07:05:55.123457Z");
  assertEquals(size.family.unit, "bytes");
  assertEquals(size.family.help, "Bytes written by the backup.");
  assertEquals(size.family.type, MetricType.COUNTER);
  assertEquals(size.family.metric[0]!.counter, {
    value: 1.5e9,
    exemplar: {
      label: [{ name: "trace_id", value: "abc123" }],
      value: 4096,
      timestamp: { seconds: 1782000001, nanos: 250000000 },
    },
    createdTimestamp: { seconds: 1782000000, nanos: 5 },
  });
  assertEquals(backup.families.get("backup_last_success_timestamp_seconds")!.family.help, "");
  const note = backup.families.get("backup_note")!;
  assertEquals(note.family.help, undefined, "an absent HELP stays absent");
  assertEquals(note.family.metric[0]!.untyped?.value, -Infinity);
  assertEquals(formatRfc3339Nano(note.lastPushMs), "2026-06-27T05:35:55.123457Z");
  assertEquals(pushGaugeValue(backup, "push_time_seconds"), 1782543955.1234567);
  assert(lastPushSuccessful(backup));

  const latency = groups.get("latency")!;
  assert(!lastPushSuccessful(latency), "the failure came after the last success");
  const native = latency.families.get("native_seconds")!.family.metric[0]!.histogram!;
  assertEquals(native.schema, 3);
  assertEquals(native.zeroThreshold, 1e-128);
  assertEquals(native.negativeSpan, [{ offset: -2, length: 2 }]);
  assertEquals(native.positiveSpan, [{ offset: 0, length: 2 }, { offset: 3, length: 1 }]);
  assertEquals(native.positiveDelta, [2, -1, 1]);
  assertEquals(native.exemplars.length, 1);
  const summary = latency.families.get("request_size_bytes")!.family.metric[0]!.summary!;
  assert(Number.isNaN(summary.quantile[1]!.value));
  const gaugeHist = latency.families.get("worker_queue_depth")!.family;
  assertEquals(gaugeHist.type, MetricType.GAUGE_HISTOGRAM);
  assertEquals(gaugeHist.metric[0]!.histogram!.sampleCountFloat, 5.5);
  const failure = latency.families.get("push_failure_time_seconds")!;
  assertEquals(formatRfc3339Nano(failure.lastPushMs), "2026-06-27T07:05:57.123457Z");

  const zurich = groups.get("zürich/ost")!;
  assertEquals(zurich.labels, { empty: "", job: "zürich/ost", path: "/var/tmp" });
  const temps = zurich.families.get("temperature_celsius")!.family;
  assertEquals(temps.help, "Température ° in \\ Zürich.");
  assert(Object.is(temps.metric[1]!.gauge!.value, -0));

  const never = groups.get("never-succeeded")!;
  assertEquals([...never.families.keys()].sort(), [
    "push_failure_time_seconds",
    "push_time_seconds",
  ]);
  assertEquals(pushGaugeValue(never, "push_time_seconds"), 0);
  assert(!lastPushSuccessful(never));
});

Deno.test("encodeOfficialFile() output decodes to the same groups, times to the microsecond", () => {
  const groups = decodeOfficialFile(NEWEST);
  const again = decodeOfficialFile(encodeOfficialFile(groups));
  assertEquals(again.length, groups.length);
  for (const [i, group] of groups.entries()) {
    const other = again[i]!;
    assertEquals(other.labels, group.labels);
    assertEquals([...other.families.keys()], [...group.families.keys()]);
    for (const [name, stored] of group.families) {
      const back = other.families.get(name)!;
      assertEquals(back.family, stored.family, name);
      assertEquals(formatRfc3339Nano(back.lastPushMs), formatRfc3339Nano(stored.lastPushMs));
    }
  }
  assertEquals(decodeOfficialFile(encodeOfficialFile([])), []);
});

Deno.test("decodeOfficialFile() refuses damaged and foreign content with OfficialFormatError", () => {
  const family: MetricFamily = { name: "a", type: MetricType.GAUGE, metric: [] };
  const entry = (name: string, data: Uint8Array) => [
    ["job\xffx", {
      Labels: [["job", "x"]],
      Metrics: [[name, { Timestamp: encodeGoTime(0), GobbableMetricFamily: data }]],
    }],
  ];
  const cases: [string, Uint8Array, string][] = [
    ["truncated", NEWEST.subarray(0, NEWEST.length - 10), "stream ends inside a message"],
    [
      "bad protobuf",
      encodeGob(OFFICIAL_FILE_SCHEMA, entry("a", Uint8Array.from([0x0a, 0x09]))),
      'family "a" of group',
    ],
    [
      "renamed family",
      encodeGob(OFFICIAL_FILE_SCHEMA, entry("b", encodeFamily(family))),
      'family "a" is stored under the name "b"',
    ],
    ["not a map", encodeGob({ kind: "string" }, "x"), "the top level is not a map"],
    [
      "bad time",
      encodeGob(OFFICIAL_FILE_SCHEMA, [["job\xffx", {
        Labels: [["job", "x"]],
        Metrics: [["a", {
          Timestamp: Uint8Array.from([1, 2]),
          GobbableMetricFamily: encodeFamily(family),
        }]],
      }]]),
      "a time value has version 1 and 2 bytes",
    ],
  ];
  for (const [name, bytes, message] of cases) {
    assertThrows(() => decodeOfficialFile(bytes), OfficialFormatError, message, name);
  }
});

Deno.test("decodeOfficialFile() gives Go's zero time to a family without a Timestamp", () => {
  const family: MetricFamily = { name: "a", type: MetricType.GAUGE, metric: [] };
  const bytes = encodeGob(OFFICIAL_FILE_SCHEMA, [["job\xffx", {
    Labels: [["job", "x"], ["__proto__", "p"]],
    Metrics: [["a", { GobbableMetricFamily: encodeFamily(family) }]],
  }]]);
  const [group] = decodeOfficialFile(bytes);
  assertEquals(group!.families.get("a")!.lastPushMs, GO_ZERO_TIME_MS);
  assertEquals(Object.keys(group!.labels), ["__proto__", "job"], "__proto__ is an ordinary label");
});
