/**
 * Throwaway PostgreSQL clusters for tests: Debian's server binaries, a data
 * directory in a temporary folder owned by the `postgres` user (the server
 * refuses to run as root), trust authentication, listening on 127.0.0.1 on a
 * free port and on a socket directory inside the folder, removed afterwards
 * (toolchain.md §6). Tests register through {@linkcode POSTGRES} with
 * `testNeeding`, so they skip with a reason when the server is missing and
 * fail under `CI=true`.
 *
 * @module
 */

import postgres from "postgres";
import { freePort, run, type RunningGateway, startGateway } from "./gateway.ts";
import { poll } from "./poll.ts";
import { hasProgram } from "./requirements.ts";

const PG_ROOT = "/usr/lib/postgresql";

/** The newest installed server's `bin` directory, or undefined. */
function findBinDir(): string | undefined {
  let versions: number[] = [];
  try {
    versions = [...Deno.readDirSync(PG_ROOT)]
      .map((e) => Number(e.name))
      .filter((v) => Number.isInteger(v))
      .sort((a, b) => b - a);
  } catch {
    return undefined;
  }
  for (const v of versions) {
    const bin = `${PG_ROOT}/${v}/bin`;
    if (["initdb", "pg_ctl", "postgres"].every((p) => hasProgram(`${bin}/${p}`))) return bin;
  }
  return undefined;
}

const BIN = findBinDir();
const AS_ROOT = Deno.uid() === 0;

function postgresUserExists(): boolean {
  try {
    return Deno.readTextFileSync("/etc/passwd").split("\n").some((l) => l.startsWith("postgres:"));
  } catch {
    return false;
  }
}

/** Whether clusters can be made here, and why not. */
export const POSTGRES: { available: boolean; reason: string } = BIN === undefined
  ? {
    available: false,
    reason:
      `no PostgreSQL server binaries under ${PG_ROOT}/<version>/bin (apt-get install postgresql)`,
  }
  : AS_ROOT && !(hasProgram("runuser") && postgresUserExists())
  ? { available: false, reason: "running as root without runuser or a postgres user" }
  : { available: true, reason: "" };

/** Options of {@linkcode startCluster}. */
export interface ClusterOptions {
  /** Keep `fsync` on (the default): needed where a test is about durability. */
  readonly fsync?: boolean;
}

/** A running throwaway cluster. */
export interface PgCluster {
  /** TCP port on 127.0.0.1. */
  readonly port: number;
  /** The temporary folder (data in `data/`, the socket directory itself, `log`). */
  readonly dir: string;
  /** A URL of database `db` for user `postgres` (no password: trust authentication). */
  url(db: string): string;
  /** Creates a database and returns its URL. */
  createDatabase(name: string): Promise<string>;
  /** Runs one SQL statement in database `db` and returns its rows. */
  query(db: string, text: string): Promise<Record<string, unknown>[]>;
  /** Stops the server (`fast`: clients are disconnected; `immediate`: a crash). */
  stop(mode?: "fast" | "immediate"): Promise<void>;
  /** Starts it again on the same port. */
  start(): Promise<void>;
  /**
   * Creates a login role with a password and makes the server ask for it
   * (scram-sha-256) when that role connects over TCP; other roles keep trust.
   */
  requirePassword(role: string, password: string): Promise<void>;
  /** Stops the server and removes the folder. */
  destroy(): Promise<void>;
}

/** Runs a server binary as the `postgres` user when we are root. */
async function pgRun(cmd: string, args: string[]): Promise<void> {
  const full = `${BIN}/${cmd}`;
  const out = AS_ROOT
    ? await run("runuser", ["-u", "postgres", "--", full, ...args], {}, 60_000)
    : await run(full, args, {}, 60_000);
  if (out.code !== 0) {
    throw new Error(`${cmd} ${args.join(" ")} failed (${out.code}):\n${out.stdout}\n${out.stderr}`);
  }
}

/**
 * Creates and starts a cluster. Call {@linkcode PgCluster.destroy} when done
 * (in a `finally`, or the test's cleanup).
 */
export async function startCluster(options: ClusterOptions = {}): Promise<PgCluster> {
  if (!POSTGRES.available) throw new Error(POSTGRES.reason);
  const dir = await Deno.makeTempDir({ prefix: "pgw-pg-" });
  if (AS_ROOT) {
    const ids = await run("id", ["-u", "postgres"]);
    const gids = await run("id", ["-g", "postgres"]);
    await Deno.chown(dir, Number(ids.stdout.trim()), Number(gids.stdout.trim()));
  }
  const data = `${dir}/data`;
  await pgRun("initdb", ["-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"]);
  let port = 0;
  let running = false;
  const fsync = options.fsync ?? true;
  const start = async (): Promise<void> => {
    const opts = [
      "-c listen_addresses=127.0.0.1",
      `-c port=${port}`,
      `-c unix_socket_directories=${dir}`,
      `-c fsync=${fsync ? "on" : "off"}`,
      "-c max_connections=200",
    ].join(" ");
    await pgRun("pg_ctl", ["-D", data, "-l", `${dir}/log`, "-w", "-t", "60", "-o", opts, "start"]);
    running = true;
  };
  let lastError: unknown;
  for (let attempt = 0; attempt < 5 && !running; attempt++) {
    port = freePort();
    try {
      await start();
    } catch (err) {
      lastError = err;
    }
  }
  if (!running) {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    throw lastError;
  }
  const url = (db: string) => `postgres://postgres@127.0.0.1:${port}/${db}`;
  const query = async (db: string, text: string): Promise<Record<string, unknown>[]> => {
    const sql = postgres(url(db), { max: 1, onnotice: () => {}, connect_timeout: 10 });
    try {
      return [...await sql.unsafe(text)];
    } finally {
      await sql.end({ timeout: 1 });
    }
  };
  const stop = async (mode: "fast" | "immediate" = "fast"): Promise<void> => {
    if (!running) return;
    await pgRun("pg_ctl", ["-D", data, "-m", mode, "-w", "-t", "60", "stop"]);
    running = false;
  };
  return {
    port,
    dir,
    url,
    async createDatabase(name: string) {
      await query("postgres", `CREATE DATABASE "${name}"`);
      return url(name);
    },
    query,
    stop,
    start,
    async requirePassword(role: string, password: string) {
      await query(
        "postgres",
        `CREATE ROLE "${role}" LOGIN SUPERUSER PASSWORD '${password.replaceAll("'", "''")}'`,
      );
      const hba = `${data}/pg_hba.conf`;
      const rules = await Deno.readTextFile(hba);
      await Deno.writeTextFile(hba, `host all ${role} 127.0.0.1/32 scram-sha-256\n${rules}`);
      await pgRun("pg_ctl", ["-D", data, "reload"]);
    },
    async destroy() {
      try {
        await stop("immediate");
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    },
  };
}

/** A gateway on the shared store of `url`, once `/-/ready` answers 200. */
export async function startReplica(
  url: string,
  args: readonly string[] = [],
  env: Record<string, string> = {},
): Promise<RunningGateway> {
  const gw = await startGateway([`--storage.postgres-url=${url}`, ...args], { env });
  try {
    await poll(`${gw.url} to be ready`, async () => {
      const res = await fetch(`${gw.url}/-/ready`);
      await res.body?.cancel();
      return res.ok || undefined;
    }, { attempts: 400, intervalMs: 50 });
  } catch (err) {
    await gw.stop("SIGKILL");
    throw new Error(`${(err as Error).message}\n${gw.logs.join("\n")}`);
  }
  return gw;
}
