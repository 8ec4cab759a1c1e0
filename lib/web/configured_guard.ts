/**
 * The guard of a web config file (see `guard.ts`): rate limit, configured headers, Basic
 * authentication and TLS settings, re-read when the files change.
 *
 * @module
 */

import { BasicAuthChecker, unauthorized } from "@lib/web/basic_auth.ts";
import { TokenBucket, tooManyRequests } from "@lib/web/rate_limit.ts";
import type { Handler, WebLogger } from "@lib/web/types.ts";
import { loadWebConfig } from "@lib/web/load_web_config.ts";
import type { TlsSettings, WebConfig } from "@lib/web/load_web_config.ts";
import type { RateLimitConfig } from "@lib/web/web_config.ts";
import type { Guard, GuardOptions } from "@lib/web/guard.ts";

const SILENT: WebLogger = { info() {}, error() {} };

async function fingerprint(files: readonly string[]): Promise<string> {
  const parts = await Promise.all(files.map(async (f) => {
    try {
      const s = await Deno.stat(f);
      return `${s.mtime?.getTime()}/${s.size}/${s.ino}`;
    } catch (e) {
      return `error:${e instanceof Error ? e.name : e}`;
    }
  }));
  return parts.join("|");
}

function sameRateLimit(a: RateLimitConfig | undefined, b: RateLimitConfig | undefined): boolean {
  return a?.intervalMs === b?.intervalMs && a?.burst === b?.burst;
}

function withHeaders(res: Response, headers: readonly [string, string][]): Response {
  if (headers.length === 0) return res;
  let out = res;
  try {
    for (const [k, v] of headers) out.headers.set(k, v);
  } catch {
    // Immutable headers (e.g. a fetched Response): copy, then set.
    out = new Response(res.body, res);
    for (const [k, v] of headers) out.headers.set(k, v);
  }
  return out;
}

/**
 * Creates the guard of the web config file at `path`, loading it once.
 *
 * @param path The web config file.
 * @param opts The logger and clock (`opts.path` is not read).
 * @returns The guard.
 * @throws {WebConfigError} when the file is invalid at start-up.
 */
export async function createConfiguredGuard(path: string, opts: GuardOptions): Promise<Guard> {
  const now = opts.now ?? Date.now;
  const log = opts.logger ?? SILENT;
  const checkEvery = opts.checkIntervalMs ?? 1000;
  const checker = new BasicAuthChecker(opts.auth);
  const tlsListeners = new Set<(tls: TlsSettings | undefined) => void>();

  let current: WebConfig | undefined;
  let seen = "";
  let limiter: TokenBucket | undefined;
  let lastCheck = now();
  let pending: Promise<boolean> | undefined;
  let timer: ReturnType<typeof setInterval> | undefined;

  const apply = (next: WebConfig): void => {
    const prev = current;
    current = next;
    if (!sameRateLimit(prev?.rateLimit, next.rateLimit)) {
      limiter = next.rateLimit === undefined
        ? undefined
        : new TokenBucket(next.rateLimit.intervalMs, next.rateLimit.burst, now);
    }
    if (prev !== undefined && JSON.stringify(prev.tls) !== JSON.stringify(next.tls)) {
      for (const cb of tlsListeners) cb(next.tls);
    }
  };

  const load = async (): Promise<boolean> => {
    // Only reached after createGuard's first load set `current` (check() and reload() both).
    const before = await fingerprint((current as WebConfig).files);
    try {
      const next = await loadWebConfig(path);
      seen = await fingerprint(next.files);
      apply(next);
      return true;
    } catch (e) {
      seen = before;
      log.error("Unable to reload web configuration, keeping the previous one", {
        file: path,
        err: e instanceof Error ? e.message : String(e),
      });
      return false;
    }
  };

  const once = (): Promise<boolean> => {
    pending ??= load().finally(() => {
      pending = undefined;
    });
    return pending;
  };

  const check = async (): Promise<void> => {
    if (current === undefined) return;
    const t = now();
    if (t - lastCheck < checkEvery) return;
    lastCheck = t;
    if (await fingerprint(current.files) !== seen) {
      if (await once()) log.info("Web configuration reloaded", { file: path });
    }
  };

  const first = await loadWebConfig(path);
  seen = await fingerprint(first.files);
  apply(first);

  const guard: Guard = {
    wrap(handler: Handler): Handler {
      return async (req, info) => {
        await check();
        const cfg = current as WebConfig;
        if (limiter !== undefined && !limiter.allow()) return tooManyRequests();
        if (
          cfg.users.size > 0 && !await checker.check(req.headers.get("Authorization"), cfg.users)
        ) {
          return withHeaders(unauthorized(), cfg.headers);
        }
        return withHeaders(await handler(req, info), cfg.headers);
      };
    },
    reload: once,
    config: () => current,
    tls: () => current?.tls,
    onTlsChange(cb) {
      tlsListeners.add(cb);
      if (timer === undefined && checkEvery > 0) {
        const t = setInterval(() => void check(), checkEvery);
        Deno.unrefTimer(t);
        timer = t;
      }
      return () => tlsListeners.delete(cb);
    },
    close() {
      if (timer !== undefined) clearInterval(timer);
      timer = undefined;
    },
  };
  return guard;
}
