/**
 * The writer's connection, which also listens: one connection that
 * `LISTEN`s on {@linkcode CHANNEL} (issued again whenever that connection was
 * lost: the client reconnects only when asked something) and on which this
 * replica appends its batches. Each notification names the newest sequence a
 * writer committed and when. PostgreSQL delivers notifications to a session
 * between its transactions, so the notification of this replica's own
 * commit, and of commits made while its batch waited for the writers' lock,
 * arrive with the batch's answer instead of waking the replica once more.
 *
 * The same session tries, once a second while it does not hold it, to take
 * the session-level advisory lock {@linkcode LOCKS.expiry}: the replica
 * holding it is the one that issues expiry deletes. PostgreSQL releases it
 * when the session ends (the replica stopped, killed or cut off), and another
 * replica's next try takes it over.
 *
 * @module
 */

import { bounded } from "@lib/store/postgres/bounded.ts";
import type { NotifyHooks, Sql } from "@lib/store/postgres/client.ts";
import { CHANNEL, LOCKS } from "@lib/store/postgres/schema.ts";

/** How often a replica that does not issue expiry deletes tries to take the lock, ms. */
const LEAD_RETRY_MS = 1_000;

/** A writer's commit as its notification tells it. */
export interface Notice {
  /** The last sequence of the commit. */
  readonly seq: number;
  /** When it was written (the writer's clock, epoch ms); NaN when the payload lacks it. */
  readonly atMs: number;
  /** The commit's rows as JSON text (carried.ts), when they fit in the payload. */
  readonly carried?: string;
}

/**
 * Reads a notification payload `<seq>:<written at, ms>[:<rows as JSON>]`;
 * undefined when it is not one.
 */
export function parseNotice(payload: string): Notice | undefined {
  const a = payload.indexOf(":");
  const b = a < 0 ? -1 : payload.indexOf(":", a + 1);
  const seq = Number(a < 0 ? payload : payload.slice(0, a));
  if (!Number.isSafeInteger(seq) || seq < 1) return undefined;
  const atMs = a < 0 ? NaN : Number(b < 0 ? payload.slice(a + 1) : payload.slice(a + 1, b));
  return b < 0 ? { seq, atMs } : { seq, atMs, carried: payload.slice(b + 1) };
}

/** What the listener reports. */
export interface ListenerEvents {
  /** A commit was notified. */
  notice(notice: Notice): void;
  /** Listening (again): notifications may have been missed meanwhile. */
  listening(): void;
}

/** The listening (and writing) connection. */
export class LogListener {
  readonly #connect: (hooks: NotifyHooks) => Sql;
  readonly #timeoutMs: number;
  readonly #events: ListenerEvents;
  #sql: Sql;
  #listening = false;
  #attempt = false;
  #leading = false;
  #leadAttempt = false;
  #nextLeadTry = 0;

  /** Opens the connection through `connect` (nothing is sent before {@linkcode ensure}). */
  constructor(connect: (hooks: NotifyHooks) => Sql, timeoutMs: number, events: ListenerEvents) {
    this.#connect = connect;
    this.#timeoutMs = timeoutMs;
    this.#events = events;
    this.#sql = this.#open();
  }

  /** Whether this session holds the expiry lock (this replica issues expiry deletes). */
  get leading(): boolean {
    return this.#leading;
  }

  /** The connection's client, for the batches this replica appends. */
  get sql(): Sql {
    return this.#sql;
  }

  #open(): Sql {
    const sql: Sql = this.#connect({
      onnotify: (_channel, payload) => {
        const notice = parseNotice(payload);
        if (notice) this.#events.notice(notice);
      },
      onclose: () => {
        if (sql !== this.#sql) return;
        this.#listening = false;
        this.#leading = false; // the session, and so its lock, is gone
      },
    });
    return sql;
  }

  /**
   * Issues `LISTEN` unless listening or trying to, and, once listening, tries
   * to take the expiry lock at most once a second; cheap to call often.
   */
  ensure(): void {
    if (this.#listening) this.#tryLead();
    if (this.#listening || this.#attempt) return;
    this.#attempt = true;
    const sql = this.#sql;
    bounded(sql.unsafe(`LISTEN ${CHANNEL}`), this.#timeoutMs)
      .then(() => {
        if (sql !== this.#sql) return;
        this.#listening = true;
        this.#events.listening();
      })
      .catch(() => {})
      .finally(() => {
        this.#attempt = false;
      });
  }

  #tryLead(): void {
    const now = Date.now();
    if (this.#leading || this.#leadAttempt || now < this.#nextLeadTry) return;
    this.#leadAttempt = true;
    this.#nextLeadTry = now + LEAD_RETRY_MS;
    const sql = this.#sql;
    bounded(
      sql<{ won: boolean }[]>`SELECT pg_try_advisory_lock(${LOCKS.expiry}) AS won`,
      this.#timeoutMs,
    )
      .then((rows) => {
        // Won on a connection given up meanwhile: its end released the lock.
        if (sql === this.#sql && rows[0]?.won === true) this.#leading = true;
      })
      .catch(() => {})
      .finally(() => {
        this.#leadAttempt = false;
      });
  }

  /** After a stalled request: gives the connection up (a request may hang on it) and opens anew. */
  reset(): void {
    const old = this.#sql;
    this.#sql = this.#open();
    this.#listening = false;
    this.#leading = false;
    old.end({ timeout: 0 }).catch(() => {});
  }

  /** Closes the connection. */
  async close(): Promise<void> {
    this.#leading = false;
    await this.#sql.end({ timeout: 1 }).catch(() => {});
  }
}
