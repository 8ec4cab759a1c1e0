import { assert, assertEquals } from "@std/assert";
import { formatGoFloat } from "@lib/gocompat/format_float.ts";
import { bucketBound, SCHEMA_8_FRACTIONS } from "@lib/model/bucket_bound.ts";

/** The distance between two doubles in units in the last place (both positive, same binade). */
function ulps(a: number, b: number): number {
  const view = new DataView(new ArrayBuffer(16));
  view.setFloat64(0, a);
  view.setFloat64(8, b);
  return Number(view.getBigInt64(0) - view.getBigInt64(8));
}

Deno.test("SCHEMA_8_FRACTIONS holds 256 increasing fractions close to 2^(i/256)/2", () => {
  assertEquals(SCHEMA_8_FRACTIONS.length, 256);
  assertEquals(SCHEMA_8_FRACTIONS[0], 0.5);
  for (let i = 1; i < 256; i++) {
    const f = SCHEMA_8_FRACTIONS[i] as number;
    assert(f > (SCHEMA_8_FRACTIONS[i - 1] as number) && f < 1, `entry ${i} increases`);
    // Prometheus's entries are up to 4 ulps from the nearest double (Math.pow may add one).
    assert(Math.abs(ulps(f, 2 ** (i / 256) / 2)) <= 5, `entry ${i} (${f}) is 2^(${i}/256)/2`);
  }
  // Not the nearest doubles: 2^(1/2)/2 rounds to ...476, Prometheus's table has ...475.
  assertEquals(Math.SQRT1_2, 0.7071067811865476);
  assertEquals(SCHEMA_8_FRACTIONS[128], 0.7071067811865475);
  assertEquals(SCHEMA_8_FRACTIONS[64], 0.5946035575013605);
  assertEquals(SCHEMA_8_FRACTIONS[192], 0.8408964152537144);
});

Deno.test("SCHEMA_8_FRACTIONS are the doubles of Prometheus's schema-8 row, every digit", async () => {
  // SHA-256 of the row's 256 entries as Go's %v prints them, one a line (no final newline),
  // taken from prometheus v0.312.0's model/histogram/generic.go.
  const text = SCHEMA_8_FRACTIONS.map(formatGoFloat).join("\n");
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  assertEquals(
    Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join(""),
    "a406240f128a5278e645f450fe2b31e7c94e7e6068133605d12399606f3fb10d",
  );
});

// [idx, schema, Go's %v of Prometheus's getBound(idx, schema, nil)], printed by a Go program
// built around model/histogram's getBoundExponential and exponentialBounds (prometheus v0.312.0,
// the version pushgateway 1.11.3 uses).
const GO_BOUNDS: [number, number, string][] = [
  [1, -4, "65536"],
  [-1, -4, "1.52587890625e-05"],
  [64, -4, "1.7976931348623157e+308"],
  [65, -4, "+Inf"],
  [-67, -4, "2e-323"],
  [-68, -4, "0"],
  [3, -3, "1.6777216e+07"],
  [-2, -2, "0.00390625"],
  [512, -1, "1.7976931348623157e+308"],
  [-537, -1, "5e-324"],
  [-538, -1, "0"],
  [1, 0, "2"],
  [-1, 0, "0.5"],
  [1023, 0, "8.98846567431158e+307"],
  [1024, 0, "1.7976931348623157e+308"],
  [1025, 0, "+Inf"],
  [-1074, 0, "5e-324"],
  [-1075, 0, "0"],
  [2147483647, 0, "+Inf"],
  [1, 1, "1.414213562373095"],
  [3, 1, "2.82842712474619"],
  [-1, 1, "0.7071067811865475"],
  [5, 2, "2.378414230005442"],
  [-3, 2, "0.5946035575013605"],
  [7, 3, "1.8340080864093422"],
  [-9, 3, "0.45850202160233555"],
  [-8599, 3, "5e-324"],
  [-8600, 3, "0"],
  [11, 4, "1.610490331949254"],
  [-17, 5, "0.6919549409819159"],
  [33, 6, "1.4296133383919698"],
  [100, 7, "1.7186192981224775"],
  [-129, 7, "0.4972997117418164"],
  [1, 8, "1.0027112750502025"],
  [-1, 8, "0.9972960560854698"],
  [128, 8, "1.414213562373095"],
  [255, 8, "1.9945921121709396"],
  [262143, 8, "1.7928322734501122e+308"],
  [262144, 8, "1.7976931348623157e+308"],
  [262145, 8, "+Inf"],
  [-274689, 8, "1e-323"],
  [-275199, 8, "5e-324"],
  [-275200, 8, "0"],
  [-2147483648, 8, "0"],
];

Deno.test("bucketBound() gives Prometheus's getBound doubles for schemas -4 to 8", () => {
  for (const [idx, schema, want] of GO_BOUNDS) {
    assertEquals(formatGoFloat(bucketBound(idx, schema)), want, `idx ${idx}, schema ${schema}`);
  }
  // The text pins the double: these are the exact values, not neighbours that print alike.
  assertEquals(bucketBound(1, 1), 1.414213562373095);
  assertEquals(bucketBound(1, 1) === Math.SQRT2, false);
});

Deno.test("bucketBound() agrees across schemas where bounds coincide", () => {
  // A bound of schema s is also one of schema s+1 (bucket 2·idx), from the same table entry.
  for (let schema = 0; schema < 8; schema++) {
    for (let idx = -600; idx <= 600; idx++) {
      assertEquals(bucketBound(idx, schema), bucketBound(2 * idx, schema + 1), `${idx}/${schema}`);
    }
  }
  for (let idx = -70; idx <= 70; idx++) {
    assertEquals(bucketBound(idx, -4), bucketBound(2 * idx, -3));
    assertEquals(bucketBound(idx, -1), bucketBound(2 * idx, 0));
  }
});

Deno.test("bucketBound() follows Go's shifts for reserved negative schemas", () => {
  assertEquals(bucketBound(1, -9), 2 ** 512);
  assertEquals(bucketBound(2, -9), Number.MAX_VALUE);
  // Go's int shift by 64 or more gives 0: every bound is 2^0.
  assertEquals(bucketBound(5, -64), 1);
  assertEquals(bucketBound(-5, -2147483647), 1);
});

Deno.test("bucketBound() answers where Prometheus panics", () => {
  // Custom-bounds schema without bounds: only buckets 0 and -1 have an end.
  assertEquals(bucketBound(0, -53), Infinity);
  assertEquals(bucketBound(-1, -53), -Infinity);
  assertEquals(bucketBound(1, -53), NaN);
  // Schemas above 8 have no table row; the bound is computed directly.
  assertEquals(bucketBound(512, 9), 2);
  assertEquals(bucketBound(1024 * 512, 9), Number.MAX_VALUE);
  assertEquals(bucketBound(-512, 9), 0.5);
});
