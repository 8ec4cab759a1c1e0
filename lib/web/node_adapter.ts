/**
 * Adapts `node:http(s)` requests and responses to the web `Request`/`Response` handler contract,
 * streaming bodies both ways with back-pressure.
 *
 * @module
 */

import type { IncomingMessage, ServerResponse } from "node:http";
import type { Handler, WebLogger } from "@lib/web/types.ts";
import { formatRemoteAddr, internalError, joinHostPort } from "@lib/web/types.ts";

/** Turns a node request into a `Request`; the body streams from the socket. */
export function toRequest(req: IncomingMessage, scheme: string, signal: AbortSignal): Request {
  const headers = new Headers();
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    try {
      headers.append(raw[i] as string, raw[i + 1] as string);
    } catch {
      // A header the fetch API cannot represent is dropped, as Deno.serve would refuse it.
    }
  }
  const target = req.url ?? "/";
  const host = req.headers.host ?? joinHostPort(req.socket.localAddress ?? "localhost", 0);
  const url = /^https?:\/\//i.test(target) ? target : `${scheme}://${host}${target}`;
  const method = req.method ?? "GET";
  const init: RequestInit & { duplex?: "half" } = { method, headers, signal };
  if (method !== "GET" && method !== "HEAD") {
    init.body = new ReadableStream<Uint8Array>({
      start(controller) {
        req.on("data", (chunk: Uint8Array) => {
          controller.enqueue(new Uint8Array(chunk));
          if ((controller.desiredSize ?? 0) <= 0) req.pause();
        });
        req.on("end", () => controller.close());
        req.on("error", (e: Error) => controller.error(e));
        req.on("aborted", () => controller.error(new Error("request aborted")));
      },
      pull() {
        req.resume();
      },
      cancel() {
        req.destroy();
      },
    }, { highWaterMark: 1 });
    init.duplex = "half";
  }
  return new Request(url, init);
}

function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off("drain", done);
      res.off("close", done);
      resolve();
    };
    res.on("drain", done);
    res.on("close", done);
  });
}

/** Writes a `Response` to a node response, streaming its body. */
export async function writeResponse(
  res: ServerResponse,
  response: Response,
  isHead: boolean,
): Promise<void> {
  res.statusCode = response.status;
  if (response.statusText !== "") res.statusMessage = response.statusText;
  for (const [k, v] of response.headers) {
    if (k !== "set-cookie") res.setHeader(k, v);
  }
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) res.setHeader("set-cookie", cookies);
  if (response.body === null || isHead) {
    await response.body?.cancel();
    res.end();
    return;
  }
  const reader = response.body.getReader();
  try {
    while (true) {
      if (res.destroyed) {
        await reader.cancel();
        return;
      }
      const { done, value } = await reader.read();
      if (done) break;
      if (!res.write(value)) await drained(res);
    }
    res.end();
  } catch (e) {
    await reader.cancel().catch(() => {});
    res.destroy(e instanceof Error ? e : new Error(String(e)));
  }
}

/**
 * Makes a node `request` listener out of a {@linkcode Handler}.
 *
 * @param handler The application.
 * @param scheme `"http"` or `"https"` (for the request URL).
 * @param logger Where handler failures are reported.
 * @returns The listener; its promise settles when the response is fully written.
 */
export function nodeListener(
  handler: Handler,
  scheme: string,
  logger: WebLogger,
): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  return async (req, res) => {
    const abort = new AbortController();
    res.on("close", () => {
      if (!res.writableFinished) abort.abort();
    });
    const remoteAddr = formatRemoteAddr(req.socket.remoteAddress ?? "", req.socket.remotePort ?? 0);
    let response: Response;
    try {
      response = await handler(toRequest(req, scheme, abort.signal), { remoteAddr });
    } catch (e) {
      logger.error("HTTP handler failed", { err: e instanceof Error ? e.message : String(e) });
      response = internalError();
    }
    await writeResponse(res, response, req.method === "HEAD");
  };
}
