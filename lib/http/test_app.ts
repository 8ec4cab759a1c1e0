/**
 * The application as `main.ts` wires it, built in-process from a command
 * line for handler tests: flags parsed as the process parses them, the web
 * UI's routes, a fresh in-memory store with the flags' default TTL and series
 * limit and its own metrics, log lines collected in memory. (No expiry runs:
 * tests that need it start an `Expirer` with a fake clock.)
 *
 * @module
 */

import { parseFlags } from "@lib/cli/flags.ts";
import { type AppHandler, createApp } from "@lib/http/app.ts";
import type { AppContext } from "@lib/http/context.ts";
import { buildLabels, SelfMetrics, withOwnFamilies } from "@lib/http/self_metrics.ts";
import { TEST_BUILD_INFO, testAppContext } from "@lib/http/test_context.ts";
import { createLogger } from "@lib/log.ts";
import { InMemoryStore } from "@lib/store/memory_store.ts";
import { STORE_OWN_FAMILIES, storeOwnMetrics } from "@lib/store/own_metrics.ts";
import { createUiRoutes } from "@lib/ui/routes.ts";

/** What {@linkcode appFromFlags} builds. */
export interface TestApp {
  /** The application handler. */
  readonly app: AppHandler;
  /** Log lines so far, logfmt or JSON as `--log.format` says, at the level of `--log.level`. */
  readonly logs: string[];
}

/**
 * Builds the application for the command line `args` (e.g.
 * `["--web.enable-admin-api"]`); `overrides` replace context fields such as
 * the clock or the `/-/quit` hook.
 *
 * @throws {Error} When `args` is not a command line that runs the gateway.
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * const { app } = appFromFlags(["--web.route-prefix=/pfx"]);
 * assertEquals((await app(new Request("http://gw/pfx/-/healthy"))).status, 200);
 * ```
 */
export function appFromFlags(
  args: readonly string[] = [],
  overrides: Partial<Omit<AppContext, "config" | "logger">> = {},
): TestApp {
  const parsed = parseFlags(args);
  if (parsed.kind !== "run") throw new Error(`Not a command line that runs: ${args.join(" ")}`);
  const logs: string[] = [];
  const logger = createLogger({
    level: parsed.config.logLevel,
    format: parsed.config.logFormat,
    write: (line) => logs.push(line),
  });
  const config = parsed.config;
  const store = overrides.store ?? new InMemoryStore({
    own: withOwnFamilies(STORE_OWN_FAMILIES),
    defaultTtlMs: config.defaultTtlMs,
    maxSeries: config.maxSeries,
  });
  const self = overrides.self ?? new SelfMetrics(buildLabels(TEST_BUILD_INFO), Date.now, [
    storeOwnMetrics({
      view: () => store.view,
      expired: () => 0,
      maxSeries: config.maxSeries,
      maxSeriesPerPush: config.maxSeriesPerPush,
    }),
  ]);
  const ctx = testAppContext(config, { ...overrides, store, self, logger });
  return { app: createApp(ctx, createUiRoutes(ctx)), logs };
}
