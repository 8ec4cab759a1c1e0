/**
 * A router that behaves like the one upstream uses (julienschmidt/httprouter
 * inside prometheus/common `route`): `:param` segments, a trailing `*rest`
 * catch-all, 405 with a sorted `Allow` header, automatic OPTIONS, trailing-slash
 * and case-fixing redirects (301 for GET, 307 otherwise), and 404.
 *
 * @module
 */

import { errorResponse } from "@lib/http/errors.ts";

/** Route parameters: `:name` segments and the `*name` catch-all (which keeps its leading `/`). */
export type Params = Readonly<Record<string, string>>;

/** A route handler. `path` is the decoded path the router matched. */
export type RouteHandler = (req: Request, params: Params) => Response | Promise<Response>;

interface Route {
  readonly method: string;
  readonly pattern: string;
  readonly parts: readonly string[];
  readonly catchAll: string | undefined;
  readonly handler: RouteHandler;
}

/** Splits a pattern like `/metrics/job/:job/*labels` into its segments and catch-all name. */
function compile(pattern: string): { parts: string[]; catchAll: string | undefined } {
  const star = pattern.indexOf("/*");
  const head = star >= 0 ? pattern.slice(0, star) : pattern;
  const catchAll = star >= 0 ? pattern.slice(star + 2) : undefined;
  return { parts: head.split("/").slice(1), catchAll };
}

/** Matches `path` against a route; `fold` compares static segments case-insensitively. */
function match(route: Route, path: string, fold: boolean): Record<string, string> | undefined {
  const segs = path.split("/").slice(1);
  const params: Record<string, string> = {};
  const n = route.parts.length;
  if (route.catchAll === undefined ? segs.length !== n : segs.length <= n) return undefined;
  for (let i = 0; i < n; i++) {
    const part = route.parts[i] as string;
    const seg = segs[i] as string;
    if (part.startsWith(":")) {
      if (seg === "") return undefined;
      params[part.slice(1)] = seg;
    } else if (fold ? part.toLowerCase() !== seg.toLowerCase() : part !== seg) {
      return undefined;
    }
  }
  if (route.catchAll !== undefined) params[route.catchAll] = "/" + segs.slice(n).join("/");
  return params;
}

/**
 * httprouter's trailing-slash hint for a path ending in `/` where a parameter
 * segment would start: `/metrics/job/` suggests `/metrics/job` (which then 404s).
 */
function paramSlotAfterSlash(route: Route, path: string): boolean {
  if (!path.endsWith("/")) return false;
  const segs = path.split("/").slice(1);
  const last = segs.length - 1;
  const part = route.parts[last];
  if (part === undefined || !part.startsWith(":")) return false;
  for (let i = 0; i < last; i++) {
    const p = route.parts[i] as string;
    if (!p.startsWith(":") && p !== segs[i]) return false;
    if (p.startsWith(":") && segs[i] === "") return false;
  }
  return true;
}

/**
 * httprouter only suggests the slash-less path where its route tree branches
 * right there: some route continues `prefix` with another character than `/`
 * (`/metrics/job` + `@base64/…`). `/metrics/job@base64/` has no such branch.
 */
function treeSplitsBefore(routes: readonly Route[], prefix: string): boolean {
  return routes.some((r) =>
    r.pattern.startsWith(prefix) && r.pattern.length > prefix.length &&
    r.pattern[prefix.length] !== "/"
  );
}

/** Rebuilds a path from a route's static parts and the request's own parameter segments. */
function fixedPath(route: Route, path: string): string {
  const segs = path.split("/").slice(1);
  const out = segs.map((seg, i) => {
    const part = route.parts[i];
    return part === undefined || part.startsWith(":") ? seg : part;
  });
  return "/" + out.join("/");
}

/** Go's `http.Redirect`: Location header, and a tiny HTML body for GET. */
export function redirect(req: Request, location: string, status: number): Response {
  const headers = new Headers({ location });
  if (req.method === "GET" || req.method === "HEAD") {
    headers.set("content-type", "text/html; charset=utf-8");
    const text = status === 301 ? "Moved Permanently" : "Temporary Redirect";
    return new Response(`<a href="${location}">${text}</a>.\n\n`, { status, headers });
  }
  return new Response(null, { status, headers });
}

/** Encodes a decoded path for a Location header the way Go's `url.URL.String` does. */
export function encodePath(path: string): string {
  return encodeURI(path).replace(/[?#]/g, encodeURIComponent);
}

/** The router. Register routes, then call {@linkcode Router.handle}. */
export class Router {
  readonly #routes: Route[] = [];

  /** Registers `handler` for `method` and `pattern` (`/a/:param/*rest`). */
  on(method: string, pattern: string, handler: RouteHandler): this {
    this.#routes.push({ method, pattern, ...compile(pattern), handler });
    return this;
  }

  /** Methods (other than `except` and OPTIONS) that have a route for `path`, sorted, plus OPTIONS. */
  #allowed(path: string, except: string): string {
    const methods = new Set<string>();
    for (const r of this.#routes) {
      if (r.method === except || r.method === "OPTIONS") continue;
      if (match(r, path, false)) methods.add(r.method);
    }
    if (methods.size === 0) return "";
    methods.add("OPTIONS");
    return [...methods].sort().join(", ");
  }

  /** Routes a request with the (decoded) `path`; `query` is kept on redirects. */
  async handle(req: Request, path: string, query: string): Promise<Response> {
    const method = req.method;
    const routes = this.#routes.filter((r) => r.method === method);
    for (const r of routes) {
      const params = match(r, path, false);
      if (params) return await r.handler(req, params);
    }
    if (routes.length > 0 && method !== "CONNECT" && path !== "/") {
      const code = method === "GET" ? 301 : 307;
      const other = path.length > 1 && path.endsWith("/") ? path.slice(0, -1) : path + "/";
      const tsr = routes.some((r) => match(r, other, false)) ||
        (path.endsWith("/") && routes.some((r) => paramSlotAfterSlash(r, path)) &&
          treeSplitsBefore(routes, path.slice(0, -1)));
      if (tsr) {
        return redirect(req, encodePath(other) + query, code);
      }
      for (const r of routes) {
        if (match(r, path, true)) {
          return redirect(req, encodePath(fixedPath(r, path)) + query, code);
        }
      }
      for (const r of routes) {
        if (match(r, other, true)) {
          return redirect(req, encodePath(fixedPath(r, other)) + query, code);
        }
      }
    }
    if (method === "OPTIONS") {
      const allow = this.#allowed(path, "OPTIONS");
      if (allow) return new Response(null, { status: 200, headers: { allow } });
    } else {
      const allow = this.#allowed(path, method);
      if (allow) {
        const res = errorResponse(405, "Method Not Allowed");
        res.headers.set("allow", allow);
        return res;
      }
    }
    return errorResponse(404, "404 page not found");
  }
}

/**
 * Go's ServeMux path cleaning: `path.Clean`, keeping a trailing slash. A
 * request whose path changes is answered with a 301 for every method.
 */
export function cleanPath(p: string): string {
  if (p === "") return "/";
  if (!p.startsWith("/")) p = "/" + p;
  const out: string[] = [];
  for (const seg of p.split("/")) {
    if (seg === "" || seg === ".") continue;
    if (seg === "..") out.pop();
    else out.push(seg);
  }
  let np = "/" + out.join("/");
  if (p.endsWith("/") && np !== "/") np += "/";
  return np;
}
