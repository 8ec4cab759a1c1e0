import { assertEquals, assertThrows } from "@std/assert";
import { endsWithEofLine, parsePushBody } from "@lib/expfmt/push_body.ts";
import { encodeDelimited } from "@lib/protobuf/encode.ts";
import { type MetricFamily, MetricType } from "@lib/model/metric.ts";
import { ParseError } from "@lib/model/parse_error.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const LEGACY = { scheme: "legacy" } as const;
const OM_CT = "application/openmetrics-text; version=1.0.0; charset=utf-8";
const PB_CT =
  "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited";

/** What prom-client 15.1.3's OpenMetrics registry writes (captured from `registry.metrics()`). */
const PROM_CLIENT_OM = "# HELP jobs_processed Jobs processed.\n# TYPE jobs_processed counter\n" +
  'jobs_processed_total{queue="a"} 2 # {traceId="abc123"} 2 1796605437.911\n' +
  "# HELP job_duration_seconds Job duration.\n# TYPE job_duration_seconds histogram\n" +
  'job_duration_seconds_bucket{le="0.1"} 0\n' +
  'job_duration_seconds_bucket{le="1"} 1 # {traceId="def456"} 0.5 1796605437.912\n' +
  'job_duration_seconds_bucket{le="+Inf"} 1\njob_duration_seconds_sum 0.5\n' +
  "job_duration_seconds_count 1\n# HELP queue_depth Depth.\n# TYPE queue_depth gauge\n" +
  "queue_depth 3\n# EOF\n";

function names(families: MetricFamily[]): [string, MetricType][] {
  return families.map((f) => [f.name, f.type]);
}

Deno.test("parsePushBody() gives prom-client's OpenMetrics body (no Content-Type) its second chance", () => {
  for (
    const ct of [
      null,
      "text/plain",
      "text/plain; version=0.0.4",
      "application/x-www-form-urlencoded",
    ]
  ) {
    const parsed = parsePushBody(ct, enc(PROM_CLIENT_OM), LEGACY);
    assertEquals(parsed.format, "openmetrics", String(ct));
    assertEquals(names(parsed.families), [
      ["jobs_processed_total", MetricType.COUNTER],
      ["job_duration_seconds", MetricType.HISTOGRAM],
      ["queue_depth", MetricType.GAUGE],
    ]);
    const counter = parsed.families[0]!.metric[0]!.counter!;
    assertEquals(counter.exemplar, {
      label: [{ name: "traceId", value: "abc123" }],
      value: 2,
      timestamp: { seconds: 1796605437, nanos: 911000000 },
    });
    assertEquals(
      parsed.families[1]!.metric[0]!.histogram!.bucket[1]!.exemplar?.label,
      [{ name: "traceId", value: "def456" }],
    );
  }
});

Deno.test("parsePushBody() keeps what text accepts exactly as upstream stores it", () => {
  // Text accepts this (the TYPE line names a family without samples, # EOF is a comment):
  // two untyped families, as upstream stores them.
  const body = "# TYPE x counter\nx_total 1\nx_created 2\n# EOF\n";
  const parsed = parsePushBody(null, enc(body), LEGACY);
  assertEquals(parsed.format, "text");
  assertEquals(names(parsed.families), [["x_total", MetricType.UNTYPED], [
    "x_created",
    MetricType.UNTYPED,
  ]]);
  // Declared as OpenMetrics, the same body is one counter with a created timestamp.
  const om = parsePushBody(OM_CT, enc(body), LEGACY);
  assertEquals(om.format, "openmetrics");
  assertEquals(om.families, [{
    name: "x_total",
    type: MetricType.COUNTER,
    metric: [{ label: [], counter: { value: 1, createdTimestamp: { seconds: 2, nanos: 0 } } }],
  }]);
});

Deno.test("parsePushBody() reports the text error unless the body ends with # EOF", () => {
  const exemplar = '# TYPE c counter\nc_total 1 # {a="b"} 1\n';
  const e = assertThrows(() => parsePushBody(null, enc(exemplar), LEGACY), ParseError);
  assertEquals(
    e.message,
    'text format parsing error in line 2: expected integer as timestamp, got "#"',
  );
  // # EOF in the middle is not the last line.
  assertThrows(
    () => parsePushBody(null, enc(exemplar + "# EOF\nc2 1\n"), LEGACY),
    ParseError,
    "text format",
  );
  // The last line is # EOF, with or without a final newline: OpenMetrics decides.
  for (const tail of ["# EOF", "# EOF\n"]) {
    assertEquals(parsePushBody(null, enc(exemplar + tail), LEGACY).format, "openmetrics");
  }
  // Both refuse: the OpenMetrics error is the one reported.
  const bad = '# TYPE c counter\nc_total -1 # {a="b"} 1\n# EOF\n';
  const om = assertThrows(() => parsePushBody("text/plain", enc(bad), LEGACY), ParseError);
  assertEquals(
    om.message,
    'openmetrics format parsing error in line 2: negative value for counter-like sample "c_total"',
  );
});

Deno.test("parsePushBody() sends declared OpenMetrics to its parser, with its errors", () => {
  const e = assertThrows(() => parsePushBody(OM_CT, enc("a 1\n"), LEGACY), ParseError);
  assertEquals(e.message, 'openmetrics format parsing error in line 2: missing "# EOF" at the end');
  // Timestamps are kept, for the store to refuse as upstream refuses them in text.
  const ts = parsePushBody("application/openmetrics-text", enc("a 1 1.5\n# EOF\n"), LEGACY);
  assertEquals(ts.families[0]!.metric[0]!.timestampMs, 1500);
  // Quoted names follow the scheme.
  const quoted = '{"a.b"} 1\n# EOF\n';
  assertThrows(() => parsePushBody(OM_CT, enc(quoted), LEGACY), ParseError, "UTF-8 names");
  assertEquals(parsePushBody(OM_CT, enc(quoted), { scheme: "utf8" }).families[0]!.name, "a.b");
});

Deno.test("parsePushBody() decodes protobuf as before, whatever the body ends with", () => {
  const family: MetricFamily = {
    name: "p",
    type: MetricType.GAUGE,
    metric: [{ label: [], gauge: { value: 1 } }],
  };
  const parsed = parsePushBody(PB_CT, encodeDelimited([family]), LEGACY);
  assertEquals(parsed, { format: "protobuf", families: [family] });
  assertThrows(() => parsePushBody(PB_CT, enc("# EOF\n"), LEGACY), ParseError);
});

Deno.test("endsWithEofLine() wants # EOF as the whole last line", () => {
  const cases: [string, boolean][] = [
    ["# EOF", true],
    ["# EOF\n", true],
    ["a 1\n# EOF", true],
    ["a 1\n# EOF\n", true],
    ["a 1\n# EOF\n\n", false],
    ["a 1 # EOF\n", false],
    ["# EOF \n", false],
    ["#EOF\n", false],
    ["", false],
    ["\n", false],
  ];
  for (const [body, want] of cases) {
    assertEquals(endsWithEofLine(enc(body)), want, JSON.stringify(body));
  }
});
