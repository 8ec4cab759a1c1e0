/**
 * Crash test of `--persistence.file`: the gateway is killed with SIGKILL at
 * random moments while pushes and snapshot writes are in flight, then
 * restarted on the same file, round after round.
 *
 * Every group gets a sequence number that only grows (`seq_total N`, one
 * request at a time per group). After each kill the file must parse, and
 * each group's persisted number must be
 *
 * - one the gateway acknowledged, or the one in flight at the kill; and
 * - no older than the newest number acknowledged before the last completed
 *   write started. A write starts only after the previous one completed, so
 *   the completion time of the second-to-last `metrics persisted` line
 *   (the gateway's log `ts`, same system clock as the test's `Date.now()`)
 *   is a moment before the last completed write began; any push acknowledged
 *   to the test before it is in that write. (Ordering only, no durations.)
 *
 * `PERSISTENCE_CRASH_SEED` and `PERSISTENCE_CRASH_ROUNDS` override the
 * defaults.
 */

import { assert, assertEquals } from "@std/assert";
import { join } from "@std/path";
import { Prng } from "@lib/expfmt/fuzz_gen.ts";
import { decodeSnapshot } from "@lib/store/snapshot_decode.ts";
import type { Group } from "@lib/store/types.ts";
import { type RunningGateway, startGateway } from "./helpers/gateway.ts";

const SEED = Number(Deno.env.get("PERSISTENCE_CRASH_SEED") ?? 0x5eed);
const ROUNDS = Number(Deno.env.get("PERSISTENCE_CRASH_ROUNDS") ?? 30);
/** Fewer rounds are run when the machine is so slow that this budget runs out. */
const MIN_ROUNDS = 10;
const BUDGET_MS = 240_000;
const GROUPS = 4;
/** Series of a ballast group that makes every write take a while. */
const BALLAST_SERIES = 3000;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function listDir(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) names.push(entry.name);
  return names.sort();
}

/** Each group's `seq_total` value in a decoded snapshot. */
function seqOf(groups: readonly Group[]): Map<number, number> {
  const out = new Map<number, number>();
  for (const g of groups) {
    if (g.labels.job !== "crash") continue;
    const v = g.families.get("seq_total")?.family.metric[0]?.counter?.value;
    if (v !== undefined) out.set(Number(g.labels.g), v);
  }
  return out;
}

/** Each group's `seq_total` value in a text scrape. */
function scrapedSeq(text: string): Map<number, number> {
  const out = new Map<number, number>();
  for (const m of text.matchAll(/^seq_total\{g="(\d+)",instance="",job="crash"\} (\S+)$/gm)) {
    out.set(Number(m[1]), Number(m[2]));
  }
  return out;
}

function ballastBody(): string {
  let body =
    "# HELP ballast Makes every snapshot big enough to take a while.\n# TYPE ballast gauge\n";
  for (let i = 0; i < BALLAST_SERIES; i++) {
    body += `ballast{i="${i}",pad="${"x".repeat(40)}"} ${i}\n`;
  }
  return body;
}

/** The Unix ms of every `metrics persisted` log line. */
function persistedTimes(logs: readonly string[]): number[] {
  const times: number[] = [];
  for (const line of logs) {
    const m = line.match(/^ts=(\S+) .*msg="metrics persisted"/);
    if (m) times.push(Date.parse(m[1]!));
  }
  return times;
}

interface GroupHistory {
  /** Every number the gateway answered 200 for, with the test's time of the answer. */
  acked: Map<number, number>;
  /** Numbers sent without an answer (in flight at a kill). */
  inFlight: Set<number>;
  /** The next number to send. */
  next: number;
  /** The newest acknowledged number. */
  lastAcked: number | undefined;
  /** The lowest value the file may hold for this group now. */
  floor: number | undefined;
}

Deno.test("SIGKILL at random moments never corrupts the file nor loses more than one write", async () => {
  const prng = new Prng(SEED);
  const dir = await Deno.makeTempDir({ prefix: "pgw-crash-" });
  const file = join(dir, "p.db");
  const args = [`--persistence.file=${file}`, "--persistence.interval=50ms"];
  const history: GroupHistory[] = Array.from({ length: GROUPS }, () => ({
    acked: new Map(),
    inFlight: new Set(),
    next: 1,
    lastAcked: undefined,
    floor: undefined,
  }));
  const started = Date.now();
  let rounds = 0;
  let killedMidWrite = 0;
  let maxLag = 0;
  let writesSeen = 0;
  let ballastSeen = false;
  let gw: RunningGateway | undefined;

  /** Checks the file the last kill left; returns what the gateway must restore. */
  const checkFile = async (): Promise<{ seq: Map<number, number>; ballast: boolean }> => {
    const names = await listDir(dir);
    const corruptFiles = names.filter((n) => n.includes(".corrupt-")).length;
    assertEquals(corruptFiles, 0, `set-aside files after round ${rounds}: ${names}`);
    if (names.some((n) => n.includes(".in_progress."))) killedMidWrite++;
    let groups: Group[] = [];
    if (names.includes("p.db")) groups = decodeSnapshot(await Deno.readTextFile(file));
    const ballast = groups.find((g) => g.labels.job === "ballast");
    if (ballast) {
      assertEquals(ballast.families.get("ballast")?.family.metric.length, BALLAST_SERIES);
      ballastSeen = true;
    } else {
      assert(!ballastSeen, "a persisted group disappeared");
    }
    const seq = seqOf(groups);
    for (let g = 0; g < GROUPS; g++) {
      const h = history[g]!;
      const value = seq.get(g);
      if (value === undefined) {
        assertEquals(h.floor, undefined, `group ${g} lost after round ${rounds}`);
        continue;
      }
      assert(
        h.acked.has(value) || h.inFlight.has(value),
        `group ${g}: persisted ${value} was never acknowledged nor in flight`,
      );
      assert(
        h.floor === undefined || value >= h.floor,
        `group ${g}: persisted ${value} is older than ${h.floor} (round ${rounds})`,
      );
      maxLag = Math.max(maxLag, (h.lastAcked ?? value) - value);
      h.floor = value; // the file only moves forward from here
    }
    return { seq, ballast: ballast !== undefined };
  };

  /** Restarts on the file; the stale temp file is gone and the store holds what the file held. */
  const restart = async (expected: Map<number, number>): Promise<RunningGateway> => {
    const running = await startGateway(args, { timeoutMs: 60_000 });
    gw = running;
    assertEquals((await listDir(dir)).filter((n) => n.includes(".in_progress.")), []);
    const res = await fetch(`${running.url}/metrics`);
    assertEquals(scrapedSeq(await res.text()), expected);
    assert(!running.logs.some((l) => /could not load/.test(l)), running.logs.join("\n"));
    return running;
  };

  try {
    for (; rounds < ROUNDS; rounds++) {
      if (rounds >= MIN_ROUNDS && Date.now() - started > BUDGET_MS) break;
      const restored = await checkFile();
      const running = await restart(restored.seq);
      if (!restored.ballast) {
        const r = await fetch(`${running.url}/metrics/job/ballast`, {
          method: "PUT",
          body: ballastBody(),
        });
        assertEquals(r.status, 200, await r.text());
      }

      // Push until killed.
      let killed = false;
      const pusher = async (g: number): Promise<void> => {
        const h = history[g]!;
        while (!killed) {
          const seq = h.next++;
          let res: Response;
          try {
            res = await fetch(`${running.url}/metrics/job/crash/g/${g}`, {
              method: "PUT",
              body: `# TYPE seq_total counter\nseq_total ${seq}\n`,
            });
          } catch {
            h.inFlight.add(seq);
            return;
          }
          if (res.status !== 200) {
            const body = await res.text().catch(() => "");
            throw new Error(`push ${seq} to group ${g}: ${res.status} ${body}`);
          }
          // The status line means the store has the push, whatever happens to the body.
          h.acked.set(seq, Date.now());
          h.lastAcked = seq;
          await res.body?.cancel().catch(() => {});
        }
      };
      const pushers = Array.from({ length: GROUPS }, (_, g) => pusher(g));
      await sleep(20 + prng.int(500));
      const status = await running.stop("SIGKILL");
      killed = true;
      gw = undefined;
      await Promise.all(pushers);
      assertEquals(status.signal, "SIGKILL");

      // Raise each group's floor to what the last completed write must hold.
      const times = persistedTimes(running.logs);
      writesSeen += times.length;
      if (times.length >= 2) {
        const before = times[times.length - 2]!;
        for (const h of history) {
          for (const [seq, at] of h.acked) {
            if (at < before && (h.floor === undefined || seq > h.floor)) h.floor = seq;
          }
        }
      }
    }

    // The last kill's file, then a graceful stop that rewrites the same data.
    const last = await checkFile();
    const final = await restart(last.seq);
    const status = await final.stop("SIGTERM");
    gw = undefined;
    assertEquals(status.code, 0);
    assertEquals(await listDir(dir), ["p.db"]);
    assertEquals(seqOf(decodeSnapshot(await Deno.readTextFile(file))), last.seq);
    console.log(
      `persistence crash test: seed=${SEED} rounds=${rounds} ` +
        `killed_mid_write=${killedMidWrite} writes_seen=${writesSeen} ` +
        `max_seq_lag=${maxLag} (pushes acknowledged but not in the file at a kill)`,
    );
  } finally {
    if (gw) await gw.stop("SIGKILL");
    await Deno.remove(dir, { recursive: true });
  }
});
