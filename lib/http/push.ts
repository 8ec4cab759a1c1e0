/**
 * `PUT`/`POST`/`DELETE <prefix>/metrics/job[@base64]/<job>{/<label>/<value>}`.
 *
 * @module
 */

import { decodeDelimited } from "@lib/protobuf/decode.ts";
import { isProtobufDelimited } from "@lib/expfmt/media_type.ts";
import { ParseError } from "@lib/model/parse_error.ts";
import { parseText } from "@lib/expfmt/text_parse.ts";
import type { MetricFamily } from "@lib/model/metric.ts";
import { parseGroupingKey } from "@lib/model/grouping_key.ts";
import { readRequestBody } from "@lib/http/body.ts";
import { errorResponse, HttpError, httpErrorResponse } from "@lib/http/errors.ts";
import { type AppContext, remoteAddr } from "@lib/http/context.ts";
import type { Params } from "@lib/http/router.ts";

/** Upstream's prefix of a store rejection's response body. */
export const INCONSISTENT_PREFIX =
  "pushed metrics are invalid or inconsistent with existing metrics: ";

/** Parses a push body: protobuf-delimited when the Content-Type says so, text 0.0.4 otherwise. */
function parseBody(ctx: AppContext, contentType: string | null, body: Uint8Array): MetricFamily[] {
  // Families of the same name in one push are left to the store (the later one wins).
  if (isProtobufDelimited(contentType)) return decodeDelimited(body);
  return parseText(body, { scheme: ctx.config.enableUtf8Names ? "utf8" : "legacy" });
}

/** client_golang's approximate request size: URI, method, protocol, headers (not Host), host, body length. */
function approximateRequestSize(req: Request): number {
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

/** The push handler (`replace` true for PUT). */
export function pushHandler(ctx: AppContext, replace: boolean, jobIsBase64: boolean) {
  return async (req: Request, params: Params): Promise<Response> => {
    const started = performance.now();
    const res = await push(ctx, req, params, replace, jobIsBase64);
    ctx.self.countRequest("push", req.method, res.status);
    ctx.self.observePush(
      req.method,
      (performance.now() - started) / 1000,
      approximateRequestSize(req),
    );
    return res;
  };
}

async function push(
  ctx: AppContext,
  req: Request,
  params: Params,
  replace: boolean,
  jobIsBase64: boolean,
): Promise<Response> {
  let families: MetricFamily[];
  let labels: Record<string, string>;
  try {
    labels = parseGroupingKey(params.job ?? "", jobIsBase64, params.labels ?? "", {
      utf8Names: ctx.config.enableUtf8Names,
    });
    const body = await readRequestBody(req, { maxBytes: ctx.config.maxBodyBytes });
    families = parseBody(ctx, req.headers.get("content-type"), body);
  } catch (err) {
    if (err instanceof HttpError) return httpErrorResponse(err);
    if (err instanceof ParseError) {
      ctx.logger.debug("failed to parse text", { source: remoteAddr(req), err: err.message });
      return errorResponse(400, err.message);
    }
    throw err;
  }
  const result = ctx.store.push({ labels, families, replace, timeMs: ctx.now() });
  ctx.onWrite();
  if (!result.ok) {
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
  if (ctx.config.disableConsistencyCheck) return new Response(null, { status: 202 });
  if (!result.ok) return errorResponse(400, INCONSISTENT_PREFIX + result.error);
  return new Response(null, { status: 200 });
}

/** The delete handler: removes exactly this grouping key, always 202 once the URL is valid. */
export function deleteHandler(ctx: AppContext, jobIsBase64: boolean) {
  return (req: Request, params: Params): Response => {
    let labels: Record<string, string>;
    try {
      labels = parseGroupingKey(params.job ?? "", jobIsBase64, params.labels ?? "", {
        utf8Names: ctx.config.enableUtf8Names,
      });
    } catch (err) {
      if (!(err instanceof HttpError)) throw err;
      ctx.self.countRequest("delete", req.method, err.status);
      return httpErrorResponse(err);
    }
    ctx.store.delete(labels);
    ctx.onWrite();
    ctx.self.countRequest("delete", req.method, 202);
    return new Response(null, { status: 202 });
  };
}
