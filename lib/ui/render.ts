/**
 * The web UI's pages as HTML strings: the shared layout (navigation,
 * assets, footer), the Metrics page (filter, paging, groups with their
 * families) and the Status page (runtime, build information, flags). Pure:
 * the caller gathers the data into a view; every piece of data is escaped.
 *
 * Links use the *external* path prefix (`.` when empty, so they are
 * relative), and the delete/wipe URLs are relative to the page, so the UI
 * works under a route prefix and behind a prefix-stripping proxy.
 *
 * @module
 */

import {
  type Group,
  lastPushSuccessful,
  PUSH_EXPIRY_TIME_METRIC,
  PUSH_FAILURE_TIME_METRIC,
  PUSH_TIME_METRIC,
  pushGaugeValue,
} from "@lib/store/types.ts";
import { groupDeletePath, groupText, sortedLabelNames } from "@lib/ui/group_path.ts";
import { escapeHtml } from "@lib/ui/html.ts";
import type { PageOf } from "@lib/ui/paging.ts";
import { formatRfc3339, labelBadge, renderFamilies } from "@lib/ui/render_metrics.ts";

/** What every page needs. */
export interface LayoutView {
  /** Prefix of links and asset URLs: the external path prefix, or `.` when it is empty. */
  readonly prefix: string;
  /** Cache-busting version of each static asset, by file name (`app.css` → `3f2a…`). */
  readonly assetVersions: Readonly<Record<string, string>>;
  /** The gateway's version, for the footer. */
  readonly version: string;
}

/** The data of the Metrics page. */
export interface MetricsPageView extends LayoutView {
  /** The visible page of (filtered) groups. */
  readonly groups: PageOf<Group>;
  /** Number of groups in the store. */
  readonly totalGroups: number;
  /** The filter text (`?q=`), "" for none. */
  readonly query: string;
  /** Whether `--web.enable-admin-api` is set (shows "Delete All N Groups"). */
  readonly adminApi: boolean;
  /** Whether `--push.enable-utf8-names` is set (how delete URLs spell label names). */
  readonly utf8Names: boolean;
  /** Now, epoch milliseconds (for "expires in …"). */
  readonly nowMs: number;
}

/** The data of the Status page. */
export interface StatusPageView extends LayoutView {
  /** Process start, epoch milliseconds. */
  readonly startTimeMs: number;
  /** Now, epoch milliseconds. */
  readonly nowMs: number;
  /** Build information (branch, buildDate, …), shown sorted. */
  readonly buildInfo: Readonly<Record<string, string>>;
  /** Startup flags, shown sorted. */
  readonly flags: Readonly<Record<string, string>>;
}

/** Which tab a page shows. */
export type Tab = "metrics" | "status";

const HELP_URL = "https://github.com/prometheus/pushgateway/blob/master/README.md";

function assetUrl(view: LayoutView, name: string): string {
  const v = view.assetVersions[name];
  return `${view.prefix}/static/${name}${v ? `?v=${encodeURIComponent(v)}` : ""}`;
}

/**
 * Wraps a page body in the shared layout.
 *
 * @param view Layout data.
 * @param tab The active tab.
 * @param body The page's main content (HTML).
 * @returns A complete HTML document.
 */
export function renderLayout(view: LayoutView, tab: Tab, body: string): string {
  const p = escapeHtml(view.prefix);
  const current = (t: Tab) => (t === tab ? ` aria-current="page" class="active"` : "");
  const title = tab === "metrics" ? "Metrics" : "Status";
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · Prometheus Pushgateway</title>
<link rel="icon" type="image/svg+xml" href="${escapeHtml(assetUrl(view, "favicon.svg"))}">
<link rel="stylesheet" href="${escapeHtml(assetUrl(view, "app.css"))}">
<script defer src="${escapeHtml(assetUrl(view, "app.js"))}"></script>
</head>
<body>
<header class="topbar">
<a class="brand" href="${p}/"><img src="${
    escapeHtml(assetUrl(view, "favicon.svg"))
  }" alt="" width="22" height="22">Pushgateway</a>
<nav class="tabs">
<a href="${p}/"${current("metrics")}>Metrics</a>
<a href="${p}/status"${current("status")}>Status</a>
<a href="${HELP_URL}" rel="noopener noreferrer">Help</a>
</nav>
</header>
<main id="${tab}">
${body}
</main>
<footer class="foot">Prometheus Pushgateway (Deno) ${escapeHtml(view.version)}</footer>
</body>
</html>
`;
}

function timeHtml(seconds: number): string {
  if (!(seconds > 0)) return "never";
  const t = formatRfc3339(seconds * 1000);
  return `<time datetime="${t}">${t}</time>`;
}

/** "expires in …" for a group with a deadline (its `push_expiry_time_seconds`), else "". */
function expiryHtml(group: Group, nowMs: number): string {
  const deadline = pushGaugeValue(group, PUSH_EXPIRY_TIME_METRIC);
  if (!(deadline > 0)) return "";
  const left = formatUptime(deadline * 1000 - nowMs);
  return ` <span class="when expires">expires in ${left}: ${timeHtml(deadline)}</span>`;
}

/**
 * One group: a collapsed `<details>` panel whose header shows the label
 * badges, the push times (and when the group expires, if it has a time to
 * live), a "Last push failed!" pill and the Delete button, and whose body
 * holds the group's families.
 *
 * @param group The group.
 * @param utf8Names Whether `--push.enable-utf8-names` is set.
 * @param nowMs Now, epoch milliseconds.
 * @returns The HTML.
 */
export function renderGroup(group: Group, utf8Names: boolean, nowMs: number): string {
  const id = groupDeletePath(group.labels, utf8Names);
  const ok = lastPushSuccessful(group);
  const badges = sortedLabelNames(group.labels)
    .map((n) => labelBadge(n, group.labels[n] ?? ""))
    .join(" ");
  const failedAt = pushGaugeValue(group, PUSH_FAILURE_TIME_METRIC);
  const failure = ok ? "" : ` <span class="pill failed">Last push failed!</span>`;
  const failedTime = failedAt > 0
    ? ` <span class="when">last failed push: ${timeHtml(failedAt)}</span>`
    : "";
  return `<details class="group${ok ? "" : " failed"}" data-id="${escapeHtml(id)}">` +
    `<summary><span class="badges">${badges}</span>${failure}` +
    `<span class="times"><span class="when">last push: ${
      timeHtml(pushGaugeValue(group, PUSH_TIME_METRIC))
    }</span>${failedTime}${expiryHtml(group, nowMs)}</span>` +
    `<button type="button" class="btn danger small" data-delete="${escapeHtml(id)}"` +
    ` data-group="${escapeHtml(groupText(group.labels))}">Delete Group</button></summary>` +
    `<div class="group-body">${renderFamilies(group.families, id)}</div></details>\n`;
}

function pageHref(view: MetricsPageView, page: number): string {
  const params = new URLSearchParams();
  if (view.query !== "") params.set("q", view.query);
  if (page > 1) params.set("page", String(page));
  const qs = params.toString();
  return escapeHtml(`${view.prefix}/${qs ? "?" + qs : ""}`);
}

function pager(view: MetricsPageView): string {
  const { page, pages } = view.groups;
  if (pages <= 1) return "";
  const link = (n: number, text: string, rel: string) =>
    n >= 1 && n <= pages && n !== page
      ? `<a class="btn" rel="${rel}" href="${pageHref(view, n)}">${text}</a>`
      : `<span class="btn disabled">${text}</span>`;
  return `<nav class="pager" aria-label="Pages">${link(1, "&laquo; First", "first")}${
    link(page - 1, "&lsaquo; Previous", "prev")
  }<span class="pageno">Page ${page} of ${pages}</span>${link(page + 1, "Next &rsaquo;", "next")}${
    link(pages, "Last &raquo;", "last")
  }</nav>`;
}

function countLine(view: MetricsPageView): string {
  const g = view.groups;
  const noun = (n: number) => `${n} group${n === 1 ? "" : "s"}`;
  const filtered = view.query !== "";
  if (g.count === 0) {
    return filtered
      ? `No group matches &ldquo;${escapeHtml(view.query)}&rdquo; (${
        noun(view.totalGroups)
      } in total).`
      : "No metric groups have been pushed yet.";
  }
  const range = g.pages > 1 ? `Showing ${g.offset + 1}&ndash;${g.offset + g.items.length} of ` : "";
  const what = filtered
    ? `${noun(g.count)} matching &ldquo;${escapeHtml(view.query)}&rdquo; (${
      noun(view.totalGroups)
    } in total)`
    : noun(g.count);
  return `${range}${what}.`;
}

/**
 * The Metrics page: filter form, counts, "Delete All" (admin API only),
 * the visible page of groups and the pager.
 *
 * @param view Page data.
 * @returns A complete HTML document.
 */
export function renderMetricsPage(view: MetricsPageView): string {
  const p = escapeHtml(view.prefix);
  const clear = view.query !== "" ? ` <a class="btn" href="${p}/">Clear</a>` : "";
  const wipe = view.adminApi
    ? ` <button type="button" class="btn danger" data-wipe="api/v1/admin/wipe" data-count="${view.totalGroups}"${
      view.totalGroups === 0 ? " disabled" : ""
    }>Delete All ${view.totalGroups} Groups</button>`
    : "";
  let groups = "";
  for (const g of view.groups.items) groups += renderGroup(g, view.utf8Names, view.nowMs);
  const body = `<section class="toolbar">
<form class="filter" method="get" action="${p}/" role="search">
<input type="search" name="q" value="${
    escapeHtml(view.query)
  }" placeholder="Filter by label name or value" aria-label="Filter groups by label name or value">
<button type="submit" class="btn">Filter</button>${clear}
</form>
<div class="actions">
<button type="button" class="btn" data-expand="open">Expand all</button>
<button type="button" class="btn" data-expand="close">Collapse all</button>${wipe}
</div>
</section>
<p class="count">${countLine(view)}</p>
<div class="groups">
${groups}</div>
${pager(view)}`;
  return renderLayout(view, "metrics", body);
}

function keyValueTable(record: Readonly<Record<string, string>>): string {
  let rows = "";
  for (const key of Object.keys(record).sort()) {
    rows += `<tr><th scope="row">${escapeHtml(key)}</th><td>${
      escapeHtml(record[key] ?? "")
    }</td></tr>\n`;
  }
  return `<table class="kv"><tbody>\n${rows}</tbody></table>`;
}

/** `1d 2h 3m 4s` for a duration in milliseconds. */
export function formatUptime(ms: number): string {
  let s = Math.max(0, Math.floor(ms / 1000));
  const parts: string[] = [];
  for (const [unit, size] of [["d", 86400], ["h", 3600], ["m", 60]] as const) {
    if (s >= size || parts.length > 0) parts.push(`${Math.floor(s / size)}${unit}`);
    s %= size;
  }
  parts.push(`${s}s`);
  return parts.join(" ");
}

/**
 * The Status page: runtime information, build information and startup flags.
 *
 * @param view Page data.
 * @returns A complete HTML document.
 */
export function renderStatusPage(view: StatusPageView): string {
  const started = formatRfc3339(view.startTimeMs);
  const body = `<h2>Runtime Information</h2>
<table class="kv"><tbody>
<tr><th scope="row">Started</th><td><time datetime="${started}">${started}</time></td></tr>
<tr><th scope="row">Uptime</th><td>${formatUptime(view.nowMs - view.startTimeMs)}</td></tr>
</tbody></table>
<h2>Build Information</h2>
${keyValueTable(view.buildInfo)}
<h2>Startup Flags</h2>
${keyValueTable(view.flags)}`;
  return renderLayout(view, "status", body);
}
