/**
 * Interop with Go's client_golang `push` package (Debian's
 * golang-github-prometheus-client-golang-dev): a tiny pusher
 * (`testdata/interop/go_pusher/main.go`) is built offline in GOPATH mode and
 * pushes protobuf (its default) or text to our gateway on 127.0.0.1; the test
 * reads the histogram back in text and in protobuf.
 *
 * The build is cached under the system temp directory, keyed by the source and
 * the Go version. Without Go or the library the tests are skipped with a
 * message, except under `CI=true`, where they fail.
 */

import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { decodeDelimited } from "@lib/protobuf/decode.ts";
import { type Metric, type MetricFamily, MetricType } from "@lib/model/metric.ts";
import { PROTO_DELIMITED } from "@lib/expfmt/media_type.ts";
import { buildGoProgram, goRequirement } from "./helpers/go_build.ts";
import { sampleLines } from "@lib/http/test_client.ts";
import { run, type RunningGateway, testWithGateway } from "./helpers/gateway.ts";
import { getText, INTEROP_DATA } from "./helpers/interop.ts";

const SOURCE = new URL("go_pusher/main.go", INTEROP_DATA).pathname;

const GO = goRequirement(
  "github.com/prometheus/client_golang/prometheus/push/push.go",
  '"golang-github-prometheus-client-golang-dev"',
);

/** Builds the pusher once per process (cached across runs by `buildGoProgram`). */
function pusher(): Promise<string> {
  return buildGoProgram(SOURCE, "go_pusher");
}

/** Options of one pusher run. */
interface PushCall {
  op: "push" | "add" | "delete";
  job: string;
  group?: Record<string, string>;
  format?: "proto" | "text";
  observe?: number[];
  native?: boolean;
}

/** Runs the Go pusher; returns its exit code and stderr. */
async function goPush(
  gw: RunningGateway,
  call: PushCall,
): Promise<{ code: number; stderr: string }> {
  const args = [`-url=${gw.url}`, `-job=${call.job}`, `-op=${call.op}`];
  for (const [name, value] of Object.entries(call.group ?? {})) {
    args.push(`-group=${name}=${value}`);
  }
  if (call.format) args.push(`-format=${call.format}`);
  if (call.observe) args.push(`-observe=${call.observe.join(",")}`);
  if (call.native) args.push("-native");
  const out = await run(await pusher(), args);
  return { code: out.code, stderr: out.stderr };
}

async function goPushOk(gw: RunningGateway, call: PushCall): Promise<void> {
  const out = await goPush(gw, call);
  assertEquals(out.code, 0, `go pusher ${call.op} failed: ${out.stderr}`);
}

/** Scrapes `/metrics` in protobuf and returns the families. */
async function scrapeProto(gw: RunningGateway): Promise<MetricFamily[]> {
  const res = await fetch(`${gw.url}/metrics`, { headers: { accept: PROTO_DELIMITED } });
  assertStringIncludes(res.headers.get("content-type") ?? "", "application/vnd.google.protobuf");
  return decodeDelimited(new Uint8Array(await res.arrayBuffer()));
}

function labelsOf(metric: Metric): Record<string, string> {
  return Object.fromEntries(metric.label.map((l) => [l.name, l.value]));
}

/** The series of family `name` whose labels include `labels`. */
function series(
  families: MetricFamily[],
  name: string,
  labels: Record<string, string>,
): Metric[] {
  const family = families.find((f) => f.name === name);
  if (family === undefined) return [];
  return family.metric.filter((m) => {
    const have = labelsOf(m);
    return Object.entries(labels).every(([k, v]) => have[k] === v);
  });
}

/** Three grouping labels: Go sends them in random map order; one needs base64, one is empty. */
const GROUP = { instance: "host-1", path: "/var/run/batch", zone: "" };
const STORED = 'instance="host-1",job="go-batch",path="/var/run/batch",zone=""';

testWithGateway(
  "go: Push (PUT, protobuf) stores the histogram; text and protobuf scrapes agree",
  [],
  async (gw) => {
    await goPushOk(gw, { op: "push", job: "go-batch", group: GROUP, observe: [0.25, 0.75, 2, 9] });
    const text = await getText(`${gw.url}/metrics`);
    assertStringIncludes(
      text,
      "# HELP go_job_duration_seconds Duration of the job.\n# TYPE go_job_duration_seconds histogram\n",
    );
    assertEquals(sampleLines(text, "go_job_duration_seconds_bucket"), [
      `go_job_duration_seconds_bucket{${STORED},le="0.5"} 1`,
      `go_job_duration_seconds_bucket{${STORED},le="1"} 2`,
      `go_job_duration_seconds_bucket{${STORED},le="5"} 3`,
      `go_job_duration_seconds_bucket{${STORED},le="+Inf"} 4`,
    ]);
    assertEquals(sampleLines(text, "go_job_duration_seconds_sum"), [
      `go_job_duration_seconds_sum{${STORED}} 12`,
    ]);
    assertEquals(sampleLines(text, "go_job_duration_seconds_count"), [
      `go_job_duration_seconds_count{${STORED}} 4`,
    ]);
    assertEquals(sampleLines(text, "go_job_observations_total"), [
      `go_job_observations_total{${STORED}} 4`,
    ]);

    const families = await scrapeProto(gw);
    const family = families.find((f) => f.name === "go_job_duration_seconds");
    assertEquals([family?.type, family?.help], [MetricType.HISTOGRAM, "Duration of the job."]);
    const [metric, ...rest] = series(families, "go_job_duration_seconds", { job: "go-batch" });
    assert(metric !== undefined && rest.length === 0, "exactly one series");
    assertEquals(labelsOf(metric), {
      instance: "host-1",
      job: "go-batch",
      path: "/var/run/batch",
      zone: "",
    });
    const h = metric.histogram;
    assertEquals([h?.sampleCount, h?.sampleSum], [4, 12]);
    assertEquals(
      h?.bucket.map((b) => [b.upperBound, b.cumulativeCount]),
      [[0.5, 1], [1, 2], [5, 3]],
    );
    assertEquals(
      series(families, "push_time_seconds", { job: "go-batch" }).length,
      1,
      "one group despite random grouping-label order",
    );
  },
  { needs: GO },
);

testWithGateway(
  "go: Add (POST) replaces same-name families in text and protobuf; Delete needs 202",
  [],
  async (gw) => {
    for (let i = 0; i < 3; i++) {
      // Repeated pushes in Go's random label order must all hit the same group.
      await goPushOk(gw, { op: "push", job: "go-batch", group: GROUP, observe: [0.25] });
    }
    await goPushOk(gw, {
      op: "add",
      job: "go-batch",
      group: GROUP,
      format: "text",
      observe: [3, 4],
    });
    let text = await getText(`${gw.url}/metrics`);
    assertEquals(sampleLines(text, "go_job_duration_seconds_count"), [
      `go_job_duration_seconds_count{${STORED}} 2`,
    ]);
    await goPushOk(gw, { op: "add", job: "go-batch", group: GROUP, observe: [0.1, 0.2, 0.3] });
    const families = await scrapeProto(gw);
    const [metric, ...rest] = series(families, "go_job_duration_seconds", { job: "go-batch" });
    assert(metric !== undefined && rest.length === 0, "exactly one series");
    assertEquals(metric.histogram?.sampleCount, 3);
    assertEquals(metric.histogram?.bucket.map((b) => b.cumulativeCount), [3, 3, 3]);

    // A second group of the same job survives the Delete of the first.
    await goPushOk(gw, {
      op: "push",
      job: "go-batch",
      group: { instance: "host-2" },
      observe: [1],
    });
    await goPushOk(gw, { op: "delete", job: "go-batch", group: GROUP });
    text = await getText(`${gw.url}/metrics`);
    assertEquals(sampleLines(text, "go_job_duration_seconds_count"), [
      'go_job_duration_seconds_count{instance="host-2",job="go-batch"} 1',
    ]);
    // Deleting a group that does not exist is still 202, which Go insists on.
    await goPushOk(gw, { op: "delete", job: "go-batch", group: GROUP });
  },
  { needs: GO },
);

testWithGateway(
  "go: native histogram buckets survive the round trip in protobuf",
  [],
  async (gw) => {
    await goPushOk(gw, {
      op: "push",
      job: "go-native",
      observe: [1, 1.05, 2, 2, 100],
      native: true,
    });
    const families = await scrapeProto(gw);
    const [metric] = series(families, "go_job_duration_seconds", { job: "go-native" });
    const h = metric?.histogram;
    assert(h !== undefined, "histogram present");
    assertEquals([h.sampleCount, h.sampleSum], [5, 106.05]);
    assertEquals(h.schema, 3, "factor 1.1 picks schema 3");
    assertEquals(h.zeroThreshold, 0);
    // Decode the spans and deltas into absolute bucket counts: 4 distinct buckets.
    const counts: number[] = [];
    let running = 0;
    for (const delta of h.positiveDelta) counts.push(running += delta);
    assertEquals(counts.reduce((a, b) => a + b, 0), 5);
    assertEquals(counts.length, h.positiveSpan.reduce((a, s) => a + (s.length ?? 0), 0));
    assertEquals(counts.filter((c) => c > 0).length, 4);
    assertEquals(h.bucket.map((b) => b.cumulativeCount), [0, 1, 4], "classic buckets kept");
    // Text cannot carry native buckets: only the classic ones show.
    const text = await getText(`${gw.url}/metrics`);
    assertEquals(sampleLines(text, "go_job_duration_seconds_count"), [
      'go_job_duration_seconds_count{instance="",job="go-native"} 5',
    ]);
  },
  { needs: GO },
);
