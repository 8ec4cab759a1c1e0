import { assertEquals } from "@std/assert";
import { CommitPacer, type PacerClock } from "@lib/store/postgres/write_queue.ts";

/** A clock that only moves when told, recording the sleeps asked for. */
function fakeClock(): PacerClock & { t: number; slept: number[] } {
  const clock = {
    t: 1_000,
    slept: [] as number[],
    now: () => clock.t,
    sleep(ms: number) {
      clock.slept.push(ms);
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
  await pacer.before(100, 100); // full: no point waiting
  assertEquals(clock.slept, [2]);
});

Deno.test("CommitPacer: writers quiet for 20 ms: no linger, however large the last batch", async () => {
  const clock = fakeClock();
  const pacer = new CommitPacer(clock);
  pacer.after(50);
  clock.t += 20;
  await pacer.before(1, 100);
  assertEquals(clock.slept, []);
});
