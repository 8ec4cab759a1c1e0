import { assertEquals, assertThrows } from "@std/assert";
import {
  DurationError,
  durationToMs,
  formatGoDurationNs,
  type GoDurationDialect,
  parseGoDuration,
} from "@lib/gocompat/duration.ts";

const S = 1_000_000_000n;
const INT64_MAX = (1n << 63n) - 1n;

/** kingpin's `Duration()` flags. */
function parseDurationNs(text: string): bigint {
  return parseGoDuration(text, "str2duration");
}

Deno.test("parseGoDuration(str2duration) accepts Go syntax plus d and w", () => {
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

Deno.test("parseGoDuration(str2duration) fails with Go's error texts", () => {
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

Deno.test("durationToMs() returns milliseconds", () => {
  assertEquals(durationToMs(parseDurationNs("5m")), 300_000);
  assertEquals(durationToMs(parseDurationNs("1.5s")), 1500);
  assertEquals(durationToMs(parseDurationNs("1500us")), 1.5);
  assertEquals(durationToMs(parseDurationNs("-2s")), -2000);
  assertEquals(durationToMs(-1_250_000n), -1.25);
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

Deno.test("parseGoDuration(go) reads Go duration syntax into milliseconds", () => {
  // Formerly go_duration.ts (exporter-toolkit's rate_limit.interval); undefined: an error.
  const cases: [string, number | undefined][] = [
    ["0", 0],
    ["1s", 1000],
    ["1m30s", 90_000],
    ["1.5h", 5_400_000],
    ["500ms", 500],
    ["2us", 0.002],
    ["1000000ns", 1],
    ["-1s", -1000],
    [".5s", 500],
    ["", undefined],
    ["1", undefined],
    ["1d", undefined],
    ["s", undefined],
    ["1s ", undefined],
  ];
  for (const [text, want] of cases) {
    if (want === undefined) {
      assertThrows(() => parseGoDuration(text, "go"), DurationError, "time: ", text);
    } else {
      assertEquals(durationToMs(parseGoDuration(text, "go")), want, text);
    }
  }
});

Deno.test("parseGoDuration() differs between the dialects only where Go's parsers do", async (t) => {
  const cases: { text: string; go: bigint | string; str2duration: bigint | string }[] = [
    {
      text: "1d",
      go: 'time: unknown unit "d" in duration "1d"',
      str2duration: 86400n * S,
    },
    {
      text: "2w",
      go: 'time: unknown unit "w" in duration "2w"',
      str2duration: 14n * 86400n * S,
    },
    // time.ParseDuration accumulates in uint64 up to 2^63: the int64 minimum is reachable.
    {
      text: "-9223372036854775808ns",
      go: -(1n << 63n),
      str2duration: 'time: invalid duration "-9223372036854775808ns"',
    },
    {
      text: "-2562047h47m16.854775808s",
      go: -(1n << 63n),
      str2duration: 'time: invalid duration "-2562047h47m16.854775808s"',
    },
    {
      text: "9223372036854775808ns",
      go: 'time: invalid duration "9223372036854775808ns"',
      str2duration: 'time: invalid duration "9223372036854775808ns"',
    },
    {
      text: "2562047h47m16.854775807s",
      go: INT64_MAX,
      str2duration: INT64_MAX,
    },
    {
      text: "2562047h47m16.854775808s",
      go: 'time: invalid duration "2562047h47m16.854775808s"',
      str2duration: 'time: invalid duration "2562047h47m16.854775808s"',
    },
    {
      text: "9223372036854775807ns1ns",
      go: 'time: invalid duration "9223372036854775807ns1ns"',
      str2duration: 'time: invalid duration "9223372036854775807ns1ns"',
    },
    // Two halves of 2^64 wrap to 0 in Go's uint64 sum (measured with go1.19's time package).
    {
      text: "9223372036854775808ns9223372036854775808ns",
      go: 0n,
      str2duration: 'time: invalid duration "9223372036854775808ns9223372036854775808ns"',
    },
    {
      text: "10000000h",
      go: 'time: invalid duration "10000000h"',
      str2duration: 'time: invalid duration "10000000h"',
    },
    // Fraction digits beyond int64 precision are dropped, not an error.
    { text: ".9223372036854775808s", go: 922337203n, str2duration: 922337203n },
    { text: "1.00000000000000000000000001h", go: 3600n * S, str2duration: 3600n * S },
    // time.quote escapes non-ASCII bytes; str2duration quotes as is.
    {
      text: "1\u00b5",
      go: 'time: unknown unit "\\xc2\\xb5" in duration "1\\xc2\\xb5"',
      str2duration: 'time: unknown unit "\u00b5" in duration "1\u00b5"',
    },
    {
      text: 'a"b\\',
      go: 'time: invalid duration "a\\"b\\\\"',
      str2duration: 'time: invalid duration "a"b\\"',
    },
    {
      text: "1\ts",
      go: 'time: unknown unit "\\x09s" in duration "1\\x09s"',
      str2duration: 'time: unknown unit "\ts" in duration "1\ts"',
    },
  ];
  for (const c of cases) {
    await t.step(JSON.stringify(c.text), () => {
      for (const dialect of ["go", "str2duration"] as GoDurationDialect[]) {
        const want = c[dialect];
        if (typeof want === "bigint") {
          assertEquals(parseGoDuration(c.text, dialect), want, dialect);
        } else {
          const err = assertThrows(() => parseGoDuration(c.text, dialect), DurationError);
          assertEquals(err.message, want, dialect);
        }
      }
    });
  }
});
