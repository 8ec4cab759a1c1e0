/**
 * The ONE list of deliberate differences between pushgateway-deno and
 * Debian's reference `prometheus-pushgateway` 1.5.1.
 *
 * Every entry names the reason and carries a probe: a request sequence (or a
 * command line, or a signal) that `tests/compare_known_differences_test.ts`
 * runs against BOTH binaries, asserting that each answers as described here.
 * So an entry whose difference disappears (on either side) fails the
 * comparison and has to be removed or updated; nothing else in the comparison
 * (`tests/helpers/compare.ts`, `tests/compare_*_test.ts`) may excuse a
 * mismatch.
 *
 * Most entries are behaviour of the newest upstream (1.11.3) that 1.5.1 lacks
 * (docs/upstream.md §13); the rest are improvements over upstream decided on
 * purpose (docs/upstream.md §4.6, §10, §15). The notes name each entry by its
 * `id` where they describe the behaviour.
 *
 * @module
 */

import { crc32 } from "@lib/compress/crc32.ts";
import { encodeDelimited } from "@lib/protobuf/encode.ts";
import { maskedCrc32c } from "@lib/compress/snappy.ts";
import { emptyHistogram, MetricType } from "@lib/model/metric.ts";
import { PROTO_DELIMITED } from "@lib/expfmt/media_type.ts";

/** One HTTP request of a probe sequence. */
export interface Step {
  /** HTTP method. */
  readonly method: string;
  /** Path and query, sent as written (see `raw`). */
  readonly path: string;
  /** Request body. */
  readonly body?: string | Uint8Array<ArrayBuffer>;
  /** Request headers (`accept-encoding: identity` is added unless given). */
  readonly headers?: Readonly<Record<string, string>>;
  /** Send over a raw socket so that `.`/`..` segments reach the server unnormalised. */
  readonly raw?: boolean;
  /** Give up waiting after this many ms; the answer is then status 0, body `<no answer>`. */
  readonly timeoutMs?: number;
}

/** What one side must answer to the last step of an HTTP probe. */
export interface HttpExpect {
  /** Exact status; 0 when no answer came within the step's `timeoutMs`. */
  readonly status: number;
  /** Exact body. */
  readonly body?: string;
  /** Substrings the body must contain. */
  readonly bodyIncludes?: readonly string[];
  /** Substrings the body must not contain. */
  readonly bodyExcludes?: readonly string[];
  /** Exact header values (`null`: header absent). */
  readonly headers?: Readonly<Record<string, string | null>>;
}

/** What one side must show for a command-line probe. */
export interface CliExpect {
  /** Exact exit code. */
  readonly code?: number;
  /** The exit code must not be this. */
  readonly codeNot?: number;
  /** Substrings of stdout. */
  readonly stdoutIncludes?: readonly string[];
  /** Substrings of stderr. */
  readonly stderrIncludes?: readonly string[];
  /** stdout must be empty. */
  readonly stdoutEmpty?: boolean;
  /** stderr must be empty. */
  readonly stderrEmpty?: boolean;
}

/** How a difference is demonstrated. */
export type Probe =
  | {
    /** Start both with `args` (ours also with `oursArgs`), send `steps` to each, check the last answer. */
    readonly kind: "http";
    readonly args?: readonly string[];
    readonly oursArgs?: readonly string[];
    readonly steps: readonly Step[];
    readonly reference: HttpExpect;
    readonly ours: HttpExpect;
  }
  | {
    /**
     * Run both to completion with `args`; `{busy}` in an argument is replaced by
     * a loopback port the test holds open.
     */
    readonly kind: "cli";
    readonly args: readonly string[];
    readonly reference: CliExpect;
    readonly ours: CliExpect;
  }
  | {
    /** Start both, send `signal`, and see which process is still serving. */
    readonly kind: "signal";
    readonly signal: Deno.Signal;
    readonly reference: "dies" | "survives";
    readonly ours: "dies" | "survives";
  };

/** One deliberate difference. */
export interface KnownDifference {
  /** Short stable identifier. */
  readonly id: string;
  /** Why we differ. */
  readonly reason: string;
  /**
   * Where upstream's behaviour is described: sections of `docs/upstream.md`
   * (`"docs/upstream.md §2.3, §13.3"`), then any upstream source read for it.
   */
  readonly upstream: string;
  /** The demonstration run against both binaries. */
  readonly probe: Probe;
}

const enc = new TextEncoder();

/** Prometheus 2.42's Accept header (Debian bookworm's; docs/clients.md §3). */
const PROMETHEUS_2_42_ACCEPT = "application/openmetrics-text;version=1.0.0," +
  "application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";

/**
 * A valid gzip member holding `text` in one stored (uncompressed) deflate
 * block: real gzip, built synchronously for module constants.
 */
export function gzipStored(text: string): Uint8Array<ArrayBuffer> {
  const data = enc.encode(text);
  const out = new Uint8Array(10 + 5 + data.length + 8);
  out.set([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]);
  const len = data.length;
  out.set([0x01, len & 0xff, len >> 8, ~len & 0xff, (~len >> 8) & 0xff], 10);
  out.set(data, 15);
  const view = new DataView(out.buffer);
  view.setUint32(15 + len, crc32(data), true);
  view.setUint32(19 + len, len, true);
  return out;
}

/** A snappy framed stream holding `text` in one uncompressed chunk. */
export function snappyFramed(text: string): Uint8Array<ArrayBuffer> {
  const data = enc.encode(text);
  const header = [0xff, 6, 0, 0, ...enc.encode("sNaPpY")];
  const len = data.length + 4;
  const chunk = new Uint8Array(4 + 4 + data.length);
  chunk.set([0x01, len & 0xff, (len >> 8) & 0xff, (len >> 16) & 0xff]);
  new DataView(chunk.buffer).setUint32(4, maskedCrc32c(data), true);
  chunk.set(data, 8);
  const out = new Uint8Array(header.length + chunk.length);
  out.set(header);
  out.set(chunk, header.length);
  return out;
}

const TEXT_CT_151 = "text/plain; version=0.0.4; charset=utf-8";
const BAD_NAME = "text format parsing error in line 1: invalid metric name\n";

/** Every deliberate difference from Debian's 1.5.1. */
export const KNOWN_DIFFERENCES: readonly KnownDifference[] = [
  {
    id: "content-encoding-case-insensitive",
    reason: "newest upstream compares Content-Encoding case-insensitively; 1.5.1 ignored `GZIP` " +
      "and parsed the compressed bytes as text",
    upstream: "docs/upstream.md §2.3, §13.3",
    probe: {
      kind: "http",
      steps: [{
        method: "PUT",
        path: "/metrics/job/kd",
        body: gzipStored("m 1\n"),
        headers: { "content-encoding": "GZIP" },
      }],
      reference: { status: 400, body: BAD_NAME },
      ours: { status: 200, body: "" },
    },
  },
  {
    id: "snappy-request-bodies",
    reason: "newest upstream (1.6.0+) decodes `Content-Encoding: snappy` (framed); 1.5.1 parses " +
      "the raw bytes as text",
    upstream: "docs/upstream.md §2.3, §13.3",
    probe: {
      kind: "http",
      steps: [{
        method: "PUT",
        path: "/metrics/job/kd",
        body: snappyFramed("m 1\n"),
        headers: { "content-encoding": "snappy" },
      }],
      reference: { status: 400, body: BAD_NAME },
      ours: { status: 200, body: "" },
    },
  },
  {
    id: "help-escaped-quote",
    reason: 'the newest text parser (common v0.69) accepts `\\"` in HELP; 1.5.1 rejected it',
    upstream: "docs/upstream.md §4.3, §13.6",
    probe: {
      kind: "http",
      steps: [{ method: "PUT", path: "/metrics/job/kd", body: '# HELP m a \\"q\\"\nm 1\n' }],
      reference: {
        status: 400,
        body: "text format parsing error in line 1: invalid escape sequence '\\\"'\n",
      },
      ours: { status: 200, body: "" },
    },
  },
  {
    id: "quoted-metric-names",
    reason: 'the newest text parser accepts quoted names (`{"m"} 1`); 1.5.1 did not',
    upstream: "docs/upstream.md §4.3, §13.6",
    probe: {
      kind: "http",
      steps: [{ method: "PUT", path: "/metrics/job/kd", body: '{"m"} 1\n' }],
      reference: { status: 400, body: BAD_NAME },
      ours: { status: 200, body: "" },
    },
  },
  {
    id: "gauge-histogram-type",
    reason: "the newest text parser knows `gauge_histogram`; in 1.5.1 the `_bucket`, `_sum` and " +
      "`_count` lines became separate untyped families",
    upstream: "docs/upstream.md §4.3, §13.6",
    probe: {
      kind: "http",
      steps: [
        {
          method: "PUT",
          path: "/metrics/job/kd",
          body:
            '# TYPE x gauge_histogram\nx_bucket{le="1"} 1\nx_bucket{le="+Inf"} 1\nx_sum 1\nx_count 1\n',
        },
        { method: "GET", path: "/metrics" },
      ],
      reference: {
        status: 200,
        bodyIncludes: ["# TYPE x_bucket untyped\n", "# TYPE x_count untyped\n"],
      },
      ours: {
        status: 200,
        bodyIncludes: ['# TYPE x histogram\nx_bucket{instance="",job="kd",le="1"} 1\n'],
        bodyExcludes: ["x_bucket untyped"],
      },
    },
  },
  {
    id: "gauge-histogram-consistency",
    reason: "a gauge histogram is checked like a histogram (client_golang checks neither its " +
      "suffix collisions nor its metrics' value type), so no push can store what the scrape " +
      "cannot render; 1.5.1 stores it and its next scrapes are cut off at `# TYPE g`",
    upstream: "docs/upstream.md §4.5, §15.2",
    probe: {
      kind: "http",
      steps: [
        {
          method: "PUT",
          path: "/metrics/job/kd",
          body: new Uint8Array(encodeDelimited([{
            name: "g",
            type: MetricType.GAUGE_HISTOGRAM,
            metric: [{
              label: [],
              histogram: {
                ...emptyHistogram(),
                sampleCount: 1,
                sampleSum: 1,
                bucket: [{ cumulativeCount: 1, upperBound: 1 }],
              },
            }],
          }])),
          headers: { "content-type": PROTO_DELIMITED },
        },
        { method: "PUT", path: "/metrics/job/kd2", body: "g_count 1\n" },
      ],
      reference: { status: 200, body: "" },
      ours: {
        status: 400,
        body: "pushed metrics are invalid or inconsistent with existing metrics: collected " +
          'metric named "g_count" collides with previously collected histogram named "g"\n',
      },
    },
  },
  {
    id: "histogram-explicit-le-label",
    reason: "a histogram metric with its own `le` label (here from the grouping key) is refused " +
      "like a summary with `quantile`: its bucket lines would carry `le` twice, and Prometheus " +
      "refuses the whole scrape; client_golang checks `quantile` only",
    upstream: "docs/upstream.md §4.5, §15.2",
    probe: {
      kind: "http",
      steps: [
        {
          method: "PUT",
          path: "/metrics/job/kd/le/x",
          body: '# TYPE h histogram\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1\n',
        },
      ],
      reference: { status: 200, body: "" },
      ours: { status: 400, bodyIncludes: ['must not have an explicit "le" label\n'] },
    },
  },
  {
    id: "no-deadlock-after-bad-base64-job",
    reason: "1.5.1's push handler returns without unlocking its mutex when the base64 job is " +
      "invalid, so every later request to that route and method hangs for good (fixed upstream " +
      "since: the newest handler has no such lock)",
    upstream: "docs/upstream.md §3 (bad base64 job); upstream v1.5.1 handler/push.go",
    probe: {
      kind: "http",
      steps: [
        { method: "PUT", path: "/metrics/job@base64/a+b", body: "m 1\n" },
        { method: "PUT", path: "/metrics/job@base64/ag", body: "m 1\n", timeoutMs: 2000 },
      ],
      reference: { status: 0, body: "<no answer>" },
      ours: { status: 200, body: "" },
    },
  },
  {
    id: "truncated-gzip-at-line-start",
    reason: "the newest text parser (common v0.69) only treats io.EOF at the start of a line as " +
      "the end of input; 1.5.1 accepted any read error there, so a gzip body cut before its " +
      "first line was an empty push",
    upstream: "docs/upstream.md §2.3, §13.6; common expfmt/text_parse.go startOfLine",
    probe: {
      kind: "http",
      steps: [{
        method: "PUT",
        path: "/metrics/job/kd",
        body: gzipStored("m 1\n").slice(0, 14),
        headers: { "content-encoding": "gzip" },
      }],
      reference: { status: 200, body: "" },
      ours: { status: 400, body: "unexpected EOF\n" },
    },
  },
  {
    id: "protobuf-error-texts",
    reason: "newest reads delimited protobuf with google.golang.org/protobuf (protodelim), whose " +
      "error texts differ from 1.5.1's golang/protobuf",
    upstream: "docs/upstream.md §4.2, §13.7",
    probe: {
      kind: "http",
      steps: [{
        method: "PUT",
        path: "/metrics/job/kd",
        body: new Uint8Array([0x05, 0xff, 0xff, 0xff, 0xff, 0xff]),
        headers: { "content-type": PROTO_DELIMITED },
      }],
      reference: { status: 400, body: "unexpected EOF\n" },
      ours: { status: 400, body: "proto: cannot parse invalid wire-format data\n" },
    },
  },
  {
    id: "scrape-name-escaping",
    reason: "newest escapes names that are not legacy-valid to underscores unless the scraper " +
      "negotiates `escaping=allow-utf-8`; 1.5.1 wrote them raw (broken text)",
    upstream: "docs/upstream.md §4.2, §6.2, §6.3, §13.4",
    probe: {
      kind: "http",
      steps: [
        {
          method: "PUT",
          path: "/metrics/job/kd",
          body: new Uint8Array(encodeDelimited([{
            name: "bad name",
            type: MetricType.GAUGE,
            metric: [{ label: [], gauge: { value: 1 } }],
          }])),
          headers: { "content-type": PROTO_DELIMITED },
        },
        { method: "GET", path: "/metrics" },
      ],
      reference: { status: 200, bodyIncludes: ['bad name{instance="",job="kd"} 1\n'] },
      ours: { status: 200, bodyIncludes: ['bad_name{instance="",job="kd"} 1\n'] },
    },
  },
  {
    id: "metrics-content-type-escaping",
    reason: "the newest promhttp appends the negotiated `escaping=` to the scrape Content-Type",
    upstream: "docs/upstream.md §6.3, §13.4",
    probe: {
      kind: "http",
      steps: [{ method: "GET", path: "/metrics" }],
      reference: { status: 200, headers: { "content-type": TEXT_CT_151 } },
      ours: { status: 200, headers: { "content-type": TEXT_CT_151 + "; escaping=underscores" } },
    },
  },
  {
    id: "build-info-tags-label",
    reason: "newest `pushgateway_build_info` carries a `tags` label",
    upstream: "docs/upstream.md §6.1, §13.5",
    probe: {
      kind: "http",
      steps: [{ method: "GET", path: "/metrics" }],
      reference: {
        status: 200,
        bodyIncludes: ["pushgateway_build_info{branch="],
        bodyExcludes: ["tags="],
      },
      ours: { status: 200, bodyIncludes: ["pushgateway_build_info{branch=", ",tags="] },
    },
  },
  {
    id: "no-poisoned-store",
    reason:
      "a rejected push whose synthetic push_time_seconds would collide creates no group, so " +
      "the store is never left inconsistent (upstream then fails every push and every scrape)",
    upstream: "docs/upstream.md §4.6, §15.2",
    probe: {
      kind: "http",
      steps: [
        { method: "PUT", path: "/metrics/job/ts/", body: "" },
        { method: "PUT", path: "/metrics/job/ts/instance@base64/=", body: "" },
        { method: "PUT", path: "/metrics/job/later", body: "x 1\n" },
        { method: "GET", path: "/metrics" },
      ],
      reference: {
        status: 500,
        bodyIncludes: ["An error has occurred while serving metrics:"],
      },
      ours: { status: 200, bodyIncludes: ['x{instance="",job="later"} 1\n'] },
    },
  },
  {
    id: "no-poisoned-store-pushed-failure-type",
    reason: "a group keeps a pushed push_failure_time_seconds of another type (as upstream), so " +
      "a new group's zero gauge would clash: that push is refused and creates no group, where " +
      "1.5.1 creates it and then fails every scrape",
    upstream: "docs/upstream.md §4.4, §4.6",
    probe: {
      kind: "http",
      steps: [
        { method: "PUT", path: "/metrics/job/a", body: "m 1\n" },
        { method: "POST", path: "/metrics/job/a", body: "push_failure_time_seconds 9\n" },
        { method: "PUT", path: "/metrics/job/b", body: "m2 1\n" },
        { method: "GET", path: "/metrics" },
      ],
      reference: {
        status: 500,
        bodyIncludes: ["An error has occurred while serving metrics:"],
      },
      ours: {
        status: 200,
        bodyIncludes: ['push_failure_time_seconds{instance="",job="a"} 9\n'],
        bodyExcludes: ['job="b"'],
      },
    },
  },
  {
    id: "unchecked-pushes-still-validated",
    reason: "with --push.disable-consistency-check a push still answers 202 at once, but an " +
      "inconsistent one is then dropped (and logged) instead of breaking every scrape with 500",
    upstream: "docs/upstream.md §4.1, §4.5, §6.3",
    probe: {
      kind: "http",
      args: ["--push.disable-consistency-check"],
      steps: [
        { method: "PUT", path: "/metrics/job/a", body: "# TYPE u gauge\nu 1\n" },
        { method: "PUT", path: "/metrics/job/b", body: "# TYPE u counter\nu 1\n" },
        { method: "GET", path: "/metrics" },
      ],
      reference: {
        status: 500,
        bodyIncludes: ["An error has occurred while serving metrics:"],
      },
      ours: {
        status: 200,
        bodyIncludes: ['u{instance="",job="a"} 1\n', 'push_time_seconds{instance="",job="b"} 0\n'],
        bodyExcludes: ['u{instance="",job="b"}'],
      },
    },
  },
  {
    id: "push-max-body-size",
    reason: "our --push.max-body-size (default 64MiB) answers 413 to larger push bodies; " +
      "upstream has no limit",
    upstream: "docs/upstream.md §2.3, §12",
    probe: {
      kind: "http",
      oursArgs: ["--push.max-body-size=64B"],
      steps: [{
        method: "PUT",
        path: "/metrics/job/kd",
        body: Array.from({ length: 30 }, (_, i) => `m${i} 1\n`).join(""),
      }],
      reference: { status: 200, body: "" },
      ours: { status: 413, bodyIncludes: ["exceeds the limit of 64 bytes"] },
    },
  },
  {
    id: "push-max-series-per-push",
    reason: "our --push.max-series-per-push (default 100000) refuses a larger push with 413 " +
      "before holding it in memory (its failure time recorded); upstream has no limit",
    upstream: "docs/upstream.md §12",
    probe: {
      kind: "http",
      steps: [{
        method: "PUT",
        path: "/metrics/job/kd",
        body: Array.from({ length: 100_001 }, (_, i) => `m{i="${i}"} 1\n`).join(""),
      }],
      reference: { status: 200, body: "" },
      ours: {
        status: 413,
        body: "too many series in one push: more than 100000 (--push.max-series-per-push=100000)\n",
      },
    },
  },
  {
    id: "push-max-values-per-series",
    reason:
      "a push may hold 16 labels, buckets or quantiles per series --push.max-series-per-push " +
      "allows, so one series cannot carry an unbounded amount; upstream has no limit",
    upstream: "docs/upstream.md §12",
    probe: {
      kind: "http",
      oursArgs: ["--push.max-series-per-push=1"],
      steps: [{
        method: "PUT",
        path: "/metrics/job/kd",
        body: "# TYPE h histogram\n" +
          Array.from({ length: 17 }, (_, i) => `h_bucket{le="${i}"} ${i}\n`).join(""),
      }],
      reference: { status: 200, body: "" },
      ours: { status: 413, bodyIncludes: ["too many labels and values in one push: more than 16"] },
    },
  },
  {
    id: "repeated-series-first-error",
    reason:
      "with the consistency check on, a text push stops parsing at its first repeated series " +
      "(the push is refused anyway, and the rest is never held in memory), so the 400 names that " +
      "one; upstream lists every repeat (millions for a large body)",
    upstream: "docs/upstream.md §4.5",
    probe: {
      kind: "http",
      steps: [{ method: "PUT", path: "/metrics/job/kd", body: "a 1\na 1\na 1\n" }],
      reference: { status: 400, bodyIncludes: ["2 error(s) occurred:"] },
      ours: {
        status: 400,
        body:
          "pushed metrics are invalid or inconsistent with existing metrics: collected metric " +
          '"a" { label:<name:"instance" value:"" > label:<name:"job" value:"kd" > ' +
          "untyped:<value:1 > } was collected before with the same name and label values\n",
      },
    },
  },
  {
    id: "storage-max-series",
    reason: "our --storage.max-series (default 0: no limit) refuses a push that would store more " +
      "series with 507; upstream has no limit",
    upstream: "docs/upstream.md §12",
    probe: {
      kind: "http",
      oursArgs: ["--storage.max-series=3"],
      steps: [{ method: "PUT", path: "/metrics/job/kd", body: "a 1\nb 2\n" }],
      reference: { status: 200, body: "" },
      ours: {
        status: 507,
        body: "storing this push would raise the number of series to 4, over the limit of 3 " +
          "(--storage.max-series)\n",
      },
    },
  },
  {
    id: "push-max-concurrent-body-size",
    reason: "push bodies read or decompressed at the same time share our " +
      "--push.max-concurrent-body-size (default 128MiB); past it a push gets 503 with " +
      "Retry-After at once; upstream reads any number of bodies at once",
    upstream: "docs/upstream.md §12",
    probe: {
      kind: "http",
      oursArgs: ["--push.max-concurrent-body-size=64B"],
      steps: [{
        method: "PUT",
        path: "/metrics/job/kd",
        body: Array.from({ length: 30 }, (_, i) => `m${i} 1\n`).join(""),
      }],
      reference: { status: 200, body: "" },
      ours: {
        status: 503,
        bodyIncludes: ["--push.max-concurrent-body-size=64B; retry later"],
        headers: { "retry-after": "1" },
      },
    },
  },
  {
    id: "pushgateway-ttl-header",
    reason: "our Pushgateway-TTL header sets a group's time to live (a bad one is refused with " +
      "400 and changes nothing); upstream ignores the header",
    upstream: "docs/upstream.md §4.4, §14",
    probe: {
      kind: "http",
      steps: [{
        method: "PUT",
        path: "/metrics/job/kd",
        body: "a 1\n",
        headers: { "pushgateway-ttl": "-1h" },
      }],
      reference: { status: 200, body: "" },
      ours: { status: 400, body: 'invalid Pushgateway-TTL header "-1h": negative duration\n' },
    },
  },
  {
    id: "push-expiry-time-gauge",
    reason: "a group with a time to live shows its deadline as the synthetic gauge " +
      "push_expiry_time_seconds, beside push_time_seconds; upstream has no expiry",
    upstream: "docs/upstream.md §4.4, §14",
    probe: {
      kind: "http",
      steps: [
        {
          method: "PUT",
          path: "/metrics/job/kd",
          body: "a 1\n",
          headers: { "pushgateway-ttl": "1h" },
        },
        { method: "GET", path: "/metrics" },
      ],
      reference: { status: 200, bodyExcludes: ["push_expiry_time_seconds"] },
      ours: {
        status: 200,
        bodyIncludes: [
          '# TYPE push_expiry_time_seconds gauge\npush_expiry_time_seconds{instance="",job="kd"} ',
        ],
      },
    },
  },
  {
    id: "pushed-push-expiry-time-dropped",
    reason: "push_expiry_time_seconds is the gateway's own, like push_time_seconds: a pushed " +
      "family of that name is dropped; upstream stores it as pushed",
    upstream: "docs/upstream.md §4.4",
    probe: {
      kind: "http",
      steps: [
        { method: "PUT", path: "/metrics/job/kd", body: "push_expiry_time_seconds 5\nb 1\n" },
        { method: "GET", path: "/metrics" },
      ],
      reference: {
        status: 200,
        bodyIncludes: ['push_expiry_time_seconds{instance="",job="kd"} 5\n'],
      },
      ours: { status: 200, bodyExcludes: ["push_expiry_time_seconds"] },
    },
  },
  {
    id: "store-own-metrics",
    reason: "our /metrics also shows the stored series count, both series limits and the expired " +
      "groups (pushgateway_stored_series, pushgateway_push_max_series, " +
      "pushgateway_storage_max_series, pushgateway_groups_expired_total)",
    upstream: "docs/upstream.md §6.1",
    probe: {
      kind: "http",
      steps: [{ method: "GET", path: "/metrics" }],
      reference: { status: 200, bodyExcludes: ["pushgateway_stored_series"] },
      ours: {
        status: 200,
        bodyIncludes: [
          "\npushgateway_stored_series 0\n",
          "\npushgateway_push_max_series 100000\n",
          "\npushgateway_storage_max_series 0\n",
          "\npushgateway_groups_expired_total 0\n",
        ],
      },
    },
  },
  {
    id: "no-go-runtime-metrics",
    reason:
      "a Deno process has no Go runtime, so there are no go_* families a push could clash with",
    upstream: "docs/upstream.md §6.1",
    probe: {
      kind: "http",
      steps: [{
        method: "PUT",
        path: "/metrics/job/kd",
        body: "# TYPE go_goroutines counter\ngo_goroutines 1\n",
      }],
      reference: {
        status: 400,
        body: "pushed metrics are invalid or inconsistent with existing metrics: " +
          "gathered metric family go_goroutines has type COUNTER but should have GAUGE\n",
      },
      ours: { status: 200, body: "" },
    },
  },
  {
    id: "own-request-family-help",
    reason: "a push naming the request counter or a push summary with another HELP is refused " +
      "from the start; 1.5.1 accepts it while its own family has no series yet (here: no push " +
      "before it), and from then on refuses every other push with client_golang's gatherer error",
    upstream: "docs/upstream.md §6.1",
    probe: {
      kind: "http",
      steps: [
        {
          method: "PUT",
          path: "/metrics/job/kd",
          body: "# HELP pushgateway_http_push_duration_seconds other\n" +
            "# TYPE pushgateway_http_push_duration_seconds summary\n" +
            "pushgateway_http_push_duration_seconds_sum 1\n" +
            "pushgateway_http_push_duration_seconds_count 1\n",
        },
        { method: "PUT", path: "/metrics/job/kd2", body: "m 1\n" },
      ],
      reference: {
        status: 400,
        body: "pushed metrics are invalid or inconsistent with existing metrics: gathered " +
          'metric family pushgateway_http_push_duration_seconds has help "other" but should ' +
          'have "HTTP request duration for pushes to the Pushgateway."\n',
      },
      ours: { status: 200, body: "" },
    },
  },
  {
    id: "process-network-metrics",
    reason: "newest client_golang (1.23) adds the counters process_network_receive_bytes_total " +
      "and process_network_transmit_bytes_total, so a push giving them another type clashes; " +
      "1.5.1's process collector has neither",
    upstream: "docs/upstream.md §6.1, §13.5",
    probe: {
      kind: "http",
      steps: [{
        method: "PUT",
        path: "/metrics/job/kd",
        body: "# TYPE process_network_receive_bytes_total gauge\n" +
          "process_network_receive_bytes_total 1\n",
      }],
      reference: { status: 200, body: "" },
      ours: {
        status: 400,
        body: "pushed metrics are invalid or inconsistent with existing metrics: " +
          "gathered metric family process_network_receive_bytes_total has type GAUGE " +
          "but should have COUNTER\n",
      },
    },
  },
  {
    id: "status-flag-set",
    reason: "the status flags follow the newest flag set plus ours: no Debian-only " +
      "web.local-assets; push.enable-utf8-names (1.11.0), our push.max-body-size, " +
      "push.max-concurrent-body-size, push.max-series-per-push, push.default-ttl, " +
      "storage.max-series, web.enable-openmetrics and storage.postgres-* flags",
    upstream: "docs/upstream.md §7.1, §9.1, §13.12",
    probe: {
      kind: "http",
      steps: [{ method: "GET", path: "/api/v1/status" }],
      reference: {
        status: 200,
        bodyIncludes: ['"web.local-assets":'],
        bodyExcludes: [
          '"push.enable-utf8-names"',
          '"push.max-body-size"',
          '"push.default-ttl"',
          '"storage.max-series"',
          '"storage.postgres-url"',
          '"web.enable-openmetrics"',
        ],
      },
      ours: {
        status: 200,
        bodyIncludes: [
          '"push.enable-utf8-names":"false"',
          '"push.max-body-size":"64MiB"',
          '"push.max-concurrent-body-size":"128MiB"',
          '"push.max-series-per-push":"100000"',
          '"push.default-ttl":"0s"',
          '"storage.max-series":"0"',
          '"storage.postgres-url":""',
          '"web.enable-openmetrics":"false"',
        ],
        bodyExcludes: ['"web.local-assets"'],
      },
    },
  },
  {
    id: "openmetrics-push-second-chance",
    reason: "a body the text parser refuses whose last line is `# EOF` is parsed as OpenMetrics " +
      "(issue 23: prom-client's OpenMetrics registry sends its exemplars without a " +
      "Content-Type); upstream has no OpenMetrics parser (its issue #400) and refuses the push",
    upstream: "docs/upstream.md §4.2, §14 (issue #400)",
    probe: {
      kind: "http",
      steps: [
        {
          method: "PUT",
          path: "/metrics/job/kd",
          body: '# TYPE c counter\nc_total 1 # {trace_id="abc"} 1\n# EOF\n',
        },
      ],
      reference: {
        status: 400,
        body: 'text format parsing error in line 2: expected integer as timestamp, got "#"\n',
      },
      ours: { status: 200, body: "" },
    },
  },
  {
    id: "openmetrics-push-eof-without-newline",
    reason: "the text parser refuses a final comment line without a newline, so a body ending " +
      "in `# EOF` without one gets the OpenMetrics second chance too, and is then read with " +
      "OpenMetrics' rules (a counter with its created timestamp); upstream refuses it",
    upstream: "docs/upstream.md §4.2, §4.3",
    probe: {
      kind: "http",
      steps: [
        {
          method: "PUT",
          path: "/metrics/job/kd",
          body: "# TYPE bar counter\nbar_total 1\nbar_created 2\n# EOF",
        },
        { method: "GET", path: "/metrics" },
      ],
      reference: { status: 200, bodyExcludes: ["bar_"] },
      ours: {
        status: 200,
        bodyIncludes: ['# TYPE bar_total counter\nbar_total{instance="",job="kd"} 1\n'],
        bodyExcludes: ["bar_created"],
      },
    },
  },
  {
    id: "openmetrics-push-error-text",
    reason: "when both parsers refuse a body ending in `# EOF`, the OpenMetrics parser's error " +
      "is reported (the body was evidently meant as OpenMetrics); upstream reports the text " +
      "parser's",
    upstream: "docs/upstream.md §4.2, §4.3",
    probe: {
      kind: "http",
      steps: [
        {
          method: "PUT",
          path: "/metrics/job/kd",
          body: '# TYPE c counter\nc_total -1 # {trace_id="abc"} 1\n# EOF\n',
        },
      ],
      reference: {
        status: 400,
        body: 'text format parsing error in line 2: expected integer as timestamp, got "#"\n',
      },
      ours: {
        status: 400,
        body: "openmetrics format parsing error in line 2: negative value for counter-like " +
          'sample "c_total"\n',
      },
    },
  },
  {
    id: "openmetrics-push-content-type",
    reason: "a push declared `application/openmetrics-text` is parsed with OpenMetrics' rules, " +
      "so counter `foo` with sample `foo_total` is the counter family `foo_total`; upstream " +
      "parses every non-protobuf body as text 0.0.4, where `foo_total` is untyped",
    upstream: "docs/upstream.md §4.2, §4.3",
    probe: {
      kind: "http",
      steps: [
        {
          method: "PUT",
          path: "/metrics/job/kd",
          body: "# TYPE foo counter\nfoo_total 1\n# EOF\n",
          headers: { "content-type": "application/openmetrics-text; version=1.0.0; charset=utf-8" },
        },
        { method: "GET", path: "/metrics" },
      ],
      reference: { status: 200, bodyIncludes: ["# TYPE foo_total untyped\n"] },
      ours: {
        status: 200,
        bodyIncludes: ['# TYPE foo_total counter\nfoo_total{instance="",job="kd"} 1\n'],
        bodyExcludes: ["untyped"],
      },
    },
  },
  {
    id: "api-openmetrics-fields",
    reason: "/api/v1/metrics shows a family's unit and a series' exemplars and created " +
      "timestamp as extra fields where present (here pushed in protobuf, which upstream keeps " +
      "but does not show); the existing fields are unchanged",
    upstream: "docs/upstream.md §7.2",
    probe: {
      kind: "http",
      steps: [
        {
          method: "PUT",
          path: "/metrics/job/kd",
          body: new Uint8Array(encodeDelimited([{
            name: "c_total",
            type: MetricType.COUNTER,
            metric: [{
              label: [],
              counter: {
                value: 1,
                exemplar: { label: [{ name: "trace_id", value: "abc" }], value: 1 },
              },
            }],
          }])),
          headers: { "content-type": PROTO_DELIMITED },
        },
        { method: "GET", path: "/api/v1/metrics" },
      ],
      reference: {
        status: 200,
        bodyIncludes: [
          '"type":"COUNTER","metrics":[{"labels":{"instance":"","job":"kd"},"value":"1"}]',
        ],
        bodyExcludes: ['"exemplar"'],
      },
      ours: {
        status: 200,
        bodyIncludes: [
          '"type":"COUNTER","metrics":[{"exemplar":{"labels":{"trace_id":"abc"},"value":"1"},' +
          '"labels":{"instance":"","job":"kd"},"value":"1"}]',
        ],
      },
    },
  },
  {
    id: "openmetrics-scrape",
    reason: "with our --web.enable-openmetrics, a scrape whose Accept puts OpenMetrics first " +
      "(every Prometheus since 2.5) gets OpenMetrics 1.0.0 as promhttp with EnableOpenMetrics " +
      "negotiates and writes it: `_total` counters under their short name, exemplars, `# EOF` " +
      "(issue 23); upstream has no such switch and answers text 0.0.4, as ours does without it",
    upstream: "docs/upstream.md §6.3",
    probe: {
      kind: "http",
      oursArgs: ["--web.enable-openmetrics"],
      steps: [
        {
          method: "PUT",
          path: "/metrics/job/kd",
          body: new Uint8Array(encodeDelimited([{
            name: "c_total",
            type: MetricType.COUNTER,
            metric: [{
              label: [],
              counter: {
                value: 1,
                exemplar: { label: [{ name: "trace_id", value: "abc" }], value: 1 },
              },
            }],
          }])),
          headers: { "content-type": PROTO_DELIMITED },
        },
        { method: "GET", path: "/metrics", headers: { accept: PROMETHEUS_2_42_ACCEPT } },
      ],
      reference: {
        status: 200,
        headers: { "content-type": "text/plain; version=0.0.4; charset=utf-8" },
        bodyIncludes: ['# TYPE c_total counter\nc_total{instance="",job="kd"} 1\n'],
        bodyExcludes: ["# EOF", "trace_id"],
      },
      ours: {
        status: 200,
        headers: {
          "content-type":
            "application/openmetrics-text; version=1.0.0; charset=utf-8; escaping=underscores",
        },
        bodyIncludes: [
          '# TYPE c counter\nc_total{instance="",job="kd"} 1.0 # {trace_id="abc"} 1.0\n',
          "\n# EOF\n",
        ],
      },
    },
  },
  {
    id: "log-flag-error-texts",
    reason: "newest promslog says `unrecognized log level verbose` (unquoted); 1.5.1's promlog " +
      "quoted the value",
    upstream: "docs/upstream.md §9.1; common promslog/slog.go Level.Set",
    probe: {
      kind: "cli",
      args: ["--log.level=verbose"],
      reference: {
        code: 1,
        stderrIncludes: ['prometheus-pushgateway: error: unrecognized log level "verbose"'],
      },
      ours: {
        code: 1,
        stderrIncludes: ["pushgateway: error: unrecognized log level verbose, try --help"],
      },
    },
  },
  {
    id: "help-on-stdout",
    reason: "newest kingpin writes -h to stdout; 1.5.1 wrote it to stderr",
    upstream: "docs/upstream.md §9.2, §13.1",
    probe: {
      kind: "cli",
      args: ["-h"],
      reference: { code: 0, stdoutEmpty: true, stderrIncludes: ["usage: prometheus-pushgateway"] },
      ours: {
        code: 0,
        stderrEmpty: true,
        stdoutIncludes: ["usage: pushgateway [<flags>]", "--[no-]web.enable-lifecycle"],
      },
    },
  },
  {
    id: "version-on-stdout",
    reason: "newest prints --version on stdout with a `tags:` line; 1.5.1 used stderr, no tags",
    upstream: "docs/upstream.md §9.3, §13.1",
    probe: {
      kind: "cli",
      args: ["--version"],
      reference: { code: 0, stdoutEmpty: true, stderrIncludes: ["version 1.5.1"] },
      ours: { code: 0, stderrEmpty: true, stdoutIncludes: ["pushgateway, version ", "  tags: "] },
    },
  },
  {
    id: "utf8-names-flag",
    reason: "--push.enable-utf8-names exists since 1.11.0",
    upstream: "docs/upstream.md §9.1, §13.2",
    probe: {
      kind: "cli",
      args: ["--push.enable-utf8-names", "--version"],
      reference: { code: 1, stderrIncludes: ["unknown long flag '--push.enable-utf8-names'"] },
      ours: { code: 0, stdoutIncludes: ["pushgateway, version "] },
    },
  },
  {
    id: "exit-non-zero-when-server-cannot-start",
    reason: "a port already in use is fatal: we exit 1 so supervisors notice; upstream logs and " +
      "exits 0",
    upstream: "docs/upstream.md §10.4, §15.8",
    probe: {
      kind: "cli",
      args: ["--web.listen-address=127.0.0.1:{busy}"],
      reference: { code: 0 },
      ours: { code: 1, stderrIncludes: ["address already in use"] },
    },
  },
  {
    id: "old-single-dash-flags",
    reason: "the 0.x single-dash spelling (`-web.enable-lifecycle`) is accepted with a " +
      "deprecation warning; kingpin reads it as an unknown short flag",
    upstream: "docs/upstream.md §9.1",
    probe: {
      kind: "cli",
      args: ["-web.enable-lifecycle", "--version"],
      reference: { code: 1, stderrIncludes: ["unknown short flag '-w'"] },
      ours: { code: 0, stdoutIncludes: ["pushgateway, version "] },
    },
  },
  {
    id: "sighup-survives",
    reason: "SIGHUP reloads the web configuration; upstream does not handle it and dies " +
      "without persisting (Debian's unit sends it on `systemctl reload`)",
    upstream: "docs/upstream.md §10.4, §15.8",
    probe: { kind: "signal", signal: "SIGHUP", reference: "dies", ours: "survives" },
  },
];
