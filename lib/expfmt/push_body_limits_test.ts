import { assertEquals, assertThrows } from "@std/assert";
import { PROTO_DELIMITED } from "@lib/expfmt/media_type.ts";
import { openMetricsMaxLines, parsePushBody } from "@lib/expfmt/push_body.ts";
import { MetricType } from "@lib/model/metric.ts";
import { PushLimitError } from "@lib/model/push_limits.ts";
import { encodeDelimited } from "@lib/protobuf/encode.ts";

const OM = "application/openmetrics-text; version=1.0.0; charset=utf-8";
const enc = new TextEncoder();
const limits = { maxSeries: 3, maxValues: 48 };

function series(n: number): string {
  let out = "";
  for (let i = 0; i < n; i++) out += `m{i="${i}"} 1\n`;
  return out;
}

Deno.test("parsePushBody() applies the push limits to every format", () => {
  const om = (n: number) => enc.encode("# TYPE m gauge\n" + series(n) + "# EOF\n");
  const text = (n: number) => enc.encode(series(n));
  const proto = (n: number) =>
    encodeDelimited([{
      name: "m",
      type: MetricType.GAUGE,
      metric: Array.from({ length: n }, () => ({ label: [], gauge: { value: 1 } })),
    }]);
  const cases: [string | null, (n: number) => Uint8Array][] = [
    [OM, om],
    [null, text],
    [PROTO_DELIMITED, proto],
  ];
  for (const [contentType, body] of cases) {
    assertEquals(
      parsePushBody(contentType, body(3), { scheme: "legacy", limits }).families.length,
      1,
    );
    const err = assertThrows(
      () => parsePushBody(contentType, body(4), { scheme: "legacy", limits }),
      PushLimitError,
    );
    assertEquals([err.kind, err.limit], ["series", 3], String(contentType));
  }
});

Deno.test("parsePushBody(): an OpenMetrics body with too many lines is refused before parsing", () => {
  const max = openMetricsMaxLines(limits);
  assertEquals(max, 6 * 3 + 48);
  assertEquals(openMetricsMaxLines({ maxSeries: 0, maxValues: 0 }), Infinity);
  // Only comments: nothing the parser would count, but every line is held while parsing.
  const body = enc.encode("# HELP m x\n".repeat(max + 1) + "# EOF\n");
  const err = assertThrows(
    () => parsePushBody(OM, body, { scheme: "legacy", limits }),
    PushLimitError,
  );
  assertEquals(err.kind, "values");
});

Deno.test("parsePushBody(): the second chance as OpenMetrics is limited too", () => {
  // Refused as text (the exemplar), ends in # EOF: parsed as OpenMetrics, then counted.
  const body = enc.encode(
    "# TYPE c counter\n" +
      Array.from({ length: 4 }, (_, i) => `c_total{i="${i}"} 1 # {t="x"} 1\n`).join("") +
      "# EOF\n",
  );
  assertEquals(parsePushBody(null, body, { scheme: "legacy" }).format, "openmetrics");
  assertThrows(() => parsePushBody(null, body, { scheme: "legacy", limits }), PushLimitError);
});

Deno.test("parsePushBody(): stopAtDuplicate reaches the text parser", () => {
  const body = enc.encode("a 1\na 1\nnot text at all\n");
  const parsed = parsePushBody(null, body, { scheme: "legacy", stopAtDuplicate: true });
  assertEquals(parsed.families[0]?.metric.length, 2);
});
