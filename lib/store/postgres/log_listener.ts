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
 * @module
 */

import { bounded } from "@lib/store/postgres/bounded.ts";
import type { NotifyHooks, Sql } from "@lib/store/postgres/client.ts";
import { CHANNEL } from "@lib/store/postgres/schema.ts";

/** A writer's commit as its notification tells it. */
export interface Notice {
  /** The last sequence of the commit. */
  readonly seq: number;
  /** When it was written (the writer's clock, epoch ms); NaN when the payload lacks it. */
  readonly atMs: number;
}

/** Reads a notification payload `<seq>:<written at, ms>`; undefined when it is not one. */
export function parseNotice(payload: string): Notice | undefined {
  const [seqText, atText] = payload.split(":");
  const seq = Number(seqText);
  if (!Number.isSafeInteger(seq) || seq < 1) return undefined;
  return { seq, atMs: Number(atText) };
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

  /** Opens the connection through `connect` (nothing is sent before {@linkcode ensure}). */
  constructor(connect: (hooks: NotifyHooks) => Sql, timeoutMs: number, events: ListenerEvents) {
    this.#connect = connect;
    this.#timeoutMs = timeoutMs;
    this.#events = events;
    this.#sql = this.#open();
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
        if (sql === this.#sql) this.#listening = false;
      },
    });
    return sql;
  }

  /** Issues `LISTEN` unless listening or trying to; cheap to call often. */
  ensure(): void {
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

  /** After a stalled request: gives the connection up (a request may hang on it) and opens anew. */
  reset(): void {
    const old = this.#sql;
    this.#sql = this.#open();
    this.#listening = false;
    old.end({ timeout: 0 }).catch(() => {});
  }

  /** Closes the connection. */
  async close(): Promise<void> {
    await this.#sql.end({ timeout: 1 }).catch(() => {});
  }
}
