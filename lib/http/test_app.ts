/**
 * The application as `main.ts` wires it, built in-process from a command
 * line for handler tests: flags parsed as the process parses them, the web
 * UI's routes, a fresh in-memory store, log lines collected in memory.
 *
 * @module
 */

import { parseFlags } from "@lib/cli/flags.ts";
import { type AppHandler, createApp } from "@lib/http/app.ts";
import type { AppContext } from "@lib/http/context.ts";
import { testAppContext } from "@lib/http/test_context.ts";
import { createLogger } from "@lib/log.ts";
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
  const ctx = testAppContext(parsed.config, { ...overrides, logger });
  return { app: createApp(ctx, createUiRoutes(ctx)), logs };
}
