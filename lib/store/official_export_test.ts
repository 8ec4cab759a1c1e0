import { assertEquals, assertMatch } from "@std/assert";
import { join } from "@std/path";
import { exportOfficialFile } from "@lib/store/official_export.ts";
import { decodeOfficialFile } from "@lib/store/official_format.ts";
import { writeSnapshotAtomic } from "@lib/store/persistence.ts";
import { formatRfc3339Nano } from "@lib/gocompat/go_json.ts";

const NEWEST = await Deno.readFile(
  new URL("../../tests/testdata/official/newest_layout.gob", import.meta.url),
);

interface Entry {
  level: string;
  msg: string;
  attrs: Record<string, unknown>;
}

function recordingLogger() {
  const entries: Entry[] = [];
  const at = (level: string) => (msg: string, attrs: Record<string, unknown> = {}) => {
    entries.push({ level, msg, attrs });
  };
  return { entries, info: at("info"), error: at("error") };
}

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "official_export_test_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const WROTE =
  "wrote the metrics in the official Pushgateway's persistence format; start it with --persistence.file set to this file";

Deno.test("exportOfficialFile() writes our snapshot as an official file with the same groups", async () => {
  await withTempDir(async (dir) => {
    const groups = decodeOfficialFile(NEWEST);
    const ours = join(dir, "ours.data");
    await writeSnapshotAtomic(ours, groups);
    const before = await Deno.readFile(ours);
    const to = join(dir, "official.data");
    const logger = recordingLogger();
    assertEquals(await exportOfficialFile({ from: ours, to, logger }), 0);
    assertEquals(logger.entries, [{
      level: "info",
      msg: WROTE,
      attrs: { from: ours, to, groups: 4, source_format: "ours" },
    }]);
    const back = decodeOfficialFile(await Deno.readFile(to));
    assertEquals(back.map((g) => g.labels), groups.map((g) => g.labels));
    for (const [i, g] of groups.entries()) {
      for (const [name, stored] of g.families) {
        const b = back[i]!.families.get(name)!;
        assertEquals(b.family, stored.family);
        assertEquals(formatRfc3339Nano(b.lastPushMs), formatRfc3339Nano(stored.lastPushMs));
      }
    }
    assertEquals(await Deno.readFile(ours), before, "the source is not touched");
    assertEquals((await Deno.stat(to)).mode! & 0o777, 0o600);
  });
});

Deno.test("exportOfficialFile() also converts an official file (format recognised by content)", async () => {
  await withTempDir(async (dir) => {
    const from = join(dir, "in.data");
    await Deno.writeFile(from, NEWEST);
    const logger = recordingLogger();
    assertEquals(await exportOfficialFile({ from, to: join(dir, "out"), logger }), 0);
    assertEquals(logger.entries[0]!.attrs.source_format, "official");
    assertEquals(decodeOfficialFile(await Deno.readFile(join(dir, "out"))).length, 4);
    assertEquals(
      (await Array.fromAsync(Deno.readDir(dir))).length,
      2,
      "no copy, nothing set aside",
    );
  });
});

Deno.test("exportOfficialFile() refuses with one clear line and exit code 1", async () => {
  await withTempDir(async (dir) => {
    const existing = join(dir, "existing");
    await Deno.writeTextFile(existing, "keep me");
    const damaged = join(dir, "damaged");
    await Deno.writeFile(damaged, NEWEST.subarray(0, 100));
    const cases: [string, string, RegExp][] = [
      ["", join(dir, "x"), /needs --persistence.file/],
      [join(dir, "missing"), join(dir, "x"), /nothing to export/],
      [damaged, join(dir, "x"), /could not read the persistence file/],
      [damaged, existing, /will not overwrite an existing file/],
    ];
    for (const [from, to, msg] of cases) {
      const logger = recordingLogger();
      assertEquals(await exportOfficialFile({ from, to, logger }), 1, `${from} → ${to}`);
      assertEquals(logger.entries.length, 1);
      assertEquals(logger.entries[0]!.level, "error");
      assertMatch(logger.entries[0]!.msg, msg);
    }
    assertEquals(await Deno.readTextFile(existing), "keep me");
    assertEquals(await Deno.readFile(damaged), NEWEST.subarray(0, 100), "not set aside");
    // A valid source and a missing directory: the write fails.
    const good = join(dir, "good");
    await Deno.writeFile(good, NEWEST);
    const logger = recordingLogger();
    assertEquals(await exportOfficialFile({ from: good, to: join(dir, "nodir/x"), logger }), 1);
    assertMatch(logger.entries[0]!.msg, /could not write the exported file/);
  });
});
