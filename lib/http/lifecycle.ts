/**
 * `/-/healthy`, `/-/ready` and `/-/quit`.
 *
 * @module
 */

import type { AppContext } from "@lib/http/context.ts";

const TEXT = { "content-type": "text/plain; charset=utf-8" };

/** `GET /-/healthy` and `/-/ready` (identical upstream): 200 `OK`. */
export function okHandler(ctx: AppContext, handler: "healthy" | "ready") {
  return (req: Request): Response => {
    ctx.self.countRequest(handler, req.method, 200);
    return new Response("OK", { status: 200, headers: TEXT });
  };
}

/** `PUT`/`POST /-/quit`: answers, then asks the process to shut down gracefully. */
export function quitHandler(ctx: AppContext) {
  return (): Response => {
    if (!ctx.config.enableLifecycle) {
      return new Response("Lifecycle API is not enabled.", { status: 403, headers: TEXT });
    }
    ctx.requestQuit();
    return new Response("Requesting termination... Goodbye!", { status: 200, headers: TEXT });
  };
}

/** `GET /-/quit` at the bare root (an upstream quirk, present even under a route prefix). */
export function quitGetHandler(): Response {
  return new Response("Only POST or PUT requests allowed.", { status: 405, headers: TEXT });
}
