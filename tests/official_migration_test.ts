/**
 * Switching from the official Pushgateway and back, end to end, with Debian's
 * `prometheus-pushgateway` 1.5.1:
 *
 * - Debian's binary writes its persistence file in the test (a varied set of
 *   groups pushed in text and protobuf, failed pushes, a deletion), then our
 *   gateway and Debian's start on copies of that file and their `/metrics`
 *   (text and protobuf) and `/api/v1/metrics` are compared. The same for the
 *   committed fixture in the newest upstream's layout
 *   (`testdata/official/newest_layout.gob`).
 * - Timestamps are compared directly: `/api/v1/metrics` shows Debian's
 *   `time_stamp` to the nanosecond and ours to the microsecond, so ours must be
 *   within a microsecond of Debian's; push-time gauges must be equal.
 * - A store Debian let be poisoned (`--push.disable-consistency-check`)
 *   restores without the later, contradicting group, and the `.upstream` copy
 *   keeps it.
 * - The way back: our data exported with `--persistence.export-upstream`'s
 *   function, restored by Debian's binary, answers as ours does.
 *
 * Skipped (with a message) when the reference binary is not installed; a
 * failure under `CI=true`. The fixture check rebuilds the Go program when Go
 * is installed.
 */

import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { join } from "@std/path";
import { decodeDelimited } from "@lib/protobuf/decode.ts";
import { encodeDelimited } from "@lib/protobuf/encode.ts";
import { emptyHistogram, type MetricFamily, MetricType } from "@lib/model/metric.ts";
import { decodeOfficialFile } from "@lib/store/official_format.ts";
import { exportOfficialFile } from "@lib/store/official_export.ts";
import { groupingKey } from "@lib/store/types.ts";
import {
  freePort,
  REFERENCE_BIN,
  run,
  type RunningGateway,
  startGateway,
  waitForLog,
} from "./helpers/gateway.ts";
import { hasProgram, testNeeding } from "./helpers/requirements.ts";
import { buildGoProgram, goRequirement } from "./helpers/go_build.ts";

const REFERENCE = {
  available: hasProgram(REFERENCE_BIN),
  reason: `${REFERENCE_BIN} (Debian's prometheus-pushgateway 1.5.1) is not installed`,
};
const GO = goRequirement(
  "google.golang.org/protobuf/encoding/protowire/wire.go",
  '"golang-github-prometheus-client-golang-dev" (which brings "golang-google-protobuf-dev")',
);

const OFFICIAL_DATA = new URL("testdata/official/", import.meta.url);
const NEWEST = new URL("newest_layout.gob", OFFICIAL_DATA).pathname;
const PROTO_CT =
  "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited";
const RESTORED = /msg="restored the official Pushgateway's persistence file/;

// ---------------------------------------------------------------------------
// Debian's binary with a persistence file

interface Official {
  readonly url: string;
  readonly process: Deno.ChildProcess;
  readonly status: Promise<Deno.CommandStatus>;
}

/** Starts Debian's binary on a free loopback port with `args` and waits until it is ready. */
async function startOfficial(args: readonly string[]): Promise<Official> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const url = `http://127.0.0.1:${freePort()}`;
    const process = new Deno.Command(REFERENCE_BIN, {
      args: [`--web.listen-address=${url.slice(7)}`, ...args],
      stdout: "null",
      stderr: "null",
    }).spawn();
    let exited = false;
    const status = process.status.then((s) => {
      exited = true;
      return s;
    });
    for (let i = 0; i < 400 && !exited; i++) {
      try {
        const res = await fetch(url + "/-/ready");
        await res.body?.cancel();
        if (res.ok) return { url, process, status };
      } catch { /* not yet */ }
      await new Promise((r) => setTimeout(r, 25));
    }
    try {
      process.kill("SIGKILL");
    } catch { /* gone */ }
    await status; // the port was taken (1.5.1 exits 0 then): try another
  }
  throw new Error("Debian's pushgateway did not become ready");
}

/** Stops Debian's binary with SIGTERM (it persists on shutdown) and waits for it. */
async function stopOfficial(o: Official): Promise<void> {
  try {
    o.process.kill("SIGTERM");
  } catch { /* gone */ }
  const s = await o.status;
  assertEquals(s.code, 0, "Debian's pushgateway exits 0 after SIGTERM");
}

async function send(
  base: string,
  method: string,
  path: string,
  body: string | Uint8Array<ArrayBuffer> = "",
  contentType?: string,
): Promise<number> {
  const res = await fetch(base + path, {
    method,
    body,
    headers: contentType ? { "content-type": contentType } : {},
  });
  await res.body?.cancel();
  return res.status;
}

const b64 = (s: string) =>
  btoa(String.fromCharCode(...new TextEncoder().encode(s))).replaceAll("+", "-").replaceAll(
    "/",
    "_",
  );

const TEXT_BATCH = `# HELP backup_bytes_total Bytes backed up.
# TYPE backup_bytes_total counter
backup_bytes_total{disk="sda"} 1.5e9
backup_bytes_total{disk="sdb"} 0
# TYPE temp gauge
temp -0.5
untyped_thing{kind="a\\"q\\\\b\\nc"} +Inf
# HELP req_seconds Request latency.
# TYPE req_seconds histogram
req_seconds_bucket{le="0.1"} 2
req_seconds_bucket{le="0.5"} 7
req_seconds_bucket{le="+Inf"} 10
req_seconds_sum 3.25
req_seconds_count 10
# HELP sz Sizes.
# TYPE sz summary
sz{quantile="0.5"} 200
sz{quantile="0.99"} NaN
sz_sum 1024
sz_count 4
`;

/** Protobuf-only content: a native histogram, an exemplar, a float gauge histogram, an empty HELP. */
function protoFamilies(): MetricFamily[] {
  return [
    {
      name: "native_seconds",
      help: "A native histogram.",
      type: MetricType.HISTOGRAM,
      metric: [{
        label: [{ name: "route", value: "/a" }],
        histogram: {
          ...emptyHistogram(),
          sampleCount: 9,
          sampleSum: -1.5,
          schema: 3,
          zeroThreshold: 1e-128,
          zeroCount: 1,
          negativeSpan: [{ offset: -2, length: 2 }],
          negativeDelta: [1, 1],
          positiveSpan: [{ offset: 0, length: 2 }, { offset: 3, length: 1 }],
          positiveDelta: [2, -1, 1],
        },
      }],
    },
    {
      name: "jobs_total",
      help: "",
      type: MetricType.COUNTER,
      metric: [{
        label: [],
        counter: {
          value: 17,
          exemplar: {
            label: [{ name: "trace_id", value: "abc" }],
            value: 1,
            timestamp: { seconds: 1782000000, nanos: 5 },
          },
        },
      }],
    },
    {
      name: "worker_queue_depth",
      help: "A float gauge histogram.",
      type: MetricType.GAUGE_HISTOGRAM,
      metric: [{
        label: [],
        histogram: {
          ...emptyHistogram(),
          sampleCountFloat: 5.5,
          sampleSum: 12,
          bucket: [
            { cumulativeCountFloat: 2.5, upperBound: 1 },
            { cumulativeCountFloat: 5.5, upperBound: Infinity },
          ],
        },
      }],
    },
  ];
}

/**
 * Pushes the varied set to `base`: text and protobuf groups, a later POST of one
 * family, a group with base64 grouping labels, a deleted group, a push refused
 * for its type (a new group holding only the failure) and one refused for a
 * timestamp (an existing group whose last push failed).
 */
async function pushVariedSet(base: string): Promise<void> {
  const ok = async (
    method: string,
    path: string,
    body: string | Uint8Array<ArrayBuffer>,
    ct?: string,
  ) =>
    assertEquals(await send(base, method, path, body, ct), method === "DELETE" ? 202 : 200, path);
  await ok("PUT", "/metrics/job/batch/instance/db1", TEXT_BATCH);
  await ok(
    "PUT",
    "/metrics/job/proto/env/prod",
    new Uint8Array(encodeDelimited(protoFamilies())),
    PROTO_CT,
  );
  await ok(
    "POST",
    "/metrics/job/batch/instance/db1",
    "# HELP late_gauge Added later.\nlate_gauge 1\n",
  );
  await ok(
    "PUT",
    `/metrics/job@base64/${b64("zürich/ost")}/path@base64/${b64("/var/tmp")}`,
    // The fixture's HELP: one family's HELP in two groups must agree (known difference: a clash
    // resolves by grouping key here and by Go map order upstream).
    "# HELP temperature_celsius Température ° in \\\\ Zürich.\n# TYPE temperature_celsius gauge\n" +
      'temperature_celsius{sensor="süd"} -12.75\n',
  );
  await ok("PUT", "/metrics/job/gone", "x 1\n");
  await ok("DELETE", "/metrics/job/gone", "");
  assertEquals(await send(base, "PUT", "/metrics/job/other", "# TYPE temp counter\ntemp 1\n"), 400);
  assertEquals(
    await send(base, "POST", "/metrics/job/proto/env/prod", "late 1 1700000000000\n"),
    400,
  );
}

// ---------------------------------------------------------------------------
// Comparing the two gateways

const SELF_FAMILY = /^(go|process|pushgateway)_/;

/** Nanoseconds since the epoch of an RFC 3339 time as the JSON API prints it. */
function rfc3339Nanos(text: string): bigint {
  const m = /^(.*?)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(text);
  assert(m, `not an RFC 3339 time: ${text}`);
  const ms = Date.parse(`${m[1]}${m[3]}`);
  assert(!Number.isNaN(ms), text);
  return BigInt(ms) * 1_000_000n + BigInt((m[2] ?? "").padEnd(9, "0"));
}

type ApiGroup = Record<string, unknown> & { labels: Record<string, string> };
type ApiMetric = Record<string, unknown> & { buckets?: unknown };
interface ApiFamily {
  time_stamp: string;
  type: string;
  metrics: ApiMetric[];
}

/**
 * A family of `/api/v1/metrics` with the `buckets` and `count` of native histograms left out:
 * the API shows native buckets since 1.8.0 (ours follows the newest), 1.5.1 does not. Ours must
 * then have the newest form (an array of buckets); the protobuf scrape compares the data.
 */
function withoutNativeBuckets(family: Omit<ApiFamily, "time_stamp">): unknown {
  if (family.type !== "HISTOGRAM") return family;
  const metrics = family.metrics.map((m) => {
    if (!Array.isArray(m.buckets) && !isNativeIn151(m)) return m;
    const { buckets: _b, count: _c, ...rest } = m;
    return rest;
  });
  return { ...family, metrics };
}

/**
 * Our family without the fields our API adds where the data has them (a unit, created
 * timestamps, exemplars: README "OpenMetrics", known difference `api-openmetrics-fields`),
 * which 1.5.1 does not show; the protobuf scrape compares the data itself.
 */
function withoutOurFields(family: Omit<ApiFamily, "time_stamp">): Omit<ApiFamily, "time_stamp"> {
  const { unit: _unit, ...rest } = family as Omit<ApiFamily, "time_stamp"> & { unit?: string };
  const metrics = rest.metrics.map((m) => {
    const { created: _c, exemplar: _e, exemplars: _es, ...kept } = m;
    return kept;
  });
  return { ...rest, metrics };
}

/** 1.5.1's form of a native-only histogram: no classic buckets. */
function isNativeIn151(m: ApiMetric): boolean {
  return typeof m.buckets === "object" && m.buckets !== null &&
    Object.keys(m.buckets).every((k) => k === "+Inf") && nativeSeries.has(JSON.stringify(m.labels));
}

/** Label sets (JSON) of the native histograms in the current comparison, from the protobuf scrape. */
const nativeSeries = new Set<string>();

async function apiGroups(base: string): Promise<Map<string, ApiGroup>> {
  const res = await fetch(base + "/api/v1/metrics");
  const body = await res.json() as { status: string; data: ApiGroup[] };
  assertEquals(body.status, "success");
  return new Map(body.data.map((g) => [groupingKey(g.labels), g]));
}

/**
 * `/api/v1/metrics` of both, group by group and family by family. `exactTimes`: the times
 * must print alike (ours written to Debian to the microsecond); otherwise ours must be
 * within a microsecond of Debian's (a double of epoch milliseconds keeps a quarter of a
 * microsecond, and the API rounds to the microsecond).
 */
async function compareApi(ours: string, theirs: string, exactTimes: boolean): Promise<number> {
  const [a, b] = [await apiGroups(ours), await apiGroups(theirs)];
  assertEquals([...a.keys()].sort(), [...b.keys()].sort(), "the same groups");
  let families = 0;
  for (const [key, want] of b) {
    const got = a.get(key)!;
    assertEquals(Object.keys(got).sort(), Object.keys(want).sort(), key);
    assertEquals(got.last_push_successful, want.last_push_successful, key);
    for (const [name, value] of Object.entries(want)) {
      if (name === "labels" || name === "last_push_successful") continue;
      const { time_stamp: theirTime, ...theirRest } = value as ApiFamily;
      const { time_stamp: ourTime, ...ourAll } = got[name] as ApiFamily;
      assertEquals(
        withoutNativeBuckets(withoutOurFields(ourAll)),
        withoutNativeBuckets(theirRest),
        `${key} ${name}`,
      );
      if (exactTimes) assertEquals(ourTime, theirTime, `${key} ${name} time_stamp`);
      else {
        // Our times are epoch milliseconds in a double (a quarter of a microsecond apart at
        // today's dates), shown rounded to the microsecond: within 1 µs of Go's nanoseconds.
        const diff = rfc3339Nanos(ourTime) - rfc3339Nanos(theirTime);
        assert(
          diff >= -1000n && diff <= 1000n && ourTime.split(".")[1]!.length <= 7,
          `${key} ${name}: time_stamp ${ourTime} is not ${theirTime} to the microsecond`,
        );
      }
      families++;
    }
  }
  return families;
}

/**
 * A text scrape without the gateways' own families (which differ by design), up to the first
 * of `stopAt`. Debian's 1.5.1 cannot write gauge histograms as text: its scrape ends with a
 * bare `# TYPE <name>` line there (known difference `gauge-histogram-type`), so the test data
 * names its gauge histograms to sort after every other family, and the protobuf scrape covers them.
 */
async function scrapeText(base: string, stopAt: ReadonlySet<string>): Promise<string> {
  const text = await (await fetch(base + "/metrics")).text();
  const kept: string[] = [];
  let skip = false;
  for (const line of text.split("\n")) {
    const name = /^# (?:HELP|TYPE) (\S+)/.exec(line)?.[1] ?? /^([^{\s]+)/.exec(line)?.[1] ?? "";
    if (stopAt.has(name)) break;
    if (line.startsWith("# ")) skip = SELF_FAMILY.test(name);
    if (!skip && !SELF_FAMILY.test(name)) kept.push(line);
  }
  return kept.join("\n");
}

async function scrapeProto(base: string): Promise<MetricFamily[]> {
  const res = await fetch(base + "/metrics", { headers: { accept: PROTO_CT } });
  const families = decodeDelimited(new Uint8Array(await res.arrayBuffer()));
  return families.filter((f) => !SELF_FAMILY.test(f.name));
}

/** Compares both gateways' scrapes and API; returns the number of API families compared. */
async function compareGateways(ours: string, theirs: string, exactTimes = false): Promise<number> {
  const families = await scrapeProto(ours);
  assertEquals(families, await scrapeProto(theirs), "protobuf /metrics");
  nativeSeries.clear();
  for (const f of families) {
    for (const m of f.metric) {
      const h = m.histogram;
      if (h && h.positiveSpan.length + h.negativeSpan.length > 0) {
        nativeSeries.add(JSON.stringify(Object.fromEntries(m.label.map((l) => [l.name, l.value]))));
      }
    }
  }
  assert(nativeSeries.size > 0, "the data holds a native histogram");
  const gaugeHistograms = families.filter((f) => f.type === MetricType.GAUGE_HISTOGRAM);
  const last = families.filter((f) => !f.name.startsWith("push_")).at(-1);
  assert(
    gaugeHistograms.every((f) => f === last),
    "test data: a gauge histogram must sort last (see scrapeText)",
  );
  const stopAt = new Set(gaugeHistograms.map((f) => f.name));
  assertEquals(await scrapeText(ours, stopAt), await scrapeText(theirs, stopAt), "text /metrics");
  return await compareApi(ours, theirs, exactTimes);
}

// ---------------------------------------------------------------------------
// Scenarios

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "official_migration_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Starts ours and Debian's on copies of `file`, runs `fn`, stops both. */
async function onBoth(
  dir: string,
  file: string,
  fn: (ours: RunningGateway, theirs: Official) => Promise<void>,
): Promise<void> {
  const oursFile = join(dir, "ours.data");
  const theirsFile = join(dir, "theirs.data");
  await Deno.copyFile(file, oursFile);
  await Deno.copyFile(file, theirsFile);
  const ours = await startGateway([`--persistence.file=${oursFile}`]);
  try {
    const theirs = await startOfficial([`--persistence.file=${theirsFile}`]);
    try {
      await fn(ours, theirs);
    } finally {
      await stopOfficial(theirs);
    }
  } finally {
    await ours.stop();
  }
}

testNeeding(
  REFERENCE,
  "a file Debian's 1.5.1 wrote restores completely: /metrics and the API match",
  async () => {
    await withDir(async (dir) => {
      const file = join(dir, "pushgateway.data");
      const writer = await startOfficial([
        `--persistence.file=${file}`,
        "--persistence.interval=1h",
      ]);
      try {
        await pushVariedSet(writer.url);
      } finally {
        await stopOfficial(writer);
      }
      const original = await Deno.readFile(file);
      assertEquals(decodeOfficialFile(original).length, 4, "batch, proto, zürich, other");
      await onBoth(dir, file, async (ours, theirs) => {
        const line = await waitForLog(ours, RESTORED);
        assertStringIncludes(line, "groups=4 left_out=0");
        const compared = await compareGateways(ours.url, theirs.url);
        assert(compared >= 17, `only ${compared} families compared`);
        const api = await apiGroups(ours.url);
        assertEquals(
          [...api.values()].map((g) => [g.labels.job, g.last_push_successful]).sort(),
          [["batch", true], ["other", false], ["proto", false], ["zürich/ost", true]],
        );
        assertEquals(await Deno.readFile(join(dir, "ours.data.upstream")), original);
      });
    });
  },
);

testNeeding(
  REFERENCE,
  "the newest upstream's layout (committed fixture) restores completely",
  async () => {
    await withDir(async (dir) => {
      await onBoth(dir, NEWEST, async (ours, theirs) => {
        assertStringIncludes(await waitForLog(ours, RESTORED), "groups=4 left_out=0");
        const compared = await compareGateways(ours.url, theirs.url);
        assert(compared >= 16, `only ${compared} families compared`);
      });
    });
  },
);

testNeeding(
  REFERENCE,
  "a store Debian let be poisoned restores without the later, contradicting group",
  async () => {
    await withDir(async (dir) => {
      const file = join(dir, "pushgateway.data");
      const writer = await startOfficial([
        `--persistence.file=${file}`,
        "--push.disable-consistency-check",
      ]);
      try {
        for (const [job, type] of [["first", "gauge"], ["second", "counter"]]) {
          assertEquals(
            await send(writer.url, "PUT", `/metrics/job/${job}`, `# TYPE m ${type}\nm 1\n`),
            202,
          );
          await new Promise((r) => setTimeout(r, 20)); // distinct push times
        }
      } finally {
        await stopOfficial(writer);
      }
      const original = await Deno.readFile(file);
      const path = join(dir, "ours.data");
      await Deno.copyFile(file, path);
      const ours = await startGateway([`--persistence.file=${path}`]);
      try {
        const warning = await waitForLog(ours, /left out a group of the official persistence file/);
        assertStringIncludes(warning, 'group="{job=\\"second\\"}"');
        assertStringIncludes(warning, "is not a GAUGE");
        assertStringIncludes(await waitForLog(ours, RESTORED), "groups=1 left_out=1");
        assertEquals([...(await apiGroups(ours.url)).values()].map((g) => g.labels.job), ["first"]);
        assertEquals((await fetch(ours.url + "/metrics")).status, 200);
      } finally {
        await ours.stop();
      }
      assertEquals(await Deno.readFile(`${path}.upstream`), original, "the copy keeps both groups");
      assertEquals(decodeOfficialFile(original).length, 2);
    });
  },
);

testNeeding(
  REFERENCE,
  "the way back: our data exported in the official format, restored by Debian's binary",
  async () => {
    await withDir(async (dir) => {
      // Our gateway, migrated from the fixture, takes more pushes and writes our format.
      const path = join(dir, "ours.data");
      await Deno.copyFile(NEWEST, path);
      const ours = await startGateway([`--persistence.file=${path}`]);
      try {
        await waitForLog(ours, RESTORED);
        await pushVariedSet(ours.url);
      } finally {
        assertEquals((await ours.stop()).code, 0);
      }
      const head = new TextDecoder().decode((await Deno.readFile(path)).subarray(0, 40));
      assert(head.startsWith('{"format":"pushgateway-deno-snapshot"'), head);

      const official = join(dir, "official.data");
      const logs: string[] = [];
      const logger = { info: (m: string) => logs.push(m), error: (m: string) => logs.push(m) };
      assertEquals(await exportOfficialFile({ from: path, to: official, logger }), 0, logs.join());

      const again = await startGateway([`--persistence.file=${path}`]);
      try {
        const theirs = await startOfficial([`--persistence.file=${official}`]);
        try {
          const compared = await compareGateways(again.url, theirs.url, true);
          assert(compared >= 30, `only ${compared} families compared`);
        } finally {
          await stopOfficial(theirs);
        }
      } finally {
        await again.stop();
      }
    });
  },
);

// ---------------------------------------------------------------------------
// The committed fixture is what our Go program writes.

testNeeding(GO, "the committed newest-layout fixture is what make_fixtures writes", async () => {
  await withDir(async (dir) => {
    const source = new URL("make_fixtures/main.go", OFFICIAL_DATA).pathname;
    const binary = await buildGoProgram(source, "make_fixtures");
    const made = await run(binary, [dir]);
    assertEquals(made.code, 0, made.stderr);
    const sorted = (bytes: Uint8Array) =>
      decodeOfficialFile(bytes).sort((a, b) =>
        groupingKey(a.labels) < groupingKey(b.labels) ? -1 : 1
      ).map((g) => ({
        labels: g.labels,
        families: [...g.families].sort(([a], [b]) => (a < b ? -1 : 1)),
      }));
    assertEquals(
      sorted(await Deno.readFile(join(dir, "newest_layout.gob"))),
      sorted(await Deno.readFile(NEWEST)),
    );
    assertEquals(
      await Deno.readFile(join(dir, "gob_kinds.gob")),
      await Deno.readFile(new URL("gob_kinds.gob", OFFICIAL_DATA)),
      "one map entry only: the same bytes every run",
    );
  });
});
