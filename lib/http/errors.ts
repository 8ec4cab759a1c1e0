/**
 * One error type for every client-visible failure, turned into a response in
 * one place.
 *
 * @module
 */

/** An error that becomes an HTTP response with `status` and `message` as a plain-text body. */
export class HttpError extends Error {
  /** The HTTP status code to answer with. */
  readonly status: number;

  /** Creates an error answered as `status` with body `message` + "\n". */
  constructor(status: number, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "HttpError";
    this.status = status;
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
  return errorResponse(err.status, err.message);
}
