/**
 * From the command line's PostgreSQL settings to a running store, or to a
 * one-off import: the URL parsed, the password found (URL, password file or
 * `PGPASSWORD`), TLS files read, the client factory built. Errors in the
 * settings are thrown before anything connects.
 *
 * @module
 */

import {
  choosePassword,
  openClient,
  passwordFromFile,
  readTlsFiles,
} from "@lib/store/postgres/client.ts";
import {
  describeTarget,
  parsePostgresUrl,
  PostgresUrlError,
} from "@lib/store/postgres/connection_url.ts";
import { importState } from "@lib/store/postgres/log_db.ts";
import { PostgresStore } from "@lib/store/postgres/postgres_store.ts";
import type { ClientFactory, StoreLogger } from "@lib/store/postgres/store_options.ts";
import { ensureSchema } from "@lib/store/postgres/schema.ts";
import type { StateSettings } from "@lib/store/state.ts";
import type { OwnFamily } from "@lib/store/store.ts";
import { type Group, NO_TTL } from "@lib/store/types.ts";

/** The flags (and environment) of the shared store. */
export interface PostgresSettings {
  /** `--storage.postgres-url`. */
  readonly url: string;
  /** `--storage.postgres-password-file` ("" when not given). */
  readonly passwordFile: string;
  /** `PGPASSWORD`, if set. */
  readonly envPassword?: string;
  /** Settings every replica must share (flag name → value). */
  readonly settings: Readonly<Record<string, string>>;
  /** `--storage.postgres-checkpoint-interval` in ms. */
  readonly checkpointIntervalMs: number;
  readonly logger: StoreLogger;
  /** This replica's name in the log (e.g. host name and process id). */
  readonly replica?: string;
  /** Reads a file (the password file, TLS files); defaults to `Deno.readTextFileSync`. */
  readonly readFile?: (path: string) => string;
  /** The state machine's settings (`--push.default-ttl`, `--storage.max-series`). */
  readonly state?: StateSettings;
  /** Called after each (re)load of the state (the expiry rescans its groups). */
  readonly onLoaded?: () => void;
}

/** Bound of every wait of a write (connect, statement, lock). */
export const TIMEOUT_MS = 5_000;

/** The client factory and a description of the target for logs (no credentials). */
export function clientFactory(s: PostgresSettings): { connect: ClientFactory; where: string } {
  const read = s.readFile ?? Deno.readTextFileSync;
  const target = parsePostgresUrl(s.url);
  let file: string | undefined;
  if (s.passwordFile !== "") {
    try {
      file = passwordFromFile(read(s.passwordFile));
    } catch (err) {
      throw new PostgresUrlError(
        `cannot read --storage.postgres-password-file ${s.passwordFile}: ${(err as Error).message}`,
      );
    }
  }
  const password = choosePassword(target, { file, env: s.envPassword });
  const tls = readTlsFiles(target, read);
  const connect: ClientFactory = (hooks) =>
    openClient({ target, password, tls, timeoutMs: TIMEOUT_MS }, hooks);
  return { connect, where: describeTarget(target) };
}

/**
 * The store for these settings (not yet running: call `run()`).
 *
 * @throws {PostgresUrlError} when the URL, the password file or a TLS file is unusable.
 */
export function createPostgresStore(
  s: PostgresSettings,
  own: ReadonlyMap<string, OwnFamily>,
): PostgresStore {
  const { connect, where } = clientFactory(s);
  s.logger.info("using the shared store in PostgreSQL", { database: where });
  return new PostgresStore({
    connect,
    own,
    logger: s.logger,
    settings: s.settings,
    checkpointIntervalMs: s.checkpointIntervalMs,
    timeoutMs: TIMEOUT_MS,
    ...(s.replica !== undefined ? { replica: s.replica } : {}),
    ...(s.state !== undefined ? { state: s.state } : {}),
    ...(s.onLoaded !== undefined ? { onLoaded: s.onLoaded } : {}),
  });
}

/**
 * Loads `groups` (a persistence file's) into the empty database: creates the
 * tables and records the settings if needed, then writes them as the state
 * at sequence 1.
 *
 * @throws {StoreSetupError} when the database is not empty or its settings differ.
 */
export async function importGroups(s: PostgresSettings, groups: readonly Group[]): Promise<void> {
  const { connect } = clientFactory(s);
  const sql = connect();
  try {
    await ensureSchema(sql, s.settings);
    await importState(
      sql,
      groups.map((g) => ({ ...g, writeSeq: 0, ttl: g.ttl ?? NO_TTL })),
      s.replica ?? "import",
      60_000,
    );
  } finally {
    await sql.end({ timeout: 1 });
  }
}
