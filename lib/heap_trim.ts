/**
 * Gives the heap's unused capacity back once the gateway goes quiet.
 *
 * V8 grows its young generation while what it allocates survives (filling a
 * store by pushes, a restore, a replica loading the shared state) and keeps it
 * grown: measured at 100,000 series filled by pushes, 27 MiB of young
 * generation stayed committed, resident and empty, more than the store itself
 * (16 MiB). V8's own memory reducer would return it, but in Deno it first
 * starts 30 s after the process and then waits for several seconds of low
 * allocation.
 *
 * The {@linkcode HeapTrimmer} watches the gateway's activity (requests and
 * store writes). Once nothing has happened for {@linkcode IDLE_MS} and no
 * request is in flight, it looks at the heap, and if at least
 * {@linkcode SLACK_BYTES} of it are committed but unused it compacts it
 * ({@linkcode compactHeap}: a pause of ~0.1 s at 10,000 groups). A compaction
 * asked for outright (after a restore or a load) waits only for
 * {@linkcode QUIET_MS} of quiet. After a compaction of `t` ms the next one
 * waits at least `max(MIN_INTERVAL_MS, INTERVAL_FACTOR · t)`, so compactions
 * never take more than ~5% of the time.
 *
 * A full collection frees the maps ("hidden classes") of objects nothing
 * references any more, and V8 throws away the optimised code that embeds
 * such a map ("embedded weak objects cleared"): compacting right after a
 * burst of pushes made the next ~1,000 pushes run ~0.3 ms slower while the
 * push path was optimised again. So the objects of the last write request, of the
 * last push and the last text parser are kept alive ({@linkcode keepAlive};
 * `text_parse.ts` keeps its own): their maps survive the compaction, and with
 * them the code (226 such deoptimisations after the compactions of a run of
 * 3 fills without them, 34 with them).
 *
 * @module
 */

import { compactHeap } from "@lib/heap.ts";

/** No activity for this long is a quiet moment for a compaction asked for (ms). */
export const QUIET_MS = 250;
/** No activity for this long is a quiet moment for a compaction of the slack (ms). */
export const IDLE_MS = 250;
/** Unused committed heap worth a compaction (bytes). */
export const SLACK_BYTES = 8 * 1024 * 1024;
/**
 * Young generation capacity not counted as slack (bytes): the two semi-spaces
 * of 4 MiB that `--min-semi-space-size=4` (`V8_FLAGS`) keeps after a
 * compaction, so that the young generation regrown to them by a few pushes
 * is not compacted again and again.
 */
export const YOUNG_BASE_BYTES = 8 * 1024 * 1024;
/** The shortest time between two compactions (ms). */
export const MIN_INTERVAL_MS = 2000;
/** The time between two compactions is at least this many times the last one's duration. */
export const INTERVAL_FACTOR = 20;

/** What {@linkcode keepAlive} holds: the last objects of each slot. */
const KEPT = new Map<string, unknown>();

/**
 * Keeps `value` (an object, or an array of them) alive until the next call
 * for the same `slot`, on purpose: a compaction then keeps their maps, and
 * V8 the code optimised for them (module doc). Callers keep small things only (one request's objects).
 *
 * @example
 * ```ts
 * import { keepAlive } from "@lib/heap_trim.ts";
 * keepAlive("request", [new Request("http://localhost/metrics")]);
 * ```
 */
export function keepAlive(slot: string, value: unknown): void {
  KEPT.set(slot, value);
}

/** One heap space as V8 reports it (`node:v8` `getHeapSpaceStatistics()`). */
export interface HeapSpace {
  readonly space_name: string;
  readonly space_size: number;
  readonly space_used_size: number;
}

/**
 * The heap's unused committed capacity: all of the young generation above
 * {@linkcode YOUNG_BASE_BYTES} (what is "used" there is mostly garbage since the
 * last scavenge), plus what every other space has committed and not used.
 */
export function heapSlack(spaces: readonly HeapSpace[]): number {
  let slack = 0;
  for (const s of spaces) {
    if (s.space_name === "new_space") slack += Math.max(0, s.space_size - YOUNG_BASE_BYTES);
    else slack += Math.max(0, s.space_size - s.space_used_size);
  }
  return slack;
}

/** The timers the trimmer uses (the real ones, or a test's). */
export interface TrimClock {
  now(): number;
  setTimer(callback: () => void, delayMs: number): unknown;
  clearTimer(handle: unknown): void;
}

const REAL_CLOCK: TrimClock = {
  now: () => performance.now(),
  setTimer: (callback, delayMs) => {
    const id = setTimeout(callback, delayMs);
    Deno.unrefTimer(id); // never keeps the process alive
    return id;
  },
  clearTimer: (handle) => clearTimeout(handle as number),
};

/** What a {@linkcode HeapTrimmer} needs. */
export interface HeapTrimmerOptions {
  /** The heap's spaces now (default: `node:v8`'s, loaded on first use). */
  readonly heapSpaces?: () => Promise<readonly HeapSpace[]>;
  /** Compacts the heap; the ms it took, or `undefined` when it cannot (default {@linkcode compactHeap}). */
  readonly compact?: () => number | undefined;
  /** Told of each compaction: why (the requested reason, or `undefined` for slack) and how long. */
  readonly onCompacted?: (reason: string | undefined, ms: number, slackBytes: number) => void;
  readonly clock?: TrimClock;
}

async function v8HeapSpaces(): Promise<readonly HeapSpace[]> {
  const v8 = await import("node:v8");
  return v8.getHeapSpaceStatistics();
}

/** Compacts the heap at quiet moments when it holds much unused capacity; see the module doc. */
export class HeapTrimmer {
  readonly #heapSpaces: () => Promise<readonly HeapSpace[]>;
  readonly #compact: () => number | undefined;
  readonly #onCompacted: HeapTrimmerOptions["onCompacted"];
  readonly #clock: TrimClock;
  #lastActivity: number;
  #inFlight = 0;
  #timer: unknown = undefined;
  #checking = false;
  #notBefore = -Infinity;
  #requested: string | undefined = undefined;
  #disabled = false;

  constructor(options: HeapTrimmerOptions = {}) {
    this.#heapSpaces = options.heapSpaces ?? v8HeapSpaces;
    this.#compact = options.compact ?? compactHeap;
    this.#onCompacted = options.onCompacted;
    this.#clock = options.clock ?? REAL_CLOCK;
    this.#lastActivity = this.#clock.now();
  }

  /** Something happened (a write was applied): the quiet period starts again. */
  activity(): void {
    this.#lastActivity = this.#clock.now();
    this.#arm(this.#quietNeeded());
  }

  /** A request started: no quiet moment until it ends. */
  requestStarted(): void {
    this.#inFlight++;
    this.#lastActivity = this.#clock.now();
  }

  /** A request ended. */
  requestEnded(): void {
    this.#inFlight = Math.max(0, this.#inFlight - 1);
    this.activity();
  }

  /** Compacts at the next quiet moment whatever the slack (`reason` is passed to `onCompacted`). */
  compactWhenQuiet(reason: string): void {
    this.#requested = reason;
    this.#stopTimer();
    this.activity();
  }

  /** Cancels the pending check for good (the gateway is shutting down). */
  stop(): void {
    this.#disabled = true;
    this.#stopTimer();
  }

  #stopTimer(): void {
    if (this.#timer !== undefined) this.#clock.clearTimer(this.#timer);
    this.#timer = undefined;
  }

  /** How long a quiet moment must last for the compaction pending. */
  #quietNeeded(): number {
    return this.#requested === undefined ? IDLE_MS : QUIET_MS;
  }

  #arm(delayMs: number): void {
    if (this.#disabled || this.#timer !== undefined || this.#checking) return;
    this.#timer = this.#clock.setTimer(() => {
      this.#timer = undefined;
      void this.#check();
    }, Math.max(0, delayMs));
  }

  async #check(): Promise<void> {
    const now = this.#clock.now();
    const quietIn = this.#lastActivity + this.#quietNeeded() - now;
    if (this.#inFlight > 0 || quietIn > 0) {
      // Not quiet yet: look again when it could be (a request's end arms it too).
      if (this.#inFlight === 0) this.#arm(quietIn);
      return;
    }
    if (now < this.#notBefore) {
      this.#arm(this.#notBefore - now);
      return;
    }
    this.#checking = true;
    let slack: number;
    try {
      slack = heapSlack(await this.#heapSpaces());
    } finally {
      this.#checking = false;
    }
    // Reading the heap yields: whatever arrived meanwhile postpones the compaction.
    if (this.#inFlight > 0 || this.#clock.now() - this.#lastActivity < this.#quietNeeded()) {
      this.#arm(0);
      return;
    }
    const reason = this.#requested;
    if (this.#disabled || (reason === undefined && slack < SLACK_BYTES)) return;
    this.#requested = undefined;
    const ms = this.#compact();
    if (ms === undefined) {
      this.#disabled = true; // no exposed gc: nothing to do, ever
      return;
    }
    this.#notBefore = this.#clock.now() + Math.max(MIN_INTERVAL_MS, INTERVAL_FACTOR * ms);
    this.#onCompacted?.(reason, ms, slack);
  }
}
