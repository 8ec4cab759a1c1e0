import { assertEquals } from "@std/assert";
import { CommitPacer, type PacerClock } from "@lib/store/postgres/write_queue.ts";

/**
 * A clock that only moves when told, recording the sleeps asked for; each
 * sleep ends at once (moving the clock), or with `stuck` never (only a release
 * ends a linger).
 */
function fakeClock(stuck = false): PacerClock & { t: number; slept: number[] } {
  const clock = {
    t: 1_000,
    slept: [] as number[],
    now: () => clock.t,
    sleep(ms: number) {
      clock.slept.push(ms);
      if (stuck) return new Promise<void>(() => {});
      clock.t += ms;
      return Promise.resolve();
    },
  };
  return clock;
}

Deno.test("CommitPacer: a lone writer (batches of one) never waits", async () => {
  const clock = fakeClock();
  const pacer = new CommitPacer(clock);
  await pacer.before(1, 100); // nothing committed yet
  pacer.after(1);
  clock.t += 3; // the next push comes right after the answer
  await pacer.before(1, 100);
  pacer.after(1);
  assertEquals(clock.slept, []);
});

Deno.test("CommitPacer: after a batch of several writes, the next batch lingers while it can grow", async () => {
  const clock = fakeClock();
  const pacer = new CommitPacer(clock);
  pacer.after(4);
  clock.t += 1;
  await pacer.before(1, 100);
  assertEquals(clock.slept, [2]);
  await pacer.before(4, 100); // every writer of the last batch is back: no point waiting
  await pacer.before(100, 100); // full
  assertEquals(clock.slept, [2]);
  assertEquals(pacer.timedOut, 1, "the one linger lasted until the timer");
});

/** Whether `p` has settled after the pending microtasks ran. */
async function settled(p: Promise<void>): Promise<boolean> {
  let done = false;
  p.then(() => done = true);
  await new Promise((r) => setTimeout(r, 0));
  return done;
}

Deno.test("CommitPacer: the linger ends as soon as every writer busy at the last commit is back", async () => {
  const clock = fakeClock(true);
  const pacer = new CommitPacer(clock);
  pacer.after(3, 1); // 3 answered, 1 already waiting: 4 writers
  clock.t += 1;
  const lingering = pacer.before(1, 100);
  assertEquals(clock.slept.length, 1);
  pacer.queued(2);
  pacer.queued(3);
  assertEquals(await settled(lingering), false, "3 of 4 writers back: still lingering");
  pacer.queued(4);
  assertEquals(await settled(lingering), true, "all 4 back: the batch goes");
  assertEquals(pacer.timedOut, 0, "released, not timed out");
  pacer.queued(5); // no linger to end: nothing happens
});

Deno.test("CommitPacer: the linger also ends at a full batch (max below the writers)", async () => {
  const clock = fakeClock(true);
  const pacer = new CommitPacer(clock);
  pacer.after(10);
  const lingering = pacer.before(1, 4);
  pacer.queued(3);
  assertEquals(await settled(lingering), false);
  pacer.queued(4);
  assertEquals(await settled(lingering), true);
});

Deno.test("CommitPacer: writers quiet for 20 ms: no linger, however large the last batch", async () => {
  const clock = fakeClock();
  const pacer = new CommitPacer(clock);
  pacer.after(50);
  clock.t += 20;
  await pacer.before(1, 100);
  assertEquals(clock.slept, []);
});
