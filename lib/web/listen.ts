/**
 * Listeners: one per `--web.listen-address`, plain HTTP or TLS.
 *
 * - plain HTTP, and TLS without client certificates at the default versions (TLS 1.2–1.3, HTTP/2
 *   allowed): `Deno.serve`;
 * - TLS that needs client certificates, other version limits or `http2: false`: `node:https`
 *   (HTTP/1.1), with `client_auth_type` and `client_allowed_sans` enforced per connection.
 *
 * When the TLS settings change, a `node:https` listener swaps certificate and key in place
 * (`setSecureContext`); any other change binds a new listener on the same port and retires the old
 * one (in-flight requests finish). Where ports can be shared (`SO_REUSEPORT`: Linux, with Deno's
 * `net` unstable API enabled in `deno.json`) the new listener is bound before the old one stops
 * accepting, so a client never finds the port closed; elsewhere there is a short gap. Switching
 * between HTTP and HTTPS needs a restart, as upstream decides this once at start-up too.
 *
 * @module
 */

import type { Server as NodeHttpsServer } from "node:https";
import type { Socket } from "node:net";
import type { TLSSocket } from "node:tls";
import type { TlsSource } from "@lib/web/guard.ts";
import type { Handler, WebLogger } from "@lib/web/types.ts";
import { formatRemoteAddr, internalError, joinHostPort } from "@lib/web/types.ts";
import { nodeListener } from "@lib/web/node_adapter.ts";
import type { TlsSettings } from "@lib/web/load_web_config.ts";

/** A running set of listeners. */
export interface Server {
  /** Actual `host:port` of each listener, in the order of the requested addresses. */
  readonly addresses: string[];
  /** Stops accepting connections and resolves once in-flight requests have finished. */
  shutdown(): Promise<void>;
  /** Settles when every listener has shut down. */
  readonly finished: Promise<void>;
}

/** Options of {@linkcode serve}. */
export interface ServeOptions {
  /** Listen addresses in Go syntax: `:9091`, `127.0.0.1:0`, `[::1]:9091`, `host:port`. */
  addresses: string[];
  /** TLS settings and their changes (usually the {@linkcode Guard}); absent for plain HTTP. */
  tls?: TlsSource;
  /** Called once per listener with its actual address. */
  onListen?: (address: string, scheme: "http" | "https") => void;
  /** Aborting it shuts the server down. */
  signal?: AbortSignal;
  /** Listener events and handler failures. */
  logger?: WebLogger;
}

/** A listen address split into host (undefined: all interfaces) and port. */
export interface ListenAddress {
  /** Host name or IP; `undefined` for all interfaces. */
  hostname: string | undefined;
  /** Port; 0 picks a free one. */
  port: number;
}

/**
 * Splits a Go-style listen address.
 *
 * @param address E.g. `:9091`, `0.0.0.0:9091`, `[::1]:0`, `localhost:9091`.
 * @returns Host and port.
 * @throws {Error} when the address has no valid port.
 */
export function parseListenAddress(address: string): ListenAddress {
  const m = /^(?:\[([^\]]*)\]|([^:[\]]*)):(\d{1,5})$/.exec(address);
  const port = m === null ? NaN : Number(m[3]);
  if (m === null || port > 65535) {
    throw new Error(`Invalid listen address ${JSON.stringify(address)}: expected host:port`);
  }
  const host = m[1] ?? m[2] ?? "";
  return { hostname: host === "" ? undefined : host, port };
}

type Kind = "http" | "deno-tls" | "node-tls";

function kindFor(tls: TlsSettings | undefined): Kind {
  if (tls === undefined) return "http";
  const plainTls = tls.clientAuthType === "NoClientCert" && tls.minVersion === "TLS12" &&
    tls.maxVersion === "TLS13" && tls.http2;
  return plainTls ? "deno-tls" : "node-tls";
}

/** Settings a node listener cannot change in place. */
function nodeKey(tls: TlsSettings): string {
  return JSON.stringify([tls.clientAuthType, tls.ca, tls.minVersion, tls.maxVersion]);
}

const NODE_VERSIONS = { TLS12: "TLSv1.2", TLS13: "TLSv1.3" } as const;

interface Endpoint {
  kind: Kind;
  hostname: string;
  port: number;
  /** Bound with `SO_REUSEPORT`: a replacement can bind beside it before it closes. */
  sharedPort: boolean;
  /** Applies new TLS settings in place when possible. */
  update(tls: TlsSettings): boolean;
  /**
   * Stops accepting; resolves when in-flight requests are done. With
   * `drainFirst` (default) the port stays bound until they finished, so their
   * bodies can still be read; without it the port is freed at once.
   */
  close(drainFirst?: boolean): Promise<void>;
}

function addrInUse(e: unknown): boolean {
  return e instanceof Deno.errors.AddrInUse ||
    (e instanceof Error && (e as { code?: string }).code === "EADDRINUSE");
}

function listenError(hostname: string, port: number, e: unknown): Error {
  const detail = addrInUse(e) ? "address already in use" : e instanceof Error ? e.message : `${e}`;
  return new Error(`Cannot listen on ${joinHostPort(hostname, port)}: ${detail}`, { cause: e });
}

let portSharing: boolean | undefined;

/**
 * Whether listeners can share a port (`SO_REUSEPORT`). Linux only, and Deno's `reusePort` needs the
 * `net` unstable API (enabled in `deno.json`); without it TLS listeners are rebound with a gap.
 */
function canSharePort(): boolean {
  if (portSharing === undefined) {
    portSharing = false;
    if (Deno.build.os === "linux") {
      try {
        Deno.listen({ hostname: "127.0.0.1", port: 0, reusePort: true }).close();
        portSharing = true;
      } catch { /* unstable net API not enabled, or no loopback */ }
    }
  }
  return portSharing;
}

/**
 * Binds and releases `hostname:port` without `SO_REUSEPORT`, so that a port held by anyone else
 * (including another gateway that shares its port) fails as a normal bind would.
 *
 * @returns The port, with 0 resolved to a free one.
 */
function claimPort(hostname: string, port: number): number {
  const probe = Deno.listen({ hostname, port });
  const actual = (probe.addr as Deno.NetAddr).port;
  probe.close();
  return actual;
}

function bindDeno(
  handler: Handler,
  hostname: string,
  port: number,
  tls: TlsSettings | undefined,
  logger: WebLogger,
  reusePort: boolean,
): Endpoint {
  // Deno's shutdown() makes a request body still being read unreadable, so
  // close() first lets the handlers in flight finish (as Go's Server.Shutdown
  // does) and turns requests arriving meanwhile away with 503.
  let inFlight = 0;
  let closing = false;
  let drained: (() => void) | undefined;
  const server = Deno.serve(
    {
      hostname,
      port,
      reusePort,
      ...(tls !== undefined ? { cert: tls.cert, key: tls.key } : {}),
      onListen() {},
      onError(e) {
        logger.error("HTTP handler failed", { err: e instanceof Error ? e.message : String(e) });
        return internalError();
      },
    },
    async (req, info) => {
      if (closing) {
        return new Response("server is shutting down\n", {
          status: 503,
          headers: { "Content-Type": "text/plain; charset=utf-8", Connection: "close" },
        });
      }
      inFlight++;
      try {
        return await handler(req, {
          remoteAddr: formatRemoteAddr(info.remoteAddr.hostname, info.remoteAddr.port),
        });
      } finally {
        if (--inFlight === 0) drained?.();
      }
    },
  );
  const addr = server.addr as Deno.NetAddr;
  return {
    kind: tls === undefined ? "http" : "deno-tls",
    hostname: addr.hostname,
    port: addr.port,
    sharedPort: reusePort,
    update: () => false,
    close: async (drainFirst = true) => {
      if (drainFirst) {
        closing = true;
        if (inFlight > 0) await new Promise<void>((resolve) => (drained = resolve));
      }
      await server.shutdown();
    },
  };
}

/** Splits node's `subjectaltname` text into Go-style SAN values. */
export function subjectAltNames(text: string | undefined): string[] {
  if (text === undefined || text === "") return [];
  const out: string[] = [];
  for (const part of text.split(/, (?=[A-Za-z ]+:)/)) {
    const colon = part.indexOf(":");
    const type = part.slice(0, colon);
    let value = part.slice(colon + 1);
    if (value.startsWith('"') && value.endsWith('"')) value = JSON.parse(value);
    if (type === "IP Address" && value.includes(":")) {
      try {
        value = new URL(`http://[${value}]/`).hostname.slice(1, -1); // canonical IPv6, as Go prints
      } catch { /* keep as is */ }
    }
    out.push(value);
  }
  return out;
}

/** Why a client's certificate is refused under `tls`, or `undefined` when it is accepted. */
function refusal(socket: TLSSocket, tls: TlsSettings): string | undefined {
  const cert = socket.getPeerCertificate();
  const present = cert !== undefined && cert !== null && Object.keys(cert).length > 0;
  switch (tls.clientAuthType) {
    case "RequireAnyClientCert":
      if (!present) return "client certificate required";
      break;
    case "VerifyClientCertIfGiven":
      if (present && !socket.authorized) return `bad certificate: ${socket.authorizationError}`;
      break;
    case "RequireAndVerifyClientCert":
      if (!present) return "client certificate required";
      if (!socket.authorized) return `bad certificate: ${socket.authorizationError}`;
      break;
  }
  if (tls.clientAllowedSans !== undefined) {
    const sans = subjectAltNames(present ? cert.subjectaltname : undefined);
    if (!sans.some((s) => tls.clientAllowedSans?.includes(s))) {
      return `could not find allowed SANs in client cert, found: [${sans.join(" ")}]`;
    }
  }
  return undefined;
}

async function bindNode(
  handler: Handler,
  hostname: string,
  port: number,
  initial: TlsSettings,
  logger: WebLogger,
  reusePort: boolean,
): Promise<Endpoint> {
  let tls = initial;
  const requestCert = tls.clientAuthType !== "NoClientCert";
  // Loaded on first use: the Node compatibility layer behind it costs megabytes of memory in every
  // gateway, and only these TLS settings need it.
  const { default: https } = await import("node:https");
  const server: NodeHttpsServer = https.createServer({
    cert: tls.cert,
    key: tls.key,
    ...(tls.ca !== undefined ? { ca: tls.ca } : {}),
    requestCert,
    rejectUnauthorized: tls.clientAuthType === "RequireAndVerifyClientCert",
    minVersion: NODE_VERSIONS[tls.minVersion],
    maxVersion: NODE_VERSIONS[tls.maxVersion],
  });
  const verdicts = new WeakMap<Socket, string | null>();
  const active = new Map<Socket, number>();
  let closing = false;

  const judge = (socket: TLSSocket): boolean => {
    let v = verdicts.get(socket);
    if (v === undefined) {
      v = requestCert || tls.clientAllowedSans !== undefined ? refusal(socket, tls) ?? null : null;
      verdicts.set(socket, v);
      if (v !== null) {
        logger.error("TLS client refused", { remote: socket.remoteAddress, reason: v });
      }
    }
    if (v !== null) socket.destroy();
    return v === null;
  };
  server.on("secureConnection", (socket: TLSSocket) => {
    active.set(socket, 0);
    socket.on("close", () => active.delete(socket));
    judge(socket);
  });
  const listener = nodeListener(handler, "https", logger);
  server.on("request", (req, res) => {
    const socket = req.socket as TLSSocket;
    if (!judge(socket)) return;
    active.set(socket, (active.get(socket) ?? 0) + 1);
    if (closing) res.setHeader("Connection", "close");
    void listener(req, res).finally(() => {
      const n = (active.get(socket) ?? 1) - 1;
      active.set(socket, n);
      if (closing && n === 0) socket.end();
    });
  });
  server.on("tlsClientError", () => {});

  await new Promise<void>((resolve, reject) => {
    const onError = (e: Error): void => reject(e);
    server.once("error", onError);
    server.listen({ port, host: hostname, reusePort }, () => {
      server.off("error", onError);
      resolve();
    });
  });
  const addr = server.address();
  const actualPort = typeof addr === "object" && addr !== null ? addr.port : port;
  return {
    kind: "node-tls",
    hostname,
    port: actualPort,
    sharedPort: reusePort,
    update(next) {
      if (kindFor(next) !== "node-tls" || nodeKey(next) !== nodeKey(tls)) return false;
      if (next.cert !== tls.cert || next.key !== tls.key) {
        server.setSecureContext({
          cert: next.cert,
          key: next.key,
          ...(next.ca !== undefined ? { ca: next.ca } : {}),
          minVersion: NODE_VERSIONS[next.minVersion],
          maxVersion: NODE_VERSIONS[next.maxVersion],
        });
      }
      tls = next;
      return true;
    },
    close() {
      closing = true;
      const done = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const [socket, n] of active) if (n === 0) socket.end();
      return done;
    },
  };
}

/**
 * How a listener binds its port: `exclusive` (plain HTTP, or no port sharing here), `claim` (first
 * TLS listener: fail if anyone holds the port, then bind shareable), `join` (a replacement bound
 * beside the listener it replaces).
 */
type PortMode = "exclusive" | "claim" | "join";

async function bind(
  handler: Handler,
  hostname: string,
  port: number,
  tls: TlsSettings | undefined,
  logger: WebLogger,
  mode: PortMode = "exclusive",
): Promise<Endpoint> {
  try {
    const reusePort = mode !== "exclusive";
    if (mode === "claim") port = claimPort(hostname, port);
    return kindFor(tls) === "node-tls"
      ? await bindNode(handler, hostname, port, tls as TlsSettings, logger, reusePort)
      : bindDeno(handler, hostname, port, tls, logger, reusePort);
  } catch (e) {
    throw listenError(hostname, port, e);
  }
}

async function bindAddress(
  handler: Handler,
  address: string,
  tls: TlsSettings | undefined,
  logger: WebLogger,
): Promise<Endpoint> {
  const { hostname, port } = parseListenAddress(address);
  const mode: PortMode = tls !== undefined && canSharePort() ? "claim" : "exclusive";
  if (hostname !== undefined) return await bind(handler, hostname, port, tls, logger, mode);
  try {
    return await bind(handler, "::", port, tls, logger, mode); // dual-stack, like Go's ":port"
  } catch (e) {
    if (e instanceof Error && addrInUse(e.cause)) throw e;
    return await bind(handler, "0.0.0.0", port, tls, logger, mode);
  }
}

/** Binds again on the same port, retrying briefly while the old socket lets go of it. */
async function rebind(
  handler: Handler,
  old: Endpoint,
  tls: TlsSettings,
  logger: WebLogger,
): Promise<Endpoint> {
  for (let attempt = 0;; attempt++) {
    try {
      return await bind(handler, old.hostname, old.port, tls, logger);
    } catch (e) {
      if (attempt >= 50 || !(e instanceof Error && addrInUse(e.cause))) throw e;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

/**
 * Starts one listener per address.
 *
 * @param handler The (guarded) application handler.
 * @param opts Addresses, TLS source, callbacks.
 * @returns The running server.
 * @throws {Error} when an address is invalid or cannot be bound (e.g. already in use); listeners
 * opened before the failure are closed again.
 */
export async function serve(handler: Handler, opts: ServeOptions): Promise<Server> {
  const logger = opts.logger ?? { info() {}, error() {} };
  const initialTls = opts.tls?.tls();
  const endpoints: Endpoint[] = [];
  const retiring = new Set<Promise<void>>();
  try {
    for (const address of opts.addresses) {
      endpoints.push(await bindAddress(handler, address, initialTls, logger));
    }
  } catch (e) {
    await Promise.all(endpoints.map((ep) => ep.close()));
    throw e;
  }
  const scheme = initialTls === undefined ? "http" : "https";
  const addresses = endpoints.map((ep) => joinHostPort(ep.hostname, ep.port));
  for (const [i, ep] of endpoints.entries()) {
    const address = addresses[i] as string;
    logger.info("Listening on", { address });
    if (initialTls === undefined) logger.info("TLS is disabled.", { http2: false, address });
    else logger.info("TLS is enabled.", { http2: ep.kind === "deno-tls", address });
    opts.onListen?.(address, scheme);
  }

  let changes = Promise.resolve();
  const applyTls = async (next: TlsSettings | undefined): Promise<void> => {
    if ((next === undefined) !== (initialTls === undefined)) {
      logger.error("Switching between HTTP and HTTPS needs a restart; listeners left unchanged");
      return;
    }
    if (next === undefined) return;
    // The old listener stops accepting at once (no drain, so the port is free for its
    // replacement); its in-flight requests carry on.
    const retire = (ep: Endpoint): void => {
      const closing = ep.close(false);
      retiring.add(closing);
      void closing.finally(() => retiring.delete(closing));
    };
    for (const [i, ep] of endpoints.entries()) {
      if (ep.update(next)) continue;
      try {
        if (ep.sharedPort) {
          // Bind beside the old listener first: the port never stops accepting. On failure the old
          // listener keeps serving with the old settings.
          endpoints[i] = await bind(handler, ep.hostname, ep.port, next, logger, "join");
          retire(ep);
        } else {
          retire(ep);
          endpoints[i] = await rebind(handler, ep, next, logger);
        }
        logger.info("Listener restarted with new TLS settings", { address: addresses[i] });
      } catch (e) {
        logger.error("Cannot restart listener with new TLS settings", {
          address: addresses[i],
          err: e instanceof Error ? e.message : String(e),
        });
      }
    }
  };
  const unsubscribe = opts.tls?.onTlsChange((next) => {
    changes = changes.then(() => applyTls(next));
  });

  let finish: () => void = () => {};
  const finished = new Promise<void>((resolve) => finish = resolve);
  let stopping: Promise<void> | undefined;
  const shutdown = (): Promise<void> => {
    stopping ??= (async () => {
      unsubscribe?.();
      await changes;
      await Promise.all([...endpoints.map((ep) => ep.close()), ...retiring]);
      finish();
    })();
    return stopping;
  };
  if (opts.signal !== undefined) {
    if (opts.signal.aborted) void shutdown();
    else opts.signal.addEventListener("abort", () => void shutdown(), { once: true });
  }
  return { addresses, shutdown, finished };
}
