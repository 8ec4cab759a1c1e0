/**
 * End-to-end tests of `--persistence.file` against the real gateway process:
 * restore after every way of stopping, the write cadence, SIGHUP, damaged
 * files, unwritable locations and stale temp files. Files live in temp
 * directories; the gateway listens on 127.0.0.1 only.
 */

import { assert, assertEquals, assertMatch, assertNotEquals } from "@std/assert";
import { join } from "@std/path";
import { decodeDelimited, decodeFamily } from "@lib/protobuf/decode.ts";
import { encodeDelimited } from "@lib/protobuf/encode.ts";
import { emptyHistogram, type MetricFamily, MetricType } from "@lib/model/metric.ts";
import { decodeSnapshot } from "@lib/store/snapshot_decode.ts";
import { SnapshotEncoder } from "@lib/store/snapshot_encode.ts";
import type { Group } from "@lib/store/types.ts";
import { PROTO_DELIMITED } from "@lib/expfmt/media_type.ts";
import { putOk, request } from "@lib/http/test_client.ts";
import {
  type RunningGateway,
  startGateway,
  type StartOptions,
  waitForLog,
  withGateway,
} from "./helpers/gateway.ts";
import { poll, type PollOptions } from "./helpers/poll.ts";
import { hasProgram, testNeeding } from "./helpers/requirements.ts";

const TEXT_UTF8 = "text/plain; version=1.0.0; escaping=allow-utf-8";
const IN_PROGRESS = ".in_progress.";

// ---------------------------------------------------------------------------
// Helpers

/** Sleeps; only ever used to let time pass, never to assert a duration. */
function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** How long the tests wait for the gateway to do something: 600 looks, 50 ms apart. */
const PATIENCE: PollOptions = { attempts: 600, intervalMs: 50 };

async function readOrUndefined(path: string): Promise<Uint8Array | undefined> {
  try {
    return await Deno.readFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return undefined;
    throw err;
  }
}

async function listDir(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) names.push(entry.name);
  return names.sort();
}

async function assertNoTempFiles(dir: string): Promise<void> {
  let names: string[];
  try {
    names = await listDir(dir);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound || err instanceof Deno.errors.NotADirectory) return;
    throw err;
  }
  assertEquals(names.filter((n) => n.includes(IN_PROGRESS)), [], `temp files left in ${dir}`);
}

/**
 * Runs `fn` with a fresh temp directory; afterwards checks that no
 * `.in_progress.` file was left in it (or in `extraDirs`) and removes it.
 */
async function withTempDir(
  fn: (dir: string, extraDirs: string[]) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "pgw-persist-" });
  const extraDirs: string[] = [];
  try {
    await fn(dir, extraDirs);
    for (const d of [dir, ...extraDirs]) await assertNoTempFiles(d);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function hasLog(logs: readonly string[], pattern: RegExp): boolean {
  return logs.some((l) => pattern.test(l));
}

function assertLog(logs: readonly string[], pattern: RegExp): void {
  assert(hasLog(logs, pattern), `no log line matches ${pattern}:\n${logs.join("\n")}`);
}

/** Whether `name` is one of the gateway's own families (left out of comparisons). */
function isOwn(name: string): boolean {
  return name.startsWith("pushgateway_") || name.startsWith("process_");
}

/** The metric name a text-format line is about (`undefined` for quoted names and blanks). */
function lineName(line: string): string | undefined {
  const m = line.match(/^# (?:HELP|TYPE) ([^\s"]+)/) ?? line.match(/^([^\s{"#]+)[{ ]/);
  return m?.[1];
}

/** The text exposition without the gateway's own families. */
function pushedText(text: string): string {
  return text.split("\n").filter((l) => {
    const name = lineName(l);
    return name === undefined || !isOwn(name);
  }).join("\n");
}

/** The protobuf exposition's frames (length prefix included) of pushed families only. */
function pushedFrames(bytes: Uint8Array): { names: string[]; bytes: Uint8Array } {
  const names: string[] = [];
  const kept: Uint8Array[] = [];
  let pos = 0;
  while (pos < bytes.length) {
    let len = 0;
    let shift = 0;
    const start = pos;
    for (;;) {
      const b = bytes[pos++]!;
      len += (b & 0x7f) * 2 ** shift;
      shift += 7;
      if (b < 0x80) break;
    }
    const frame = bytes.subarray(pos, pos + len);
    pos += len;
    const name = decodeFamily(frame).name;
    if (isOwn(name)) continue;
    names.push(name);
    kept.push(bytes.subarray(start, pos));
  }
  const out = new Uint8Array(kept.reduce((n, k) => n + k.length, 0));
  let at = 0;
  for (const k of kept) {
    out.set(k, at);
    at += k.length;
  }
  return { names, bytes: out };
}

interface Outputs {
  text: string;
  textUtf8: string;
  proto: Uint8Array;
  protoNames: string[];
  api: unknown;
}

/** Everything a client can see of the store. */
async function capture(gw: RunningGateway): Promise<Outputs> {
  const text = (await request(gw, "GET", "/metrics")).text;
  const textUtf8 = (await request(gw, "GET", "/metrics", undefined, { accept: TEXT_UTF8 })).text;
  const res = await fetch(gw.url + "/metrics", { headers: { accept: PROTO_DELIMITED } });
  const frames = pushedFrames(new Uint8Array(await res.arrayBuffer()));
  const api = JSON.parse((await request(gw, "GET", "/api/v1/metrics")).text);
  return {
    text: pushedText(text),
    textUtf8: pushedText(textUtf8),
    proto: frames.bytes,
    protoNames: frames.names,
    api,
  };
}

/** Parses a snapshot file; throws when it is not a valid one. */
async function readSnapshot(path: string): Promise<Group[]> {
  return decodeSnapshot(await Deno.readTextFile(path));
}

function jobs(groups: readonly Group[]): string[] {
  return groups.map((g) => g.labels.job ?? "").sort();
}

/** A valid snapshot file holding one group `job=<job>` with a gauge `restored_value`. */
function validSnapshot(job: string, value: number): string {
  const labels = [{ name: "instance", value: "" }, { name: "job", value: job }];
  const group: Group = {
    labels: { job },
    families: new Map([
      ["restored_value", {
        lastPushMs: 1_700_000_000_000.25,
        family: {
          name: "restored_value",
          type: MetricType.GAUGE,
          metric: [{ label: labels, gauge: { value } }],
        },
      }],
    ]),
  };
  const enc = new SnapshotEncoder();
  return enc.header() + enc.group(group) + enc.trailer();
}

// ---------------------------------------------------------------------------
// What gets pushed for the round-trip test

const TEXT_TYPES = `# HELP c_total A counter with "quotes", \\\\ backslash and \\n newline.
# TYPE c_total counter
c_total{l="a"} 3
c_total{l="b"} 1e-05
# TYPE g gauge
g{v="neg"} -0.5
g{v="nan"} NaN
g{v="negzero"} -0
g{v="big"} 1.7976931348623157e+308
# HELP u
u{q="inf"} +Inf
u{q="ninf"} -Inf
# HELP s A summary.
# TYPE s summary
s{quantile="0.5"} 1
s{quantile="0.99"} 2.000000000000001
s_sum 10
s_count 4
# TYPE h histogram
h_bucket{le="0.5"} 1
h_bucket{le="1"} 2
h_bucket{le="+Inf"} 3
h_sum 2.5
h_count 3
`;

function nativeFamilies(): MetricFamily[] {
  return [
    {
      name: "native_h",
      help: "",
      type: MetricType.HISTOGRAM,
      metric: [{
        label: [{ name: "kind", value: "int" }],
        histogram: {
          ...emptyHistogram(),
          sampleCount: 20,
          sampleSum: 99.23,
          schema: 1,
          zeroThreshold: 2.938735877055719e-39,
          zeroCount: 2,
          negativeSpan: [{ offset: -1, length: 2 }],
          negativeDelta: [2, -1],
          positiveSpan: [{ offset: 0, length: 2 }, { offset: 3, length: 1 }],
          positiveDelta: [3, 1, -2],
          createdTimestamp: { seconds: 1_700_000_000, nanos: 123_456_789 },
          exemplars: [{
            label: [{ name: "trace_id", value: "abc" }],
            value: 1.5,
            timestamp: { seconds: 1_700_000_001, nanos: 5 },
          }],
        },
      }],
    },
    {
      name: "native_fh",
      help: "A float histogram.",
      type: MetricType.GAUGE_HISTOGRAM,
      metric: [{
        label: [],
        histogram: {
          ...emptyHistogram(),
          sampleCountFloat: 7.5,
          sampleSum: -3.25,
          schema: -2,
          zeroThreshold: 0.001,
          zeroCountFloat: 0.5,
          positiveSpan: [{ offset: 1, length: 3 }],
          positiveCount: [1.5, 2.5, 3],
        },
      }],
    },
    {
      name: "proto_gauge",
      type: MetricType.GAUGE,
      metric: [
        { label: [{ name: "v", value: "negzero" }], gauge: { value: -0 } },
        { label: [{ name: "v", value: "tiny" }], gauge: { value: 5e-324 } },
      ],
    },
    {
      name: "classic_with_exemplar",
      type: MetricType.COUNTER,
      metric: [{
        label: [{ name: "x", value: "ü" }],
        counter: {
          value: 42,
          createdTimestamp: { seconds: 1_600_000_000, nanos: 1 },
          exemplar: { label: [{ name: "id", value: "e1" }], value: 1 },
        },
      }],
    },
  ];
}

// ---------------------------------------------------------------------------
// Round trip

Deno.test("SIGTERM persists every type; a restart restores identical text, protobuf and API output", async () => {
  await withTempDir(async (dir) => {
    const file = join(dir, "p.db");
    const args = [`--persistence.file=${file}`, "--push.enable-utf8-names"];
    const first = await withGateway(args, async (gw) => {
      await putOk(gw, "/metrics/job/types/instance/i1", TEXT_TYPES);
      const native = await request(
        gw,
        "PUT",
        "/metrics/job/native",
        new Uint8Array(encodeDelimited(nativeFamilies())),
        {
          "content-type": PROTO_DELIMITED,
        },
      );
      assertEquals(native.status, 200, native.text);
      await putOk(
        gw,
        "/metrics/job/utf8/path@base64/L3Zhci90bXA",
        '{"my.metric", "label.x"="v"} 1\n',
      );
      await putOk(gw, "/metrics/job/empty", "");
      await putOk(gw, "/metrics/job/nohelp/e@base64/=", "no_help_at_all 5\n");
      const merged = await request(gw, "POST", "/metrics/job/types/instance/i1", "later 1\n");
      assertEquals(merged.status, 200);
      const failed = await request(gw, "PUT", "/metrics/job/types/instance/i1", "g 1 1234\n");
      assertEquals(failed.status, 400, "a push with a timestamp fails");
      const failedNew = await request(gw, "PUT", "/metrics/job/failed_only", "x 1 1234\n");
      assertEquals(failedNew.status, 400);
      return await capture(gw);
    });
    assertEquals(first.status.code, 0, first.logs.join("\n"));
    const before = first.result;

    // The capture really holds what was pushed (an empty-vs-empty comparison proves nothing).
    for (
      const line of [
        'c_total{instance="i1",job="types",l="a"} 3',
        'g{instance="i1",job="types",v="negzero"} 0', // Go's text writer prints -0 as 0
        'u{instance="i1",job="types",q="ninf"} -Inf',
        's{instance="i1",job="types",quantile="0.99"} 2.000000000000001',
        'h_bucket{instance="i1",job="types",le="+Inf"} 3',
        'no_help_at_all{e="",instance="",job="nohelp"} 5',
        '{"my.metric",instance="",job="utf8","label.x"="v",path="/var/tmp"} 1',
        "\n# HELP native_h \n", // present but empty (protobuf)
        'push_time_seconds{instance="",job="empty"}',
      ]
    ) {
      const where = line.startsWith('{"') ? before.textUtf8 : before.text;
      assert(where.includes(line), `missing ${JSON.stringify(line)} in:\n${where}`);
    }
    assertMatch(before.text, /\npush_failure_time_seconds\{instance="i1",job="types"\} [1-9]/);
    assertMatch(before.text, /\npush_time_seconds\{instance="",job="failed_only"\} 0\n/);
    assertMatch(before.text, /\npush_failure_time_seconds\{instance="",job="failed_only"\} [1-9]/);
    const protoNames = ["native_h", "native_fh", "proto_gauge", "classic_with_exemplar"];
    for (const name of [...protoNames, "push_time_seconds"]) {
      assert(before.protoNames.includes(name), `${name} missing from protobuf`);
    }
    assert(!before.text.includes("# HELP no_help_at_all"), "absent help stays absent");
    const groups = (before.api as { data: unknown[] }).data;
    assertEquals(groups.length, 6);

    const snapshot = await readSnapshot(file);
    assertEquals(jobs(snapshot), ["empty", "failed_only", "native", "nohelp", "types", "utf8"]);

    const second = await withGateway(args, (gw) => capture(gw));
    assertEquals(second.status.code, 0);
    assert(!hasLog(second.logs, /could not load persisted metrics/), second.logs.join("\n"));
    const after = second.result;
    assertEquals(after.text, before.text);
    assertEquals(after.textUtf8, before.textUtf8);
    assertEquals(after.protoNames, before.protoNames);
    assertEquals(after.proto, before.proto, "protobuf exposition is byte-identical");
    assertEquals(after.api, before.api);
    const gauge = decodeDelimited(after.proto).find((f) => f.name === "proto_gauge");
    assert(Object.is(gauge?.metric[0]?.gauge?.value, -0), "-0 survives in protobuf");
    assertEquals(gauge?.metric[1]?.gauge?.value, 5e-324);
  });
});

Deno.test("PUT /-/quit exits 0 by itself and writes the file; SIGINT persists too", async () => {
  await withTempDir(async (dir) => {
    const file = join(dir, "p.db");
    const gw = await startGateway([`--persistence.file=${file}`, "--web.enable-lifecycle"]);
    try {
      await putOk(gw, "/metrics/job/quit", "q 1\n");
      assertEquals(await readOrUndefined(file), undefined, "nothing written before shutdown");
      const quit = await request(gw, "PUT", "/-/quit");
      assertEquals(quit.status, 200);
    } catch (err) {
      await gw.stop("SIGKILL");
      throw err;
    }
    const status = await gw.exited();
    assertEquals(status.code, 0, gw.logs.join("\n"));
    assertLog(gw.logs, /received termination request via web service/);
    assertEquals(jobs(await readSnapshot(file)), ["quit"]);

    const gw2 = await startGateway([`--persistence.file=${file}`]);
    try {
      assert((await request(gw2, "GET", "/metrics")).text.includes('q{instance="",job="quit"} 1'));
      await putOk(gw2, "/metrics/job/int", "i 2\n");
    } catch (err) {
      await gw2.stop("SIGKILL");
      throw err;
    }
    const status2 = await gw2.stop("SIGINT");
    assertEquals(status2.code, 0, gw2.logs.join("\n"));
    assertLog(gw2.logs, /received SIGINT\/SIGTERM/);
    assertEquals(jobs(await readSnapshot(file)), ["int", "quit"]);
  });
});

// ---------------------------------------------------------------------------
// Cadence

Deno.test("cadence: with a long interval nothing is written before shutdown; SIGTERM writes", async () => {
  await withTempDir(async (dir) => {
    const file = join(dir, "p.db");
    const args = [`--persistence.file=${file}`, "--persistence.interval=1h"];
    // lastPersist starts at process start (upstream), so the first push is due an hour later.
    const first = await withGateway(args, async (gw) => {
      await putOk(gw, "/metrics/job/a", "a 1\n");
      await putOk(gw, "/metrics/job/b", "b 1\n");
      await request(gw, "DELETE", "/metrics/job/b");
      assertEquals((await request(gw, "GET", "/metrics")).status, 200);
      assertEquals(await readOrUndefined(file), undefined);
    });
    assertEquals(first.status.code, 0);
    assert(!hasLog(first.logs, /metrics persisted/), "the shutdown write is not logged");
    assertEquals(jobs(await readSnapshot(file)), ["a"]);

    const written = await Deno.readFile(file);
    const second = await withGateway(args, async (gw) => {
      await putOk(gw, "/metrics/job/c", "c 1\n");
      assertEquals(await Deno.readFile(file), written, "the second run has not written yet");
    });
    assertEquals(second.status.code, 0);
    assertEquals(jobs(await readSnapshot(file)), ["a", "c"]);
  });
});

Deno.test("cadence: after a quiet spell the first push is written promptly; at most one write per interval", async () => {
  await withTempDir(async (dir) => {
    const file = join(dir, "p.db");
    const intervalMs = 300;
    const spawnedAt = Date.now();
    const gw = await startGateway([
      `--persistence.file=${file}`,
      `--persistence.interval=${intervalMs}ms`,
    ]);
    let status: Deno.CommandStatus;
    let last = 0;
    try {
      await sleep(2 * intervalMs); // a quiet spell longer than the interval
      await putOk(gw, "/metrics/job/first", "f 1\n");
      await poll("the first push is written", async () => {
        const bytes = await readOrUndefined(file);
        if (bytes === undefined) return undefined;
        return jobs(decodeSnapshot(new TextDecoder().decode(bytes))).includes("first") || undefined;
      }, PATIENCE);
      for (let i = 1; i <= 60; i++) {
        await putOk(gw, "/metrics/job/burst", `burst ${i}\n`);
        last = i;
      }
    } finally {
      status = await gw.stop("SIGTERM");
    }
    const elapsed = Date.now() - spawnedAt;
    assertEquals(status.code, 0);
    const writes = gw.logs.filter((l) => /msg="metrics persisted"/.test(l)).length;
    assert(writes >= 1, "at least the prompt write is logged");
    // Writes start at least one interval apart, all inside [spawn, exit]: a
    // bound that noise can only loosen.
    assert(
      writes <= Math.floor(elapsed / intervalMs) + 1,
      `${writes} writes in ${elapsed} ms with a ${intervalMs} ms interval`,
    );
    const groups = await readSnapshot(file);
    assertEquals(jobs(groups), ["burst", "first"]);
    const burst = groups.find((g) => g.labels.job === "burst")!;
    assertEquals(burst.families.get("burst")?.family.metric[0]?.untyped?.value, last);
  });
});

// ---------------------------------------------------------------------------
// SIGHUP

Deno.test("SIGHUP during pushes neither kills the gateway nor loses acknowledged groups", async () => {
  await withTempDir(async (dir) => {
    const file = join(dir, "p.db");
    const args = [`--persistence.file=${file}`, "--persistence.interval=100ms"];
    const total = 300;
    const hups = 6;
    const acked = new Set<number>();
    const first = await withGateway(args, async (gw) => {
      let next = 0;
      let sent = 0;
      const worker = async (): Promise<void> => {
        while (next < total) {
          const i = next++;
          const r = await request(gw, "PUT", `/metrics/job/hup/n/${i}`, `hup_value ${i}\n`);
          assertEquals(r.status, 200, r.text);
          acked.add(i);
          if (++sent % Math.floor(total / hups) === 0) gw.process.kill("SIGHUP");
        }
      };
      await Promise.all([worker(), worker(), worker(), worker()]);
      // Signals of one kind that arrive together may be merged by the kernel: expect at
      // least one logged reload, and never more than were sent.
      await waitForLog(gw, /received SIGHUP/, PATIENCE);
      assert(gw.logs.filter((l) => /received SIGHUP/.test(l)).length <= hups);
      assertEquals((await request(gw, "GET", "/-/healthy")).status, 200);
    });
    assertEquals(first.status.code, 0, first.logs.join("\n"));
    assertEquals(acked.size, total);

    const second = await withGateway(args, async (gw) => {
      const api = JSON.parse((await request(gw, "GET", "/api/v1/metrics")).text) as {
        data: { labels: Record<string, string> }[];
      };
      return new Set(api.data.map((g) => Number(g.labels.n)));
    });
    assertEquals(second.status.code, 0);
    for (const i of acked) assert(second.result.has(i), `group n=${i} lost`);
    assertEquals(second.result.size, total);
  });
});

// ---------------------------------------------------------------------------
// Damaged files

const GOOD = validSnapshot("old", 1);

const DAMAGED: { name: string; bytes: Uint8Array; reason: RegExp }[] = [
  {
    name: "truncated",
    bytes: new TextEncoder().encode(GOOD.slice(0, GOOD.lastIndexOf('{"groups"'))),
    reason: /trailer missing/,
  },
  {
    name: "cut mid-line",
    bytes: new TextEncoder().encode(GOOD.slice(0, 80)),
    reason: /last line has no newline|truncated|not valid JSON/,
  },
  {
    name: "corrupt (one byte changed)",
    bytes: new TextEncoder().encode(GOOD.replace('"restored_value"', '"restored_valuf"')),
    reason: /checksum mismatch/,
  },
  { name: "empty", bytes: new Uint8Array(), reason: /file is empty/ },
  {
    name: "wrong version",
    bytes: new TextEncoder().encode(GOOD.replace('"version":3', '"version":4')),
    reason: /unsupported format version 4/,
  },
  {
    name: "truncated official file (Go gob)",
    bytes: new Uint8Array([0x0e, 0xff, 0x81, 0x02, 0x01, 0x02, 0xff, 0x82, 0x00, 0x01, 0x0c]),
    reason: /Invalid official Pushgateway persistence file: stream ends inside a message/,
  },
  {
    name: "garbage",
    bytes: new Uint8Array([0x00, 0xfe, 0x81, 0x02, 0xc3, 0x28, 0xff, 0x82, 0x00, 0x01, 0x0c]),
    reason: /not valid UTF-8|not a pushgateway-deno snapshot/,
  },
  {
    name: "foreign text",
    bytes: new TextEncoder().encode("# TYPE up gauge\nup 1\n"),
    reason: /not a pushgateway-deno snapshot/,
  },
];

Deno.test("a damaged file: start empty, log why, keep its bytes aside, next write is good", async (t) => {
  for (const damaged of DAMAGED) {
    await t.step(damaged.name, async () => {
      await withTempDir(async (dir) => {
        const file = join(dir, "p.db");
        await Deno.writeFile(file, damaged.bytes);
        const run = await withGateway([`--persistence.file=${file}`], async (gw) => {
          const api = JSON.parse((await request(gw, "GET", "/api/v1/metrics")).text);
          assertEquals(api, { status: "success", data: [] });
          assertEquals(await readOrUndefined(file), undefined, "moved away before listening");
          await putOk(gw, "/metrics/job/new", "fresh 1\n");
        });
        assertEquals(run.status.code, 0);
        assertLog(run.logs, /level=error .*msg="could not load persisted metrics"/);
        assertLog(run.logs, damaged.reason);
        assertLog(run.logs, /msg="moved unreadable persistence file aside"/);
        const aside = (await listDir(dir)).filter((n) => n.startsWith("p.db.corrupt-"));
        assertEquals(aside.length, 1, `set-aside files: ${aside}`);
        assertEquals(await Deno.readFile(join(dir, aside[0]!)), damaged.bytes);
        assertEquals(jobs(await readSnapshot(file)), ["new"]);
      });
    });
  }
});

Deno.test("a good file next to stale temp files: temps removed on start, data restored", async () => {
  await withTempDir(async (dir) => {
    const file = join(dir, "p.db");
    await Deno.writeTextFile(file, validSnapshot("old", 7));
    await Deno.writeTextFile(join(dir, "p.db.in_progress.123"), GOOD.slice(0, 20));
    await Deno.writeTextFile(join(dir, "p.db.in_progress.4294967295"), "");
    await Deno.writeTextFile(join(dir, "other.db.in_progress.1"), "not ours");
    const run = await withGateway([`--persistence.file=${file}`], async (gw) => {
      assertEquals(await listDir(dir), ["other.db.in_progress.1", "p.db"]);
      const text = (await request(gw, "GET", "/metrics")).text;
      assert(text.includes('restored_value{instance="",job="old"} 7'), text);
    });
    assertEquals(run.status.code, 0);
    assertEquals(
      run.logs.filter((l) => /removed stale temporary persistence file/.test(l)).length,
      2,
    );
    assert(!hasLog(run.logs, /could not load/));
    await Deno.remove(join(dir, "other.db.in_progress.1"));
  });
});

Deno.test("after a restore the heap is compacted once, while the gateway serves the restored data", async () => {
  await withTempDir(async (dir) => {
    const file = join(dir, "p.db");
    await Deno.writeTextFile(file, validSnapshot("old", 7));
    const run = await withGateway(
      [`--persistence.file=${file}`, "--log.level=debug"],
      async (gw) => {
        const line = await waitForLog(gw, /heap compacted after the restore/, PATIENCE);
        assertMatch(line, /level=debug .* ms=\d+/);
        const text = (await request(gw, "GET", "/metrics")).text;
        assert(text.includes('restored_value{instance="",job="old"} 7'), text);
      },
    );
    assertEquals(run.status.code, 0);
    assertEquals(run.logs.filter((l) => /heap compacted/.test(l)).length, 1);
  });
});

Deno.test("the compaction after a restore waits for a quiet moment: requests postpone it", async () => {
  await withTempDir(async (dir) => {
    const file = join(dir, "p.db");
    await Deno.writeTextFile(file, validSnapshot("old", 7));
    await withGateway([`--persistence.file=${file}`, "--log.level=debug"], async (gw) => {
      // Requests ~30 ms apart for a second: the gateway never has 0.25 s without one, so the
      // compaction comes before the first of them or after the last. (A gap the client saw as
      // longer, on a stalled machine, lets it happen between them: then nothing is asserted.)
      let first = NaN, last = NaN, longestGap = 0;
      for (const until = Date.now() + 1000; Date.now() < until;) {
        const started = Date.now();
        if (!Number.isNaN(last)) longestGap = Math.max(longestGap, started - last);
        assertEquals((await request(gw, "GET", "/-/healthy")).status, 200);
        if (Number.isNaN(first)) first = started;
        last = Date.now();
        await sleep(30);
      }
      const line = await waitForLog(gw, /heap compacted after the restore/, PATIENCE);
      const at = Date.parse(/ts=(\S+)/.exec(line)?.[1] ?? "");
      assert(!Number.isNaN(at), line);
      if (longestGap < 200) {
        assert(at <= first || at >= last, `compacted at ${at}, between requests ${first}..${last}`);
      }
    });
  });
});

// ---------------------------------------------------------------------------
// Unwritable locations

async function assertUnwritable(
  file: string,
  errPattern: RegExp,
  options: StartOptions = {},
): Promise<string[]> {
  const gw = await startGateway([
    `--persistence.file=${file}`,
    "--persistence.interval=50ms",
  ], options);
  try {
    await putOk(gw, "/metrics/job/w", "w 1\n");
    await waitForLog(gw, /error persisting metrics/, PATIENCE);
    await putOk(gw, "/metrics/job/w2", "w 2\n");
    const text = (await request(gw, "GET", "/metrics")).text;
    assert(text.includes('w{instance="",job="w2"} 2'), "pushes keep working");
    assertEquals((await request(gw, "GET", "/-/ready")).status, 200);
  } catch (err) {
    await gw.stop("SIGKILL");
    throw err;
  }
  const status = await gw.stop("SIGTERM");
  assertNotEquals(status.code, 0, "a failed final write makes the exit status non-zero");
  assertLog(gw.logs, /level=error .*msg="error persisting metrics" .*err=/);
  assertLog(gw.logs, /level=error .*msg="problem shutting down metric storage"/);
  const failures = gw.logs.filter((l) => /error persisting metrics|problem shutting down/.test(l));
  for (const line of failures) assertMatch(line, errPattern);
  assert(!hasLog(gw.logs, /panic|Uncaught/), gw.logs.join("\n"));
  return gw.logs;
}

Deno.test("a missing directory: pushes work, errors are logged, non-zero exit", async () => {
  await withTempDir(async (dir) => {
    const file = join(dir, "missing", "dir", "p.db");
    const logs = await assertUnwritable(file, /No such file or directory|os error 2\b/);
    assert(!hasLog(logs, /could not load persisted metrics/), "a missing file is silent");
    assertEquals(await listDir(dir), [], "nothing created");
  });
});

Deno.test("a parent that is a regular file (ENOTDIR): pushes work, errors are logged, non-zero exit", async () => {
  await withTempDir(async (dir) => {
    const plain = join(dir, "plain");
    await Deno.writeTextFile(plain, "keep me");
    const logs = await assertUnwritable(join(plain, "p.db"), /Not a directory|os error 20\b/);
    assertLog(logs, /could not load persisted metrics/);
    assertEquals(await Deno.readTextFile(plain), "keep me");
    assertEquals(await listDir(dir), ["plain"]);
  });
});

Deno.test("a file path that is a directory (EISDIR): left alone, errors are logged, non-zero exit", async () => {
  await withTempDir(async (dir) => {
    const target = join(dir, "p.db");
    await Deno.mkdir(target);
    await Deno.writeTextFile(join(target, "inside"), "keep me");
    const logs = await assertUnwritable(target, /Is a directory|os error 21\b/);
    assertLog(logs, /could not load persisted metrics/);
    assert(!hasLog(logs, /moved unreadable persistence file aside/), "a directory is not moved");
    assertEquals(await listDir(dir), ["p.db"]);
    assertEquals(await Deno.readTextFile(join(target, "inside")), "keep me");
  });
});

const IS_ROOT = Deno.uid() === 0;

testNeeding(
  {
    available: !IS_ROOT || hasProgram("setpriv"),
    reason: "setpriv (util-linux) is needed to drop root privileges",
  },
  "a read-only directory: EACCES logged, old file untouched, pushes work, no temp files",
  async () => {
    await withTempDir(async (dir, extraDirs) => {
      // The temp dir is 0700; uid 65534 must be able to traverse it.
      await Deno.chmod(dir, 0o755);
      const ro = join(dir, "ro");
      await Deno.mkdir(ro);
      extraDirs.push(ro);
      const file = join(ro, "p.db");
      await Deno.writeTextFile(file, validSnapshot("old", 3));
      await Deno.chmod(file, 0o644);
      let options: StartOptions = {};
      if (IS_ROOT) {
        // root ignores permissions: run as nobody, with a Deno cache it can read.
        const denoDir = join(dir, "deno_dir");
        await Deno.mkdir(denoDir);
        const cp = await new Deno.Command("cp", {
          args: ["-r", join(rootDenoDir(), "npm"), denoDir],
        }).output();
        assertEquals(cp.code, 0, new TextDecoder().decode(cp.stderr));
        const chmod = await new Deno.Command("chmod", { args: ["-R", "a+rwX", denoDir] }).output();
        assertEquals(chmod.code, 0);
        await Deno.chmod(ro, 0o755); // root-owned: nobody cannot create entries in it
        options = {
          wrapper: NOBODY,
          env: { DENO_DIR: denoDir },
          ...await readableByNobody(dir),
        };
      } else {
        await Deno.chmod(ro, 0o555);
      }
      const before = await Deno.readFile(file);
      try {
        const logs = await assertUnwritable(
          file,
          /Permission denied|EACCES|os error 13\b/,
          options,
        );
        assert(!hasLog(logs, /could not load persisted metrics/), logs.join("\n"));
      } finally {
        await Deno.chmod(ro, 0o755);
      }
      assertEquals(await Deno.readFile(file), before, "the old snapshot is untouched");
      assertEquals(await listDir(ro), ["p.db"]);
    });
  },
);

const NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"];
const ROOT = new URL("../", import.meta.url).pathname;

/** Whether uid 65534 passes `test <flag> <path>`. */
async function nobodyCan(flag: "-r" | "-x", path: string): Promise<boolean> {
  const out = await new Deno.Command(NOBODY[0] as string, {
    args: [...NOBODY.slice(1), "test", flag, path],
  }).output();
  return out.success;
}

/**
 * `main`/`denoBin` options that uid 65534 can use: the checkout and the Deno
 * binary may sit in directories only root can enter (a CI clone in a 0700
 * temp dir, Deno under /root); then world-readable copies in `dir` are used.
 */
async function readableByNobody(dir: string): Promise<Pick<StartOptions, "main" | "denoBin">> {
  const out: { main?: string; denoBin?: string } = {};
  if (!await nobodyCan("-r", join(ROOT, "main.ts"))) {
    const app = join(dir, "app");
    await Deno.mkdir(app);
    const items = ["main.ts", "lib", "ui", "deno.json", "deno.lock", "vendor", ".deno-version"];
    const cp = await new Deno.Command("cp", { args: ["-a", ...items, app], cwd: ROOT }).output();
    assertEquals(cp.code, 0, new TextDecoder().decode(cp.stderr));
    await new Deno.Command("chmod", { args: ["-R", "a+rX", app] }).output();
    out.main = join(app, "main.ts");
  }
  if (!await nobodyCan("-x", Deno.execPath())) {
    out.denoBin = join(dir, "deno");
    await Deno.copyFile(Deno.execPath(), out.denoBin);
    await Deno.chmod(out.denoBin, 0o755);
  }
  return out;
}

/** The Deno cache directory of the user running the tests. */
function rootDenoDir(): string {
  return Deno.env.get("DENO_DIR") ?? join(Deno.env.get("HOME") ?? "/root", ".cache", "deno");
}
