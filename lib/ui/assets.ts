/**
 * The web UI's static assets, embedded in the program as text imports (so
 * they work offline and inside a `deno compile` binary), served with their
 * content type, a strong `ETag`, `304 Not Modified` on a matching
 * `If-None-Match`, and long-lived caching when the request carries the
 * asset's current `?v=` version.
 *
 * @module
 */

import { eTag, ifNoneMatch } from "@std/http/etag";
import css from "../../ui/app.css" with { type: "text" };
import js from "../../ui/app.js" with { type: "text" };
import favicon from "../../ui/favicon.svg" with { type: "text" };

/** An embedded asset. */
export interface Asset {
  /** The file content. */
  readonly body: string;
  /** The `Content-Type` it is served with. */
  readonly contentType: string;
}

/** An asset ready to serve: with its `ETag` and its cache-busting version. */
export interface ServedAsset extends Asset {
  /** Strong entity tag of the body. */
  readonly etag: string;
  /** A short content hash for `?v=` in asset URLs. */
  readonly version: string;
}

/** The embedded assets by file name (the path under `/static/`, without the leading `/`). */
export const ASSETS: ReadonlyMap<string, Asset> = new Map<string, Asset>([
  ["app.css", { body: css, contentType: "text/css; charset=utf-8" }],
  ["app.js", { body: js, contentType: "text/javascript; charset=utf-8" }],
  ["favicon.svg", { body: favicon, contentType: "image/svg+xml" }],
]);

/** Cache lifetime of a versioned asset URL (the version changes with the content). */
const IMMUTABLE = "public, max-age=31536000, immutable";
/** Cache policy of an unversioned or stale-versioned URL: revalidate with the ETag. */
const REVALIDATE = "no-cache";

let prepared: Promise<ReadonlyMap<string, ServedAsset>> | undefined;

async function prepare(): Promise<ReadonlyMap<string, ServedAsset>> {
  const out = new Map<string, ServedAsset>();
  for (const [name, asset] of ASSETS) {
    const etag = await eTag(asset.body);
    const hash = etag.slice(etag.indexOf("-") + 1).replace(/[^A-Za-z0-9]/g, "");
    out.set(name, { ...asset, etag, version: hash.slice(0, 12) });
  }
  return out;
}

/**
 * The assets with their tags and versions, computed once.
 *
 * @returns The served assets by file name.
 * @example
 * ```ts
 * import { assert } from "@std/assert";
 * const assets = await servedAssets();
 * assert(assets.get("app.css")?.etag);
 * ```
 */
export function servedAssets(): Promise<ReadonlyMap<string, ServedAsset>> {
  prepared ??= prepare();
  return prepared;
}

/**
 * Answers `GET <prefix>/static<filepath>`: 200 with the asset, 304 when
 * `If-None-Match` matches its ETag, 404 for anything unknown.
 *
 * @param req The request (its `If-None-Match` and `?v=` are read).
 * @param filepath The path after `/static`, starting with `/`.
 * @returns The response.
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * const res = await serveAsset(new Request("http://x/static/app.css"), "/app.css");
 * assertEquals(res.headers.get("content-type"), "text/css; charset=utf-8");
 * await res.body?.cancel();
 * ```
 */
export async function serveAsset(req: Request, filepath: string): Promise<Response> {
  const asset = (await servedAssets()).get(filepath.replace(/^\/+/, ""));
  if (!asset) {
    return new Response("404 page not found\n", {
      status: 404,
      headers: {
        "content-type": "text/plain; charset=utf-8",
        "x-content-type-options": "nosniff",
      },
    });
  }
  const v = new URL(req.url).searchParams.get("v");
  const headers = new Headers({
    etag: asset.etag,
    "cache-control": v === asset.version ? IMMUTABLE : REVALIDATE,
    "x-content-type-options": "nosniff",
  });
  if (!ifNoneMatch(req.headers.get("if-none-match"), asset.etag)) {
    return new Response(null, { status: 304, headers });
  }
  headers.set("content-type", asset.contentType);
  return new Response(asset.body, { status: 200, headers });
}
