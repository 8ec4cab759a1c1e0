import { assert, assertEquals, assertMatch, assertRejects, equal } from "@std/assert";
import { join } from "@std/path";
import {
  createPersister,
  loadSnapshot,
  type PersistenceLogger,
  type PersisterClock,
  writeSnapshotAtomic,
} from "@lib/store/persistence.ts";
import { decodeSnapshot } from "@lib/store/snapshot_decode.ts";
import { encodeSnapshot } from "@lib/store/snapshot_encode.ts";
import type { Group } from "@lib/store/types.ts";
import { syntheticStore } from "@lib/store/snapshot_bench.ts";

const SAMPLE_TEXT = await Deno.readTextFile(
  new URL("../../tests/testdata/snapshots/v2_sample.snapshot", import.meta.url),
);
/** The committed sample store: every metric type, special floats, UTF-8, an empty group. */
const SAMPLE: Group[] = decodeSnapshot(SAMPLE_TEXT);

interface LogEntry {
  level: "debug" | "info" | "warn" | "error";
  msg: string;
  attrs: Record<string, unknown>;
}

function recordingLogger(): PersistenceLogger & { entries: LogEntry[] } {
  const entries: LogEntry[] = [];
  const at = (level: LogEntry["level"]) => (msg: string, attrs: Record<string, unknown> = {}) => {
    entries.push({ level, msg, attrs });
  };
  return { entries, debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}

/** Non-debug log lines as "level msg". */
function logged(logger: { entries: LogEntry[] }): string[] {
  return logger.entries.filter((e) => e.level !== "debug").map((e) => `${e.level} ${e.msg}`);
}

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "snapshot_test_" });
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

/** Yields `groups` but throws when it reaches index `failAt`. */
function* failingAt(groups: Group[], failAt: number): Generator<Group> {
  for (const [i, group] of groups.entries()) {
    if (i === failAt) throw new Error(`injected failure at group ${i}`);
    yield group;
  }
}

// ---------------------------------------------------------------------------
// writeSnapshotAtomic

Deno.test("writeSnapshotAtomic() writes a 0600 file that loads back to the same groups", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "metrics.data");
    const result = await writeSnapshotAtomic(path, SAMPLE);
    assertEquals(result, { bytes: new TextEncoder().encode(SAMPLE_TEXT).length, groups: 3 });
    assertEquals(await Deno.readTextFile(path), SAMPLE_TEXT);
    assertEquals((await Deno.stat(path)).mode! & 0o777, 0o600);
    assertEquals(await listDir(dir), ["metrics.data"]);
    const logger = recordingLogger();
    const loaded = await loadSnapshot(path, logger);
    assertEquals(encodeSnapshot(loaded), SAMPLE_TEXT);
    assertEquals(loaded, SAMPLE);
    assertEquals(logger.entries, []);
  });
});

Deno.test("writeSnapshotAtomic() replaces an existing snapshot", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "metrics.data");
    await writeSnapshotAtomic(path, SAMPLE);
    await writeSnapshotAtomic(path, SAMPLE.slice(2));
    assertEquals(await loadSnapshot(path, recordingLogger()), SAMPLE.slice(2));
    assertEquals(await listDir(dir), ["metrics.data"]);
  });
});

Deno.test("writeSnapshotAtomic() streams a large store in chunks and yields to the event loop", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "metrics.data");
    const groups = syntheticStore(3000);
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 0);
    let result;
    try {
      result = await writeSnapshotAtomic(path, groups);
    } finally {
      clearInterval(ticker);
    }
    assert(result.bytes > 10 * 64 * 1024, `bytes ${result.bytes}`);
    assertEquals(result.groups, 3000);
    assert(ticks > 0, "timers ran while the snapshot was written");
    assertEquals(await loadSnapshot(path, recordingLogger()), groups);
  });
});

Deno.test("writeSnapshotAtomic() leaves no temp file and keeps the old snapshot on failure", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "metrics.data");
    await writeSnapshotAtomic(path, SAMPLE);
    const big = syntheticStore(2000);
    // Fails early (before any chunk reached the file) and late (after several chunks did).
    for (const failAt of [1, 1500]) {
      await assertRejects(
        () => writeSnapshotAtomic(path, failingAt(big, failAt)),
        Error,
        "injected failure",
      );
      assertEquals(await listDir(dir), ["metrics.data"]);
      assertEquals(await Deno.readTextFile(path), SAMPLE_TEXT);
    }
  });
});

Deno.test("writeSnapshotAtomic() fails cleanly for a missing directory and an ENOTDIR path", async () => {
  await withTempDir(async (dir) => {
    await assertRejects(
      () => writeSnapshotAtomic(join(dir, "missing", "metrics.data"), SAMPLE),
      Deno.errors.NotFound,
      "metrics.data.in_progress.",
    );
    await Deno.writeTextFile(join(dir, "file"), "x");
    await assertRejects(
      () => writeSnapshotAtomic(join(dir, "file", "metrics.data"), SAMPLE),
      Deno.errors.NotADirectory,
    );
    assertEquals(await listDir(dir), ["file"]);
  });
});

// ---------------------------------------------------------------------------
// loadSnapshot

Deno.test("loadSnapshot() of a missing file returns [] silently", async () => {
  await withTempDir(async (dir) => {
    const logger = recordingLogger();
    assertEquals(await loadSnapshot(join(dir, "metrics.data"), logger), []);
    assertEquals(logged(logger), []);
    assertEquals(await listDir(dir), []);
  });
});

const NOW = Date.UTC(2026, 4, 27, 15, 0, 0, 123);
const CORRUPT_NAME = "metrics.data.corrupt-20260527T150000.123Z";

/** Loads `content` as a snapshot file and checks it was logged, set aside intact, and gave []. */
async function assertSetAside(content: Uint8Array | string, reason: RegExp): Promise<void> {
  await withTempDir(async (dir) => {
    const path = join(dir, "metrics.data");
    const bytes = typeof content === "string" ? new TextEncoder().encode(content) : content;
    await Deno.writeFile(path, bytes);
    const logger = recordingLogger();
    assertEquals(await loadSnapshot(path, logger, { now: () => NOW }), []);
    assertEquals(logged(logger), [
      "error could not load persisted metrics",
      "warn moved unreadable persistence file aside",
    ]);
    assertMatch(String(logger.entries[0]!.attrs.err), reason);
    assertEquals(logger.entries[1]!.attrs, { file: path, moved_to: join(dir, CORRUPT_NAME) });
    assertEquals(await listDir(dir), [CORRUPT_NAME]);
    assertEquals(await Deno.readFile(join(dir, CORRUPT_NAME)), bytes);
  });
}

Deno.test("loadSnapshot() sets aside empty, foreign, wrong-version and damaged files", async () => {
  const lines = SAMPLE_TEXT.split("\n");
  const cases: [string, string | Uint8Array, RegExp][] = [
    ["empty", "", /file is empty/],
    ["garbage", "\x00\x01\x02garbage", /not a pushgateway-deno snapshot/],
    [
      "truncated official (Go gob)",
      new Uint8Array([0x0e, 0xff, 0x81, 0x04, 0x01, 0x02, 0xff, 0x82]),
      /Invalid official Pushgateway persistence file: stream ends inside a message/,
    ],
    ["version 3", '{"format":"pushgateway-deno-snapshot","version":3}\n', /unsupported format/],
    ["checksum", SAMPLE_TEXT.replace('"value":42', '"value":43'), /checksum mismatch/],
    ["no trailer", lines.slice(0, -2).join("\n") + "\n", /trailer missing after 3 groups/],
    ["cut in a line", SAMPLE_TEXT.slice(0, 1000), /last line has no newline/],
  ];
  for (const [name, content, reason] of cases) {
    try {
      await assertSetAside(content, reason);
    } catch (err) {
      throw new Error(`case ${name}`, { cause: err });
    }
  }
});

Deno.test("loadSnapshot() sets aside a file truncated at every line boundary", async () => {
  const lines = SAMPLE_TEXT.split("\n").slice(0, -1).map((l) => l + "\n");
  for (let n = 0; n < lines.length; n++) {
    await assertSetAside(lines.slice(0, n).join(""), /Invalid snapshot/);
  }
});

Deno.test("loadSnapshot() sets aside bit-flipped files", async () => {
  const bytes = new TextEncoder().encode(SAMPLE_TEXT);
  for (const i of [0, 60, 500, 1500, Math.floor(bytes.length / 2), bytes.length - 10]) {
    for (const bit of [0, 7]) {
      const flipped = bytes.slice();
      flipped[i]! ^= 1 << bit;
      await assertSetAside(flipped, /Invalid snapshot/);
    }
  }
});

/** `groups` with one extra group whose family help is `help`. */
function withLongHelp(groups: Group[], help: string): Group[] {
  const [first] = syntheticStore(1);
  const [name, stored] = [...first!.families][0]!;
  const family = { ...stored.family, help };
  return [
    ...groups,
    { labels: { job: "long_help" }, families: new Map([[name, { ...stored, family }]]) },
  ];
}

Deno.test("loadSnapshot() reads files and lines longer than its read buffer, and real U+FFFD", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "metrics.data");
    // ~5 MiB of help in one line (longer than the 4 MiB read buffer), multi-byte characters
    // around the chunk boundaries, a genuine U+FFFD, and groups before and after it.
    const help = "é日\uFFFD".repeat(600_000) + "a".repeat(100_000);
    const all = syntheticStore(2010);
    const groups = [...withLongHelp(all.slice(0, 2000), help), ...all.slice(2000)];
    await writeSnapshotAtomic(path, groups);
    assert((await Deno.stat(path)).size > 6 << 20);
    const logger = recordingLogger();
    const loaded = await loadSnapshot(path, logger);
    assertEquals(logged(logger), []);
    assertEquals(loaded.length, groups.length);
    assert(loaded.every((g, i) => equal(g, groups[i])), "loaded groups differ from the written");

    // One byte of the long line made invalid UTF-8 (0xFF) is found, and the file set aside.
    const bytes = await Deno.readFile(path);
    const at = bytes.lastIndexOf(0x61); // an "a" of the help's tail
    bytes[at] = 0xff;
    await Deno.remove(path);
    await assertSetAside(bytes, /not valid UTF-8/);
  });
});

Deno.test("loadSnapshot() never overwrites an earlier set-aside file", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "metrics.data");
    for (const content of ["first", "second", "third"]) {
      await Deno.writeTextFile(path, content);
      assertEquals(await loadSnapshot(path, recordingLogger(), { now: () => NOW }), []);
    }
    assertEquals(await listDir(dir), [CORRUPT_NAME, `${CORRUPT_NAME}-1`, `${CORRUPT_NAME}-2`]);
    assertEquals(await Deno.readTextFile(join(dir, `${CORRUPT_NAME}-2`)), "third");
  });
});

Deno.test("loadSnapshot() removes stale temp files of this snapshot only", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "metrics.data");
    await writeSnapshotAtomic(path, SAMPLE);
    for (const name of ["metrics.data.in_progress.123", "metrics.data.in_progress.9"]) {
      await Deno.writeTextFile(join(dir, name), "partial");
    }
    await Deno.writeTextFile(join(dir, "other.data.in_progress.1"), "not ours");
    const logger = recordingLogger();
    assertEquals(await loadSnapshot(path, logger), SAMPLE);
    assertEquals(await listDir(dir), ["metrics.data", "other.data.in_progress.1"]);
    assertEquals(logged(logger), [
      "info removed stale temporary persistence file",
      "info removed stale temporary persistence file",
    ]);
  });
});

Deno.test("loadSnapshot() of an ENOTDIR path logs and returns []", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(join(dir, "file"), "x");
    const logger = recordingLogger();
    assertEquals(await loadSnapshot(join(dir, "file", "metrics.data"), logger), []);
    assertEquals(logged(logger), ["error could not load persisted metrics"]);
    assert(logger.entries.at(-1)!.attrs.err instanceof Deno.errors.NotADirectory);
    assertEquals(await Deno.readTextFile(join(dir, "file")), "x");
  });
});

Deno.test("loadSnapshot() of a directory logs and leaves it in place", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "metrics.data");
    await Deno.mkdir(path);
    const logger = recordingLogger();
    assertEquals(await loadSnapshot(path, logger), []);
    assertEquals(logged(logger), ["error could not load persisted metrics"]);
    assertEquals(await listDir(dir), ["metrics.data"]);
  });
});

// ---------------------------------------------------------------------------
// createPersister

/** A manual clock: timers fire only in {@linkcode FakeClock.advance}. */
class FakeClock implements PersisterClock {
  time = 0;
  #next = 1;
  timers = new Map<number, { at: number; fn: () => void }>();

  now(): number {
    return this.time;
  }
  setTimeout(fn: () => void, ms: number): number {
    const id = this.#next++;
    this.timers.set(id, { at: this.time + ms, fn });
    return id;
  }
  clearTimeout(id: unknown): void {
    this.timers.delete(id as number);
  }
  /** The due times of pending timers. */
  pending(): number[] {
    return [...this.timers.values()].map((t) => t.at);
  }
  /** Moves to `to`, firing due timers in order. */
  async advance(to: number): Promise<void> {
    for (;;) {
      const due = [...this.timers].filter(([, t]) => t.at <= to).sort((a, b) => a[1].at - b[1].at);
      const first = due[0];
      if (first === undefined) break;
      this.timers.delete(first[0]);
      this.time = Math.max(this.time, first[1].at);
      first[1].fn();
      await settle();
    }
    this.time = to;
  }
}

/** Lets pending promise callbacks run. */
function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** A write function whose calls stay pending until resolved by the test. */
function controlledWrite() {
  const calls: { at: number; groups: Group[]; resolve: () => void; reject: (e: Error) => void }[] =
    [];
  let clock: FakeClock | undefined;
  return {
    calls,
    bind(c: FakeClock) {
      clock = c;
    },
    write(_path: string, groups: Iterable<Group>): Promise<void> {
      return new Promise((resolve, reject) => {
        calls.push({ at: clock!.now(), groups: [...groups], resolve, reject });
      });
    },
  };
}

function setup(intervalMs = 1000, startAt = 0) {
  const clock = new FakeClock();
  clock.time = startAt;
  const writer = controlledWrite();
  writer.bind(clock);
  const logger = recordingLogger();
  let version = 0;
  const persister = createPersister({
    path: "/nonexistent/metrics.data",
    intervalMs,
    snapshot: () => [{ labels: { job: `v${version}` }, families: new Map() }],
    logger,
    clock,
    write: writer.write,
  });
  return {
    clock,
    writer,
    logger,
    persister,
    bump: () => version++,
    /** Finishes write `i` successfully and lets the persister react. */
    async finish(i: number): Promise<void> {
      writer.calls[i]!.resolve();
      await settle();
    },
  };
}

Deno.test("createPersister() writes at once after a quiet spell, then at most once per interval", async () => {
  const { clock, writer, logger, persister, finish } = setup(1000);
  await clock.advance(5000);
  assertEquals(writer.calls.length, 0, "no write without requests");
  persister.notifyWrite();
  assertEquals(clock.pending(), [5000]);
  await clock.advance(5000);
  assertEquals(writer.calls.map((c) => c.at), [5000]);
  await finish(0);
  assertEquals(logged(logger), ["info metrics persisted"]);
  assertEquals(logger.entries[0]!.attrs, { file: "/nonexistent/metrics.data" });
  assertEquals(clock.pending(), [], "nothing new to write");

  await clock.advance(5100);
  persister.notifyWrite();
  await clock.advance(5200);
  persister.notifyWrite();
  persister.notifyWrite();
  assertEquals(clock.pending(), [6000], "one timer at lastPersist + interval");
  await clock.advance(5999);
  assertEquals(writer.calls.length, 1);
  await clock.advance(6000);
  assertEquals(writer.calls.map((c) => c.at), [5000, 6000]);
  await finish(1);
  persister.stop();
});

Deno.test("createPersister() counts the first interval from its creation", async () => {
  const { clock, writer, persister } = setup(1000, 10_000);
  await clock.advance(10_100);
  persister.notifyWrite();
  assertEquals(clock.pending(), [11_000]);
  await clock.advance(11_000);
  assertEquals(writer.calls.map((c) => c.at), [11_000]);
  persister.stop();
  writer.calls[0]!.resolve();
});

Deno.test("createPersister() reschedules requests that came in during a write", async () => {
  const { clock, writer, persister, finish, bump } = setup(1000);
  persister.notifyWrite();
  await clock.advance(1000);
  assertEquals(writer.calls.map((c) => c.at), [1000]);
  assertEquals(writer.calls[0]!.groups[0]!.labels, { job: "v0" });
  // More requests while the write is in flight: no second write at once.
  await clock.advance(1200);
  bump();
  persister.notifyWrite();
  assertEquals(clock.pending(), []);
  await clock.advance(1400);
  await finish(0);
  // lastPersist is the start of the finished write (1000), so next at 2000.
  assertEquals(clock.pending(), [2000]);
  await clock.advance(2000);
  assertEquals(writer.calls.map((c) => c.at), [1000, 2000]);
  assertEquals(writer.calls[1]!.groups[0]!.labels, { job: "v1" }, "the state at write start");
  // A write slower than the interval: the next one is due at once.
  persister.notifyWrite();
  await clock.advance(3500);
  await finish(1);
  assertEquals(clock.pending(), [3500]);
  await clock.advance(3500);
  assertEquals(writer.calls.map((c) => c.at), [1000, 2000, 3500]);
  await finish(2);
  assertEquals(clock.pending(), []);
  persister.stop();
});

Deno.test("createPersister() logs a failed write, does not throw, and retries", async () => {
  const { clock, writer, logger, persister, finish } = setup(1000);
  persister.notifyWrite();
  await clock.advance(1000);
  writer.calls[0]!.reject(new Error("disk on fire"));
  await settle();
  assertEquals(logged(logger), ["error error persisting metrics"]);
  assertEquals(String(logger.entries[0]!.attrs.err), "Error: disk on fire");
  assertEquals(clock.pending(), [2000], "retried one interval after the failed start");
  await clock.advance(2000);
  await finish(1);
  assertEquals(logged(logger), ["error error persisting metrics", "info metrics persisted"]);
  assertEquals(clock.pending(), []);
  persister.stop();
});

Deno.test("createPersister() flush() waits for the write in flight, then writes", async () => {
  const { clock, writer, logger, persister, bump } = setup(1000);
  persister.notifyWrite();
  await clock.advance(1000);
  bump();
  persister.notifyWrite();
  let flushed = false;
  const flushing = persister.flush().then(() => flushed = true);
  await settle();
  assertEquals(writer.calls.length, 1, "no second write while one is in flight");
  writer.calls[0]!.resolve();
  await settle();
  assertEquals(writer.calls.length, 2);
  assertEquals(writer.calls[1]!.groups[0]!.labels, { job: "v1" });
  assertEquals(flushed, false);
  writer.calls[1]!.resolve();
  await flushing;
  assertEquals(logged(logger), ["info metrics persisted"], "the final write is not logged");
  // Stopped afterwards: no timer, further requests are ignored.
  persister.notifyWrite();
  assertEquals(clock.pending(), []);
});

Deno.test("createPersister() flush() cancels a scheduled write and writes unconditionally", async () => {
  const { writer, persister } = setup(1000);
  persister.flush().catch(() => {});
  assertEquals(writer.calls.length, 1, "written without any request");
  writer.calls[0]!.resolve();
  await settle();

  const second = setup(1000);
  second.persister.notifyWrite();
  assertEquals(second.clock.pending(), [1000]);
  const flushing = second.persister.flush();
  assertEquals(second.clock.pending(), []);
  assertEquals(second.writer.calls.map((c) => c.at), [0]);
  second.writer.calls[0]!.reject(new Error("final failed"));
  await assertRejects(() => flushing, Error, "final failed");
  assertEquals(logged(second.logger), [], "the caller reports a failed final write");
  assertEquals(second.clock.pending(), [], "no retry after the failed final write");
});

Deno.test("createPersister() stop() cancels the scheduled write", async () => {
  const { clock, writer, persister } = setup(1000);
  persister.notifyWrite();
  persister.stop();
  assertEquals(clock.pending(), []);
  persister.notifyWrite();
  await clock.advance(10_000);
  assertEquals(writer.calls.length, 0);
});

Deno.test("createPersister() with real files survives a missing directory", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "sub", "metrics.data");
    const clock = new FakeClock();
    const logger = recordingLogger();
    const persister = createPersister({
      path,
      intervalMs: 1000,
      snapshot: () => SAMPLE,
      logger,
      clock,
    });
    persister.notifyWrite();
    await clock.advance(1000);
    while (logger.entries.length === 0) await settle();
    assertEquals(logged(logger), ["error error persisting metrics"]);
    assert(logger.entries[0]!.attrs.err instanceof Deno.errors.NotFound);
    await Deno.mkdir(join(dir, "sub"));
    persister.notifyWrite();
    await clock.advance(2000);
    while (logger.entries.length === 1) await settle();
    assertEquals(logged(logger), ["error error persisting metrics", "info metrics persisted"]);
    assertEquals(await Deno.readTextFile(path), SAMPLE_TEXT);
    await persister.flush();
    assertEquals(await listDir(join(dir, "sub")), ["metrics.data"]);
  });
});
