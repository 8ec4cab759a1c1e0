import { assertEquals } from "@std/assert";
import { formatGoFloat, formatTextFloat } from "@lib/gocompat/format_float.ts";

// Expected strings were produced by Go's strconv.FormatFloat(v, 'g', -1, 64)
// (go1.19, whose shortest formatting is unchanged in newer releases).
const GO_CASES: [number, string][] = [
  [0, "0"],
  [-0, "-0"],
  [1, "1"],
  [-1, "-1"],
  [100000, "100000"],
  [999999, "999999"],
  [999999.5, "999999.5"],
  [999999.9999999999, "999999.9999999999"],
  [1000000, "1e+06"],
  [-1000000, "-1e+06"],
  [1234567, "1.234567e+06"],
  [1234567.5, "1.2345675e+06"],
  [9999999, "9.999999e+06"],
  [123456789, "1.23456789e+08"],
  [4294967296, "4.294967296e+09"],
  [9007199254740993, "9.007199254740992e+15"],
  [1e20, "1e+20"],
  [123456789012345680000, "1.2345678901234568e+20"],
  [1e21, "1e+21"],
  [1e22, "1e+22"],
  [1e100, "1e+100"],
  [1.5e300, "1.5e+300"],
  [Number.MAX_VALUE, "1.7976931348623157e+308"],
  [-Number.MAX_VALUE, "-1.7976931348623157e+308"],
  [1.7955344773384917e+09, "1.7955344773384917e+09"],
  [0.5, "0.5"],
  [0.1, "0.1"],
  [0.30000000000000004, "0.30000000000000004"],
  [1.0000000000000002, "1.0000000000000002"],
  [3.14159, "3.14159"],
  [12345.678, "12345.678"],
  [-42.5, "-42.5"],
  [-123456.789, "-123456.789"],
  [0.001, "0.001"],
  [0.0001, "0.0001"],
  [-0.0001, "-0.0001"],
  [0.00015, "0.00015"],
  [0.000099999, "9.9999e-05"],
  [9.9e-05, "9.9e-05"],
  [-9.99e-05, "-9.99e-05"],
  [0.00001, "1e-05"],
  [1e-7, "1e-07"],
  [-2.5e-10, "-2.5e-10"],
  [2.2250738585072014e-308, "2.2250738585072014e-308"],
  [2.225073858507201e-308, "2.225073858507201e-308"],
  [5e-324, "5e-324"],
  [Number.MIN_VALUE * 3, "1.5e-323"],
  [Infinity, "+Inf"],
  [-Infinity, "-Inf"],
  [NaN, "NaN"],
];

Deno.test("formatGoFloat() matches Go's FormatFloat 'g' -1", () => {
  for (const [v, want] of GO_CASES) {
    assertEquals(formatGoFloat(v), want, `value ${v}`);
  }
});

Deno.test("formatTextFloat() writes 0, -0, 1 and -1 directly like expfmt", () => {
  const cases: [number, string][] = [
    [0, "0"],
    [-0, "0"],
    [1, "1"],
    [-1, "-1"],
    [2, "2"],
    [1e6, "1e+06"],
    [Infinity, "+Inf"],
    [-Infinity, "-Inf"],
    [NaN, "NaN"],
    [0.25, "0.25"],
    [1e-5, "1e-05"],
  ];
  for (const [v, want] of cases) assertEquals(formatTextFloat(v), want, `value ${v}`);
});
