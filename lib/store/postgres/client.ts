/**
 * The PostgreSQL client (`npm:postgres`) configured from a parsed
 * {@linkcode PostgresTarget}: the password from the URL, a password file or
 * `PGPASSWORD`; `sslmode` mapped onto TLS options; every wait bounded
 * (connect, statement, a transaction left idle).
 *
 * @module
 */

import postgres from "postgres";
import type { PostgresTarget } from "@lib/store/postgres/connection_url.ts";
import { PostgresUrlError } from "@lib/store/postgres/connection_url.ts";

/** A client (a small pool of connections plus one for `LISTEN`). */
export type Sql = postgres.Sql;

/** A transaction's client. */
export type TxSql = postgres.TransactionSql;

/** Where the password comes from, in the order tried. */
export interface PasswordSources {
  /** `--storage.postgres-password-file`'s content (trailing newline removed), if given. */
  readonly file?: string;
  /** `PGPASSWORD`. */
  readonly env?: string;
}

/**
 * The password to use: the URL's or the file's (both at once is an error:
 * which one was meant?), else `PGPASSWORD`, else none.
 */
export function choosePassword(
  target: PostgresTarget,
  sources: PasswordSources,
): string | undefined {
  if (target.password !== undefined && sources.file !== undefined) {
    throw new PostgresUrlError(
      "--storage.postgres-url contains a password and --storage.postgres-password-file is given: " +
        "use one of them",
    );
  }
  return target.password ?? sources.file ?? sources.env;
}

/** The content of a password file: its first line (a trailing newline removed). */
export function passwordFromFile(text: string): string {
  const nl = text.indexOf("\n");
  const line = nl >= 0 ? text.slice(0, nl) : text;
  return line.endsWith("\r") ? line.slice(0, -1) : line;
}

/** PEM files named by `sslrootcert`, `sslcert`, `sslkey`, already read. */
export interface TlsFiles {
  readonly ca?: string;
  readonly cert?: string;
  readonly key?: string;
}

/** Reads the TLS files a target names (throws with the path when one cannot be read). */
export function readTlsFiles(
  target: PostgresTarget,
  read: (path: string) => string = Deno.readTextFileSync,
): TlsFiles {
  const one = (param: string, path: string | undefined): string | undefined => {
    if (path === undefined || path === "") return undefined;
    try {
      return read(path);
    } catch (err) {
      throw new PostgresUrlError(`cannot read ${param} ${path}: ${(err as Error).message}`);
    }
  };
  return {
    ca: one("sslrootcert", target.sslrootcert),
    cert: one("sslcert", target.sslcert),
    key: one("sslkey", target.sslkey),
  };
}

/** The client's `ssl` option for libpq's `sslmode`. */
export function sslOption(
  target: PostgresTarget,
  files: TlsFiles,
): false | "prefer" | "require" | Record<string, unknown> {
  const pem = {
    ...(files.ca !== undefined ? { ca: files.ca } : {}),
    ...(files.cert !== undefined ? { cert: files.cert } : {}),
    ...(files.key !== undefined ? { key: files.key } : {}),
  };
  switch (target.sslmode) {
    case "disable":
      return false;
    case "allow":
    case "prefer":
      return "prefer";
    case "require":
      // As libpq: with a root certificate, `require` verifies the chain like `verify-ca`.
      if (files.ca === undefined) {
        return files.cert === undefined ? "require" : { rejectUnauthorized: false, ...pem };
      }
      return { rejectUnauthorized: true, checkServerIdentity: () => undefined, ...pem };
    case "verify-ca":
      return { rejectUnauthorized: true, checkServerIdentity: () => undefined, ...pem };
    case "verify-full":
      return { rejectUnauthorized: true, ...pem };
  }
}

/** Options of {@linkcode openClient}. */
export interface ClientOptions {
  readonly target: PostgresTarget;
  readonly password: string | undefined;
  readonly tls: TlsFiles;
  /** The bound of every wait: connecting, one statement, a lock (milliseconds). */
  readonly timeoutMs: number;
  /** Connections in the pool (besides the `LISTEN` one). */
  readonly max?: number;
}

/**
 * The environment variables the client may read (libpq's names it honours,
 * and the OS user name it falls back to when the URL names no user): what a
 * gateway with narrow permissions must be allowed to read (`--allow-env`).
 * Its other settings are all given explicitly, so no other `PG*` variable
 * changes how it behaves.
 */
export const POSTGRES_ENV: readonly string[] = [
  "PGHOST",
  "PGPORT",
  "PGUSER",
  "PGUSERNAME",
  "PGDATABASE",
  "PGPASSWORD",
  "PGAPPNAME",
  "PGTARGETSESSIONATTRS",
  "USER",
  "USERNAME",
  "LOGNAME",
];

/** Hooks of a client that listens for notifications (one connection). */
export interface NotifyHooks {
  onnotify(channel: string, payload: string): void;
  onclose(): void;
}

let guarded = false;

/**
 * Keeps a known defect of the client from ending the process: when the
 * server closes a connection while a small write is queued, the queued write
 * runs against the closed socket and throws from a timer callback, where no
 * caller can catch it (porsager/postgres#1208, denoland/deno#34667; not fixed
 * in 3.4.9). That error, and only that one, is stopped here; the write's
 * query fails or times out like any other, and the store recovers.
 */
export function guardClosedSocketWrites(): void {
  if (guarded) return;
  guarded = true;
  globalThis.addEventListener("error", (event) => {
    const err = event.error;
    if (
      err instanceof TypeError && err.message.includes("reading 'write'") &&
      String(err.stack).includes("connection.js")
    ) {
      event.preventDefault();
    }
  });
}

/**
 * Opens a client (connections are made on first use). With `hooks`, a
 * client of one connection whose notifications go to `hooks.onnotify`.
 */
export function openClient(options: ClientOptions, hooks?: NotifyHooks): Sql {
  guardClosedSocketWrites();
  const t = options.target;
  const timeoutS = Math.max(1, Math.ceil(options.timeoutMs / 1000));
  const hostOptions = t.hosts.length === 1
    ? t.hosts[0]!.startsWith("/")
      ? { path: `${t.hosts[0]}/.s.PGSQL.${t.ports[0]}`, port: t.ports[0] }
      : { host: t.hosts[0], port: t.ports[0] }
    : { host: t.hosts.map((h, i) => `${h}:${t.ports[i]}`).join(",") };
  return postgres({
    ...hostOptions,
    ...(t.database !== undefined ? { database: t.database } : {}),
    ...(t.user !== undefined ? { user: t.user } : {}),
    ...(options.password !== undefined ? { password: options.password } : {}),
    ssl: sslOption(t, options.tls),
    max: hooks ? 1 : options.max ?? 4,
    ...(hooks ? { onnotify: hooks.onnotify, onclose: hooks.onclose } : {}),
    connect_timeout: Math.min(t.connectTimeoutSeconds ?? timeoutS, timeoutS),
    idle_timeout: 0,
    // Reconnect soon after the server is back (the client's default waits up to 20 s); the
    // store paces its own retries.
    backoff: (attempt: number) => Math.min(0.05 * 2 ** attempt, 0.5),
    max_lifetime: null,
    // Present even when undefined, so that the client does not look at PGTARGET_SESSION_ATTRS.
    target_session_attrs: t.targetSessionAttrs as "read-write" | undefined,
    onnotice: () => {},
    // Every other setting explicit (the client's defaults), so that the client reads no
    // further environment variables (see POSTGRES_ENV).
    ...({
      max_pipeline: 100,
      keep_alive: 60,
      prepare: true,
      debug: false,
      fetch_types: true,
      sslnegotiation: null,
      publications: "alltables",
    } as Record<string, unknown>),
    connection: {
      application_name: t.applicationName ?? "pushgateway",
      statement_timeout: options.timeoutMs,
      // A replica that stops in the middle of a transaction (paused, partitioned) must not
      // hold the write lock for long.
      idle_in_transaction_session_timeout: options.timeoutMs * 2,
      // A replica cut off by the network: the server notices within about 25 s and ends
      // its session (and releases its locks) instead of after the system's 2 hours.
      tcp_keepalives_idle: 10,
      tcp_keepalives_interval: 5,
      tcp_keepalives_count: 3,
    },
  });
}
