/**
 * The one error path of the HTTP application: handlers throw, and
 * {@linkcode errorToResponse} turns what they threw into a response —
 * {@linkcode HttpError} with its status, the domain errors of the layers below
 * with theirs, anything else as a logged 500.
 *
 * @module
 */

import type { Logger } from "@lib/log.ts";
import { ParseError } from "@lib/model/parse_error.ts";
import { StoreUnavailableError } from "@lib/store/store.ts";

/** Options of {@linkcode HttpError}: the cause, and headers to add to the response. */
export interface HttpErrorOptions extends ErrorOptions {
  /** Extra response headers, e.g. `Retry-After`. */
  readonly headers?: Readonly<Record<string, string>>;
}

/** An error that becomes an HTTP response with `status` and `message` as a plain-text body. */
export class HttpError extends Error {
  /** The HTTP status code to answer with. */
  readonly status: number;
  /** Extra response headers. */
  readonly headers: Readonly<Record<string, string>>;

  /** Creates an error answered as `status` with body `message` + "\n". */
  constructor(status: number, message: string, options?: HttpErrorOptions) {
    super(message, options);
    this.name = "HttpError";
    this.status = status;
    this.headers = options?.headers ?? {};
  }
}

/**
 * A plain-text error response the way Go's `http.Error` writes it: the message
 * plus a newline, `text/plain; charset=utf-8` and `X-Content-Type-Options: nosniff`.
 */
export function errorResponse(status: number, message: string): Response {
  return new Response(message + "\n", {
    status,
    headers: {
      "content-type": "text/plain; charset=utf-8",
      "x-content-type-options": "nosniff",
    },
  });
}

/** Converts an {@linkcode HttpError} into its response. */
export function httpErrorResponse(err: HttpError): Response {
  const res = errorResponse(err.status, err.message);
  for (const [name, value] of Object.entries(err.headers)) res.headers.set(name, value);
  return res;
}

/** What the error path needs to know about the request (for its log lines). */
export interface ErrorContext {
  readonly logger: Logger;
  /** The request's method and path, for the log. */
  readonly request: Request;
  /** The client address, `host:port`, for the log. */
  readonly source: string;
}

/** How long a client should wait before retrying a write the store could not take. */
const UNAVAILABLE_RETRY_AFTER_SECONDS = "5";

/**
 * Turns anything a handler threw into its response:
 * - {@linkcode HttpError}: its status and message;
 * - {@linkcode ParseError} (a push body that does not parse): 400 with the
 *   parser's message, logged at debug level like upstream's `failed to parse text`;
 * - {@linkcode StoreUnavailableError}: 503 with its message and `Retry-After`;
 * - anything else: 500, logged at error level.
 */
export function errorToResponse(err: unknown, ctx: ErrorContext): Response {
  if (err instanceof HttpError) return httpErrorResponse(err);
  if (err instanceof ParseError) {
    ctx.logger.debug("failed to parse text", { source: ctx.source, err: err.message });
    return errorResponse(400, err.message);
  }
  if (err instanceof StoreUnavailableError) {
    ctx.logger.warn("write refused: store unavailable", { err: err.message });
    return httpErrorResponse(
      new HttpError(503, err.message, {
        headers: { "retry-after": UNAVAILABLE_RETRY_AFTER_SECONDS },
      }),
    );
  }
  ctx.logger.error("internal error", {
    err: String(err),
    path: new URL(ctx.request.url).pathname,
  });
  return errorResponse(500, "Internal Server Error");
}
