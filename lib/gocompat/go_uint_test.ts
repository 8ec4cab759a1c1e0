import { assertEquals, assertThrows } from "@std/assert";
import { GoUintError, parseGoUint } from "@lib/gocompat/go_uint.ts";

Deno.test("parseGoUint() reads Go's base-0 syntax", () => {
  const cases: [string, number][] = [
    ["0", 0],
    ["100000", 100000],
    ["1_000_000", 1000000],
    ["0x1F", 31],
    ["0X_1f", 31],
    ["0o17", 15],
    ["017", 15],
    ["0b101", 5],
    ["00", 0],
    ["18446744073709551615", 18446744073709551615],
  ];
  for (const [text, want] of cases) assertEquals(parseGoUint(text), want, text);
});

Deno.test("parseGoUint() fails with Go's texts", () => {
  const cases: [string, string][] = [
    ["", "invalid syntax"],
    ["-1", "invalid syntax"],
    ["+1", "invalid syntax"],
    ["1.5", "invalid syntax"],
    ["abc", "invalid syntax"],
    ["0x", "invalid syntax"],
    ["09", "invalid syntax"],
    ["1__0", "invalid syntax"],
    ["_1", "invalid syntax"],
    ["1_", "invalid syntax"],
    ["1e3", "invalid syntax"],
    ["18446744073709551616", "value out of range"],
  ];
  for (const [text, why] of cases) {
    assertThrows(
      () => parseGoUint(text),
      GoUintError,
      `strconv.ParseUint: parsing ${JSON.stringify(text)}: ${why}`,
    );
  }
});
