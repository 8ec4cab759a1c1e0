import { assertEquals } from "@std/assert";
import {
  type ExpositionFormat,
  negotiate,
  negotiateIncludingOpenMetrics,
  parseAccept,
} from "@lib/expfmt/negotiate.ts";
import type { EscapingScheme } from "@lib/model/escaping.ts";

const TEXT = "text/plain; version=0.0.4; charset=utf-8; escaping=";
const PROTO = "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=";
const PB =
  "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited";
const OM1 = "application/openmetrics-text; version=1.0.0; charset=utf-8; escaping=";
const OM0 = "application/openmetrics-text; version=0.0.1; charset=utf-8; escaping=";

// Expected Content-Types were produced by common v0.69 expfmt.Negotiate with
// goautoneg a7dc8b6 (the versions the newest Pushgateway links).
const CASES: [string, string | null, string][] = [
  // clients.md §3, one row per Prometheus generation.
  ["no header", null, TEXT + "underscores"],
  ["empty header", "", TEXT + "underscores"],
  [
    "Prometheus 1.x",
    `${PB};q=0.7,text/plain;version=0.0.4;q=0.3,*/*;q=0.1`,
    PROTO + "delimited; escaping=underscores",
  ],
  ["Prometheus 2.0-2.4", "text/plain;version=0.0.4;q=1,*/*;q=0.1", TEXT + "underscores"],
  [
    "Prometheus 2.5-2.33",
    "application/openmetrics-text; version=0.0.1,text/plain;version=0.0.4;q=0.5,*/*;q=0.1",
    TEXT + "underscores",
  ],
  [
    "Prometheus 2.42 default",
    "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1",
    TEXT + "underscores",
  ],
  [
    "Prometheus 2.42 native histograms (proto first)",
    `${PB},application/openmetrics-text;version=1.0.0;q=0.8,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1`,
    PROTO + "delimited; escaping=underscores",
  ],
  [
    "Prometheus 2.49-2.55 default",
    "application/openmetrics-text;version=1.0.0;q=0.5,application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2",
    TEXT + "underscores",
  ],
  [
    "Prometheus 2.49.0 malformed */*;q=2",
    "application/openmetrics-text;version=1.0.0;q=0.5,application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=2",
    TEXT + "underscores",
  ],
  [
    "Prometheus 2.55 utf8-names",
    "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.5,application/openmetrics-text;version=0.0.1;escaping=allow-utf-8;q=0.4,text/plain;version=0.0.4;escaping=allow-utf-8;q=0.3,*/*;q=0.2",
    TEXT + "allow-utf-8",
  ],
  [
    "Prometheus 2.49-2.55 proto first",
    `${PB};q=0.5,application/openmetrics-text;version=1.0.0;q=0.4,application/openmetrics-text;version=0.0.1;q=0.3,text/plain;version=0.0.4;q=0.2,*/*;q=0.1`,
    PROTO + "delimited; escaping=underscores",
  ],
  [
    "Prometheus 3.0-3.3 default",
    "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,application/openmetrics-text;version=0.0.1;escaping=allow-utf-8;q=0.5,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,text/plain;version=0.0.4;escaping=allow-utf-8;q=0.3,*/*;q=0.2",
    TEXT + "allow-utf-8",
  ],
  [
    "Prometheus 3.0-3.3 proto first",
    `${PB};escaping=allow-utf-8;q=0.6,application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.5,application/openmetrics-text;version=0.0.1;escaping=allow-utf-8;q=0.4,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.3,text/plain;version=0.0.4;escaping=allow-utf-8;q=0.2,*/*;q=0.1`,
    PROTO + "delimited; escaping=allow-utf-8",
  ],
  [
    "Prometheus 3.4+ default (escaping only on 1.0.0 entries, seen before the match)",
    "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,application/openmetrics-text;version=0.0.1;q=0.5,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2",
    TEXT + "allow-utf-8",
  ],
  [
    "Prometheus 3.4+ with metric_name_escaping_scheme underscores",
    "application/openmetrics-text;version=1.0.0;escaping=underscores;q=0.6,application/openmetrics-text;version=0.0.1;q=0.5,text/plain;version=1.0.0;escaping=underscores;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2",
    TEXT + "underscores",
  ],
  [
    "Prometheus 3.4+ proto first (escaping only after the match)",
    `${PB};q=0.6,application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.5,application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.3,text/plain;version=0.0.4;q=0.2,*/*;q=0.1`,
    PROTO + "delimited; escaping=underscores",
  ],
  // Single media types.
  ["text 1.0.0 falls through", "text/plain;version=1.0.0", TEXT + "underscores"],
  ["text 1.0.0 still sets escaping", "text/plain;version=1.0.0;escaping=values", TEXT + "values"],
  ["OpenMetrics only", "application/openmetrics-text", TEXT + "underscores"],
  ["OpenMetrics 1.0.0 only", "application/openmetrics-text;version=1.0.0", TEXT + "underscores"],
  ["*/*", "*/*", TEXT + "underscores"],
  ["garbage", "garbage", TEXT + "underscores"],
  ["garbage with separators", "garbage;;;,,,===", TEXT + "underscores"],
  ["plain text", "text/plain", TEXT + "underscores"],
  ["text with spaces", "text/plain; version=0.0.4", TEXT + "underscores"],
  ["type is case-sensitive", "TEXT/PLAIN;version=0.0.4", TEXT + "underscores"],
  [
    "browser",
    "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8",
    TEXT + "underscores",
  ],
  // The protobuf text forms are not served: where upstream answers
  // `${PROTO}text` or `${PROTO}compact-text`, the gateway answers text 0.0.4.
  [
    "proto text",
    "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=text",
    TEXT + "underscores",
  ],
  [
    "proto compact with dots",
    "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=compact-text;escaping=dots",
    TEXT + "dots",
  ],
  [
    "unknown proto encoding (an Object.prototype key) does not match",
    `application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=toString,${PB};q=0.5`,
    PROTO + "delimited; escaping=underscores",
  ],
  [
    "proto without encoding",
    "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily",
    TEXT + "underscores",
  ],
  [
    "proto without proto",
    "application/vnd.google.protobuf;encoding=delimited",
    TEXT + "underscores",
  ],
  [
    "proto with spaces",
    "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited",
    PROTO + "delimited; escaping=underscores",
  ],
  [
    "common test: delimited utf-8",
    `${PB}; escaping=allow-utf-8;`,
    PROTO + "delimited; escaping=allow-utf-8",
  ],
  ["common test: text values", "text/plain;version=0.0.4; escaping=values;", TEXT + "values"],
  // Escaping parameter handling.
  ["unknown escaping ignored", "text/plain;escaping=bogus", TEXT + "underscores"],
  [
    "last escaping parameter of an entry wins",
    "text/plain;escaping=values;escaping=dots",
    TEXT + "dots",
  ],
  [
    "escaping from a non-matching earlier entry",
    "application/json;escaping=values,text/plain;q=0.5",
    TEXT + "values",
  ],
  [
    "escaping after the match is ignored",
    "text/plain;q=0.5;escaping=values,application/json;escaping=dots",
    TEXT + "values",
  ],
  ["spaces around parameters", "text/plain ; version=0.0.4 ; escaping=dots", TEXT + "dots"],
  // q values and goautoneg's ordering quirks.
  [
    "wildcard loses to a concrete type even with a higher q",
    "*/*;q=1,text/plain;q=0.1",
    TEXT + "underscores",
  ],
  [
    "q with a space is a syntax error, so 0",
    "application/json,text/plain;q= 0.5",
    TEXT + "underscores",
  ],
  [
    "q=NaN compares false both ways",
    `text/plain;q=NaN,${PB};q=0.1`,
    TEXT + "underscores",
  ],
  [
    "NaN q stays behind (checked on 1.5.1)",
    `${PB};q=0.1,text/plain;q=NaN`,
    PROTO + "delimited; escaping=underscores",
  ],
  ["equal q keeps header order", `text/plain;q=0.3,${PB};q=0.3`, TEXT + "underscores"],
  [
    "unparsable q is 0",
    `text/plain;q=abc,${PB};q=0.001`,
    PROTO + "delimited; escaping=underscores",
  ],
  ["q with Go underscores", `text/plain;q=1_0,${PB};q=9`, TEXT + "underscores"],
  ["hexadecimal q", `text/plain;q=0x1p-1,${PB};q=0.4`, TEXT + "underscores"],
  ["three-part type skipped", `text/plain/x,${PB}`, PROTO + "delimited; escaping=underscores"],
  [
    "tab is not trimmed",
    "text/plain;version=0.0.4;escaping=allow-utf-8;q=0.5,\ttext/plain",
    TEXT + "allow-utf-8",
  ],
  [
    "more than 12 entries",
    "a/a;q=0.1,b/b;q=0.2,c/c;q=0.3,d/d;q=0.4,e/e;q=0.5,f/f;q=0.6,g/g;q=0.7,h/h;q=0.8,i/i;q=0.9,*/*;q=0.95,text/plain;q=0.05,j/j;escaping=dots",
    TEXT + "dots",
  ],
];

Deno.test("negotiate() matches expfmt.Negotiate", () => {
  for (const [name, accept, want] of CASES) {
    assertEquals(negotiate(accept).contentType, want, name);
  }
});

Deno.test("negotiate() reports the format and the escaping scheme", () => {
  const cases: [string, ExpositionFormat, EscapingScheme][] = [
    [PB, "protobuf", "underscores"],
    [PB + ";escaping=allow-utf-8", "protobuf", "allow-utf-8"],
    [
      "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=text",
      "text",
      "underscores",
    ],
    [
      "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=compact-text;escaping=values",
      "text",
      "values",
    ],
    ["text/plain;escaping=dots", "text", "dots"],
    ["*/*", "text", "underscores"],
  ];
  for (const [accept, format, escaping] of cases) {
    const n = negotiate(accept);
    assertEquals([n.format, n.escaping], [format, escaping], accept);
  }
});

Deno.test("parseAccept() orders clauses as goautoneg", () => {
  const order = (h: string) => parseAccept(h).map((c) => `${c.type}/${c.subType}`);
  assertEquals(order("*/*;q=1,text/plain;q=0.1"), ["text/plain", "*/*"]);
  assertEquals(order("text/plain;q=0.1,*/*;q=1"), ["*/*", "text/plain"]);
  assertEquals(order("text/,*/,*,x"), ["*/*", "*/*"]);
  assertEquals(
    order("text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"),
    ["text/html", "application/xhtml+xml", "image/avif", "image/webp", "application/xml", "*/*"],
  );
  const [c] = parseAccept("text/plain;q=0.3; version = 0.0.4 ;a=b=c;junk");
  assertEquals(c!.q, Math.fround(0.3));
  assertEquals([...c!.params], [["version", "0.0.4"]]);
});

Deno.test("parseAccept() reads a q value of 300,000 digits in linear time", () => {
  // A quadratic float pattern once took seconds on such an Accept header; this would hang.
  const [bad] = parseAccept(`text/plain;q=${"1".repeat(300_000)}x`);
  assertEquals(bad!.q, parseAccept("text/plain;q=1x")[0]!.q);
  const [good] = parseAccept(`text/plain;q=0.${"5".repeat(300_000)}`);
  assertEquals(good!.q, Math.fround(0.5555555555555556));
});

/** The cases whose answer changes when OpenMetrics is offered, by name, and the new answer. */
const OPENMETRICS_ANSWERS: Record<string, string> = {
  "Prometheus 2.5-2.33": OM0 + "underscores",
  "Prometheus 2.42 default": OM1 + "underscores",
  "Prometheus 2.49-2.55 default": OM1 + "underscores",
  // The wildcard sorts first (q=2) but matches nothing; OpenMetrics is next.
  "Prometheus 2.49.0 malformed */*;q=2": OM1 + "underscores",
  "Prometheus 2.55 utf8-names": OM1 + "allow-utf-8",
  "Prometheus 3.0-3.3 default": OM1 + "allow-utf-8",
  "Prometheus 3.4+ default (escaping only on 1.0.0 entries, seen before the match)": OM1 +
    "allow-utf-8",
  "Prometheus 3.4+ with metric_name_escaping_scheme underscores": OM1 + "underscores",
  "OpenMetrics only": OM0 + "underscores",
  "OpenMetrics 1.0.0 only": OM1 + "underscores",
};

// Expected Content-Types read from common v0.69 expfmt.NegotiateIncludingOpenMetrics.
const OPENMETRICS_CASES: [string, string | null, string][] = [
  [
    "unknown version passed over",
    "application/openmetrics-text;version=2.0.0",
    TEXT + "underscores",
  ],
  [
    "unknown version, then 1.0.0",
    "application/openmetrics-text;version=2.0.0,application/openmetrics-text;version=1.0.0;q=0.5",
    OM1 + "underscores",
  ],
  ["with escaping", "application/openmetrics-text;version=1.0.0;escaping=dots", OM1 + "dots"],
  ["with charset", "application/openmetrics-text;version=1.0.0;charset=utf-8", OM1 + "underscores"],
  ["spaces trimmed", "application/openmetrics-text ; version = 1.0.0", OM1 + "underscores"],
  ["type is case-sensitive", "APPLICATION/OPENMETRICS-TEXT;version=1.0.0", TEXT + "underscores"],
  [
    "version is case-sensitive and exact",
    "application/openmetrics-text;version=1.0,application/openmetrics-text;Version=1.0.0",
    OM0 + "underscores",
  ],
  [
    "text preferred by q",
    "text/plain;version=0.0.4;q=0.9,application/openmetrics-text;version=1.0.0;q=0.5",
    TEXT + "underscores",
  ],
  [
    "protobuf preferred by order",
    `${PB},application/openmetrics-text;version=1.0.0`,
    PROTO + "delimited; escaping=underscores",
  ],
  [
    "escaping seen on a skipped clause",
    "text/plain;version=1.0.0;escaping=values,application/openmetrics-text;q=0.5",
    OM0 + "values",
  ],
  ["wildcard does not pick OpenMetrics", "*/*", TEXT + "underscores"],
];

Deno.test("negotiateIncludingOpenMetrics() matches expfmt.NegotiateIncludingOpenMetrics", () => {
  for (const [name, accept, want] of CASES) {
    const n = negotiateIncludingOpenMetrics(accept);
    assertEquals(n.contentType, OPENMETRICS_ANSWERS[name] ?? want, name);
    // Where OpenMetrics is not picked, the answer is negotiate()'s, byte for byte.
    if (n.format !== "openmetrics") assertEquals(n, negotiate(accept), name);
  }
  for (const [name, accept, want] of OPENMETRICS_CASES) {
    const n = negotiateIncludingOpenMetrics(accept);
    assertEquals(n.contentType, want, name);
    assertEquals(
      n.format,
      want.startsWith("application/openmetrics-text") ? "openmetrics" : n.format,
    );
  }
});

Deno.test("negotiate() never picks OpenMetrics, whatever the header", () => {
  for (const [name, accept] of [...CASES, ...OPENMETRICS_CASES]) {
    const n = negotiate(accept);
    assertEquals(n.format === "text" || n.format === "protobuf", true, name);
  }
  const om = negotiateIncludingOpenMetrics(
    "application/openmetrics-text;version=1.0.0;escaping=values",
  );
  assertEquals([om.format, om.escaping], ["openmetrics", "values"]);
});
