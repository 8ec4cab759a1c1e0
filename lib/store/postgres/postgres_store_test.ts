/**
 * {@linkcode PostgresStore} against a real PostgreSQL (a throwaway cluster,
 * one database per step): several stores in this process share one log.
 * The same with gateway processes is `tests/postgres_ha_test.ts`.
 */

import { assert, assertEquals, assertInstanceOf, assertRejects } from "@std/assert";
import { Prng } from "@lib/expfmt/fuzz_gen.ts";
import { parseText } from "@lib/expfmt/text_parse.ts";
import { openClient } from "@lib/store/postgres/client.ts";
import { parsePostgresUrl } from "@lib/store/postgres/connection_url.ts";
import { PostgresStore } from "@lib/store/postgres/postgres_store.ts";
import type { ClientFactory, PostgresStoreOptions } from "@lib/store/postgres/store_options.ts";
import { encodeWrite } from "@lib/store/postgres/codec.ts";
import { CommitPacer } from "@lib/store/postgres/write_queue.ts";
import { ensureSchema, MIGRATIONS, StoreSetupError } from "@lib/store/postgres/schema.ts";
import { importGroups } from "@lib/store/postgres/setup.ts";
import { Expirer } from "@lib/store/expiry.ts";
import { StoreState } from "@lib/store/state.ts";
import {
  type AppliedWrite,
  type PushWrite,
  StoreUnavailableError,
  type StoreView,
  type WriteRequest,
  type WriteResult,
} from "@lib/store/store.ts";
import { plainGroup } from "@lib/store/types.ts";
import { testNeeding } from "../../../tests/helpers/requirements.ts";
import { type PgCluster, POSTGRES, startCluster } from "../../../tests/helpers/postgres.ts";
import { poll } from "../../../tests/helpers/poll.ts";
import { FakeClock } from "../../../tests/helpers/fake_clock.ts";

const SILENT = { debug() {}, info() {}, warn() {}, error() {} };

function factory(url: string, dropNotifications = false): ClientFactory {
  const target = parsePostgresUrl(url);
  return (hooks) =>
    openClient(
      { target, password: undefined, tls: {}, timeoutMs: 5_000 },
      hooks && dropNotifications ? { onnotify() {}, onclose: hooks.onclose } : hooks,
    );
}

/** Stores made by a step, closed at its end. */
class Stores {
  readonly #all: { store: PostgresStore; running: Promise<void> }[] = [];

  constructor(readonly url: string) {}

  /** A running store (not yet ready: see {@linkcode ready}). */
  start(options: Partial<PostgresStoreOptions> = {}, dropNotifications = false): PostgresStore {
    const store = new PostgresStore({
      connect: factory(this.url, dropNotifications),
      logger: SILENT,
      pollIntervalMs: 200,
      ...options,
    });
    const running = store.run();
    running.catch(() => {});
    this.#all.push({ store, running });
    return store;
  }

  async ready(options: Partial<PostgresStoreOptions> = {}): Promise<PostgresStore> {
    const store = this.start(options);
    await poll("the store to be ready", () => store.ready() === undefined ? true : undefined, {
      attempts: 300,
      intervalMs: 50,
    });
    return store;
  }

  async close(): Promise<void> {
    await Promise.all(this.#all.map((s) => s.store.close()));
  }
}

function body(text: string) {
  return parseText(new TextEncoder().encode(text), { scheme: "legacy" });
}

function push(job: string, text: string, extra: Record<string, string> = {}): PushWrite {
  return {
    kind: "push",
    labels: { job, ...extra },
    families: body(text),
    replace: true,
    timeMs: 1e12,
  };
}

/** A comparable form of a view: groups (labels, writeSeq, families) and every merged family. */
function canonical(view: StoreView): unknown {
  return {
    groups: view.groups().map((g) => ({
      labels: g.labels,
      writeSeq: g.writeSeq,
      families: [...plainGroup(g).families].sort(([a], [b]) => a < b ? -1 : 1),
    })),
    merged: view.familyNames().map((n) => {
      const merged = view.mergedFamily(n)!;
      return { ...merged.head(), metric: merged.series() };
    }),
  };
}

async function caughtUp(stores: readonly PostgresStore[], seq: number): Promise<void> {
  await poll(
    `every store to apply ${seq}`,
    () => stores.every((s) => s.appliedSeq >= seq) || undefined,
    {
      attempts: 400,
      intervalMs: 25,
    },
  );
}

let cluster: PgCluster;
let databases = 0;

async function withStores(fn: (stores: Stores) => Promise<void>): Promise<void> {
  const stores = new Stores(await cluster.createDatabase(`s${++databases}`));
  try {
    await fn(stores);
  } finally {
    await stores.close();
  }
}

testNeeding(POSTGRES, "PostgresStore on a real PostgreSQL", async (t) => {
  cluster = await startCluster({ fsync: false });
  try {
    await t.step(
      "a write at one store is applied by the others, in order, with the same result",
      () =>
        withStores(async (stores) => {
          const [a, b, c] = await Promise.all([stores.ready(), stores.ready(), stores.ready()]);
          const heard: AppliedWrite[] = [];
          c!.subscribe((w) => heard.push(w));
          const first = await a!.submit(push("x", "# TYPE m gauge\nm 1\n"));
          assertEquals(first, { ok: true, seq: 1 });
          assert(a!.view.group({ job: "x" }), "read-your-writes on the receiving store");
          const second = await b!.submit(push("y", "# TYPE m counter\nm 1\n"));
          assertEquals(second.ok, false, "the check runs against the global order's state");
          const del = await c!.submit({
            kind: "delete",
            labels: { job: "x" },
            ifNotWrittenSince: 0,
          });
          assertEquals(del, { seq: 3, deleted: false });
          await caughtUp([a!, b!, c!], 3);
          assertEquals(canonical(a!.view), canonical(b!.view));
          assertEquals(canonical(a!.view), canonical(c!.view));
          assertEquals(heard.map((w) => [w.seq, w.request.kind]), [[1, "push"], [2, "push"], [
            3,
            "delete",
          ]]);
          assertEquals(heard[1]!.result, second, "other stores compute the same result");
        }),
    );

    await t.step(
      "group commit: writers answered come straight back into the next batch, which does not wait",
      () =>
        withStores(async (stores) => {
          // Writers that queue their next write as soon as they are answered: every batch
          // but the first holds all four, and none waits for a fifth writer (the pacer once
          // counted the answered writers' next writes as more writers, and every batch then
          // lingered until its timer).
          const pacer = new CommitPacer();
          const store = await stores.ready({ pacer });
          let next = 0;
          await Promise.all(Array.from({ length: 4 }, async () => {
            while (next < 200) {
              const i = next++;
              const r = await store.submit(push(`w${i % 4}`, `# TYPE m gauge\nm ${i}\n`));
              assert(r.ok, `write ${i}`);
            }
          }));
          assertEquals(store.metrics.committedWrites, 200);
          assert(store.metrics.commits <= 51, `${store.metrics.commits} transactions`);
          assert(pacer.timedOut <= 1, `${pacer.timedOut} batches waited until the timer`);
        }),
    );

    await t.step(
      "clashing pushes at two stores at once: exactly one accepted, every round",
      () =>
        withStores(async (stores) => {
          const [a, b] = await Promise.all([stores.ready(), stores.ready()]);
          for (let round = 0; round < 40; round++) {
            const [ra, rb] = await Promise.all([
              a!.submit(push(`a${round}`, `# TYPE m${round} gauge\nm${round} 1\n`)),
              b!.submit(push(`b${round}`, `# TYPE m${round} counter\nm${round} 1\n`)),
            ]);
            assertEquals([ra.ok, rb.ok].filter(Boolean).length, 1, `round ${round}`);
          }
          const seq = Math.max(a!.appliedSeq, b!.appliedSeq);
          await caughtUp([a!, b!], seq);
          assertEquals(canonical(a!.view), canonical(b!.view));
        }),
    );

    await t.step(
      "random writes at three stores equal one StoreState applying them in commit order",
      () =>
        withStores(async (stores) => {
          const options = { checkpointWrites: 40 };
          const all = await Promise.all([
            stores.ready(options),
            stores.ready(options),
            stores.ready(options),
          ]);
          const rng = new Prng(0x5eed_19);
          const texts = new Map<number, { write: WriteRequest; text?: string }>();
          const results = new Map<number, WriteResult>();
          let maxSeq = 0;
          for (let round = 0; round < 30; round++) {
            const batch: Promise<void>[] = [];
            for (let i = 0; i < 8; i++) {
              const { write, text } = randomWrite(rng, maxSeq);
              const store = all[rng.int(all.length)]!;
              batch.push(
                store.submit(write).then((r) => {
                  texts.set(r.seq, { write, text });
                  results.set(r.seq, r);
                }),
              );
            }
            await Promise.all(batch);
            maxSeq = Math.max(...results.keys());
          }
          assertEquals(results.size, 240);
          const outcomes = [...results.values()];
          const kinds = (f: (r: WriteResult) => boolean) => outcomes.filter(f).length;
          assert(kinds((r) => "ok" in r && r.ok) > 20, "accepted pushes");
          assert(kinds((r) => "ok" in r && !r.ok) > 20, "refused pushes");
          assert(kinds((r) => "deleted" in r && r.deleted === true) > 5, "effective deletes");
          assert(kinds((r) => "deleted" in r && typeof r.deleted === "number") > 0, "wipes");
          assertEquals(
            [...results.keys()].sort((x, y) => x - y),
            Array.from({ length: 240 }, (_, i) => i + 1),
          );
          const reference = new StoreState();
          for (let seq = 1; seq <= maxSeq; seq++) {
            const { write, text } = texts.get(seq)!;
            const fresh = write.kind === "push" ? { ...write, families: body(text!) } : write;
            assertEquals(reference.apply(fresh, seq), results.get(seq), `result of write ${seq}`);
          }
          await caughtUp(all, maxSeq);
          for (const s of all) assertEquals(canonical(s.view), canonical(reference));
          // Checkpoints were written and the log trimmed; a late store loads a checkpoint.
          const [cp] = await cluster.query(
            `s${databases}`,
            "SELECT max(seq) AS seq FROM pushgateway_checkpoints",
          );
          assert(Number(cp!.seq) > 0, "a checkpoint exists");
          const [low] = await cluster.query(
            `s${databases}`,
            "SELECT min(seq) AS seq FROM pushgateway_log",
          );
          assert(Number(low!.seq) > 1, "the log was trimmed");
          const late = await stores.ready();
          assertEquals(late.appliedSeq, maxSeq);
          assertEquals(canonical(late.view), canonical(reference));
        }),
    );

    await t.step(
      "a store behind the trimmed log loads the state, then commits its write",
      () =>
        withStores(async (stores) => {
          const a = await stores.ready({ checkpointWrites: 10 });
          // Learns of others' writes only when it writes itself (no notifications, no polling).
          const behind = stores.start({ pollIntervalMs: 3_600_000 }, true);
          await poll("ready", () => behind.ready() === undefined || undefined, {
            attempts: 300,
            intervalMs: 50,
          });
          assertEquals(behind.appliedSeq, 0);
          for (let i = 0; i < 40; i++) await a.submit(push("j", `n ${i}\n`, { i: String(i % 5) }));
          await poll("the log to be trimmed", async () => {
            const [row] = await cluster.query(
              `s${databases}`,
              "SELECT min(seq) AS seq FROM pushgateway_log",
            );
            return Number(row!.seq) > 1 || undefined;
          });
          const reloadsBefore = behind.metrics.reloads;
          const r = await behind.submit(push("k", "# TYPE other gauge\nother 1\n"));
          assertEquals(r, { ok: true, seq: 41 });
          assertEquals(behind.metrics.reloads, reloadsBefore + 1);
          await caughtUp([a], 41);
          assertEquals(canonical(behind.view), canonical(a.view));
        }),
    );

    await t.step(
      "a database of schema version 1, then 2 (older releases) migrates on, and its log continues",
      () =>
        withStores(async (stores) => {
          const sql = factory(stores.url)();
          try {
            assertEquals(await ensureSchema(sql, {}, MIGRATIONS.slice(0, 1)), { from: 0, to: 1 });
            assertEquals(await ensureSchema(sql, {}, MIGRATIONS.slice(0, 2)), { from: 1, to: 2 });
            // Rows as a release of version 2 appends them (numbered by the client, no function).
            for (
              const [seq, w] of [[1, push("old", "m 1\n")], [2, push("gone", "m 2\n")]] as const
            ) {
              const c = encodeWrite(w).columns;
              await sql`INSERT INTO pushgateway_log (seq, kind, labels, families, replace,
                push_time_ms, replica, written_at)
                VALUES (${seq}, ${c.kind}, ${c.labels}, ${c.families}, ${c.replace},
                  ${c.push_time_ms}, 'v2', now())`;
            }
          } finally {
            await sql.end({ timeout: 1 });
          }
          const a = await stores.ready();
          assert(a.view.group({ job: "old" }) && a.view.group({ job: "gone" }), "the old log");
          assertEquals(await a.submit({ kind: "delete", labels: { job: "gone" } }), {
            seq: 3,
            deleted: true,
          });
          assertEquals(await a.submit(push("new", "m 3\n")), { ok: true, seq: 4 });
          const check = factory(stores.url)();
          try {
            const [meta] = await check`SELECT value FROM pushgateway_meta
              WHERE key = 'schema_version'`;
            assertEquals(meta?.value, String(MIGRATIONS.at(-1)!.version));
            const log = await check`SELECT seq, kind FROM pushgateway_log ORDER BY seq`;
            assertEquals(log.map((r) => [Number(r.seq), r.kind]), [
              [1, "push"],
              [2, "push"],
              [3, "delete"],
              [4, "push"],
            ]);
          } finally {
            await check.end({ timeout: 1 });
          }
        }),
    );

    await t.step(
      "settings that differ, and a newer schema, refuse to start",
      () =>
        withStores(async (stores) => {
          const utf8 = { "push.enable-utf8-names": "true" };
          await stores.ready({ settings: utf8 });
          const other = stores.start({ settings: { "push.enable-utf8-names": "false" } });
          const err = await assertRejects(() => other.run(), StoreSetupError);
          assert(
            err.message.includes("--push.enable-utf8-names is false on this replica but true"),
            err.message,
          );
          assert(err.message.includes("--no-push.enable-utf8-names"), err.message);
          assert(other.ready() !== undefined, "never ready");
          await assertRejects(() => other.submit({ kind: "wipe" }), StoreUnavailableError);

          // A newer release migrates one version further; this one then refuses the database.
          const ours = MIGRATIONS.at(-1)!.version, next = ours + 1;
          const sql = factory(stores.url)();
          try {
            const newer = [...MIGRATIONS, {
              version: next,
              statements: [
                "ALTER TABLE pushgateway_checkpoint_groups ADD COLUMN deadline_ms double precision",
              ],
            }];
            assertEquals(await ensureSchema(sql, utf8, newer), { from: ours, to: next });
            assertEquals(await ensureSchema(sql, utf8, newer), { from: next, to: next });
            const cols = await sql`SELECT column_name FROM information_schema.columns
            WHERE table_name = 'pushgateway_checkpoint_groups' AND column_name = 'deadline_ms'`;
            assertEquals(cols.length, 1);
          } finally {
            await sql.end({ timeout: 1 });
          }
          const old = stores.start({ settings: utf8 });
          const refused = await assertRejects(() => old.run(), StoreSetupError);
          assert(
            refused.message.includes(
              `schema version ${next}, newer than this pushgateway knows (${ours})`,
            ),
            refused.message,
          );
        }),
    );

    await t.step(
      "an import fills an empty database only; stores that follow reload it",
      () =>
        withStores(async (stores) => {
          const early = await stores.ready();
          const source = new StoreState();
          source.apply(push("imported", "# TYPE m gauge\nm 3\n"), 1);
          source.apply(push("imported2", "# TYPE m gauge\nm 4\n"), 2);
          const settings = {
            url: stores.url,
            passwordFile: "",
            settings: {},
            checkpointIntervalMs: 1,
            logger: SILENT,
          };
          await importGroups(settings, source.snapshot());
          await poll(
            "the running store to reload the import",
            () => early.view.size === 2 || undefined,
          );
          assertEquals(early.view.group({ job: "imported" })?.writeSeq, 0);
          const late = await stores.ready();
          assertEquals(canonical(late.view), canonical(early.view));
          const r = await late.submit(push("after", "m 5\n"));
          assertEquals(r.seq, 2);
          const again = await assertRejects(
            () => importGroups(settings, source.snapshot()),
            StoreSetupError,
          );
          assert(
            again.message.includes("the database is not empty (2 log entries, 1 checkpoints)"),
            again.message,
          );
        }),
    );

    await t.step(
      "TTLs, refusals and expiry deletes are replicated, and survive a checkpoint reload",
      () =>
        withStores(async (stores) => {
          const state = { defaultTtlMs: 60_000 };
          const options = { state, checkpointWrites: 3 };
          const [a, b] = await Promise.all([stores.ready(options), stores.ready(options)]);
          const header = await a!.submit({ ...push("h", "m 1\n"), timeMs: 1_000, ttlMs: 5_000 });
          const plain = await b!.submit({ ...push("d", "m 1\n"), timeMs: 2_000 });
          const refused = await a!.submit({
            ...push("r", "m 1\n"),
            families: [],
            timeMs: 3_000,
            refused: "too many series",
          });
          assertEquals([header.ok, plain.ok, refused.ok], [true, true, false]);
          await caughtUp([a!, b!], 3);
          for (const view of [a!.view, b!.view]) {
            assertEquals(view.group({ job: "h" })?.ttl, { fromHeader: true, deadlineMs: 6_000 });
            assertEquals(view.group({ job: "d" })?.ttl, { fromHeader: false, deadlineMs: 62_000 });
            assertEquals(view.group({ job: "r" })?.families.has("m"), false);
          }
          // One replica issues the expiry; both apply it and count it.
          const clock = new FakeClock(10_000);
          const expirerA = new Expirer({ store: a!, clock, logger: SILENT });
          const expirerB = new Expirer({
            store: b!,
            clock,
            logger: SILENT,
            shouldIssue: () => false,
          });
          await Promise.all([expirerA.start(), expirerB.start()]);
          try {
            await expirerA.settled();
            await caughtUp([a!, b!], 4);
            assertEquals([a!.view.group({ job: "h" }), b!.view.group({ job: "h" })], [
              undefined,
              undefined,
            ]);
            assertEquals([expirerA.expiredTotal, expirerB.expiredTotal], [1, 1]);
          } finally {
            expirerA.stop();
            expirerB.stop();
          }
          // A replica that starts now loads the checkpoint and the log after it: same state.
          let loaded = 0;
          const c = await stores.ready({ ...options, onLoaded: () => loaded++ });
          await caughtUp([c], 4);
          assertEquals(loaded, 1);
          assertEquals(canonical(c.view), canonical(a!.view));
          assertEquals(c.view.group({ job: "d" })?.ttl, { fromHeader: false, deadlineMs: 62_000 });
        }),
    );

    await t.step(
      "the database stopped: writes refused with 503 at once, ready stays, writes resume",
      () =>
        withStores(async (stores) => {
          const a = await stores.ready();
          const acked = await a.submit(push("before", "m 1\n"));
          assert(acked.ok);
          await cluster.stop("fast");
          try {
            const err = await assertRejects(
              () => a.submit(push("during", "m 2\n")),
              StoreUnavailableError,
            );
            assert(/PostgreSQL|connect/.test(err.message), err.message);
            assertEquals(a.ready(), undefined, "stays ready: it serves the last state");
            assertEquals(a.healthy(), undefined);
            await poll("disconnected", () => a.metrics.connected ? undefined : true);
          } finally {
            await cluster.start();
          }
          const after = await poll("a write after the restart", async () => {
            try {
              return await a.submit(push("after", "m 3\n"));
            } catch (err) {
              assertInstanceOf(err, StoreUnavailableError);
              return undefined;
            }
          }, { attempts: 100, intervalMs: 100 });
          assert(after.ok);
          assert(a.view.group({ job: "before" }), "the acknowledged write survived");
          const fresh = await stores.ready();
          assertEquals(canonical(fresh.view), canonical(a.view));
        }),
    );
  } finally {
    await cluster.destroy();
  }
});

const NAMES = ["a", "b", "c"];
const TYPES = ["gauge", "counter"];

/** A random write: pushes that often clash (types, series across groups), deletes, rare wipes. */
function randomWrite(rng: Prng, maxSeq: number): { write: WriteRequest; text?: string } {
  const labels: Record<string, string> = { job: `j${rng.int(2)}` };
  if (rng.chance(0.5)) labels.g = String(rng.int(2));
  const roll = rng.int(100);
  if (roll < 2) return { write: { kind: "wipe" } };
  if (roll < 20) {
    return {
      write: rng.chance(0.5)
        ? { kind: "delete", labels }
        : { kind: "delete", labels, ifNotWrittenSince: rng.int(maxSeq + 1) },
    };
  }
  let text = "";
  const first = rng.int(NAMES.length);
  for (let i = 0, n = 1 + rng.int(2); i < n; i++) {
    const name = NAMES[(first + i) % NAMES.length]!;
    text += `# TYPE ${name} ${TYPES[rng.int(TYPES.length)]}\n`;
    const series = rng.chance(0.5) ? `{g="${rng.int(2)}"}` : "";
    text += `${name}${series} ${rng.int(1000)}\n`;
  }
  return {
    write: {
      kind: "push",
      labels,
      families: body(text),
      replace: rng.chance(0.5),
      timeMs: 1.7e12 + rng.int(1e6),
    },
    text,
  };
}
