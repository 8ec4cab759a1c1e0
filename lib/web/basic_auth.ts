/**
 * HTTP Basic authentication against bcrypt hashes, as exporter-toolkit does it: unknown users are
 * checked against a fixed dummy hash (same work as a known user), and verified
 * (user, hash, password) triples are cached so that only the first request pays for bcrypt.
 *
 * @module
 */

import bcrypt from "bcryptjs";
import { decodeBase64, encodeHex } from "@std/encoding";
import { errorResponse } from "@lib/http/errors.ts";

/** Hash of "fakepassword", the dummy exporter-toolkit compares unknown users against. */
const DUMMY_HASH = "$2y$10$QOauhQNbBCuQDKes6eFzPeMqBSjb7Mr5DUmpZ/VcEd00UAV/LDeSi";

/** Credentials taken from an `Authorization` header, as raw bytes. */
export interface BasicCredentials {
  /** User name bytes (before the first colon). */
  user: Uint8Array;
  /** Password bytes (after the first colon). */
  password: Uint8Array;
}

/**
 * Parses `Authorization: Basic <base64>` the way Go's `Request.BasicAuth` does: the scheme is
 * case-insensitive, the base64 must be standard and padded, and the first colon splits user from
 * password.
 *
 * @param header The header value, or `null` when absent.
 * @returns The credentials, or `undefined` when the header is absent or malformed.
 */
export function parseBasicAuth(header: string | null): BasicCredentials | undefined {
  if (header === null || header.length < 6 || header.slice(0, 6).toLowerCase() !== "basic ") {
    return undefined;
  }
  const encoded = header.slice(6);
  if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(encoded)) {
    return undefined;
  }
  // The pattern above admits only padded standard base64, which decodeBase64 never refuses.
  const bytes = decodeBase64(encoded);
  const colon = bytes.indexOf(0x3a);
  if (colon < 0) return undefined;
  return { user: bytes.subarray(0, colon), password: bytes.subarray(colon + 1) };
}

/** Options of {@linkcode BasicAuthChecker}. */
export interface BasicAuthOptions {
  /** Most cached verified triples (default 100, like upstream). */
  cacheSize?: number;
  /** bcrypt comparison (default `bcryptjs.compare`); injectable for tests. */
  compare?: (password: string, hash: string) => Promise<boolean>;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return utf8.decode(bytes);
  } catch {
    return undefined;
  }
}

/**
 * The cache key for a (user, hash, password) triple: each field hex-encoded, joined with `:`.
 * Hex digits never contain `:`, so no two different triples share a key (the CVE-2022-46146 fix).
 *
 * @param user User name bytes.
 * @param hash The bcrypt hash compared against.
 * @param password Password bytes.
 * @returns The key.
 */
export function cacheKey(user: Uint8Array, hash: string, password: Uint8Array): string {
  return `${encodeHex(user)}:${encodeHex(hash)}:${encodeHex(password)}`;
}

/** Checks Basic credentials against a user table, with a cache of successful checks. */
export class BasicAuthChecker {
  readonly #cache = new Map<string, true>();
  readonly #cacheSize: number;
  readonly #compare: (password: string, hash: string) => Promise<boolean>;
  /** Serialises bcrypt work, as upstream's mutex does: one CPU-heavy compare at a time. */
  #queue: Promise<unknown> = Promise.resolve();

  /** Creates a checker with an empty cache. */
  constructor(opts: BasicAuthOptions = {}) {
    this.#cacheSize = opts.cacheSize ?? 100;
    this.#compare = opts.compare ?? ((p, h) => bcrypt.compare(p, h));
  }

  /** Number of cached successful checks. */
  get cached(): number {
    return this.#cache.size;
  }

  /**
   * Checks an `Authorization` header against `users`.
   *
   * @param header The `Authorization` header value, or `null`.
   * @param users User name → bcrypt hash.
   * @returns `true` when the credentials belong to a configured user.
   */
  async check(header: string | null, users: ReadonlyMap<string, string>): Promise<boolean> {
    const creds = parseBasicAuth(header);
    if (creds === undefined) return false;
    const user = decodeUtf8(creds.user);
    const password = decodeUtf8(creds.password);
    const known = user !== undefined ? users.get(user) : undefined;
    const hash = known ?? DUMMY_HASH;
    const key = cacheKey(creds.user, hash, creds.password);
    if (known !== undefined && this.#cache.has(key)) return true;

    const run = this.#queue.then(async () => {
      if (known !== undefined && this.#cache.has(key)) return true;
      // A password that is not UTF-8 cannot be passed to bcryptjs; still spend the same work.
      const ok = await this.#compare(password ?? "", hash);
      return ok && password !== undefined;
    });
    this.#queue = run.catch(() => undefined);
    const ok = await run.catch(() => false);
    if (!ok || known === undefined) return false;
    this.#remember(key);
    return true;
  }

  #remember(key: string): void {
    if (this.#cache.size >= this.#cacheSize) {
      // Evict the oldest tenth (at least one), so eviction work is amortised.
      const drop = Math.max(1, Math.floor(this.#cache.size / 10));
      let i = 0;
      for (const k of this.#cache.keys()) {
        if (i++ >= drop) break;
        this.#cache.delete(k);
      }
    }
    this.#cache.set(key, true);
  }
}

/**
 * The response upstream sends when authentication fails.
 *
 * @returns A 401 `Unauthorized` plain-text response asking for Basic credentials.
 */
export function unauthorized(): Response {
  const res = errorResponse(401, "Unauthorized");
  res.headers.set("WWW-Authenticate", "Basic");
  return res;
}
