/**
 * The web UI routes: `GET <prefix>/` (Metrics page), `GET <prefix>/status`
 * (Status page) and `GET <prefix>/static/*filepath` (embedded assets);
 * {@linkcode createApp} counts them under upstream's handler labels `status`
 * and `static`.
 *
 * The Metrics page is rendered on the server for the visible page only
 * (`?page=N`, {@linkcode PAGE_SIZE} groups each) after the optional filter
 * (`?q=`), so it stays fast with many thousands of groups. Pages carry a
 * Content-Security-Policy that allows only the gateway's own scripts and
 * styles.
 *
 * @module
 */

import type { UiRoutes } from "@lib/http/app.ts";
import type { AppContext } from "@lib/http/context.ts";
import { serveAsset, servedAssets } from "@lib/ui/assets.ts";
import { filterGroups, PAGE_SIZE, paginate, parsePageNumber } from "@lib/ui/paging.ts";
import { type LayoutView, renderMetricsPage, renderStatusPage } from "@lib/ui/render.ts";
import { buildInformation } from "@lib/version.ts";

/** The Content-Security-Policy of the UI pages: nothing inline, nothing from elsewhere. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'self'",
].join("; ");

/**
 * The prefix of the UI's links and asset URLs: the external URL's path
 * prefix, or `.` when it is empty (relative links, so a reverse proxy may
 * strip a prefix), exactly as upstream.
 *
 * @param externalPathPrefix The computed path prefix of `--web.external-url`.
 * @returns The link prefix.
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * assertEquals(linkPrefix(""), ".");
 * assertEquals(linkPrefix("/pg"), "/pg");
 * ```
 */
export function linkPrefix(externalPathPrefix: string): string {
  return externalPathPrefix === "" ? "." : externalPathPrefix;
}

function htmlResponse(html: string): Response {
  return new Response(html, {
    status: 200,
    headers: {
      "content-type": "text/html; charset=utf-8",
      "content-security-policy": CONTENT_SECURITY_POLICY,
      "cache-control": "no-cache",
      "referrer-policy": "same-origin",
      "x-content-type-options": "nosniff",
    },
  });
}

/**
 * Builds the UI routes for {@linkcode createApp}.
 *
 * @param ctx The application context.
 * @returns The page and static handlers.
 * @example
 * ```ts ignore
 * import { createApp } from "@lib/http/app.ts";
 * const app = createApp(ctx, createUiRoutes(ctx));
 * ```
 */
export function createUiRoutes(ctx: AppContext): UiRoutes {
  const prefix = linkPrefix(ctx.config.externalPathPrefix);

  const page = async (req: Request): Promise<Response> => {
    const url = new URL(req.url);
    const assetVersions: Record<string, string> = {};
    for (const [name, asset] of await servedAssets()) assetVersions[name] = asset.version;
    const layout: LayoutView = { prefix, assetVersions, version: ctx.buildInfo.version };
    let html: string;
    if (url.pathname.endsWith("/status")) {
      html = renderStatusPage({
        ...layout,
        startTimeMs: ctx.startTimeMs,
        nowMs: ctx.now(),
        buildInfo: buildInformation(ctx.buildInfo),
        flags: ctx.config.flagValues,
      });
    } else {
      const all = ctx.store.view.groups();
      const query = url.searchParams.get("q") ?? "";
      const matching = filterGroups(all, query);
      html = renderMetricsPage({
        ...layout,
        groups: paginate(matching, parsePageNumber(url.searchParams.get("page")), PAGE_SIZE),
        totalGroups: all.length,
        query: query.trim(),
        adminApi: ctx.config.enableAdminApi,
        utf8Names: ctx.config.enableUtf8Names,
        nowMs: ctx.now(),
      });
    }
    return htmlResponse(html);
  };

  const staticFiles = (
    req: Request,
    params: Readonly<Record<string, string>>,
  ): Promise<Response> => serveAsset(req, params.filepath ?? "/");

  return { page, static: staticFiles };
}
