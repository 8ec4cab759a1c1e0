import { assertEquals } from "@std/assert";
import { parseGoDuration } from "@lib/gocompat/go_duration.ts";

Deno.test("parseGoDuration() reads Go duration syntax", () => {
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
  for (const [text, want] of cases) assertEquals(parseGoDuration(text), want, text);
});
