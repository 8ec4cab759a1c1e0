/**
 * Request instrumentation, applied where routes are registered (upstream's
 * `InstrumentWithCounter`, `InstrumentHandlerDuration` and
 * `InstrumentHandlerRequestSize`): handlers only answer.
 *
 * @module
 */

import { type AppContext, remoteAddr } from "@lib/http/context.ts";
import { errorToResponse } from "@lib/http/errors.ts";
import type { Params, RouteHandler } from "@lib/http/router.ts";

/**
 * Runs a handler and turns anything it throws into a response through the
 * one error path ({@linkcode errorToResponse}).
 */
export async function respond(
  ctx: Pick<AppContext, "logger">,
  req: Request,
  run: () => Response | Promise<Response>,
): Promise<Response> {
  try {
    return await run();
  } catch (err) {
    return errorToResponse(err, { logger: ctx.logger, request: req, source: remoteAddr(req) });
  }
}

/**
 * Wraps a route handler so that its requests are counted in
 * `pushgateway_http_requests_total{handler, code, method}`, errors included.
 */
export function counted(
  ctx: Pick<AppContext, "logger" | "self">,
  handler: string,
  route: RouteHandler,
): RouteHandler {
  return async (req: Request, params: Params): Promise<Response> => {
    const res = await respond(ctx, req, () => route(req, params));
    ctx.self.countRequest(handler, req.method, res.status);
    return res;
  };
}

/** client_golang's approximate request size: URI, method, protocol, headers (not Host), host, body length. */
export function approximateRequestSize(req: Request): number {
  const url = new URL(req.url);
  let size = url.pathname.length + url.search.length + req.method.length + "HTTP/1.1".length;
  for (const [name, value] of req.headers) {
    if (name === "host") continue;
    size += name.length + value.length;
  }
  size += url.host.length;
  const length = req.headers.get("content-length");
  if (length !== null) size += Number(length) || 0;
  return size;
}

/**
 * Wraps the push handler so that each push's duration and approximate size
 * are observed in `pushgateway_http_push_duration_seconds` and
 * `pushgateway_http_push_size_bytes` (by method).
 */
export function observedPush(
  ctx: Pick<AppContext, "self">,
  route: RouteHandler,
): RouteHandler {
  return async (req: Request, params: Params): Promise<Response> => {
    const started = performance.now();
    const res = await route(req, params);
    ctx.self.observePush(
      req.method,
      (performance.now() - started) / 1000,
      approximateRequestSize(req),
    );
    return res;
  };
}
