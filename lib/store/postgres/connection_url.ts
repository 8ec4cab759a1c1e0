/**
 * `--storage.postgres-url`: a libpq-style connection URL
 * (`postgres[ql]://[user[:password]@][host][:port][,host[:port]…][/dbname][?param=value&…]`)
 * parsed into what the client needs, without I/O. Parameters are libpq's
 * names; the ones this store understands are {@linkcode URL_PARAMETERS}, any
 * other is an error (rather than silently ignored).
 *
 * @module
 */

/** libpq's `sslmode` values. */
export const SSL_MODES = [
  "disable",
  "allow",
  "prefer",
  "require",
  "verify-ca",
  "verify-full",
] as const;

/** One of {@linkcode SSL_MODES}. */
export type SslMode = typeof SSL_MODES[number];

/** The query parameters understood (libpq's names). */
export const URL_PARAMETERS = [
  "host",
  "port",
  "dbname",
  "user",
  "password",
  "sslmode",
  "sslrootcert",
  "sslcert",
  "sslkey",
  "application_name",
  "connect_timeout",
  "target_session_attrs",
] as const;

const TARGET_SESSION_ATTRS = ["any", "read-write", "read-only", "primary", "standby"];

/** Where and how to connect, as the URL says. */
export interface PostgresTarget {
  /** Host names or IP addresses (several: tried in order), or one socket directory (starts with `/`). */
  readonly hosts: readonly string[];
  /** The port of each host (5432 when not given). */
  readonly ports: readonly number[];
  /** Database name; `undefined`: libpq's default (the user name). */
  readonly database: string | undefined;
  /** User name; `undefined`: the client's default (the OS user). */
  readonly user: string | undefined;
  /** The password written in the URL (userinfo or `password=`), if any. */
  readonly password: string | undefined;
  /** libpq's `sslmode` (default `prefer`, as libpq). */
  readonly sslmode: SslMode;
  readonly sslrootcert: string | undefined;
  readonly sslcert: string | undefined;
  readonly sslkey: string | undefined;
  readonly applicationName: string | undefined;
  /** Seconds; `undefined`: the store's own bound. */
  readonly connectTimeoutSeconds: number | undefined;
  readonly targetSessionAttrs: string | undefined;
}

/** A URL that cannot be used; the message says why (and never contains the password). */
export class PostgresUrlError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "PostgresUrlError";
  }
}

function decode(s: string, what: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw new PostgresUrlError(`invalid percent-encoding in the ${what} of --storage.postgres-url`);
  }
}

function parsePort(s: string): number {
  const n = Number(s);
  if (!/^\d{1,5}$/.test(s) || n < 1 || n > 65535) {
    throw new PostgresUrlError(`invalid port ${JSON.stringify(s)} in --storage.postgres-url`);
  }
  return n;
}

/** Splits `host[:port]` or `[v6]:port`. */
function hostPort(spec: string): { host: string; port: number | undefined } {
  if (spec.startsWith("[")) {
    const end = spec.indexOf("]");
    if (end < 0) throw new PostgresUrlError("unclosed [ in a host of --storage.postgres-url");
    const rest = spec.slice(end + 1);
    if (rest !== "" && !rest.startsWith(":")) {
      throw new PostgresUrlError("unexpected text after ] in a host of --storage.postgres-url");
    }
    return { host: spec.slice(1, end), port: rest === "" ? undefined : parsePort(rest.slice(1)) };
  }
  const colon = spec.lastIndexOf(":");
  if (colon < 0) return { host: decode(spec, "host"), port: undefined };
  return { host: decode(spec.slice(0, colon), "host"), port: parsePort(spec.slice(colon + 1)) };
}

/**
 * Parses a connection URL.
 *
 * @param raw The flag's value.
 * @returns The target.
 * @throws {PostgresUrlError} when the URL is not a usable PostgreSQL URL.
 * @example
 * ```ts
 * import { parsePostgresUrl } from "@lib/store/postgres/connection_url.ts";
 * const t = parsePostgresUrl("postgres://gw@db.example:5433/metrics?sslmode=verify-full");
 * console.log(t.hosts, t.ports, t.database, t.sslmode); // ["db.example"] [5433] "metrics" "verify-full"
 * ```
 */
export function parsePostgresUrl(raw: string): PostgresTarget {
  const scheme = /^(postgres|postgresql):\/\//i.exec(raw);
  if (!scheme) {
    throw new PostgresUrlError(
      "--storage.postgres-url must start with postgres:// or postgresql://",
    );
  }
  let rest = raw.slice(scheme[0].length);
  const hash = rest.indexOf("#");
  if (hash >= 0) rest = rest.slice(0, hash);
  const q = rest.indexOf("?");
  const query = q >= 0 ? rest.slice(q + 1) : "";
  if (q >= 0) rest = rest.slice(0, q);
  const slash = rest.indexOf("/");
  const authority = slash >= 0 ? rest.slice(0, slash) : rest;
  const path = slash >= 0 ? rest.slice(slash + 1) : "";

  const at = authority.lastIndexOf("@");
  const userinfo = at >= 0 ? authority.slice(0, at) : undefined;
  const hostspec = at >= 0 ? authority.slice(at + 1) : authority;
  let user: string | undefined;
  let password: string | undefined;
  if (userinfo !== undefined) {
    const colon = userinfo.indexOf(":");
    user = decode(colon >= 0 ? userinfo.slice(0, colon) : userinfo, "user name") || undefined;
    if (colon >= 0) password = decode(userinfo.slice(colon + 1), "password");
  }
  let hosts: string[] = [];
  let ports: (number | undefined)[] = [];
  if (hostspec !== "") {
    for (const spec of hostspec.split(",")) {
      const hp = hostPort(spec);
      hosts.push(hp.host);
      ports.push(hp.port);
    }
  }
  let database = path === "" ? undefined : decode(path, "database name");

  const params = new Map<string, string>();
  for (const part of query === "" ? [] : query.split("&")) {
    if (part === "") continue;
    const eq = part.indexOf("=");
    const key = decode(eq >= 0 ? part.slice(0, eq) : part, "parameters");
    const value = eq >= 0 ? decode(part.slice(eq + 1), `parameter ${key}`) : "";
    if (!(URL_PARAMETERS as readonly string[]).includes(key)) {
      throw new PostgresUrlError(
        `unsupported parameter ${JSON.stringify(key)} in --storage.postgres-url ` +
          `(supported: ${URL_PARAMETERS.join(", ")})`,
      );
    }
    params.set(key, value);
  }
  const param = (k: string) => params.get(k);
  if (param("host") !== undefined) {
    hosts = (param("host") as string).split(",");
    ports = hosts.map(() => undefined);
  }
  if (hosts.length === 0) {
    hosts = ["localhost"];
    ports = [undefined];
  }
  if (param("port") !== undefined) {
    const given = (param("port") as string).split(",").map(parsePort);
    if (given.length !== 1 && given.length !== hosts.length) {
      throw new PostgresUrlError(
        "--storage.postgres-url has a different number of hosts and ports",
      );
    }
    ports = hosts.map((_, i) => given.length === 1 ? given[0] : given[i]);
  }
  if (hosts.some((h) => h.startsWith("/")) && hosts.length > 1) {
    throw new PostgresUrlError(
      "--storage.postgres-url: a socket directory cannot be one of several hosts",
    );
  }
  if (param("dbname") !== undefined) database = param("dbname") || undefined;
  if (param("user") !== undefined) user = param("user") || undefined;
  if (param("password") !== undefined) password = param("password");
  const sslmode = param("sslmode") ?? "prefer";
  if (!(SSL_MODES as readonly string[]).includes(sslmode)) {
    throw new PostgresUrlError(
      `invalid sslmode ${JSON.stringify(sslmode)} in --storage.postgres-url (one of ${
        SSL_MODES.join(", ")
      })`,
    );
  }
  const timeout = param("connect_timeout");
  if (timeout !== undefined && !/^\d+$/.test(timeout)) {
    throw new PostgresUrlError(
      `invalid connect_timeout ${JSON.stringify(timeout)} in --storage.postgres-url`,
    );
  }
  const tsa = param("target_session_attrs");
  if (tsa !== undefined && !TARGET_SESSION_ATTRS.includes(tsa)) {
    throw new PostgresUrlError(
      `unsupported target_session_attrs ${JSON.stringify(tsa)} in --storage.postgres-url ` +
        `(one of ${TARGET_SESSION_ATTRS.join(", ")})`,
    );
  }
  return {
    hosts,
    ports: ports.map((p) => p ?? 5432),
    database,
    user,
    password,
    sslmode: sslmode as SslMode,
    sslrootcert: param("sslrootcert"),
    sslcert: param("sslcert"),
    sslkey: param("sslkey"),
    applicationName: param("application_name"),
    connectTimeoutSeconds: timeout === undefined ? undefined : Number(timeout),
    targetSessionAttrs: tsa === "any" ? undefined : tsa,
  };
}

/**
 * Where a target points, for log lines: hosts, ports and database, no user
 * name or password.
 */
export function describeTarget(t: PostgresTarget): string {
  const hosts = t.hosts.map((h, i) => h.startsWith("/") ? h : `${h}:${t.ports[i]}`).join(",");
  return `${hosts}/${t.database ?? "(default database)"}`;
}
