/**
 * Faults of the shared store under load (issue 19): a replica killed with
 * SIGKILL, and PostgreSQL crashing (`pg_ctl -m immediate`, fsync on) and
 * starting again. Nothing acknowledged is lost: every group's value at the
 * end is the last one acknowledged, or a later one whose answer was not a
 * 200 (503, or the connection broke). During the outage writes get 503,
 * never a hang or a 2xx; the replicas stay ready and serve their last state.
 *
 * Each group is written by one loop, one request at a time, with values
 * that only grow, so "later" is well defined.
 */

import { assert, assertEquals } from "@std/assert";
import type { RunningGateway } from "./helpers/gateway.ts";
import { poll } from "./helpers/poll.ts";
import { type PgCluster, POSTGRES, startCluster, startReplica } from "./helpers/postgres.ts";
import { testNeeding } from "./helpers/requirements.ts";

const GROUPS = 6;
/** A request still unanswered after this long counts as a hang (a bound, not a timing assertion). */
const HANG_MS = 30_000;

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** What the writer of one group saw. */
interface GroupLog {
  lastAcked: number;
  /** Values whose push got no 200 (a 503, or no answer): may or may not be stored. */
  readonly uncertain: Set<number>;
  /** Statuses seen (0: the connection failed). */
  readonly statuses: number[];
}

/** Writers of `GROUPS` groups, each pushing growing values to one of `targets()` at a time. */
class Load {
  readonly groups: GroupLog[] = Array.from({ length: GROUPS }, () => ({
    lastAcked: 0,
    uncertain: new Set<number>(),
    statuses: [],
  }));
  readonly #loops: Promise<void>[];
  #stopped = false;
  hangs = 0;

  constructor(targets: () => readonly RunningGateway[]) {
    this.#loops = this.groups.map(async (log, g) => {
      for (let value = 1; !this.#stopped; value++) {
        const list = targets();
        const gw = list[value % list.length]!;
        let status = 0;
        try {
          const res = await fetch(`${gw.url}/metrics/job/load/g/${g}`, {
            method: "PUT",
            body: `# TYPE seq_total counter\nseq_total ${value}\n`,
            signal: AbortSignal.timeout(HANG_MS),
          });
          await res.body?.cancel();
          status = res.status;
        } catch (err) {
          if (err instanceof DOMException && err.name === "TimeoutError") this.hangs++;
        }
        log.statuses.push(status);
        if (status === 200) log.lastAcked = value;
        else log.uncertain.add(value);
        await sleep(status === 200 ? 5 : 50);
      }
    });
  }

  /** Waits until every group had `n` more 200 answers than now. */
  async acked(n: number, what: string): Promise<void> {
    const base = this.groups.map((g) => g.statuses.filter((s) => s === 200).length);
    await poll(
      what,
      () =>
        this.groups.every((g, i) => g.statuses.filter((s) => s === 200).length >= base[i]! + n) ||
        undefined,
      { attempts: 600, intervalMs: 50 },
    );
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await Promise.all(this.#loops);
  }
}

/** Every group's stored value, as `gw` serves it. */
async function storedValues(gw: RunningGateway): Promise<Map<number, number>> {
  const text = await (await fetch(`${gw.url}/metrics`)).text();
  const out = new Map<number, number>();
  for (const m of text.matchAll(/^seq_total\{g="(\d+)",instance="",job="load"\} (\S+)$/gm)) {
    out.set(Number(m[1]), Number(m[2]));
  }
  return out;
}

/** Nothing acknowledged is lost, and nothing is there that was never sent. */
function assertNothingLost(load: Load, stored: Map<number, number>): void {
  load.groups.forEach((log, g) => {
    const v = stored.get(g) ?? 0;
    assert(v >= log.lastAcked, `group ${g}: ${v} is older than the acknowledged ${log.lastAcked}`);
    assert(
      v === log.lastAcked || log.uncertain.has(v),
      `group ${g}: ${v} was neither acknowledged last (${log.lastAcked}) nor left unanswered`,
    );
  });
}

async function converged(gws: readonly RunningGateway[]): Promise<string> {
  return await poll("the replicas to agree", async () => {
    const texts = await Promise.all(
      gws.map(async (g) => await (await fetch(`${g.url}/metrics`)).text()),
    );
    return texts.every((t) => t === texts[0]) ? texts[0] : undefined;
  }, { attempts: 300, intervalMs: 50 });
}

let cluster: PgCluster;
const running = new Set<RunningGateway>();

async function replica(url: string): Promise<RunningGateway> {
  const gw = await startReplica(url);
  running.add(gw);
  return gw;
}

testNeeding(POSTGRES, "the shared store under faults", async (t) => {
  cluster = await startCluster({ fsync: true });
  try {
    await t.step(
      "a replica killed with SIGKILL under load loses no acknowledged push",
      async () => {
        const url = await cluster.createDatabase("kill");
        let gws = [await replica(url), await replica(url)];
        const load = new Load(() => gws);
        for (const victim of [0, 1]) {
          await load.acked(5, "pushes before the kill");
          const killed = gws[victim]!;
          const survivor = gws[1 - victim]!;
          gws = [survivor];
          killed.process.kill("SIGKILL");
          await killed.exited();
          running.delete(killed);
          await load.acked(3, "pushes after the kill");
          const restarted = await replica(url);
          gws = victim === 0 ? [restarted, survivor] : [survivor, restarted];
        }
        await load.stop();
        assertEquals(load.hangs, 0);
        const text = await converged(gws);
        assert(text.includes("seq_total"));
        assertNothingLost(load, await storedValues(gws[0]!));
        for (const log of load.groups) {
          assert(log.statuses.every((s) => s === 200 || s === 0 || s === 503), `${log.statuses}`);
        }
        for (const gw of gws) {
          running.delete(gw);
          await gw.stop();
        }
      },
    );

    await t.step(
      "PostgreSQL crashing and starting again under load: 503 meanwhile, nothing lost",
      async () => {
        const url = await cluster.createDatabase("crash");
        const gws = [await replica(url), await replica(url)];
        const load = new Load(() => gws);
        await load.acked(5, "pushes before the crash");
        const before = load.groups.map((g) => g.statuses.length);
        await cluster.stop("immediate");
        try {
          await poll(
            "503 answers during the outage",
            () =>
              load.groups.every((g, i) => g.statuses.slice(before[i]).includes(503)) || undefined,
            {
              attempts: 600,
              intervalMs: 50,
            },
          );
          for (const gw of gws) {
            const ready = await fetch(`${gw.url}/-/ready`);
            assertEquals(ready.status, 200, "ready during the outage: it serves its last state");
            await ready.body?.cancel();
            const scrape = await fetch(`${gw.url}/metrics`);
            assertEquals(scrape.status, 200);
            assert((await scrape.text()).includes("seq_total"));
            const own = await (await fetch(`${gw.url}/-/metrics`)).text();
            assert(own.includes("pushgateway_storage_connected 0\n"), "says it is disconnected");
          }
        } finally {
          await cluster.start();
        }
        await load.acked(5, "service to resume after the restart");
        await load.stop();
        assertEquals(load.hangs, 0, "no request hung");
        for (const log of load.groups) {
          assert(
            log.statuses.every((s) => s === 200 || s === 503),
            `only 200 or 503: ${log.statuses}`,
          );
        }
        await converged(gws);
        for (const gw of gws) {
          assertNothingLost(load, await storedValues(gw));
        }
        // A replica started now, from the database alone, has every acknowledged push too.
        const fresh = await replica(url);
        assertNothingLost(load, await storedValues(fresh));
        await converged([...gws, fresh]);
      },
    );
  } finally {
    await Promise.all([...running].map((g) => g.stop("SIGKILL")));
    await cluster.destroy();
  }
});
