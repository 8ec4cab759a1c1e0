/**
 * `/-/healthy`, `/-/ready` and `/-/quit`.
 *
 * @module
 */

import type { AppContext } from "@lib/http/context.ts";
import { HttpError } from "@lib/http/errors.ts";

const TEXT = { "content-type": "text/plain; charset=utf-8" };

/** `GET /-/healthy` and `/-/ready`: 200 `OK` when the store says so, else 500 with its reason (upstream). */
export function probeHandler(ctx: AppContext, probe: "healthy" | "ready") {
  return (): Response => {
    const problem = probe === "healthy" ? ctx.store.healthy() : ctx.store.ready();
    if (problem !== undefined) throw new HttpError(500, problem);
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
