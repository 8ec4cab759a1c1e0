/**
 * The shared store's own metrics: whether the database answers, how far this
 * replica has applied the log and how far behind it is, and counters of
 * commits, reloads and checkpoints. They are the gateway's own families, so
 * pushes must agree with their types.
 *
 * @module
 */

import { emptyHistogram, type MetricFamily, MetricType } from "@lib/model/metric.ts";
import type { OwnFamily } from "@lib/store/store.ts";

function own(type: MetricType, help: string): OwnFamily {
  return { type, help, otherHelp: "rewrite" };
}

/** The names, types and helps of the store's metrics. */
export const STORAGE_FAMILIES: ReadonlyMap<string, OwnFamily> = new Map([
  [
    "pushgateway_storage_connected",
    own(
      MetricType.GAUGE,
      "Whether the last request to the shared store's database succeeded (1) or not (0).",
    ),
  ],
  [
    "pushgateway_storage_expiry_issuer",
    own(
      MetricType.GAUGE,
      "Whether this replica is the one that issues expiry deletes (1), holding the database's expiry lock.",
    ),
  ],
  [
    "pushgateway_storage_ready",
    own(
      MetricType.GAUGE,
      "Whether this replica has loaded the shared state and caught up with the log once (1).",
    ),
  ],
  [
    "pushgateway_storage_applied_sequence",
    own(
      MetricType.GAUGE,
      "Sequence number of the last write of the shared log applied by this replica.",
    ),
  ],
  [
    "pushgateway_storage_lag_seconds",
    own(
      MetricType.GAUGE,
      "Age of the oldest write this replica knows of but has not applied yet (the writing replica's clock); 0 when caught up.",
    ),
  ],
  [
    "pushgateway_storage_committed_writes_total",
    own(MetricType.COUNTER, "Writes this replica committed to the shared log."),
  ],
  [
    "pushgateway_storage_commits_total",
    own(MetricType.COUNTER, "Transactions of batched writes this replica committed."),
  ],
  [
    "pushgateway_storage_commit_failures_total",
    own(
      MetricType.COUNTER,
      "Transactions of batched writes that failed (their writes were answered 503).",
    ),
  ],
  [
    "pushgateway_storage_reloads_total",
    own(MetricType.COUNTER, "Times this replica loaded the whole state from the database."),
  ],
  [
    "pushgateway_storage_checkpoints_total",
    own(MetricType.COUNTER, "Checkpoints of the state this replica wrote."),
  ],
  [
    "pushgateway_storage_apply_delay_seconds",
    own(
      MetricType.HISTOGRAM,
      "Time from another replica's commit of a write (its clock) to this replica applying it.",
    ),
  ],
]);

/** Upper bounds of the apply-delay histogram, in seconds. */
export const DELAY_BUCKETS: readonly number[] = [
  0.001,
  0.0025,
  0.005,
  0.01,
  0.025,
  0.05,
  0.1,
  0.2,
  0.5,
  1,
  2.5,
  5,
  10,
];

/** The store's counters and gauges, updated by the store, collected for `/-/metrics`. */
export class StorageMetrics {
  connected = false;
  expiryIssuer = false;
  ready = false;
  appliedSeq = 0;
  lagSeconds = 0;
  committedWrites = 0;
  commits = 0;
  commitFailures = 0;
  reloads = 0;
  checkpoints = 0;
  readonly #delayCounts: number[] = DELAY_BUCKETS.map(() => 0);
  #delayCount = 0;
  #delaySum = 0;

  /** Records one write applied here `seconds` after another replica committed it. */
  observeApplyDelay(seconds: number): void {
    const s = Math.max(0, seconds);
    this.#delayCount++;
    this.#delaySum += s;
    for (let i = 0; i < DELAY_BUCKETS.length; i++) {
      if (s <= (DELAY_BUCKETS[i] as number)) this.#delayCounts[i]!++;
    }
  }

  /** The families, in name order. */
  collect(): MetricFamily[] {
    const value = (name: string): number => {
      switch (name) {
        case "pushgateway_storage_connected":
          return this.connected ? 1 : 0;
        case "pushgateway_storage_expiry_issuer":
          return this.expiryIssuer ? 1 : 0;
        case "pushgateway_storage_ready":
          return this.ready ? 1 : 0;
        case "pushgateway_storage_applied_sequence":
          return this.appliedSeq;
        case "pushgateway_storage_lag_seconds":
          return this.lagSeconds;
        case "pushgateway_storage_committed_writes_total":
          return this.committedWrites;
        case "pushgateway_storage_commits_total":
          return this.commits;
        case "pushgateway_storage_commit_failures_total":
          return this.commitFailures;
        case "pushgateway_storage_reloads_total":
          return this.reloads;
        default:
          return this.checkpoints;
      }
    };
    const out: MetricFamily[] = [];
    for (const [name, f] of [...STORAGE_FAMILIES].sort((a, b) => a[0] < b[0] ? -1 : 1)) {
      if (f.type === MetricType.HISTOGRAM) {
        const histogram = emptyHistogram();
        histogram.sampleCount = this.#delayCount;
        histogram.sampleSum = this.#delaySum;
        histogram.bucket = DELAY_BUCKETS.map((upperBound, i) => ({
          upperBound,
          cumulativeCount: this.#delayCounts[i] as number,
        }));
        out.push({ name, help: f.help, type: f.type, metric: [{ label: [], histogram }] });
      } else if (f.type === MetricType.COUNTER) {
        out.push({
          name,
          help: f.help,
          type: f.type,
          metric: [{ label: [], counter: { value: value(name) } }],
        });
      } else {
        out.push({
          name,
          help: f.help,
          type: f.type,
          metric: [{ label: [], gauge: { value: value(name) } }],
        });
      }
    }
    return out;
  }
}

/** Notified commits kept at most for the lag gauge. */
const MAX_NOTICES = 10_000;

/** The commits notified but not applied yet: the lag gauge is the oldest one's age. */
export class NoticedCommits {
  readonly #notices: { seq: number; atMs: number }[] = [];

  /**
   * Records a commit's last sequence and when it was written (its writer's
   * clock, ms), first forgetting the commits up to `applied`, so that only
   * unapplied ones fill the bounded list, whether or not anyone scrapes.
   */
  add(seq: number, atMs: number, applied: number): void {
    this.#forget(applied);
    if (this.#notices.length < MAX_NOTICES) this.#notices.push({ seq, atMs });
  }

  /** Seconds since the oldest notified commit after `applied` was written; 0 when none. */
  lagSeconds(applied: number, nowMs: number): number {
    this.#forget(applied);
    const oldest = this.#notices[0];
    return oldest === undefined ? 0 : Math.max(0, nowMs - oldest.atMs) / 1000;
  }

  /** Drops the commits up to `applied` (in one splice: they are the list's head). */
  #forget(applied: number): void {
    let n = 0;
    while (n < this.#notices.length && this.#notices[n]!.seq <= applied) n++;
    if (n > 0) this.#notices.splice(0, n);
  }
}
