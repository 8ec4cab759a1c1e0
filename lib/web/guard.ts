/**
 * The web-config guard: wraps the application handler with rate limiting, the configured response
 * headers and Basic authentication, and keeps the configuration up to date.
 *
 * Reloading: the file (and the certificate, key and CA files it names) is re-examined at most about
 * once a second, on requests and, once a listener subscribes to TLS changes, on a timer; and always
 * on {@linkcode Guard.reload}. A configuration that breaks at run time is logged and the last good
 * one stays in force (upstream answers 500 instead).
 *
 * @module
 */

import type { BasicAuthOptions } from "@lib/web/basic_auth.ts";
import type { Handler, WebLogger } from "@lib/web/types.ts";
import type { TlsSettings, WebConfig } from "@lib/web/load_web_config.ts";

/** Where a listener gets TLS settings from, and hears about their changes. */
export interface TlsSource {
  /** Current TLS settings; `undefined` for plain HTTP. */
  tls(): TlsSettings | undefined;
  /** Registers a callback for changed TLS settings; returns the unsubscribe function. */
  onTlsChange(cb: (tls: TlsSettings | undefined) => void): () => void;
}

/** Applies the web configuration to requests. */
export interface Guard extends TlsSource {
  /** Wraps a handler: rate limit → configured headers → Basic auth → handler. */
  wrap(handler: Handler): Handler;
  /** Re-reads the file now (SIGHUP); resolves `true` when a valid configuration was applied. */
  reload(): Promise<boolean>;
  /** The configuration in force; `undefined` when no file is configured. */
  config(): WebConfig | undefined;
  /** Stops the change-detection timer. */
  close(): void;
}

/** Options of {@linkcode createGuard}. */
export interface GuardOptions {
  /** Path of the web config file; `undefined` or `""` means no file (everything passes). */
  path: string | undefined;
  /** Logger for reload results. */
  logger?: WebLogger;
  /** Clock in milliseconds (rate limit and re-check throttling). */
  now?: () => number;
  /** Minimum milliseconds between two looks at the files (default 1000). */
  checkIntervalMs?: number;
  /** Passed to the {@linkcode BasicAuthChecker}. */
  auth?: BasicAuthOptions;
}

/** The guard without a web config file: every request passes, plain HTTP. */
const PASS_THROUGH: Guard = {
  wrap: (handler) => handler,
  reload: () => Promise.resolve(false),
  config: () => undefined,
  tls: () => undefined,
  onTlsChange: () => () => {},
  close() {},
};

/**
 * Creates a guard, loading the web config file once.
 *
 * @param opts The file path, logger and clock.
 * @returns The guard.
 * @throws {WebConfigError} when the file is invalid at start-up.
 */
export async function createGuard(opts: GuardOptions): Promise<Guard> {
  if (!opts.path) return PASS_THROUGH;
  const { createConfiguredGuard } = await import("@lib/web/configured_guard.ts");
  return await createConfiguredGuard(opts.path, opts);
}
