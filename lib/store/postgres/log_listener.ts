/**
 * Listening for the log's notifications: one connection that `LISTEN`s on
 * {@linkcode CHANNEL}, issued again whenever that connection was lost (the
 * client reconnects only when asked something). Each notification names the
 * newest sequence a writer committed and when.
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

/** The listening connection. */
export class LogListener {
  readonly #sql: Sql;
  readonly #timeoutMs: number;
  readonly #events: ListenerEvents;
  #listening = false;
  #attempt = false;

  /** Opens the connection through `connect` (nothing is sent before {@linkcode ensure}). */
  constructor(connect: (hooks: NotifyHooks) => Sql, timeoutMs: number, events: ListenerEvents) {
    this.#timeoutMs = timeoutMs;
    this.#events = events;
    this.#sql = connect({
      onnotify: (_channel, payload) => {
        const notice = parseNotice(payload);
        if (notice) events.notice(notice);
      },
      onclose: () => {
        this.#listening = false;
      },
    });
  }

  /** Issues `LISTEN` unless listening or trying to; cheap to call often. */
  ensure(): void {
    if (this.#listening || this.#attempt) return;
    this.#attempt = true;
    bounded(this.#sql.unsafe(`LISTEN ${CHANNEL}`), this.#timeoutMs)
      .then(() => {
        this.#listening = true;
        this.#events.listening();
      })
      .catch(() => {})
      .finally(() => {
        this.#attempt = false;
      });
  }

  /** Closes the connection. */
  async close(): Promise<void> {
    await this.#sql.end({ timeout: 1 }).catch(() => {});
  }
}
