/**
 * An in-memory {@linkcode AppContext} for unit tests and in-process benchmarks:
 * a fresh store, a silent logger and fixed build information.
 *
 * @module
 */

import type { AppConfig, AppContext } from "@lib/http/context.ts";
import { buildLabels, OWN_FAMILIES, SelfMetrics } from "@lib/http/self_metrics.ts";
import { createLogger } from "@lib/log.ts";
import { InMemoryStore } from "@lib/store/memory_store.ts";
import type { BuildInfo } from "@lib/version.ts";

/** Build information used by {@linkcode testAppContext}. */
export const TEST_BUILD_INFO: BuildInfo = {
  version: "0.1.0",
  revision: "abc123",
  branch: "main",
  buildUser: "me@host",
  buildDate: "20260101-00:00:00",
  goVersion: "deno2.9.6",
  goos: "linux",
  goarch: "amd64",
  tags: "unknown",
};

/** A context with defaults like the command line's; `config` and other fields override them. */
export function testAppContext(
  config: Partial<AppConfig> = {},
  overrides: Partial<Omit<AppContext, "config">> = {},
): AppContext {
  return {
    config: {
      routePrefix: "",
      telemetryPath: "/metrics",
      externalPathPrefix: "",
      enableLifecycle: false,
      enableAdminApi: false,
      disableConsistencyCheck: false,
      enableUtf8Names: false,
      maxBodyBytes: 1 << 20,
      maxConcurrentBodyBytes: 128 << 20,
      maxSeriesPerPush: 100_000,
      flagValues: {},
      ...config,
    },
    store: new InMemoryStore({ own: OWN_FAMILIES }),
    self: new SelfMetrics(buildLabels(TEST_BUILD_INFO)),
    logger: createLogger({ level: "error", format: "logfmt", write: () => {} }),
    buildInfo: TEST_BUILD_INFO,
    startTimeMs: Date.now(),
    now: () => Date.now(),
    requestQuit: () => {},
    ...overrides,
  };
}
