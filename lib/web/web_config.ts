/**
 * The `--web.config.file` format of prometheus/exporter-toolkit v0.16: strict YAML parsing and
 * validation. Pure: no file is read and paths stay as written (`load_web_config.ts` reads the file,
 * resolves the paths and loads the TLS material they name).
 *
 * Every option is either honoured or refused with an error; none is silently ignored:
 * - honoured: `cert_file`/`key_file`/`cert`/`key`, `client_auth_type`, `client_ca_file`/`client_ca`,
 *   `client_allowed_sans`, `min_version`/`max_version` (TLS12, TLS13), `http2`, `headers`,
 *   `basic_auth_users`, `rate_limit`;
 * - accepted without effect, as in upstream (Go ignores it since 1.18): `prefer_server_cipher_suites`;
 * - refused: `cipher_suites`, `curve_preferences` (the TLS stack cannot be told which to use) and
 *   the versions `TLS10`/`TLS11` (the TLS stack only speaks TLS 1.2 and 1.3).
 *
 * @module
 */

import { isMap, isScalar, isSeq, LineCounter, parseDocument } from "yaml";
import type { Node, Pair } from "yaml";
import { DurationError, durationToMs, parseGoDuration } from "@lib/gocompat/duration.ts";

/** The five `client_auth_type` values (Go's `tls.ClientAuthType` names). */
export type ClientAuthType =
  | "NoClientCert"
  | "RequestClientCert"
  | "RequireAnyClientCert"
  | "VerifyClientCertIfGiven"
  | "RequireAndVerifyClientCert";

/** TLS versions this runtime can negotiate. */
export type TlsVersion = "TLS12" | "TLS13";

/** `tls_server_config` after parsing: file paths as written in the file, inline PEM kept as text. */
export interface TlsConfig {
  /** `cert_file` as written (relative to the file's directory unless absolute), when given. */
  certFile?: string;
  /** `key_file` as written, when given. */
  keyFile?: string;
  /** Inline certificate PEM (`cert`), when given. */
  cert?: string;
  /** Inline key PEM (`key`), when given. */
  key?: string;
  /** Client certificate policy; `NoClientCert` when absent. */
  clientAuthType: ClientAuthType;
  /** `client_ca_file` as written, when given. */
  clientCaFile?: string;
  /** Inline CA PEM (`client_ca`), when given. */
  clientCa?: string;
  /** SANs one of which the client certificate must carry; `undefined` when not configured. */
  clientAllowedSans?: string[];
  /** Lowest accepted version (default TLS12). */
  minVersion: TlsVersion;
  /** Highest accepted version (default TLS13). */
  maxVersion: TlsVersion;
}

/** Token bucket settings of `rate_limit`; absent when the interval is 0. */
export interface RateLimitConfig {
  /** Milliseconds per token. */
  intervalMs: number;
  /** Bucket capacity. */
  burst: number;
}

/** A parsed web configuration file. */
export interface ParsedWebConfig {
  /** TLS settings; `undefined` when no TLS key is set (plain HTTP, like upstream). */
  tls?: TlsConfig;
  /** `http_server_config.http2` (default true). */
  http2: boolean;
  /** Headers set on every response, in file order. */
  headers: [string, string][];
  /** `basic_auth_users`: user name → bcrypt hash. Empty: no authentication. */
  users: Map<string, string>;
  /** `rate_limit`, when enabled. */
  rateLimit?: RateLimitConfig;
}

/** An invalid web configuration; the message names the file and, when known, line and column. */
export class WebConfigError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "WebConfigError";
  }
}

const CLIENT_AUTH_TYPES: Record<string, ClientAuthType> = {
  NoClientCert: "NoClientCert",
  RequestClientCert: "RequestClientCert",
  RequireAnyClientCert: "RequireAnyClientCert",
  RequireClientCert: "RequireAnyClientCert", // kept by upstream for backwards compatibility
  VerifyClientCertIfGiven: "VerifyClientCertIfGiven",
  RequireAndVerifyClientCert: "RequireAndVerifyClientCert",
};

const GO_CIPHERS = new Set([
  "TLS_AES_128_GCM_SHA256",
  "TLS_AES_256_GCM_SHA384",
  "TLS_CHACHA20_POLY1305_SHA256",
  "TLS_RSA_WITH_AES_128_CBC_SHA",
  "TLS_RSA_WITH_AES_256_CBC_SHA",
  "TLS_RSA_WITH_AES_128_GCM_SHA256",
  "TLS_RSA_WITH_AES_256_GCM_SHA384",
  "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA",
  "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA",
  "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
  "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
  "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
  "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
  "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
  "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
  "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
  "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
]);
const GO_CURVES = new Set(["CurveP256", "CurveP384", "CurveP521", "X25519"]);

/**
 * The list options this TLS stack cannot honour. Each name is first checked against Go's list
 * (upstream's `unknown cipher: X` / `unknown curve: X`), then any non-empty list is refused.
 */
const REFUSED_LISTS: readonly {
  /** The key in `tls_server_config`. */
  key: string;
  /** How errors about the list's shape name it (kept as the messages have always read). */
  label: string;
  /** The names Go accepts. */
  known: ReadonlySet<string>;
  /** What one entry is called in the unknown-name error. */
  noun: string;
  /** What the TLS stack chooses itself, for the refusal. */
  chooses: string;
}[] = [
  {
    key: "cipher_suites",
    label: "tls_server_config.cipher_suites",
    known: GO_CIPHERS,
    noun: "cipher",
    chooses: "secure cipher suites",
  },
  {
    key: "curve_preferences",
    label: "curve_preferences",
    known: GO_CURVES,
    noun: "curve",
    chooses: "curves",
  },
];
const TLS_VERSIONS = new Set(["TLS10", "TLS11", "TLS12", "TLS13"]);

/** The headers upstream lets a web config set, with their allowed values (empty: any). */
const ALLOWED_HEADERS: Record<string, string[]> = {
  "Strict-Transport-Security": [],
  "X-Content-Type-Options": ["nosniff"],
  "X-Frame-Options": ["deny", "sameorigin"],
  "X-XSS-Protection": [],
  "Content-Security-Policy": [],
};

const BCRYPT_HASH = /^\$2[aby]\$(\d\d)\$[./A-Za-z0-9]{53}$/;

/**
 * Tells whether a string is a bcrypt hash that `bcryptjs` can check (`$2a$`, `$2b$`, `$2y$`,
 * cost 4–31).
 *
 * @param hash The candidate hash.
 * @returns `true` when it is usable.
 */
export function isBcryptHash(hash: string): boolean {
  const m = BCRYPT_HASH.exec(hash);
  if (m === null) return false;
  const cost = Number(m[1]);
  return cost >= 4 && cost <= 31;
}

/** Walks the YAML tree, turning problems into located errors. */
class Reader {
  readonly #lines = new LineCounter();
  readonly #source: string;

  constructor(source: string) {
    this.#source = source;
  }

  get lineCounter(): LineCounter {
    return this.#lines;
  }

  fail(node: Node | null | undefined, message: string): never {
    const offset = node?.range?.[0];
    if (offset === undefined) throw new WebConfigError(`${this.#source}: ${message}`);
    const { line, col } = this.#lines.linePos(offset);
    throw new WebConfigError(`${this.#source}:${line}:${col}: ${message}`);
  }

  failAt(line: number, col: number, message: string): never {
    throw new WebConfigError(`${this.#source}:${line}:${col}: ${message}`);
  }

  /** Reads a mapping's entries, rejecting unknown keys; `null` is an empty mapping. */
  fields(node: Node | null, where: string, allowed: readonly string[]): Map<string, Node | null> {
    const out = new Map<string, Node | null>();
    if (isNullNode(node)) return out;
    if (!isMap(node)) this.fail(node, `${where} must be a mapping`);
    for (const pair of node.items as Pair<Node | null, Node | null>[]) {
      const key = this.keyText(pair.key, where);
      if (!allowed.includes(key)) {
        this.fail(
          pair.key,
          `field ${key} not allowed in ${where} (allowed: ${allowed.join(", ")})`,
        );
      }
      out.set(key, pair.value);
    }
    return out;
  }

  keyText(key: Node | null, where: string): string {
    if (!isScalar(key) || key.value === null || typeof key.value === "object") {
      this.fail(key, `${where} has a key that is not a plain value`);
    }
    return scalarText(key);
  }

  /** A scalar read as Go reads it into a string field: its source text. */
  string(node: Node | null, where: string): string {
    if (isNullNode(node)) return "";
    if (!isScalar(node)) this.fail(node, `${where} must be a string`);
    return scalarText(node);
  }

  bool(node: Node | null, where: string, fallback: boolean): boolean {
    if (isNullNode(node)) return fallback;
    if (!isScalar(node) || typeof node.value !== "boolean") {
      this.fail(node, `${where} must be true or false`);
    }
    return node.value;
  }

  int(node: Node | null, where: string): number {
    if (isNullNode(node)) return 0;
    if (!isScalar(node) || typeof node.value !== "number" || !Number.isSafeInteger(node.value)) {
      this.fail(node, `${where} must be an integer`);
    }
    return node.value;
  }

  strings(node: Node | null, where: string): string[] | undefined {
    if (isNullNode(node)) return undefined;
    if (!isSeq(node)) this.fail(node, `${where} must be a list`);
    return (node.items as (Node | null)[]).map((item) => this.string(item, `${where} entry`));
  }
}

function isNullNode(node: Node | null | undefined): node is null | undefined {
  return node === null || node === undefined || (isScalar(node) && node.value === null);
}

function scalarText(node: Node): string {
  if (!isScalar(node)) return "";
  // Plain scalars keep their source text (`X-XSS-Protection: 0` is "0", not a number).
  if (node.type === "PLAIN" && typeof node.source === "string") return node.source;
  return String(node.value);
}

const ROOT_KEYS = ["tls_server_config", "http_server_config", "basic_auth_users", "rate_limit"];
const TLS_KEYS = [
  "cert_file",
  "key_file",
  "cert",
  "key",
  "client_auth_type",
  "client_ca_file",
  "client_ca",
  "client_allowed_sans",
  "min_version",
  "max_version",
  "cipher_suites",
  "curve_preferences",
  "prefer_server_cipher_suites",
];

/**
 * Parses and validates a web configuration file's text. Pure: no file is read, and file paths are
 * returned as written.
 *
 * @param text The YAML text.
 * @param source Name used in error messages (usually the file's path).
 * @returns The parsed configuration.
 * @throws {WebConfigError} naming line and column for any unknown key or bad value.
 */
export function parseWebConfig(text: string, source = "web config"): ParsedWebConfig {
  const r = new Reader(source);
  const doc = parseDocument(text, {
    version: "1.1", // go-yaml v2 reads YAML 1.1 (yes/no booleans)
    uniqueKeys: true,
    prettyErrors: false,
    lineCounter: r.lineCounter,
  });
  const firstError = doc.errors[0];
  if (firstError !== undefined) {
    const pos = r.lineCounter.linePos(firstError.pos[0]);
    r.failAt(pos.line, pos.col, `invalid YAML: ${firstError.message}`);
  }
  const root = r.fields(doc.contents as Node | null, "the top level", ROOT_KEYS);

  const http = r.fields(root.get("http_server_config") ?? null, "http_server_config", [
    "http2",
    "headers",
  ]);
  const http2 = r.bool(http.get("http2") ?? null, "http_server_config.http2", true);
  const headers = parseHeaders(r, http.get("headers") ?? null);
  const users = parseUsers(r, root.get("basic_auth_users") ?? null);
  const rateLimit = parseRateLimit(r, root.get("rate_limit") ?? null);
  const tls = parseTls(r, root.get("tls_server_config") ?? null);
  return { tls, http2, headers, users, rateLimit };
}

function parseHeaders(r: Reader, node: Node | null): [string, string][] {
  const where = "http_server_config.headers";
  const out: [string, string][] = [];
  if (isNullNode(node)) return out;
  if (!isMap(node)) r.fail(node, `${where} must be a mapping`);
  for (const pair of node.items as Pair<Node | null, Node | null>[]) {
    const name = r.keyText(pair.key, where);
    const allowed = ALLOWED_HEADERS[name];
    if (allowed === undefined) r.fail(pair.key, `HTTP header "${name}" can not be configured`);
    const value = r.string(pair.value, `${where}.${name}`);
    if (allowed.length > 0 && !allowed.includes(value)) {
      const expected = allowed.map((v) => JSON.stringify(v)).join(" ");
      r.fail(
        pair.value ?? pair.key,
        `invalid value for ${name}. Expected one of: [${expected}], but got: ${
          JSON.stringify(value)
        }`,
      );
    }
    try {
      new Headers().set(name, value);
    } catch {
      r.fail(pair.value ?? pair.key, `invalid value for ${name}: ${JSON.stringify(value)}`);
    }
    out.push([name, value]);
  }
  return out;
}

function parseUsers(r: Reader, node: Node | null): Map<string, string> {
  const users = new Map<string, string>();
  if (isNullNode(node)) return users;
  if (!isMap(node)) r.fail(node, "basic_auth_users must be a mapping of user to bcrypt hash");
  for (const pair of node.items as Pair<Node | null, Node | null>[]) {
    const user = r.keyText(pair.key, "basic_auth_users");
    const hash = r.string(pair.value, `basic_auth_users.${user}`);
    if (!isBcryptHash(hash)) {
      r.fail(
        pair.value ?? pair.key,
        `password of user ${
          JSON.stringify(user)
        } is not a bcrypt hash ($2a$, $2b$ or $2y$, cost 4 to 31)`,
      );
    }
    users.set(user, hash);
  }
  return users;
}

function parseRateLimit(r: Reader, node: Node | null): RateLimitConfig | undefined {
  const f = r.fields(node, "rate_limit", ["interval", "burst"]);
  const burstNode = f.get("burst") ?? null;
  const burst = r.int(burstNode, "rate_limit.burst");
  if (burst < 0) r.fail(burstNode, "rate_limit.burst must not be negative");
  const intervalNode = f.get("interval") ?? null;
  let intervalMs = 0;
  if (!isNullNode(intervalNode)) {
    if (!isScalar(intervalNode)) r.fail(intervalNode, "rate_limit.interval must be a duration");
    if (typeof intervalNode.value === "number" && Number.isSafeInteger(intervalNode.value)) {
      intervalMs = intervalNode.value / 1e6; // a bare integer is nanoseconds, as in go-yaml
    } else {
      const text = scalarText(intervalNode);
      try {
        intervalMs = durationToMs(parseGoDuration(text, "go"));
      } catch (err) {
        if (!(err instanceof DurationError)) throw err;
        r.fail(intervalNode, `rate_limit.interval: invalid duration ${JSON.stringify(text)}`);
      }
    }
    if (intervalMs < 0) r.fail(intervalNode, "rate_limit.interval must not be negative");
  }
  return intervalMs === 0 ? undefined : { intervalMs, burst };
}

function parseTls(r: Reader, node: Node | null): TlsConfig | undefined {
  const f = r.fields(node, "tls_server_config", TLS_KEYS);
  const str = (key: string): string => r.string(f.get(key) ?? null, `tls_server_config.${key}`);
  const at = (key: string): Node | null => f.get(key) ?? node;

  const version = (key: string, fallback: TlsVersion): TlsVersion => {
    if (isNullNode(f.get(key))) return fallback;
    const v = str(key);
    if (!TLS_VERSIONS.has(v)) r.fail(at(key), `unknown TLS version: ${v}`);
    if (v === "TLS10" || v === "TLS11") {
      r.fail(at(key), `${key} ${v} is not supported here: only TLS12 and TLS13 are available`);
    }
    return v as TlsVersion;
  };
  const minVersion = version("min_version", "TLS12");
  const maxVersion = version("max_version", "TLS13");
  if (minVersion === "TLS13" && maxVersion === "TLS12") {
    r.fail(at("min_version"), "min_version TLS13 is above max_version TLS12");
  }

  for (const option of REFUSED_LISTS) {
    const names = r.strings(f.get(option.key) ?? null, option.label);
    for (const name of names ?? []) {
      if (!option.known.has(name)) r.fail(at(option.key), `unknown ${option.noun}: ${name}`);
    }
    if (names !== undefined && names.length > 0) {
      r.fail(
        at(option.key),
        `${option.key} is not supported here: the TLS stack chooses its own ${option.chooses}; remove the option`,
      );
    }
  }
  r.bool(f.get("prefer_server_cipher_suites") ?? null, "prefer_server_cipher_suites", true);

  const certFile = str("cert_file") || undefined;
  const keyFile = str("key_file") || undefined;
  const clientCaFile = str("client_ca_file") || undefined;
  const cert = str("cert") || undefined;
  const key = str("key") || undefined;
  const clientCa = str("client_ca") || undefined;
  const authText = str("client_auth_type");
  const sans = r.strings(f.get("client_allowed_sans") ?? null, "client_allowed_sans");

  const enabled = certFile ?? keyFile ?? clientCaFile ?? cert ?? key ?? clientCa ??
    (authText || undefined);
  if (enabled === undefined) {
    if (sans !== undefined) {
      r.fail(at("client_allowed_sans"), "client_allowed_sans needs TLS with client certificates");
    }
    return undefined;
  }
  if (certFile === undefined && cert === undefined) {
    r.fail(node, "missing one of cert or cert_file");
  }
  if (keyFile === undefined && key === undefined) r.fail(node, "missing one of key or key_file");
  if (certFile !== undefined && cert !== undefined) {
    r.fail(at("cert"), "cert and cert_file are mutually exclusive");
  }
  if (keyFile !== undefined && key !== undefined) {
    r.fail(at("key"), "key and key_file are mutually exclusive");
  }
  if (clientCaFile !== undefined && clientCa !== undefined) {
    r.fail(at("client_ca"), "client_ca and client_ca_file are mutually exclusive");
  }
  const clientAuthType = authText === "" ? "NoClientCert" : CLIENT_AUTH_TYPES[authText];
  if (clientAuthType === undefined) {
    r.fail(at("client_auth_type"), `invalid ClientAuth: ${authText}`);
  }
  const hasCa = clientCaFile !== undefined || clientCa !== undefined;
  if (hasCa && clientAuthType === "NoClientCert") {
    r.fail(node, "client CA's have been configured without a Client Auth Policy");
  }
  if (
    !hasCa &&
    (clientAuthType === "VerifyClientCertIfGiven" ||
      clientAuthType === "RequireAndVerifyClientCert")
  ) {
    r.fail(
      at("client_auth_type"),
      `client_auth_type ${clientAuthType} needs client_ca_file or client_ca`,
    );
  }
  if (
    sans !== undefined && clientAuthType !== "RequireAndVerifyClientCert" &&
    clientAuthType !== "RequireAnyClientCert"
  ) {
    r.fail(
      at("client_allowed_sans"),
      "client_allowed_sans needs client_auth_type RequireAndVerifyClientCert or RequireAnyClientCert",
    );
  }
  return {
    certFile,
    keyFile,
    cert,
    key,
    clientAuthType,
    clientCaFile,
    clientCa,
    clientAllowedSans: sans,
    minVersion,
    maxVersion,
  };
}
