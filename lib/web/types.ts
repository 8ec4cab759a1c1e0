/**
 * Types shared by the web layer: the application handler contract, and the 500 answer both
 * listener kinds give when a handler fails.
 *
 * @module
 */

import { errorResponse } from "@lib/http/errors.ts";

/** Connection facts passed to a handler. */
export interface ConnInfo {
  /** Peer address as `ip:port` (`[ip]:port` for IPv6), like Go's `Request.RemoteAddr`. */
  remoteAddr: string;
}

/** The HTTP application: one request in, one response out. */
export type Handler = (req: Request, info: ConnInfo) => Promise<Response>;

/** Minimal structured logger used by the web layer (adapt the application's logger to it). */
export interface WebLogger {
  /** Logs at info level. */
  info(msg: string, attrs?: Record<string, unknown>): void;
  /** Logs at error level. */
  error(msg: string, attrs?: Record<string, unknown>): void;
}

/** Formats a host and port the way Go's `net.JoinHostPort` does. */
export function joinHostPort(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Formats a peer address like Go does: IPv4-mapped IPv6 addresses shown as plain IPv4. */
export function formatRemoteAddr(host: string, port: number): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(host);
  return joinHostPort(mapped?.[1] ?? host, port);
}

/**
 * The answer to a request whose handler threw (both `Deno.serve` and `node:https` listeners): the
 * application's own 500, written like Go's `http.Error`.
 *
 * @returns A 500 `Internal Server Error` plain-text response with `X-Content-Type-Options: nosniff`.
 */
export function internalError(): Response {
  return errorResponse(500, "Internal Server Error");
}
