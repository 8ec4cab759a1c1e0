import { assertEquals } from "@std/assert";
import { isOpenMetricsText, isProtobufDelimited } from "@lib/expfmt/media_type.ts";

const PB =
  "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited";

// Expected results checked with Go's mime.ParseMediaType.
const CONTENT_TYPES: [string | null, boolean][] = [
  [
    "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited",
    true,
  ],
  [
    "Application/Vnd.Google.Protobuf; PROTO=io.prometheus.client.MetricFamily; Encoding=delimited",
    true,
  ],
  [
    "application/vnd.google.protobuf;encoding=delimited;proto=io.prometheus.client.MetricFamily;",
    true,
  ],
  [
    'application/vnd.google.protobuf; proto="io.prometheus.client.MetricFamily"; encoding="delimited"',
    true,
  ],
  [
    "application/vnd.google.protobuf;\tproto = io.prometheus.client.MetricFamily ;encoding= delimited",
    true,
  ],
  [
    " application/vnd.google.protobuf ; proto=io.prometheus.client.MetricFamily; encoding=delimited",
    true,
  ],
  [
    "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited ;",
    true,
  ],
  [`${PB}; charset=utf-8`, true],
  [`${PB}; x="a;b"`, true],
  [`${PB};encoding=delimited`, true], // repeated with the same value: newest Go accepts
  [
    "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding*0=delim; encoding*1=ited",
    true,
  ],
  [
    "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding*=utf-8''delim%69ted",
    true,
  ],
  [
    "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=Delimited",
    false,
  ],
  [
    "application/vnd.google.protobuf; proto=io.prometheus.client.metricfamily; encoding=delimited",
    false,
  ],
  [`${PB};encoding=text`, false], // repeated with another value: parse error
  [`${PB}; junk`, false],
  [`${PB};;`, false],
  [`${PB}; x="unterminated`, false],
  ["application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=", false],
  [
    "application/vnd.google.protobuf/x; proto=io.prometheus.client.MetricFamily; encoding=delimited",
    false,
  ],
  [
    "application/vnd.google.protobuf, text/plain; proto=io.prometheus.client.MetricFamily; encoding=delimited",
    false,
  ],
  ["application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily", false],
  ["application/vnd.google.protobuf; encoding=delimited", false],
  ["text/plain; version=0.0.4", false],
  ["application/x-www-form-urlencoded", false],
  ["", false],
  [null, false],
];

Deno.test("isProtobufDelimited() follows mime.ParseMediaType", () => {
  for (const [ct, want] of CONTENT_TYPES) assertEquals(isProtobufDelimited(ct), want, String(ct));
});

// Expected results checked with Go 1.19's mime.ParseMediaType.
Deno.test("isOpenMetricsText() takes application/openmetrics-text as Go's ParseMediaType reads it", () => {
  const cases: [string | null, boolean][] = [
    ["application/openmetrics-text; version=1.0.0; charset=utf-8", true],
    ["application/openmetrics-text", true],
    ["Application/OpenMetrics-Text;version=0.0.1", true],
    [" application/openmetrics-text ; version=2.0.0", true],
    ["application/openmetrics-text; version", false], // a parameter without a value: does not parse
    ["application/openmetrics-text; a=1; a=2", false],
    ["application/openmetrics", false],
    ["text/plain; version=0.0.4", false],
    ["text/plain; application/openmetrics-text", false],
    ["", false],
    [null, false],
  ];
  for (const [ct, want] of cases) assertEquals(isOpenMetricsText(ct), want, String(ct));
});
