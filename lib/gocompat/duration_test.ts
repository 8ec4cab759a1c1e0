import { assertEquals, assertThrows } from "@std/assert";
import {
  DurationError,
  formatGoDurationNs,
  parseDuration,
  parseDurationNs,
} from "@lib/gocompat/duration.ts";

const S = 1_000_000_000n;

Deno.test("parseDurationNs() accepts Go syntax plus d and w", () => {
  const cases: [string, bigint][] = [
    ["5m", 300n * S],
    ["1h30m", 5400n * S],
    ["1.5h", 5400n * S],
    ["1d", 86400n * S],
    ["1w", 7n * 86400n * S],
    ["1d12h", 36n * 3600n * S],
    ["0", 0n],
    ["-0", 0n],
    ["+5m", 300n * S],
    ["-1.5s", -1500_000_000n],
    [".5s", 500_000_000n],
    ["5.s", 5n * S],
    ["300ms", 300_000_000n],
    ["1us", 1_000n],
    ["1\u00b5s", 1_000n],
    ["1\u03bcs", 1_000n],
    ["7ns", 7n],
    ["1h1m1s1ms1us1ns", 3661n * S + 1_001_001n],
    ["9223372036854775807ns", (1n << 63n) - 1n],
  ];
  for (const [text, want] of cases) assertEquals(parseDurationNs(text), want, text);
});

Deno.test("parseDurationNs() fails with Go's error texts", () => {
  const cases: [string, string][] = [
    ["abc", 'time: invalid duration "abc"'],
    ["", 'time: invalid duration ""'],
    ["-", 'time: invalid duration "-"'],
    [".", 'time: invalid duration "."'],
    ["1", 'time: missing unit in duration "1"'],
    ["1.5.5s", 'time: missing unit in duration "1.5.5s"'],
    ["1y", 'time: unknown unit "y" in duration "1y"'],
    ["5M", 'time: unknown unit "M" in duration "5M"'],
    ["1e3s", 'time: unknown unit "e" in duration "1e3s"'],
    ["5m abc", 'time: unknown unit "m abc" in duration "5m abc"'],
    ["9223372036854775808ns", 'time: invalid duration "9223372036854775808ns"'],
    ["15251w", 'time: invalid duration "15251w"'],
  ];
  for (const [text, message] of cases) {
    assertThrows(() => parseDurationNs(text), DurationError, message);
  }
});

Deno.test("parseDuration() returns milliseconds", () => {
  assertEquals(parseDuration("5m"), 300_000);
  assertEquals(parseDuration("1.5s"), 1500);
  assertEquals(parseDuration("1500us"), 1.5);
  assertEquals(parseDuration("-2s"), -2000);
});

Deno.test("formatGoDurationNs() prints like time.Duration.String", () => {
  const cases: [bigint, string][] = [
    [0n, "0s"],
    [1n, "1ns"],
    [999n, "999ns"],
    [1_500n, "1.5µs"],
    [1_500_000n, "1.5ms"],
    [500_000_000n, "500ms"],
    [S, "1s"],
    [1_500_000_000n, "1.5s"],
    [90n * S, "1m30s"],
    [300n * S, "5m0s"],
    [3600n * S, "1h0m0s"],
    [5400n * S, "1h30m0s"],
    [86400n * S, "24h0m0s"],
    [7n * 86400n * S, "168h0m0s"],
    [3661n * S + 1n, "1h1m1.000000001s"],
    [-300n * S, "-5m0s"],
    [-1n, "-1ns"],
  ];
  for (const [ns, want] of cases) assertEquals(formatGoDurationNs(ns), want, String(ns));
});

Deno.test("parse then format round-trips the flag default and common values", () => {
  const cases: [string, string][] = [["5m", "5m0s"], ["1d", "24h0m0s"], ["1h30m", "1h30m0s"], [
    "90s",
    "1m30s",
  ]];
  for (const [text, want] of cases) assertEquals(formatGoDurationNs(parseDurationNs(text)), want);
});
