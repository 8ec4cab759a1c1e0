import { assertEquals, assertMatch } from "@std/assert";
import { join } from "@std/path";
import {
  loadSnapshot,
  type PersistenceLogger,
  writeSnapshotAtomic,
} from "@lib/store/persistence.ts";
import { decodeOfficialFile, encodeOfficialFile } from "@lib/store/official_format.ts";
import { type MetricFamily, MetricType } from "@lib/model/metric.ts";
import { groupingPairs, sanitizeFamily, timestampGauge } from "@lib/store/sanitize.ts";
import {
  type Group,
  PUSH_TIME_HELP,
  PUSH_TIME_METRIC,
  type StoredFamily,
} from "@lib/store/types.ts";

const NEWEST = await Deno.readFile(
  new URL("../../tests/testdata/official/newest_layout.gob", import.meta.url),
);
const NOW = Date.UTC(2026, 4, 27, 15, 0, 0, 123);

interface LogEntry {
  level: string;
  msg: string;
  attrs: Record<string, unknown>;
}

function recordingLogger(): PersistenceLogger & { entries: LogEntry[] } {
  const entries: LogEntry[] = [];
  const at = (level: string) => (msg: string, attrs: Record<string, unknown> = {}) => {
    entries.push({ level, msg, attrs });
  };
  return { entries, debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "official_load_test_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function listDir(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) names.push(entry.name);
  return names.sort();
}

const RESTORED_MSG =
  "restored the official Pushgateway's persistence file; the next write replaces it with this gateway's format";

Deno.test("loadSnapshot() restores an official file completely and keeps it as <file>.upstream", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "pushgateway.data");
    await Deno.writeFile(path, NEWEST);
    const logger = recordingLogger();
    const groups = await loadSnapshot(path, logger, { now: () => NOW });
    assertEquals(
      groups.map((g) => g.labels.job),
      ["backup", "latency", "zürich/ost", "never-succeeded"],
      "in the order of their last push",
    );
    const want = decodeOfficialFile(NEWEST);
    for (const g of groups) {
      const w = want.find((x) => x.labels.job === g.labels.job)!;
      assertEquals(g, w);
    }
    assertEquals(logger.entries, [{
      level: "info",
      msg: RESTORED_MSG,
      attrs: { file: path, groups: 4, left_out: 0, copy: `${path}.upstream` },
    }]);
    assertEquals(await listDir(dir), ["pushgateway.data", "pushgateway.data.upstream"]);
    assertEquals(await Deno.readFile(`${path}.upstream`), NEWEST);
    assertEquals(await Deno.readFile(path), NEWEST, "the file itself is untouched until a write");

    // The first write in our format replaces the file; the copy keeps the official bytes.
    await writeSnapshotAtomic(path, groups);
    assertEquals(await Deno.readFile(`${path}.upstream`), NEWEST);
    const ours = await loadSnapshot(path, recordingLogger());
    assertEquals(ours.length, 4);
  });
});

Deno.test("loadSnapshot() reuses an identical copy and never overwrites a different one", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "p.data");
    await Deno.writeFile(path, NEWEST);
    await loadSnapshot(path, recordingLogger(), { now: () => NOW });
    // A restart before the first write: the same copy serves.
    const again = recordingLogger();
    await loadSnapshot(path, again, { now: () => NOW });
    assertEquals(again.entries.map((e) => e.attrs.copy), [`${path}.upstream`]);
    assertEquals(await listDir(dir), ["p.data", "p.data.upstream"]);
    // A copy from an earlier migration with other content stays; the new one gets a timestamp.
    await Deno.remove(`${path}.upstream`);
    await Deno.writeTextFile(`${path}.upstream`, "an older official file");
    const third = recordingLogger();
    await loadSnapshot(path, third, { now: () => NOW });
    const stamped = `${path}.upstream-20260527T150000.123Z`;
    assertEquals(third.entries.map((e) => e.attrs.copy), [stamped]);
    assertEquals(await Deno.readTextFile(`${path}.upstream`), "an older official file");
    assertEquals(await Deno.readFile(stamped), NEWEST);
  });
});

function gaugeFamily(name: string, type: MetricType, labels: Record<string, string>): MetricFamily {
  const f: MetricFamily = {
    name,
    type,
    help: "h",
    metric: [
      type === MetricType.GAUGE ? { label: [], gauge: { value: 1 } } : {
        label: [],
        counter: { value: 1 },
      },
    ],
  };
  sanitizeFamily(f, labels, groupingPairs(labels));
  return f;
}

function upstreamGroup(job: string, type: MetricType, pushedMs: number): Group {
  const labels = { job };
  const families = new Map<string, StoredFamily>([
    ["m", { family: gaugeFamily("m", type, labels), lastPushMs: pushedMs }],
    [PUSH_TIME_METRIC, {
      family: timestampGauge(PUSH_TIME_METRIC, PUSH_TIME_HELP, labels, pushedMs / 1000),
      lastPushMs: pushedMs,
    }],
  ]);
  return { labels, families };
}

Deno.test("loadSnapshot() leaves out a contradicting group of an official file with a warning naming it", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "p.data");
    const poisoned = encodeOfficialFile([
      upstreamGroup("late", MetricType.COUNTER, 2000),
      upstreamGroup("early", MetricType.GAUGE, 1000),
    ]);
    await Deno.writeFile(path, poisoned);
    const logger = recordingLogger();
    const groups = await loadSnapshot(path, logger, { now: () => NOW });
    assertEquals(groups.map((g) => g.labels.job), ["early"]);
    assertEquals(logger.entries.map((e) => `${e.level} ${e.msg}`), [
      "warn left out a group of the official persistence file: it contradicts earlier ones",
      `info ${RESTORED_MSG}`,
    ]);
    assertEquals(logger.entries[0]!.attrs.group, '{job="late"}');
    assertEquals(logger.entries[0]!.attrs.kept_in, `${path}.upstream`);
    assertMatch(String(logger.entries[0]!.attrs.err), /collected metric "m" .* is not a GAUGE/);
    assertEquals(logger.entries[1]!.attrs.left_out, 1);
    assertEquals(await Deno.readFile(`${path}.upstream`), poisoned, "the copy still has it");
  });
});

Deno.test("loadSnapshot() sets a damaged official file aside like a damaged snapshot", async () => {
  for (const cut of [20, 1000, NEWEST.length - 1]) {
    await withTempDir(async (dir) => {
      const path = join(dir, "p.data");
      const bytes = NEWEST.subarray(0, cut);
      await Deno.writeFile(path, bytes);
      const logger = recordingLogger();
      assertEquals(await loadSnapshot(path, logger, { now: () => NOW }), []);
      assertEquals(logger.entries.map((e) => `${e.level} ${e.msg}`), [
        "error could not load persisted metrics",
        "warn moved unreadable persistence file aside",
      ]);
      assertMatch(
        String(logger.entries[0]!.attrs.err),
        /Invalid official Pushgateway persistence file/,
      );
      assertEquals(await listDir(dir), ["p.data.corrupt-20260527T150000.123Z"]);
      assertEquals(await Deno.readFile(join(dir, "p.data.corrupt-20260527T150000.123Z")), bytes);
    });
  }
});
