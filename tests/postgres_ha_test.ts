/**
 * Several gateway processes on one PostgreSQL (issue 19): replication of
 * pushes, deletes and wipes; clashing pushes raced across replicas; a
 * random-writes property against one state applying the log in commit
 * order; a late replica and one behind the trimmed log; the own metrics kept
 * apart; passwords, settings and imports. One throwaway cluster for the file,
 * a database per step. Faults (SIGKILL, the database restarting) are in
 * `postgres_faults_test.ts`.
 */

import { assert, assertEquals, assertMatch, assertStringIncludes } from "@std/assert";
import { join } from "@std/path";
import { Prng } from "@lib/expfmt/fuzz_gen.ts";
import { createApp } from "@lib/http/app.ts";
import { testAppContext } from "@lib/http/test_context.ts";
import { decodeWrite, rowSeq } from "@lib/store/postgres/codec.ts";
import { StoreState } from "@lib/store/state.ts";
import type { MetricStore, WriteRequest } from "@lib/store/store.ts";
import { RUNTIME_PERMISSIONS } from "../scripts/release_lib.ts";
import { freePort, runMain, type RunningGateway, startGateway } from "./helpers/gateway.ts";
import { poll } from "./helpers/poll.ts";
import { type PgCluster, POSTGRES, startCluster, startReplica } from "./helpers/postgres.ts";
import { testNeeding } from "./helpers/requirements.ts";

const MAIN = new URL("../main.ts", import.meta.url).pathname;

let cluster: PgCluster;
let databases = 0;
const running = new Set<RunningGateway>();

async function database(): Promise<{ name: string; url: string }> {
  const name = `ha${++databases}`;
  return { name, url: await cluster.createDatabase(name) };
}

async function replica(url: string, args: string[] = [], env: Record<string, string> = {}) {
  const gw = await startReplica(url, args, env);
  running.add(gw);
  return gw;
}

async function stop(gw: RunningGateway, signal: Deno.Signal = "SIGTERM"): Promise<void> {
  running.delete(gw);
  await gw.stop(signal);
}

async function req(
  gw: RunningGateway,
  method: string,
  path: string,
  body?: string,
): Promise<{ status: number; text: string }> {
  try {
    const res = await fetch(gw.url + path, { method, body, signal: AbortSignal.timeout(30_000) });
    return { status: res.status, text: await res.text() };
  } catch (err) {
    throw new Error(
      `${method} ${path} at ${gw.url} failed; its log:\n${gw.logs.slice(-40).join("\n")}`,
      {
        cause: err,
      },
    );
  }
}

async function scrape(gw: RunningGateway): Promise<string> {
  const res = await req(gw, "GET", "/metrics");
  assertEquals(res.status, 200);
  return res.text;
}

/** Waits until every replica serves the same `/metrics` and returns it. */
async function converged(gws: readonly RunningGateway[], what = "the replicas to agree") {
  return await poll(what, async () => {
    const texts = await Promise.all(gws.map(scrape));
    return texts.every((t) => t === texts[0]) ? texts[0] : undefined;
  }, { attempts: 200, intervalMs: 50 });
}

/** The value of a sample line `name{labels} value` in a text scrape. */
function sample(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(series + " "));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

testNeeding(POSTGRES, "gateways sharing one PostgreSQL", async (t) => {
  cluster = await startCluster({ fsync: false });
  try {
    await t.step("three replicas: every write at one is visible at the others", async () => {
      const { url } = await database();
      const [a, b, c] = await Promise.all([
        replica(url, ["--web.enable-admin-api"]),
        replica(url),
        replica(url),
      ]);
      assertEquals((await req(a!, "PUT", "/metrics/job/x/i/1", "m 1\n")).status, 200);
      assertEquals(
        (await req(b!, "POST", "/metrics/job/y", "# TYPE n counter\nn 2\n")).status,
        200,
      );
      const text = await converged([a!, b!, c!]);
      assertStringIncludes(text, 'm{i="1",instance="",job="x"} 1\n');
      assertStringIncludes(text, 'n{instance="",job="y"} 2\n');
      // The push time of the receiving replica travels in the log: equal everywhere.
      assert(sample(text, 'push_time_seconds{i="1",instance="",job="x"}')! > 1e9);
      // A refused push at c: 400 there, its failure time recorded everywhere.
      const refused = await req(c!, "PUT", "/metrics/job/z", "# TYPE m counter\nm 1\n");
      assertEquals(refused.status, 400);
      assertStringIncludes(refused.text, "pushed metrics are invalid or inconsistent");
      const afterRefusal = await converged([a!, b!, c!]);
      assert(sample(afterRefusal, 'push_failure_time_seconds{instance="",job="z"}')! > 1e9);
      assertEquals((await req(c!, "DELETE", "/metrics/job/y")).status, 202);
      assert(!(await converged([a!, b!, c!])).includes('job="y"'));
      assertEquals((await req(a!, "PUT", "/api/v1/admin/wipe")).status, 202);
      assertEquals(await converged([a!, b!, c!]), "");
      for (const gw of [a!, b!, c!]) await stop(gw);
    });

    await t.step(
      "the own metrics are apart: /metrics has the pushed groups, /-/metrics the replica's",
      async () => {
        const { url } = await database();
        const a = await replica(url);
        assertEquals((await req(a, "PUT", "/metrics/job/x", "m 1\n")).status, 200);
        const text = await scrape(a);
        assertStringIncludes(text, 'm{instance="",job="x"} 1\n');
        assert(!text.includes("pushgateway_build_info"), "no own metric on the telemetry path");
        const own = (await req(a, "GET", "/-/metrics")).text;
        assertStringIncludes(own, "pushgateway_build_info{");
        assertStringIncludes(own, "pushgateway_storage_connected 1\n");
        assertStringIncludes(own, "pushgateway_storage_ready 1\n");
        assertStringIncludes(own, "pushgateway_storage_applied_sequence 1\n");
        assertStringIncludes(own, "pushgateway_storage_lag_seconds 0\n");
        assertStringIncludes(own, "pushgateway_storage_committed_writes_total 1\n");
        assertStringIncludes(
          own,
          'pushgateway_http_requests_total{code="200",handler="push",method="put"} 1',
        );
        assert(!own.includes('job="x"'), "no pushed series there");
        // Pushes cannot clash with the store's families.
        const clash = await req(
          a,
          "PUT",
          "/metrics/job/x",
          "# TYPE pushgateway_storage_connected counter\npushgateway_storage_connected 1\n",
        );
        assertEquals(clash.status, 400);
        await stop(a);
      },
    );

    await t.step(
      "clashing pushes raced at two replicas: exactly one accepted, every round",
      async () => {
        const { url } = await database();
        const [a, b] = await Promise.all([replica(url), replica(url)]);
        for (let round = 0; round < 25; round++) {
          const [ra, rb] = await Promise.all([
            req(a!, "PUT", `/metrics/job/a${round}`, `# TYPE c${round} gauge\nc${round} 1\n`),
            req(b!, "PUT", `/metrics/job/b${round}`, `# TYPE c${round} counter\nc${round} 1\n`),
          ]);
          assertEquals([ra.status, rb.status].sort(), [200, 400], `round ${round}`);
        }
        const text = await converged([a!, b!]);
        for (let round = 0; round < 25; round++) {
          assertEquals(
            text.match(new RegExp(`^c${round}\\{`, "gm"))?.length,
            1,
            `one c${round} series`,
          );
        }
        await Promise.all([stop(a!), stop(b!)]);
      },
    );

    await t.step(
      "random writes at three replicas: /metrics of one state applying the log in order",
      async () => {
        const db = await database();
        const gws = await Promise.all([
          replica(db.url, ["--web.enable-admin-api"]),
          replica(db.url, ["--web.enable-admin-api"]),
          replica(db.url, ["--web.enable-admin-api"]),
        ]);
        const rng = new Prng(0x19_0001);
        const statuses = new Map<number, number>(); // request id → HTTP status
        let id = 0;
        for (let round = 0; round < 12; round++) {
          await Promise.all(Array.from({ length: 6 }, () => {
            const write = randomRequest(rng, ++id);
            const gw = gws[rng.int(gws.length)]!;
            const mine = id;
            return req(gw, write.method, write.path, write.body).then((r) =>
              statuses.set(mine, r.status)
            );
          }));
        }
        const texts = await converged(gws);
        // The reference: the log read back in commit order, applied to one state, served in process.
        const rows = await cluster.query(db.name, "SELECT * FROM pushgateway_log ORDER BY seq");
        assertEquals(rows.length, id, "every request is one write");
        const reference = new StoreState();
        let accepted = 0, refused = 0;
        for (const row of rows) {
          const write = decodeWrite(row as never) as WriteRequest;
          const result = reference.apply(write, rowSeq(row as never));
          if (write.kind !== "push") continue;
          // Every pushed sample's value is its request id: the HTTP answer agrees with the result.
          const reqId = write.families[0]!.metric[0]!.gauge?.value ??
            write.families[0]!.metric[0]!.counter!.value!;
          const ok = "ok" in result && result.ok;
          assertEquals(statuses.get(reqId), ok ? 200 : 400, `push ${reqId}`);
          if (ok) accepted++;
          else refused++;
        }
        assert(accepted > 10 && refused > 5, `${accepted} accepted, ${refused} refused`);
        const view = testAppContext({ ownMetricsApart: true }, {
          store: { view: reference } as unknown as MetricStore,
        });
        const served = await (await createApp(view)(new Request("http://ref/metrics"))).text();
        assertEquals(texts, served);
        await Promise.all(gws.map((g) => stop(g)));
      },
    );

    await t.step(
      "a replica started late, and one behind the trimmed log, load the state and follow",
      async () => {
        const db = await database();
        const args = ["--storage.postgres-checkpoint-interval=300ms", "--log.level=debug"];
        const a = await replica(db.url, args);
        const b = await replica(db.url, args);
        for (let i = 0; i < 20; i++) {
          assertEquals((await req(a, "PUT", `/metrics/job/early/i/${i}`, `m ${i}\n`)).status, 200);
        }
        await converged([a, b]);
        // b stops (SIGSTOP): the log moves on and is trimmed past what b applied. The pushes
        // are too large for a notification to carry their rows (carried.ts), so b, resumed,
        // must read the log, and finds it trimmed.
        const large = Array.from({ length: 600 }, (_, i) => `m{k="${i}"} 1`).join("\n") + "\n";
        const appliedByB = Number(
          (await cluster.query(db.name, "SELECT max(seq) AS s FROM pushgateway_log"))[0]!.s,
        );
        b.process.kill("SIGSTOP");
        try {
          await poll("the log to be trimmed past b", async () => {
            assertEquals(
              (await req(a, "PUT", `/metrics/job/later/i/${Date.now() % 7}`, large)).status,
              200,
            );
            const [row] = await cluster.query(db.name, "SELECT min(seq) AS s FROM pushgateway_log");
            return Number(row!.s) > appliedByB + 1 || undefined;
          }, { attempts: 400, intervalMs: 20 });
        } catch (err) {
          // Once seen and never again: the log was not trimmed in time. Say what held it.
          console.error(
            await cluster.query(db.name, "SELECT seq, groups FROM pushgateway_checkpoints"),
          );
          console.error(
            await cluster.query(db.name, "SELECT min(seq), max(seq) FROM pushgateway_log"),
          );
          console.error(
            await cluster.query(
              db.name,
              "SELECT pid, state, xact_start, query FROM pg_stat_activity WHERE datname = current_database()",
            ),
          );
          console.error(
            await cluster.query(
              db.name,
              "SELECT locktype, objid, pid, granted FROM pg_locks WHERE locktype = 'advisory'",
            ),
          );
          console.error(a.logs.slice(-30).join("\n"));
          throw err;
        } finally {
          b.process.kill("SIGCONT");
        }
        const late = await replica(db.url, args);
        const text = await converged([a, b, late], "b and the late replica to catch up");
        assertStringIncludes(text, 'm{i="19",instance="",job="early"} 19\n');
        const own = (await req(b, "GET", "/-/metrics")).text;
        assert(sample(own, "pushgateway_storage_reloads_total")! >= 2, "b loaded the state again");
        // Each load of the whole state is followed by one heap compaction.
        const compactions = (gw: RunningGateway) =>
          gw.logs.filter((l) => /msg="heap compacted after loading the shared state"/.test(l))
            .length;
        await poll(
          "the compactions after the loads",
          () => compactions(late) >= 1 && compactions(b) >= 2 || undefined,
        );
        assert(
          sample(
                (await req(a, "GET", "/-/metrics")).text,
                "pushgateway_storage_checkpoints_total",
              )! +
              sample(own, "pushgateway_storage_checkpoints_total")! >= 1,
        );
        await Promise.all([stop(a), stop(b), stop(late)]);
      },
    );

    await t.step(
      "the password comes from the URL, a file or PGPASSWORD and is never shown",
      async () => {
        const db = await database();
        const secret = "s3cr3t-Pw";
        await cluster.requirePassword("gw", secret);
        const base = `postgres://gw@127.0.0.1:${cluster.port}/${db.name}`;
        const withPassword =
          `postgres://gw:${secret}@127.0.0.1:${cluster.port}/${db.name}?sslmode=disable`;
        const a = await replica(withPassword, ["--log.level=debug"]);
        assertEquals((await req(a, "PUT", "/metrics/job/x", "m 1\n")).status, 200);
        const status = (await req(a, "GET", "/api/v1/status")).text;
        assertStringIncludes(status, `"storage.postgres-url":"postgres://gw:xxxxx@127.0.0.1:`);
        const page = (await req(a, "GET", "/status")).text;
        assertStringIncludes(page, "postgres://gw:xxxxx@127.0.0.1:");
        for (const where of [status, page, a.logs.join("\n")]) assert(!where.includes(secret));
        const dir = await Deno.makeTempDir();
        try {
          const file = join(dir, "pg-password");
          await Deno.writeTextFile(file, `${secret}\n`);
          const b = await replica(base, [`--storage.postgres-password-file=${file}`]);
          const c = await replica(base, [], { PGPASSWORD: secret });
          assertStringIncludes(await converged([a, b, c]), 'm{instance="",job="x"} 1\n');
          // A wrong password: never ready, writes 503, and the logs say why.
          await Deno.writeTextFile(file, "wrong\n");
          const d = await startGateway([
            `--storage.postgres-url=${base}`,
            `--storage.postgres-password-file=${file}`,
          ]);
          running.add(d);
          await poll(
            "the refusal in the log",
            () => d.logs.find((l) => l.includes("password authentication failed")),
          );
          assertEquals((await req(d, "GET", "/-/ready")).status, 500);
          const push = await req(d, "PUT", "/metrics/job/x", "m 2\n");
          assertEquals(push.status, 503);
          assertStringIncludes(push.text, "PostgreSQL is unreachable");
          await Promise.all([stop(b), stop(c), stop(d)]);
        } finally {
          await Deno.remove(dir, { recursive: true });
        }
        await stop(a);
      },
    );

    await t.step(
      "a replica runs with the release's narrow permissions (PG* variables read)",
      async () => {
        const { name } = await database();
        const port = freePort();
        // No user in the URL: the client takes PGUSER, as libpq does.
        const url = `postgres://127.0.0.1:${cluster.port}/${name}`;
        const child = new Deno.Command(Deno.execPath(), {
          args: [
            "run",
            "--quiet",
            ...RUNTIME_PERMISSIONS,
            MAIN,
            `--web.listen-address=127.0.0.1:${port}`,
            `--storage.postgres-url=${url}`,
          ],
          env: { PGUSER: "postgres", PGAPPNAME: "gw-test" },
          stdout: "piped",
          stderr: "piped",
        }).spawn();
        const output = child.output();
        try {
          const base = `http://127.0.0.1:${port}`;
          await poll("the narrow replica to be ready", async () => {
            const res = await fetch(`${base}/-/ready`);
            await res.body?.cancel();
            return res.ok || undefined;
          }, { attempts: 400, intervalMs: 50 });
          const push = await fetch(`${base}/metrics/job/narrow`, { method: "PUT", body: "m 1\n" });
          await push.body?.cancel();
          assertEquals(push.status, 200);
          const [row] = await cluster.query(name, "SELECT count(*) AS n FROM pushgateway_log");
          assertEquals(Number(row!.n), 1);
        } finally {
          try {
            child.kill("SIGTERM");
          } catch { /* exited: the assertion below shows why */ }
          const out = await output;
          assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
        }
      },
    );

    await t.step(
      "expiry: one replica at a time issues the deletes; another takes over when it is killed",
      async () => {
        const { name, url } = await database();
        const gws = await Promise.all([replica(url), replica(url)]);
        /** The replicas that say they issue expiry deletes. */
        const issuers = async (among: readonly RunningGateway[]) => {
          const flags = await Promise.all(among.map(async (gw) => {
            const own = (await req(gw, "GET", "/-/metrics")).text;
            return sample(own, "pushgateway_storage_expiry_issuer");
          }));
          assert(flags.every((f) => f === 0 || f === 1), `issuer gauges ${flags}`);
          return among.filter((_, i) => flags[i] === 1);
        };
        const leader = await poll("one replica to take the expiry lock", async () => {
          const now = await issuers(gws);
          return now.length === 1 ? now[0] : undefined;
        }, { attempts: 200, intervalMs: 50 });
        const other = gws.find((gw) => gw !== leader)!;
        assertEquals(await issuers(gws), [leader]); // still one, after the others' tries
        const expiredRows = async () =>
          (await cluster.query(
            name,
            "SELECT replica FROM pushgateway_log WHERE reason = 'expired' ORDER BY seq",
          )).map((r) => r.replica as string);
        const ttl = (v: string) => ({ "Pushgateway-TTL": v });
        const put = async (gw: RunningGateway, job: string, ttlText: string) => {
          const res = await fetch(`${gw.url}/metrics/job/${job}`, {
            method: "PUT",
            body: "m 1\n",
            headers: ttl(ttlText),
          });
          await res.body?.cancel();
          assertEquals(res.status, 200);
        };

        // Pushed at the replica that does not issue: expired once, by the one that does.
        await put(other, "short", "300ms");
        await poll("the short group to expire everywhere", async () => {
          const texts = await Promise.all(gws.map(scrape));
          return texts.every((t) => !t.includes('job="short"')) || undefined;
        }, { attempts: 200, intervalMs: 50 });
        // Both replicas had the deadline; a second delete would be a second log row.
        await new Promise((r) => setTimeout(r, 1_500));
        const first = await expiredRows();
        assertEquals(first.length, 1, `expiry deletes in the log: ${first}`);
        for (const gw of gws) {
          const own = (await req(gw, "GET", "/-/metrics")).text;
          assertStringIncludes(own, "\npushgateway_groups_expired_total 1\n");
        }

        // The issuer killed with a deadline pending: the survivor takes the lock and expires it.
        await put(other, "later", "1500ms");
        await stop(leader!, "SIGKILL");
        await poll("the survivor to take the expiry lock", async () => {
          return (await issuers([other])).length === 1 || undefined;
        }, { attempts: 200, intervalMs: 50 });
        await poll("the later group to expire", async () => {
          return !(await scrape(other)).includes('job="later"') || undefined;
        }, { attempts: 200, intervalMs: 50 });
        const rows = await expiredRows();
        assertEquals(rows.length, 2, `expiry deletes in the log: ${rows}`);
        assert(rows[1] !== rows[0], `the second expiry was issued by ${rows[1]}, as the first`);
        await stop(other);
      },
    );

    await t.step("refusals at start: other settings, a persistence file too", async () => {
      const { url } = await database();
      const a = await replica(url);
      const utf8 = await startGateway([
        `--storage.postgres-url=${url}`,
        "--push.enable-utf8-names",
      ]);
      const status = await utf8.exited();
      assertEquals(status.code, 1);
      const why = utf8.logs.join("\n");
      assertStringIncludes(
        why,
        "--push.enable-utf8-names is true on this replica but false in the database",
      );
      assertStringIncludes(why, "UPDATE pushgateway_meta SET value = 'true'");
      const both = await runMain([`--storage.postgres-url=${url}`, "--persistence.file=/tmp/x"]);
      assertEquals(both.code, 1);
      assertStringIncludes(
        both.stderr,
        "--storage.postgres-url and --persistence.file cannot be used together",
      );
      await stop(a);
    });

    await t.step(
      "--storage.postgres-import loads a persistence file into an empty database only",
      async () => {
        const { url } = await database();
        const dir = await Deno.makeTempDir();
        try {
          const file = join(dir, "metrics.db");
          const memory = await startGateway([`--persistence.file=${file}`]);
          assertEquals(
            (await req(memory, "PUT", "/metrics/job/old/i/1", "# TYPE m gauge\nm 7\n")).status,
            200,
          );
          const before = await scrape(memory);
          assertEquals((await memory.stop()).code, 0);
          const imported = await runMain([
            `--storage.postgres-url=${url}`,
            `--storage.postgres-import=${file}`,
          ]);
          assertEquals(imported.code, 0, imported.stderr);
          assertMatch(
            imported.stderr,
            /msg="imported the persistence file into PostgreSQL".* groups=1/,
          );
          const a = await replica(url);
          const text = await scrape(a);
          assertStringIncludes(text, 'm{i="1",instance="",job="old"} 7\n');
          assertEquals(
            text,
            before.split("\n").filter((l) => !/^(# (HELP|TYPE) )?(pushgateway_|process_)/.test(l))
              .join("\n"),
          );
          const again = await runMain([
            `--storage.postgres-url=${url}`,
            `--storage.postgres-import=${file}`,
          ]);
          assertEquals(again.code, 1);
          assertStringIncludes(again.stderr, "refusing to import: the database is not empty");
          const missing = await runMain([
            `--storage.postgres-url=${url}`,
            `--storage.postgres-import=${dir}/nope`,
          ]);
          assertEquals(missing.code, 1);
          await stop(a);
        } finally {
          await Deno.remove(dir, { recursive: true });
        }
      },
    );
  } finally {
    await Promise.all([...running].map((g) => g.stop("SIGKILL")));
    await cluster.destroy();
  }
});

const NAMES = ["a", "b", "c"];

/** A random request: pushes that often clash (types, series across groups), deletes, rare wipes. */
function randomRequest(rng: Prng, id: number): { method: string; path: string; body?: string } {
  let path = `/metrics/job/j${rng.int(2)}`;
  if (rng.chance(0.5)) path += `/g/${rng.int(2)}`;
  const roll = rng.int(100);
  if (roll < 3) return { method: "PUT", path: "/api/v1/admin/wipe" };
  if (roll < 20) return { method: "DELETE", path };
  let body = "";
  const first = rng.int(NAMES.length);
  for (let i = 0, n = 1 + rng.int(2); i < n; i++) {
    const name = NAMES[(first + i) % NAMES.length]!;
    body += `# TYPE ${name} ${rng.chance(0.5) ? "gauge" : "counter"}\n`;
    body += `${name}${rng.chance(0.5) ? `{g="${rng.int(2)}"}` : ""} ${id}\n`;
  }
  return { method: rng.chance(0.5) ? "PUT" : "POST", path, body };
}
