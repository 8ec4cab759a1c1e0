/**
 * pushgateway-deno: parse the flags, restore the store, serve, persist, and
 * shut down gracefully. No logic of its own beyond wiring.
 *
 * @module
 */

import {
  type Config,
  formatFlagError,
  parseFlags,
  validateStorage,
  validateUnsupported,
} from "@lib/cli/flags.ts";
import { renderHelp, renderManPage, renderVersion } from "@lib/cli/usage.ts";
import { createApp } from "@lib/http/app.ts";
import type { AppContext } from "@lib/http/context.ts";
import { createUiRoutes } from "@lib/ui/routes.ts";
import { buildLabels, SelfMetrics, withOwnFamilies } from "@lib/http/self_metrics.ts";
import { HeapTrimmer, keepAlive } from "@lib/heap_trim.ts";
import { createLogger, type Logger } from "@lib/log.ts";
import { Expirer, SYSTEM_CLOCK } from "@lib/store/expiry.ts";
import { InMemoryStore } from "@lib/store/memory_store.ts";
import { STORE_OWN_FAMILIES, storeOwnMetrics } from "@lib/store/own_metrics.ts";
import { createPersister, loadSnapshot, type Persister } from "@lib/store/persistence.ts";
import type { PostgresStore } from "@lib/store/postgres/postgres_store.ts";
import { SHARED_SETTINGS, StoreSetupError } from "@lib/store/postgres/schema.ts";
// setup.ts (and with it the PostgreSQL client) is imported only when the shared store is used:
// loading the client costs ~0.1 s of every start.
import type { PostgresSettings } from "@lib/store/postgres/setup.ts";
import { STORAGE_FAMILIES } from "@lib/store/postgres/store_metrics.ts";
import type { MetricStore } from "@lib/store/store.ts";
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
  const unsupported = validateUnsupported(config) ?? validateStorage(config);
  if (unsupported) {
    logger.error(unsupported);
    return 1;
  }
  if (config.persistenceExportUpstream !== "") {
    // The gob encoder and its modules are loaded for this one-off command only.
    const { exportOfficialFile } = await import("@lib/store/official_export.ts");
    return await exportOfficialFile({
      from: config.persistenceFile,
      to: config.persistenceExportUpstream,
      logger,
    });
  }
  logger.info("starting pushgateway", { version: versionInfoText(buildInfo) });
  logger.info("Build context", { build_context: buildContextText(buildInfo) });

  const own = config.postgresUrl !== ""
    ? withOwnFamilies(STORE_OWN_FAMILIES, STORAGE_FAMILIES)
    : withOwnFamilies(STORE_OWN_FAMILIES);
  // Bursts of writes and loads of a whole store leave the heap grown by their allocation peak: give
  // that back once the gateway is quiet (after a restored file or a load of the shared store's
  // state in any case).
  const trimmer = new HeapTrimmer({
    onCompacted: (reason, ms, slack) =>
      logger.debug(reason ?? "heap compacted while idle", {
        ms: Math.round(ms),
        unused_mib: Math.round(slack / 1048576),
      }),
  });
  const compactSoon = (reason: string): void => trimmer.compactWhenQuiet(reason);
  let store: MetricStore;
  let shared: PostgresStore | undefined;
  let persister: Persister | undefined;
  // Set once the store exists: a replica that (re)loads its state from the database rescans.
  let expirer: Expirer | undefined;
  if (config.postgresUrl !== "") {
    const settings = {
      ...postgresSettings(config, logger),
      state: { defaultTtlMs: config.defaultTtlMs, maxSeries: config.maxSeries },
      onLoaded: () => {
        expirer?.rescan();
        compactSoon("heap compacted after loading the shared state");
      },
    };
    if (config.postgresImport !== "") {
      return await importFile(config.postgresImport, settings, logger);
    }
    const { createPostgresStore } = await import("@lib/store/postgres/setup.ts");
    try {
      store = shared = createPostgresStore(settings, own);
    } catch (err) {
      logger.error("invalid PostgreSQL settings", { err: (err as Error).message });
      return 1;
    }
  } else {
    const memory = new InMemoryStore({
      own,
      defaultTtlMs: config.defaultTtlMs,
      maxSeries: config.maxSeries,
    });
    store = memory;
    if (config.persistenceFile !== "") {
      const restored = await loadSnapshot(config.persistenceFile, logger, { own });
      memory.restore(restored);
      if (restored.length > 0) compactSoon("heap compacted after the restore");
      const p = createPersister({
        path: config.persistenceFile,
        intervalMs: config.persistenceIntervalMs,
        snapshot: () => memory.snapshot(),
        logger,
      });
      memory.subscribe(() => p.notifyWrite());
      persister = p;
    }
  }
  store.subscribe(() => trimmer.activity());
  // Groups whose deadline passed while the gateway was down are removed before serving.
  // With the shared store one replica at a time (the holder of the database's expiry lock)
  // issues the deletes; every replica applies and counts them.
  const issuer = shared;
  const expiry = expirer = new Expirer({
    store,
    logger,
    clock: SYSTEM_CLOCK,
    ...(issuer ? { shouldIssue: () => issuer.issuesExpiry() } : {}),
  });
  await expiry.start();

  let quit: () => void = () => {};
  const quitRequested = new Promise<string>((resolve) => {
    quit = () => resolve("web");
  });
  const storeMetrics = storeOwnMetrics({
    view: () => store.view,
    expired: () => expiry.expiredTotal,
    maxSeries: config.maxSeries,
    maxSeriesPerPush: config.maxSeriesPerPush,
  });
  const self = new SelfMetrics(
    buildLabels(buildInfo),
    Date.now,
    shared ? [storeMetrics, () => shared.collectMetrics()] : [storeMetrics],
  );
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
  const watched: typeof app = async (req, info) => {
    trimmer.requestStarted();
    try {
      const res = await app(req, info);
      // Writes only (their responses have no body): a kept scrape or API response could hold MiBs.
      if (req.method === "PUT" || req.method === "POST" || req.method === "DELETE") {
        keepAlive("request", [req, info, res]);
      }
      return res;
    } finally {
      trimmer.requestEnded();
    }
  };

  let guard: Guard;
  try {
    guard = await createGuard({ path: config.webConfigFile, logger });
  } catch (err) {
    logger.error("invalid web configuration", { err: (err as Error).message });
    expiry.stop();
    persister?.stop();
    await store.close();
    return 1;
  }
  let server;
  try {
    server = await serve(guard.wrap(watched), {
      addresses: config.listenAddresses,
      tls: guard,
      logger,
    });
  } catch (err) {
    logger.error("failed to start the HTTP server", { err: (err as Error).message });
    guard.close();
    expiry.stop();
    persister?.stop();
    await store.close();
    return 1;
  }
  // The shared store connects and loads in the background (`/-/ready` says when it is done);
  // a database it must not use (newer schema, other settings) ends the process.
  const storeRefused = shared ? refusal(shared) : new Promise<string>(() => {});

  const signalled = new Promise<string>((resolve) => {
    for (const sig of ["SIGTERM", "SIGINT"] as const) {
      Deno.addSignalListener(sig, () => resolve("signal"));
    }
  });
  Deno.addSignalListener("SIGHUP", () => {
    logger.info("received SIGHUP; reloading the web configuration");
    guard.reload();
  });

  const why = await Promise.race([signalled, quitRequested, storeRefused]);
  if (why === "signal") logger.info("received SIGINT/SIGTERM; exiting gracefully...");
  else if (why === "web") {
    logger.warn("received termination request via web service, exiting gracefully...");
  } else {
    logger.error(why);
    await server.shutdown();
    guard.close();
    return 1;
  }
  await server.shutdown();
  guard.close();
  trimmer.stop();
  logger.info("HTTP server stopped");
  expiry.stop();
  await store.close();
  return await shutdownStore(persister, logger);
}

/** Resolves with the message when the shared store refuses to run (never otherwise). */
function refusal(store: PostgresStore): Promise<string> {
  return store.run().then(
    () => new Promise<string>(() => {}),
    (err) =>
      err instanceof StoreSetupError ? err.message : `the shared store failed: ${String(err)}`,
  );
}

/** The shared store's settings from the flags and the environment. */
function postgresSettings(config: Config, logger: Logger): PostgresSettings {
  const settings: Record<string, string> = {};
  for (const flag of SHARED_SETTINGS) settings[flag] = config.flagValues[flag] ?? "";
  let envPassword: string | undefined;
  try {
    envPassword = Deno.env.get("PGPASSWORD");
  } catch { /* not allowed to read it: none */ }
  return {
    url: config.postgresUrl,
    passwordFile: config.postgresPasswordFile,
    ...(envPassword !== undefined ? { envPassword } : {}),
    settings,
    checkpointIntervalMs: config.postgresCheckpointIntervalMs,
    logger,
    // No host name: the release runs without --allow-sys. The pid and a random part tell
    // replicas apart in the log's `replica` column.
    replica: `pid${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`,
  };
}

/** `--storage.postgres-import`: loads a persistence file into the empty database; the exit code. */
async function importFile(
  path: string,
  settings: PostgresSettings,
  logger: Logger,
): Promise<number> {
  try {
    await Deno.stat(path);
  } catch (err) {
    logger.error("cannot import", { file: path, err: (err as Error).message });
    return 1;
  }
  let unreadable = false;
  const groups = await loadSnapshot(path, {
    ...logger,
    error: (msg, attrs) => {
      unreadable = true;
      logger.error(msg, attrs);
    },
  }, { own: withOwnFamilies(STORE_OWN_FAMILIES, STORAGE_FAMILIES) });
  if (unreadable) return 1;
  const { importGroups } = await import("@lib/store/postgres/setup.ts");
  try {
    await importGroups(settings, groups);
  } catch (err) {
    logger.error("import into PostgreSQL failed", { err: (err as Error).message });
    return 1;
  }
  logger.info("imported the persistence file into PostgreSQL", {
    file: path,
    groups: groups.length,
  });
  return 0;
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
