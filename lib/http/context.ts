/**
 * What every endpoint module needs: configuration, the store (any
 * {@linkcode MetricStore} implementation), the gateway's own metrics, the
 * logger, the clock and hooks into the process.
 *
 * @module
 */

import type { Logger } from "@lib/log.ts";
import type { MetricStore } from "@lib/store/store.ts";
import type { SelfMetrics } from "@lib/http/self_metrics.ts";
import type { BuildInfo } from "@lib/version.ts";

/** The settings the HTTP application uses (a subset of the command line). */
export interface AppConfig {
  /** Internal route prefix, normalised: "" or "/x" (no trailing slash). */
  readonly routePrefix: string;
  /** Scrape path, joined under the route prefix. */
  readonly telemetryPath: string;
  /** Path prefix of links the UI writes (from --web.external-url only). */
  readonly externalPathPrefix: string;
  readonly enableLifecycle: boolean;
  readonly enableAdminApi: boolean;
  readonly disableConsistencyCheck: boolean;
  readonly enableUtf8Names: boolean;
  /** The scrape paths offer OpenMetrics (`--web.enable-openmetrics`); off when absent. */
  readonly enableOpenMetrics?: boolean;
  /** Cap on push bodies, before and after decompression. */
  readonly maxBodyBytes: number;
  /** Cap on the push-body bytes held by all requests at once (0: none). */
  readonly maxConcurrentBodyBytes: number;
  /** The most series one push may hold (0: no limit). */
  readonly maxSeriesPerPush: number;
  /**
   * The telemetry path serves the pushed groups only; the gateway's own
   * metrics are at `/-/metrics` (always served there).
   */
  readonly ownMetricsApart?: boolean;
  /** Flag values as `/api/v1/status` shows them. */
  readonly flagValues: Readonly<Record<string, string>>;
}

/** The dependencies of the HTTP application. */
export interface AppContext {
  readonly config: AppConfig;
  readonly store: MetricStore;
  readonly self: SelfMetrics;
  readonly logger: Logger;
  readonly buildInfo: BuildInfo;
  /** Process start, epoch milliseconds. */
  readonly startTimeMs: number;
  /** Current time, epoch milliseconds (fractional). */
  now(): number;
  /** Called by `/-/quit` after its response is built. */
  requestQuit(): void;
}

const remoteAddrs = new WeakMap<Request, string>();

/** Records the client address of a request (done once by the application entry). */
export function setRemoteAddr(req: Request, addr: string): void {
  remoteAddrs.set(req, addr);
}

/** The client address of a request, `host:port`, or "" when unknown. */
export function remoteAddr(req: Request): string {
  return remoteAddrs.get(req) ?? "";
}
