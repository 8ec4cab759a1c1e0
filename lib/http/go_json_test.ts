import { assertEquals } from "@std/assert";
import { formatRfc3339Nano, goJson, sortedRecord } from "@lib/http/go_json.ts";

Deno.test("goJson escapes HTML characters like Go", () => {
  assertEquals(goJson({ a: "<b>&</b>" }), '{"a":"\\u003cb\\u003e\\u0026\\u003c/b\\u003e"}');
  assertEquals(goJson("\u2028"), '"\\u2028"');
});

Deno.test("sortedRecord orders keys like Go maps", () => {
  assertEquals(Object.keys(sortedRecord({ b: 1, a: 2, B: 3 })), ["B", "a", "b"]);
});

Deno.test({
  name: "formatRfc3339Nano trims trailing zeros (UTC)",
  // The expected texts are for a UTC zone; `deno task test` runs with TZ=UTC.
  ignore: new Date(0).getTimezoneOffset() !== 0,
}, () => {
  assertEquals(
    formatRfc3339Nano(Date.UTC(2026, 10, 24, 15, 38, 31, 952)),
    "2026-11-24T15:38:31.952Z",
  );
  assertEquals(formatRfc3339Nano(Date.UTC(2026, 0, 2, 3, 4, 5)), "2026-01-02T03:04:05Z");
  assertEquals(
    formatRfc3339Nano(Date.UTC(2026, 0, 2, 3, 4, 5, 123) + 0.4567),
    "2026-01-02T03:04:05.123457Z",
  );
});
