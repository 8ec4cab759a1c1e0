/**
 * pushgateway-deno: parse the flags, restore the store, serve, persist, and
 * shut down gracefully. No logic of its own beyond wiring.
 *
 * @module
 */

import { formatFlagError, parseFlags, validateUnsupported } from "@lib/cli/flags.ts";
import { renderHelp, renderManPage, renderVersion } from "@lib/cli/usage.ts";
import { createApp } from "@lib/http/app.ts";
import type { AppContext } from "@lib/http/context.ts";
import { createUiRoutes } from "@lib/ui/routes.ts";
import { buildLabels, SelfMetrics, withOwnFamilies } from "@lib/http/self_metrics.ts";
import { createLogger, type Logger } from "@lib/log.ts";
import { Expirer, SYSTEM_CLOCK } from "@lib/store/expiry.ts";
import { InMemoryStore } from "@lib/store/memory_store.ts";
import { exportOfficialFile } from "@lib/store/official_export.ts";
import { STORE_OWN_FAMILIES, storeOwnMetrics } from "@lib/store/own_metrics.ts";
import { createPersister, loadSnapshot, type Persister } from "@lib/store/persistence.ts";
import { buildContextText, loadBuildInfo, versionInfoText } from "@lib/version.ts";
import { createGuard, type Guard } from "@lib/web/guard.ts";
import { serve } from "@lib/web/listen.ts";

const PROGRAM = "pushgateway";

function print(text: string, to: "stdout" | "stderr"): void {
  const bytes = new TextEncoder().encode(text.endsWith("\n") ? text : text + "\n");
  (to === "stdout" ? Deno.stdout : Deno.stderr).writeSync(bytes);
}

/** Runs the gateway; resolves with the process exit code. */
async function main(argv: readonly string[]): Promise<number> {
  const parsed = parseFlags(argv, { readArgsFile: (p) => Deno.readTextFileSync(p) });
  const buildInfo = await loadBuildInfo();
  switch (parsed.kind) {
    case "help":
      print(
        parsed.variant === "man"
          ? renderManPage(PROGRAM, versionInfoText(buildInfo))
          : renderHelp(PROGRAM, parsed.variant),
        "stdout",
      );
      return 0;
    case "version":
      print(renderVersion(buildInfo, PROGRAM), "stdout");
      return 0;
    case "error":
      print(formatFlagError(PROGRAM, parsed.message), "stderr");
      return 1;
  }
  const config = parsed.config;
  const logger = createLogger({ level: config.logLevel, format: config.logFormat });
  for (const flag of config.deprecatedSingleDash) {
    logger.warn("deprecated single-dash flag; use the double-dash form", { flag });
  }
  const unsupported = validateUnsupported(config);
  if (unsupported) {
    logger.error(unsupported);
    return 1;
  }
  if (config.persistenceExportUpstream !== "") {
    return await exportOfficialFile({
      from: config.persistenceFile,
      to: config.persistenceExportUpstream,
      logger,
    });
  }
  logger.info("starting pushgateway", { version: versionInfoText(buildInfo) });
  logger.info("Build context", { build_context: buildContextText(buildInfo) });

  const own = withOwnFamilies(STORE_OWN_FAMILIES);
  const store = new InMemoryStore({
    own,
    defaultTtlMs: config.defaultTtlMs,
    maxSeries: config.maxSeries,
  });
  let persister: Persister | undefined;
  if (config.persistenceFile !== "") {
    store.restore(await loadSnapshot(config.persistenceFile, logger, { own }));
    const p = createPersister({
      path: config.persistenceFile,
      intervalMs: config.persistenceIntervalMs,
      snapshot: () => store.snapshot(),
      logger,
    });
    store.subscribe(() => p.notifyWrite());
    persister = p;
  }
  // Groups whose deadline passed while the gateway was down are removed before serving.
  const expirer = new Expirer({ store, logger, clock: SYSTEM_CLOCK });
  await expirer.start();

  let quit: () => void = () => {};
  const quitRequested = new Promise<string>((resolve) => {
    quit = () => resolve("web");
  });
  const self = new SelfMetrics(buildLabels(buildInfo));
  self.addSource(storeOwnMetrics({
    view: () => store.view,
    expired: () => expirer.expiredTotal,
    maxSeries: config.maxSeries,
    maxSeriesPerPush: config.maxSeriesPerPush,
  }));
  const ctx: AppContext = {
    config,
    store,
    self,
    logger,
    buildInfo,
    startTimeMs: Date.now(),
    now: () => SYSTEM_CLOCK.now(),
    requestQuit: () => setTimeout(quit, 0),
  };
  const app = createApp(ctx, createUiRoutes(ctx));

  let guard: Guard;
  try {
    guard = await createGuard({ path: config.webConfigFile, logger });
  } catch (err) {
    logger.error("invalid web configuration", { err: (err as Error).message });
    expirer.stop();
    persister?.stop();
    return 1;
  }
  let server;
  try {
    server = await serve(guard.wrap(app), {
      addresses: config.listenAddresses,
      tls: guard,
      logger,
    });
  } catch (err) {
    logger.error("failed to start the HTTP server", { err: (err as Error).message });
    guard.close();
    expirer.stop();
    persister?.stop();
    return 1;
  }

  const signalled = new Promise<string>((resolve) => {
    for (const sig of ["SIGTERM", "SIGINT"] as const) {
      Deno.addSignalListener(sig, () => resolve("signal"));
    }
  });
  Deno.addSignalListener("SIGHUP", () => {
    logger.info("received SIGHUP; reloading the web configuration");
    guard.reload();
  });

  const why = await Promise.race([signalled, quitRequested]);
  if (why === "signal") logger.info("received SIGINT/SIGTERM; exiting gracefully...");
  else logger.warn("received termination request via web service, exiting gracefully...");
  await server.shutdown();
  guard.close();
  logger.info("HTTP server stopped");
  expirer.stop();
  await store.close();
  return await shutdownStore(persister, logger);
}

async function shutdownStore(persister: Persister | undefined, logger: Logger): Promise<number> {
  if (!persister) return 0;
  try {
    await persister.flush();
    return 0;
  } catch (err) {
    logger.error("problem shutting down metric storage", { err: (err as Error).message });
    return 1;
  }
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
