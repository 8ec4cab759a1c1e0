/**
 * The store interface every metric store implements, modelled on upstream's
 * `storage.MetricStore` (`SubmitWriteRequest`, `GetMetricFamilies`, `Healthy`,
 * `Ready`).
 *
 * Contract:
 * - **Writes** are requests submitted with {@linkcode MetricStore.submit} and
 *   answered asynchronously, once applied. Every write, refused pushes and
 *   no-op deletes included, gets the next number of one global order, its
 *   *sequence*; a group remembers the sequence of the last write that touched
 *   it ({@linkcode StoredGroup.writeSeq}). A conditional delete removes a group
 *   only if it has not been written since a given sequence, so a timer-driven
 *   delete (expiry) never removes a group that a push has just renewed, and
 *   several machines sharing one order never disagree about it.
 * - **Reads** go through the synchronous {@linkcode StoreView}, which never
 *   waits for I/O. What it returns is immutable and stays the same object until
 *   a write changes it, so callers may cache renderings by identity. It may be
 *   built on demand from the store's own layout; callers ask for what they
 *   render, in the order they render it.
 * - **Ownership**: families passed in a push belong to the store from then on
 *   (it sanitises them in place and may keep them); pass freshly parsed
 *   objects. Objects handed out by the view must not be modified. The store
 *   keeps no reference to a request once its result is returned, other than
 *   the families.
 * - **Announcements**: after a write is applied, the store calls its
 *   subscribers ({@linkcode MetricStore.subscribe}) in order of sequence,
 *   synchronously, before the submitting caller is answered. Writes applied
 *   from elsewhere (another replica) are announced the same way.
 * - `healthy()` and `ready()` answer the `/-/healthy` and `/-/ready` probes.
 *
 * @module
 */

import type { MetricFamily, MetricType } from "@lib/model/metric.ts";
import type { Group, GroupingLabels, GroupTtl } from "@lib/store/types.ts";

/** A push: PUT (`replace`) or POST of parsed families into one group. */
export interface PushWrite {
  readonly kind: "push";
  /** Grouping labels, `job` included. */
  readonly labels: GroupingLabels;
  /**
   * Parsed families, owned by the store from now on (sanitised in place). Of
   * several families with one name, the later one wins (upstream).
   */
  readonly families: MetricFamily[];
  /** PUT (true) replaces the group; POST (false) replaces same-named families. */
  readonly replace: boolean;
  /** Push time, Unix epoch milliseconds (the receiving gateway's clock). */
  readonly timeMs: number;
  /**
   * The group's time to live in milliseconds from the `Pushgateway-TTL` header
   * (0: never expire); absent: the store's default TTL applies. An accepted
   * push sets the group's deadline to `timeMs` + TTL.
   */
  readonly ttlMs?: number;
  /**
   * A refusal decided before the store (for example the per-push series limit):
   * the push is refused with this error text and nothing of it is stored, but
   * the group's failure time is recorded as for any refused push, so the
   * refusal is applied, announced and replicated like any other write.
   */
  readonly refused?: string;
}

/** A delete of one group. */
export interface DeleteWrite {
  readonly kind: "delete";
  /** Grouping labels of the group, `job` included. */
  readonly labels: GroupingLabels;
  /**
   * When set, the group is deleted only if no write has touched it after the
   * write with this sequence ({@linkcode StoredGroup.writeSeq} ≤ this).
   */
  readonly ifNotWrittenSince?: number;
  /** Why the group is deleted: absent for a DELETE request, `"expired"` when its deadline passed. */
  readonly reason?: "expired";
}

/** The admin wipe: every group goes. */
export interface WipeWrite {
  readonly kind: "wipe";
}

/** Any write request. */
export type WriteRequest = PushWrite | DeleteWrite | WipeWrite;

/**
 * Why a push was refused: the consistency check (`"inconsistent"`, upstream's
 * 400), the store-wide series limit (`"max-series"`, 507), or the refusal the
 * submitter gave in {@linkcode PushWrite.refused} (`"refused"`).
 */
export type PushRefusal = "inconsistent" | "max-series" | "refused";

/** The outcome of a push. */
export type PushResult =
  | { readonly ok: true; readonly seq: number }
  | {
    readonly ok: false;
    readonly seq: number;
    /** Why the push was refused. */
    readonly cause: PushRefusal;
    /**
     * The error text: for `"inconsistent"`, what follows upstream's
     * `pushed metrics are invalid or inconsistent with existing metrics: `
     * prefix; otherwise the whole message.
     */
    readonly error: string;
    /**
     * Why the failure time could not be recorded, when it could not (creating
     * the group would itself collide, or would pass the store-wide series limit).
     */
    readonly failureNotRecorded?: string;
  };

/** The outcome of a delete. */
export interface DeleteResult {
  readonly seq: number;
  /** Whether a group was removed (false: there was none, or it was written since). */
  readonly deleted: boolean;
}

/** The outcome of a wipe. */
export interface WipeResult {
  readonly seq: number;
  /** How many groups were removed. */
  readonly deleted: number;
}

/** The result type of a write request type. */
export type WriteResultOf<W extends WriteRequest> = W extends PushWrite ? PushResult
  : W extends DeleteWrite ? DeleteResult
  : WipeResult;

/** Any write result. */
export type WriteResult = PushResult | DeleteResult | WipeResult;

/** A write as announced to subscribers once applied. */
export interface AppliedWrite {
  /** The write's place in the global order. */
  readonly seq: number;
  readonly request: WriteRequest;
  readonly result: WriteResult;
}

/** A subscriber of applied writes. */
export type WriteListener = (write: AppliedWrite) => void;

/** A group as the view shows it. */
export interface StoredGroup extends Group {
  /** The sequence of the last write that touched the group (0: restored and not written since). */
  readonly writeSeq: number;
  /** Where the group's time to live came from, and its deadline (see `push_expiry_time_seconds`). */
  readonly ttl: GroupTtl;
}

/** The synchronous read side of a store. */
export interface StoreView {
  /** Number of groups. */
  readonly size: number;
  /** Number of series stored (every metric of every family, the synthetic gauges included). */
  readonly seriesCount: number;
  /** The groups sorted by grouping key (upstream's UI order); the same array until a write. */
  groups(): readonly StoredGroup[];
  /** The group with exactly these grouping labels, if any. */
  group(labels: GroupingLabels): StoredGroup | undefined;
  /** Names of the families held by pushed groups, sorted. */
  familyNames(): readonly string[];
  /**
   * The family of this name merged across groups: metrics in client_golang's
   * order, the help of the group with the smallest grouping key (or the
   * gateway's own help for its own names). The same object until a write
   * changes the family.
   */
  mergedFamily(name: string): MetricFamily | undefined;
}

/** A store's answer to a health or readiness probe: `undefined` when fine, else why not. */
export type ProbeResult = string | undefined;

/** A metric store. */
export interface MetricStore {
  /** The read side. */
  readonly view: StoreView;
  /**
   * Applies a write in the global order and resolves with its result.
   * Rejects with {@linkcode StoreUnavailableError} when the write cannot be
   * applied now (nothing of it is applied then).
   */
  submit<W extends WriteRequest>(write: W): Promise<WriteResultOf<W>>;
  /** Calls `listener` after each applied write; returns the unsubscribe function. */
  subscribe(listener: WriteListener): () => void;
  /** Whether the store works (`/-/healthy`). */
  healthy(): ProbeResult;
  /** Whether the store can serve (`/-/ready`). */
  ready(): ProbeResult;
  /** Stops background work; writes submitted afterwards are refused. */
  close(): Promise<void>;
}

/** A write that cannot be applied now (for example, the database is unreachable); answered with 503. */
export class StoreUnavailableError extends Error {
  /** Creates the error; `message` says what is unavailable. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "StoreUnavailableError";
  }
}

/**
 * A family the gateway exposes itself (build info, HTTP and process metrics),
 * which pushed families of the same name must agree with.
 */
export interface OwnFamily {
  readonly type: MetricType;
  readonly help: string;
  /**
   * How a pushed family with another help is treated: `"rewrite"` (the
   * gateway's help is shown instead, as upstream does for the families its
   * registry gathers at start) or `"refuse"` (the push is refused, as upstream's
   * gatherer does for its request families).
   */
  readonly otherHelp: "rewrite" | "refuse";
}
