/**
 * The request helper of the HTTP tests: one request to the application
 * in-process (no socket) or to a running server, the answer read at once.
 *
 * @module
 */

import type { AppHandler } from "@lib/http/app.ts";

/** Where a request goes: the application itself, or a server's base URL (or an object with one). */
export type Target = AppHandler | string | { readonly url: string };

/** An answer with its body read as text. */
export interface Reply {
  /** The HTTP status. */
  readonly status: number;
  /** The body, decoded as UTF-8. */
  readonly text: string;
  /** The response headers. */
  readonly headers: Headers;
}

/** The base URL of in-process requests (the application never looks at the host). */
const IN_PROCESS_BASE = "http://127.0.0.1:9091";

/**
 * Sends `method path` with an optional body and headers, never following a
 * redirect, and reads the answer. A server gets it through `fetch`, which
 * sends the path as written (`//` kept; `.` and `..` segments resolved).
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { createApp } from "@lib/http/app.ts";
 * import { testAppContext } from "@lib/http/test_context.ts";
 * const app = createApp(testAppContext());
 * assertEquals((await request(app, "PUT", "/metrics/job/j", "m 1\n")).status, 200);
 * const healthy = await request(app, "GET", "/-/healthy");
 * assertEquals([healthy.status, healthy.text], [200, "OK"]);
 * ```
 */
export async function request(
  target: Target,
  method: string,
  path: string,
  body?: BodyInit,
  headers: HeadersInit = {},
): Promise<Reply> {
  const init: RequestInit = { method, body, headers, redirect: "manual" };
  const res = typeof target === "function"
    ? await target(new Request(IN_PROCESS_BASE + path, init))
    : await fetch((typeof target === "string" ? target : target.url) + path, init);
  return { status: res.status, text: await res.text(), headers: res.headers };
}

/**
 * Sends `PUT path` with `body` and fails unless the answer is a 200 (its
 * body goes into the message).
 *
 * @example
 * ```ts
 * import { createApp } from "@lib/http/app.ts";
 * import { testAppContext } from "@lib/http/test_context.ts";
 * await putOk(createApp(testAppContext()), "/metrics/job/j", "m 1\n");
 * ```
 */
export async function putOk(target: Target, path: string, body: BodyInit = ""): Promise<void> {
  const reply = await request(target, "PUT", path, body);
  if (reply.status !== 200) {
    throw new Error(`PUT ${path}: expected 200, got ${reply.status} ${JSON.stringify(reply.text)}`);
  }
}

/**
 * The sample lines of a text exposition that belong to metric `name` (no
 * `# HELP` or `# TYPE` lines).
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * assertEquals(sampleLines('# TYPE m gauge\nm{a="1"} 2\nmm 3\nm 4\n', "m"), ['m{a="1"} 2', "m 4"]);
 * ```
 */
export function sampleLines(text: string, name: string): string[] {
  return text.split("\n").filter((l) => l.startsWith(name + "{") || l.startsWith(name + " "));
}
