/**
 * `PUT`/`POST`/`DELETE <prefix>/metrics/job[@base64]/<job>{/<label>/<value>}`:
 * parse the grouping key and the body, submit the write, answer with
 * upstream's status. Failures are thrown and answered by the one error path.
 *
 * @module
 */

import { parsePushBody } from "@lib/expfmt/push_body.ts";
import type { MetricFamily } from "@lib/model/metric.ts";
import type { GroupingLabels } from "@lib/store/types.ts";
import type { PushResult } from "@lib/store/store.ts";
import { readRequestBody } from "@lib/http/body.ts";
import { type AppContext, remoteAddr } from "@lib/http/context.ts";
import { errorResponse } from "@lib/http/errors.ts";
import { parseGroupingKey } from "@lib/http/grouping_path.ts";
import type { Params } from "@lib/http/router.ts";

/** Upstream's prefix of a store rejection's response body. */
export const INCONSISTENT_PREFIX =
  "pushed metrics are invalid or inconsistent with existing metrics: ";

/**
 * Parses a push body: protobuf-delimited or OpenMetrics when the Content-Type
 * says so, text 0.0.4 otherwise, and OpenMetrics after all for a body the text
 * parser refuses whose last line is `# EOF` (`parsePushBody`).
 */
function parseBody(ctx: AppContext, contentType: string | null, body: Uint8Array): MetricFamily[] {
  // Families of the same name in one push are left to the store (the later one wins).
  const scheme = ctx.config.enableUtf8Names ? "utf8" : "legacy";
  return parsePushBody(contentType, body, { scheme }).families;
}

/** The grouping labels of a push or delete URL (throws a 400 `HttpError` with upstream's text). */
function groupingLabels(ctx: AppContext, params: Params, jobIsBase64: boolean): GroupingLabels {
  return parseGroupingKey(params.job ?? "", jobIsBase64, params.labels ?? "", {
    utf8Names: ctx.config.enableUtf8Names,
  });
}

/** Logs a refused push like upstream's handler (and, here, a failure time that was not recorded). */
function logRefusal(ctx: AppContext, req: Request, result: PushResult): void {
  if (result.ok) return;
  ctx.logger.error("pushed metrics are invalid or inconsistent with existing metrics", {
    method: req.method,
    source: remoteAddr(req),
    err: result.error,
  });
  if (result.failureNotRecorded) {
    ctx.logger.warn("push failure time not recorded: creating the group would collide", {
      err: result.failureNotRecorded,
    });
  }
}

/**
 * The push handler (`replace` true for PUT): 200 once the store accepted the
 * push, 400 with upstream's text when it refused it; with
 * `--push.disable-consistency-check`, 202 whatever the check found, as
 * upstream answers without waiting for its check (here the write is still
 * applied, or durably logged, before the answer, so a 202 is never lost).
 */
export function pushHandler(ctx: AppContext, replace: boolean, jobIsBase64: boolean) {
  return async (req: Request, params: Params): Promise<Response> => {
    const labels = groupingLabels(ctx, params, jobIsBase64);
    const body = await readRequestBody(req, { maxBytes: ctx.config.maxBodyBytes });
    const families = parseBody(ctx, req.headers.get("content-type"), body);
    const result = await ctx.store.submit({
      kind: "push",
      labels,
      families,
      replace,
      timeMs: ctx.now(),
    });
    logRefusal(ctx, req, result);
    if (ctx.config.disableConsistencyCheck) return new Response(null, { status: 202 });
    if (!result.ok) return errorResponse(400, INCONSISTENT_PREFIX + result.error);
    return new Response(null, { status: 200 });
  };
}

/** The delete handler: removes exactly this grouping key, 202 once the write is applied. */
export function deleteHandler(ctx: AppContext, jobIsBase64: boolean) {
  return async (_req: Request, params: Params): Promise<Response> => {
    const labels = groupingLabels(ctx, params, jobIsBase64);
    await ctx.store.submit({ kind: "delete", labels });
    return new Response(null, { status: 202 });
  };
}
