/**
 * Expiry: a group whose deadline has passed is removed through the store's
 * write path, exactly as a DELETE would remove it.
 *
 * The {@linkcode Expirer} is a subscriber plus one timer. It learns every
 * group's deadline and write sequence from the store's announcements (and,
 * at start, from one scan of the view), keeps them in one
 * {@linkcode DeadlineHeap}, and arms a single timer for the earliest
 * deadline: there is no periodic scan, and a push costs one heap insertion.
 * When a deadline passes it submits the conditional delete
 * `{ kind: "delete", labels, ifNotWrittenSince: writeSeq, reason: "expired" }`,
 * so a push that renewed the group after that sequence wins, whichever of the
 * two reaches the store first.
 *
 * Counting and logging follow the announcements, not the submissions: every
 * replica of a shared store applies an expiry delete and so counts it in
 * `pushgateway_groups_expired_total` and logs it once, while
 * {@linkcode ExpirerOptions.shouldIssue} lets only one of them issue deletes.
 *
 * The clock and the timer are injected, so tests drive expiry without sleeping.
 *
 * @module
 */

import { type DeadlineEntry, DeadlineHeap } from "@lib/store/deadline_heap.ts";
import { describeGroup } from "@lib/store/restore_check.ts";
import type { AppliedWrite, DeleteResult, MetricStore, StoredGroup } from "@lib/store/store.ts";
import { groupingKey, type GroupingLabels } from "@lib/store/types.ts";

/** The clock and the one timer expiry runs on. */
export interface ExpiryClock {
  /** The current time, Unix epoch milliseconds (the clock push times are taken from). */
  now(): number;
  /** Calls `callback` once, `delayMs` from now; returns a handle for {@linkcode ExpiryClock.clearTimer}. */
  setTimer(callback: () => void, delayMs: number): unknown;
  /** Cancels a timer that has not fired. */
  clearTimer(handle: unknown): void;
}

/** The system clock: `performance.timeOrigin + performance.now()` and `setTimeout`. */
export const SYSTEM_CLOCK: ExpiryClock = {
  now: () => performance.timeOrigin + performance.now(),
  setTimer: (callback, delayMs) => setTimeout(callback, delayMs),
  clearTimer: (handle) => clearTimeout(handle as number),
};

/** The logger methods expiry uses (the application logger has them). */
export interface ExpiryLogger {
  /** Logs at info level. */
  info(msg: string, attrs?: Record<string, unknown>): void;
  /** Logs at warn level. */
  warn(msg: string, attrs?: Record<string, unknown>): void;
}

/** Options of {@linkcode Expirer}. */
export interface ExpirerOptions {
  /** The store whose groups expire. */
  readonly store: MetricStore;
  /** Where expiries (info) and failed deletes (warn) are logged. */
  readonly logger: ExpiryLogger;
  /** The clock and timer; default {@linkcode SYSTEM_CLOCK}. */
  readonly clock?: ExpiryClock;
  /**
   * Whether this process issues expiry deletes now (default: always). A
   * replicated store lets one replica at a time issue them; the others keep
   * their deadlines, count and log the deletes they apply, and ask again
   * after `retryMs`.
   */
  readonly shouldIssue?: () => boolean;
  /** How long to wait before asking `shouldIssue` again, or after a failed delete; default 1000 ms. */
  readonly retryMs?: number;
  /** How many deletes are issued in one turn of the event loop; default 1000. */
  readonly batchSize?: number;
}

/** One scheduled expiry: a group's deadline as of one write of it. */
interface Scheduled extends DeadlineEntry {
  readonly key: string;
  readonly labels: GroupingLabels;
  readonly deadlineMs: number;
  /** The group's write sequence the deadline belongs to (the delete's `ifNotWrittenSince`). */
  readonly writeSeq: number;
}

/** `setTimeout` takes at most this delay (2^31 - 1 ms); longer waits are re-armed. */
const MAX_DELAY_MS = 2_147_483_647;
/** Stale heap entries are dropped in bulk once there are this many more than live ones. */
const COMPACT_SLACK = 1024;

/** Removes groups whose deadline has passed; see the module documentation. */
export class Expirer {
  readonly #store: MetricStore;
  readonly #logger: ExpiryLogger;
  readonly #clock: ExpiryClock;
  readonly #shouldIssue: () => boolean;
  readonly #retryMs: number;
  readonly #batchSize: number;
  readonly #heap = new DeadlineHeap<Scheduled>();
  /** Group key → its current entry (in the heap, or its delete in flight). */
  readonly #live = new Map<string, Scheduled>();
  #timer: unknown;
  #armed = false;
  #timerDue = Infinity;
  #expired = 0;
  #unsubscribe: (() => void) | undefined;
  #started = false;
  #stopped = false;
  readonly #inFlight = new Set<Promise<void>>();

  /** Creates the expirer; nothing happens until {@linkcode Expirer.start}. */
  constructor(options: ExpirerOptions) {
    this.#store = options.store;
    this.#logger = options.logger;
    this.#clock = options.clock ?? SYSTEM_CLOCK;
    this.#shouldIssue = options.shouldIssue ?? (() => true);
    this.#retryMs = options.retryMs ?? 1000;
    this.#batchSize = Math.max(1, options.batchSize ?? 1000);
  }

  /** Groups removed by expiry so far (as applied to this process's store). */
  get expiredTotal(): number {
    return this.#expired;
  }

  /** Groups that have a deadline and are still stored. */
  get scheduled(): number {
    return this.#live.size;
  }

  /**
   * Subscribes to the store, schedules the deadlines of the groups it holds,
   * and resolves once every group whose deadline has already passed has been
   * removed (when this process issues expiries): call it before serving.
   */
  async start(): Promise<void> {
    this.#unsubscribe = this.#store.subscribe((write) => this.#onWrite(write));
    this.#trackAll();
    this.#started = true;
    while (!this.#stopped && this.#issueDue()) await this.settled();
    await this.settled();
    if (!this.#armed) this.#arm();
  }

  /**
   * Forgets every deadline and schedules those of the groups the view holds
   * now: for a store whose whole state was replaced without announcements
   * (a replica that reloaded from the database).
   */
  rescan(): void {
    if (!this.#started || this.#stopped) return;
    this.#live.clear();
    this.#heap.clear();
    this.#clearTimer();
    this.#trackAll();
    this.#arm();
  }

  /** Tracks the deadlines of the groups the view holds (none tracked before). */
  #trackAll(): void {
    // A group without a deadline has nothing to track (nor a key to compute).
    for (const group of this.#store.view.groups()) {
      if (group.ttl.deadlineMs !== undefined) this.#track(groupingKey(group.labels), group);
    }
  }

  /** Unsubscribes and cancels the timer; deletes already submitted still complete. */
  stop(): void {
    this.#stopped = true;
    this.#unsubscribe?.();
    this.#clearTimer();
  }

  /** Resolves once every delete submitted so far has been answered. */
  async settled(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.all(this.#inFlight);
  }

  #onWrite(write: AppliedWrite): void {
    const request = write.request;
    switch (request.kind) {
      case "push": {
        const group = this.#store.view.group(request.labels);
        // No deadline and nothing tracked (no TTL in use): no grouping key to compute per push.
        if (group?.ttl.deadlineMs === undefined && this.#live.size === 0) break;
        this.#track(groupingKey(request.labels), group);
        break;
      }
      case "delete": {
        if (!(write.result as DeleteResult).deleted) break;
        this.#live.delete(groupingKey(request.labels));
        if (request.reason === "expired") {
          this.#expired++;
          this.#logger.info("group expired", { group: describeGroup(request.labels) });
        }
        break;
      }
      case "wipe":
        this.#live.clear();
        this.#heap.clear();
        this.#arm();
    }
  }

  /** Schedules the group's deadline as of its last write (or forgets it: no deadline, no group). */
  #track(key: string, group: StoredGroup | undefined): void {
    const deadlineMs = group?.ttl.deadlineMs;
    if (group === undefined || deadlineMs === undefined) {
      this.#live.delete(key);
      return;
    }
    const current = this.#live.get(key);
    if (current?.writeSeq === group.writeSeq && current.deadlineMs === deadlineMs) return;
    const entry: Scheduled = {
      due: deadlineMs,
      key,
      labels: group.labels,
      deadlineMs,
      writeSeq: group.writeSeq,
    };
    this.#live.set(key, entry);
    this.#heap.push(entry);
    if (this.#heap.size > 2 * this.#live.size + COMPACT_SLACK) {
      this.#heap.compact((e) => this.#live.get(e.key) === e);
    }
    if (deadlineMs < this.#timerDue && this.#started) this.#arm();
  }

  /** The live entry due first, dropping stale ones from the top of the heap. */
  #first(): Scheduled | undefined {
    for (let top = this.#heap.peek(); top !== undefined; top = this.#heap.peek()) {
      if (this.#live.get(top.key) === top) return top;
      this.#heap.pop();
    }
    return undefined;
  }

  /** Arms the one timer for the earliest deadline (or none). */
  #arm(): void {
    if (this.#stopped || !this.#started) return;
    const due = this.#first()?.due ?? Infinity;
    if (due === this.#timerDue && this.#armed) return;
    this.#clearTimer();
    if (due === Infinity) return;
    this.#setTimer(due, due - this.#clock.now());
  }

  #setTimer(due: number, delayMs: number): void {
    this.#clearTimer();
    this.#timerDue = due;
    this.#armed = true;
    this.#timer = this.#clock.setTimer(() => {
      this.#armed = false;
      this.#timerDue = Infinity;
      this.#fire();
    }, Math.min(MAX_DELAY_MS, Math.max(0, delayMs)));
  }

  #clearTimer(): void {
    if (this.#armed) this.#clock.clearTimer(this.#timer);
    this.#armed = false;
    this.#timerDue = Infinity;
  }

  #fire(): void {
    if (this.#stopped) return;
    // More due than one batch: the rest in the next turn, so requests are served in between.
    if (this.#issueDue()) this.#setTimer(this.#clock.now(), 0);
    else if (!this.#armed) this.#arm(); // (armed already: waiting to ask `shouldIssue` again)
  }

  /**
   * Issues the deletes of up to one batch of passed deadlines; true when more
   * are due. When this process must not issue now, asks again after `retryMs`.
   */
  #issueDue(): boolean {
    const now = this.#clock.now();
    const first = this.#first();
    if (first === undefined || first.due > now) return false;
    if (!this.#shouldIssue()) {
      this.#setTimer(now + this.#retryMs, this.#retryMs);
      return false;
    }
    for (let n = 0; n < this.#batchSize; n++) {
      const entry = this.#first();
      if (entry === undefined || entry.due > now) return false;
      this.#heap.pop();
      this.#issue(entry);
    }
    const next = this.#first();
    return next !== undefined && next.due <= now;
  }

  #issue(entry: Scheduled): void {
    const done = this.#store.submit({
      kind: "delete",
      labels: entry.labels,
      ifNotWrittenSince: entry.writeSeq,
      reason: "expired",
    }).then(
      () => {
        // The announcement has removed or replaced the entry; if not, it is stale anyway.
        if (this.#live.get(entry.key) === entry) this.#live.delete(entry.key);
      },
      (err: unknown) => {
        this.#logger.warn("could not remove an expired group; retrying", {
          group: describeGroup(entry.labels),
          err: err instanceof Error ? err.message : String(err),
        });
        if (this.#stopped || this.#live.get(entry.key) !== entry) return;
        entry.due = this.#clock.now() + this.#retryMs;
        this.#heap.push(entry);
        if (entry.due < this.#timerDue) this.#arm();
      },
    );
    const tracked = done.finally(() => this.#inFlight.delete(tracked));
    this.#inFlight.add(tracked);
  }
}
