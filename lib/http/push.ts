/**
 * `PUT`/`POST`/`DELETE <prefix>/metrics/job[@base64]/<job>{/<label>/<value>}`:
 * parse the grouping key and the body, submit the write, answer with
 * upstream's status. Failures are thrown and answered by the one error path.
 *
 * @module
 */

import { parsePushBody } from "@lib/expfmt/push_body.ts";
import { keepAlive } from "@lib/heap_trim.ts";
import { DurationError, durationToMs, parseGoDuration } from "@lib/gocompat/duration.ts";
import type { MetricFamily } from "@lib/model/metric.ts";
import { PushLimitError, type PushLimits } from "@lib/model/push_limits.ts";
import type { GroupingLabels } from "@lib/store/types.ts";
import type { PushResult } from "@lib/store/store.ts";
import { readRequestBody } from "@lib/http/body.ts";
import type { BodyBudget } from "@lib/http/body_budget.ts";
import { type AppConfig, type AppContext, remoteAddr } from "@lib/http/context.ts";
import { errorResponse, HttpError } from "@lib/http/errors.ts";
import { parseGroupingKey } from "@lib/http/grouping_path.ts";
import type { Params } from "@lib/http/router.ts";

/** Upstream's prefix of a store rejection's response body. */
export const INCONSISTENT_PREFIX =
  "pushed metrics are invalid or inconsistent with existing metrics: ";

/** The request header that sets a pushed group's time to live. */
export const TTL_HEADER = "Pushgateway-TTL";

/**
 * Labels and values (label pairs, buckets, quantiles, …) a push may hold per
 * series it may hold: with `--push.max-series-per-push` this bounds what one
 * series can carry, so the parsed form of a push stays bounded.
 */
export const VALUES_PER_SERIES = 16;

/** The parse limits of one push for this configuration (none when the series limit is 0). */
export function pushLimitsOf(
  config: Pick<AppConfig, "maxSeriesPerPush">,
): PushLimits | undefined {
  const maxSeries = config.maxSeriesPerPush;
  if (maxSeries <= 0) return undefined;
  return { maxSeries, maxValues: maxSeries * VALUES_PER_SERIES };
}

/** The 413 message for a push past its limits: the limit and the flag that sets it. */
function limitMessage(err: PushLimitError, config: Pick<AppConfig, "maxSeriesPerPush">): string {
  const flag = `--push.max-series-per-push=${config.maxSeriesPerPush}`;
  if (err.kind === "series") {
    return `too many series in one push: more than ${err.limit} (${flag})`;
  }
  return `too many labels and values in one push: more than ${err.limit} ` +
    `(${VALUES_PER_SERIES} per series allowed by ${flag})`;
}

/**
 * Parses a push body: protobuf-delimited or OpenMetrics when the Content-Type
 * says so, text 0.0.4 otherwise, and OpenMetrics after all for a body the text
 * parser refuses whose last line is `# EOF` (`parsePushBody`); stopping at the
 * push limits (`PushLimitError`) and, with the consistency check on, after the
 * first repeated series of a text body.
 */
function parseBody(
  ctx: AppContext,
  contentType: string | null,
  body: Uint8Array,
  limits: PushLimits | undefined,
): MetricFamily[] {
  // Families of the same name in one push are left to the store (the later one wins).
  return parsePushBody(contentType, body, {
    scheme: ctx.config.enableUtf8Names ? "utf8" : "legacy",
    ...(limits === undefined ? {} : { limits }),
    stopAtDuplicate: !ctx.config.disableConsistencyCheck,
  }).families;
}

/**
 * The `Pushgateway-TTL` header in milliseconds (`undefined` when absent), in
 * the flags' duration syntax (`90s`, `1h30m`, `1d`, `0` = never); a 400
 * `HttpError` when it does not parse or is negative.
 */
export function ttlFromHeader(headers: Headers): number | undefined {
  const text = headers.get(TTL_HEADER);
  if (text === null) return undefined;
  let ms: number;
  try {
    ms = durationToMs(parseGoDuration(text, "str2duration"));
  } catch (err) {
    if (!(err instanceof DurationError)) throw err;
    throw new HttpError(
      400,
      `invalid ${TTL_HEADER} header ${JSON.stringify(text)}: ${err.message}`,
    );
  }
  if (ms < 0) {
    throw new HttpError(
      400,
      `invalid ${TTL_HEADER} header ${JSON.stringify(text)}: negative duration`,
    );
  }
  return ms;
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
  const attrs = { method: req.method, source: remoteAddr(req), err: result.error };
  if (result.cause === "inconsistent") {
    ctx.logger.error("pushed metrics are invalid or inconsistent with existing metrics", attrs);
  } else {
    ctx.logger.warn("push refused: over a limit", attrs);
  }
  if (result.failureNotRecorded) {
    ctx.logger.warn("push failure time not recorded", { err: result.failureNotRecorded });
  }
}

/**
 * The push handler (`replace` true for PUT): 200 once the store accepted the
 * push, 400 with upstream's text when its consistency check refused it; with
 * `--push.disable-consistency-check`, 202 whatever the check found, as
 * upstream answers without waiting for its check (here the write is still
 * applied, or durably logged, before the answer, so a 202 is never lost).
 * Ours: 400 for a bad `Pushgateway-TTL` header (nothing changes), 503 with
 * `Retry-After` when the body does not fit in `budget`, 413 for a push past
 * `--push.max-series-per-push` and 507 for one past `--storage.max-series`
 * (both record the group's failure time, whatever the consistency check).
 */
export function pushHandler(
  ctx: AppContext,
  replace: boolean,
  jobIsBase64: boolean,
  budget: BodyBudget,
) {
  const limits = pushLimitsOf(ctx.config);
  return async (req: Request, params: Params): Promise<Response> => {
    const labels = groupingLabels(ctx, params, jobIsBase64);
    const ttlMs = ttlFromHeader(req.headers);
    const lease = budget.lease();
    try {
      const body = await readRequestBody(req, { maxBytes: ctx.config.maxBodyBytes, lease });
      let families: MetricFamily[] = [];
      let refused: string | undefined;
      try {
        families = parseBody(ctx, req.headers.get("content-type"), body, limits);
      } catch (err) {
        if (!(err instanceof PushLimitError)) throw err;
        refused = limitMessage(err, ctx.config);
      }
      const result = await ctx.store.submit({
        kind: "push",
        labels,
        families,
        replace,
        timeMs: ctx.now(),
        ...(ttlMs === undefined ? {} : { ttlMs }),
        ...(refused === undefined ? {} : { refused }),
      });
      logRefusal(ctx, req, result);
      // Kept alive on purpose (lib/heap_trim.ts: a compaction keeps the push path's code).
      if (body.length <= KEPT_PUSH_MAX_BYTES) {
        keepAlive("push", [req, body, families, labels, result, lease]);
      }
      if (!result.ok && result.cause === "refused") return errorResponse(413, result.error);
      if (!result.ok && result.cause === "max-series") return errorResponse(507, result.error);
      if (ctx.config.disableConsistencyCheck) return new Response(null, { status: 202 });
      if (!result.ok) return errorResponse(400, INCONSISTENT_PREFIX + result.error);
      return new Response(null, { status: 200 });
    } finally {
      lease.release();
    }
  };
}

/** Pushes with bodies up to this size are kept alive (`keepAlive`): bounded memory. */
const KEPT_PUSH_MAX_BYTES = 64 * 1024;

/** The delete handler: removes exactly this grouping key, 202 once the write is applied. */
export function deleteHandler(ctx: AppContext, jobIsBase64: boolean) {
  return async (_req: Request, params: Params): Promise<Response> => {
    const labels = groupingLabels(ctx, params, jobIsBase64);
    await ctx.store.submit({ kind: "delete", labels });
    return new Response(null, { status: 202 });
  };
}
