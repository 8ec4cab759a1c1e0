/**
 * The HTTP application: `createApp(ctx)` returns a `(Request) => Promise<Response>`
 * that routes like upstream (Go's ServeMux path cleaning, the API subtree,
 * then the httprouter-style router), so tests can call it without a socket.
 *
 * @module
 */

import { apiRouter } from "@lib/http/api_v1.ts";
import { BodyBudget } from "@lib/http/body_budget.ts";
import { type AppContext, setRemoteAddr } from "@lib/http/context.ts";
import { HttpError } from "@lib/http/errors.ts";
import { counted, observedPush, respond } from "@lib/http/instrument.ts";
import { probeHandler, quitGetHandler, quitHandler } from "@lib/http/lifecycle.ts";
import { metricsHandler } from "@lib/http/metrics.ts";
import { deleteHandler, pushHandler } from "@lib/http/push.ts";
import { cleanPath, encodePath, redirect, type RouteHandler, Router } from "@lib/http/router.ts";
import { goPathUnescape, UrlEscapeError } from "@lib/gocompat/go_url.ts";
import { keepAlive } from "@lib/heap_trim.ts";

/** Connection facts the server passes along with a request. */
export interface RequestInfo {
  /** Client address as `host:port`. */
  readonly remoteAddr: string;
}

/** The application handler. */
export type AppHandler = (req: Request, info?: RequestInfo) => Promise<Response>;

/** Optional UI routes (`/`, `/status`, `/static/*filepath`), added by the web UI module. */
export interface UiRoutes {
  readonly page: RouteHandler;
  readonly static: RouteHandler;
}

/** Percent-decodes a URL path like Go's `url.PathUnescape` (bytes, then UTF-8). */
export function decodePath(raw: string): string {
  try {
    return goPathUnescape(raw);
  } catch (err) {
    if (err instanceof UrlEscapeError) throw new HttpError(400, "400 Bad Request", { cause: err });
    throw err;
  }
}

/**
 * The path exactly as the client sent it: `URL` would already have resolved
 * `.` and `..` segments, which Go's ServeMux answers with a 301 instead.
 */
export function rawRequestPath(reqUrl: string): string {
  const start = reqUrl.indexOf("/", reqUrl.indexOf("://") + 3);
  if (start < 0) return "/";
  let end = reqUrl.length;
  for (const c of ["?", "#"]) {
    const i = reqUrl.indexOf(c, start);
    if (i >= 0 && i < end) end = i;
  }
  return reqUrl.slice(start, end);
}

/** Joins the route prefix and a path like Go's `path.Join`. */
function joinPath(prefix: string, path: string): string {
  return cleanPath(prefix + "/" + path);
}

/**
 * Builds the application for `ctx`. Every route is registered here, wrapped
 * in its instrumentation: requests counted by upstream's handler label, and
 * push durations and sizes observed.
 */
export function createApp(ctx: AppContext, ui?: UiRoutes): AppHandler {
  const p = ctx.config.routePrefix;
  const budget = new BodyBudget(ctx.config.maxConcurrentBodyBytes);
  const router = new Router()
    .on("GET", p + "/-/healthy", counted(ctx, "healthy", probeHandler(ctx, "healthy")))
    .on("GET", p + "/-/ready", counted(ctx, "ready", probeHandler(ctx, "ready")))
    .on(
      "GET",
      joinPath(p, ctx.config.telemetryPath),
      metricsHandler(ctx, ctx.config.ownMetricsApart ? "pushed" : "all"),
    )
    .on("GET", p + "/-/metrics", metricsHandler(ctx, "own"));
  for (const suffix of ["", "@base64"]) {
    const b64 = suffix !== "";
    const base = `${p}/metrics/job${suffix}/:job`;
    const put = observedPush(ctx, counted(ctx, "push", pushHandler(ctx, true, b64, budget)));
    const post = observedPush(ctx, counted(ctx, "push", pushHandler(ctx, false, b64, budget)));
    const del = counted(ctx, "delete", deleteHandler(ctx, b64));
    for (const pattern of [base + "/*labels", base]) {
      router.on("PUT", pattern, put).on("POST", pattern, post).on("DELETE", pattern, del);
    }
  }
  if (ui) {
    router.on("GET", p + "/static/*filepath", counted(ctx, "static", ui.static));
    router.on("GET", p + "/status", counted(ctx, "status", ui.page));
    router.on("GET", p + "/", counted(ctx, "status", ui.page));
  }
  router.on("PUT", p + "/-/quit", quitHandler(ctx));
  router.on("POST", p + "/-/quit", quitHandler(ctx));
  router.on("GET", "/-/quit", quitGetHandler);
  const api = apiRouter(ctx);
  const apiPath = p + "/api/v1";

  return async (req: Request, info?: RequestInfo): Promise<Response> => {
    if (info) setRemoteAddr(req, info.remoteAddr);
    return await respond(ctx, req, () => {
      const url = new URL(req.url);
      keepAlive("url", url); // lib/heap_trim.ts: a compaction keeps the code that reads URLs
      const path = decodePath(rawRequestPath(req.url));
      const clean = cleanPath(path);
      if (clean !== path && req.method !== "CONNECT") {
        return redirect(req, encodePath(clean) + url.search, 301);
      }
      if (path === apiPath) return redirect(req, encodePath(apiPath + "/") + url.search, 301);
      if (path.startsWith(apiPath + "/")) {
        return api.handle(req, path.slice(apiPath.length), url.search);
      }
      return router.handle(req, path, url.search);
    });
  };
}
