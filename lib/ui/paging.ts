/**
 * Filtering and paging of the group list, so the page stays small and fast
 * with many thousands of groups. Pure.
 *
 * @module
 */

import type { Group } from "@lib/store/types.ts";

/** Groups shown per page. */
export const PAGE_SIZE = 50;

/** One page of a list. */
export interface PageOf<T> {
  /** The items on this page. */
  readonly items: readonly T[];
  /** Number of items across all pages. */
  readonly count: number;
  /** This page's number, 1-based, clamped to the existing pages. */
  readonly page: number;
  /** Number of pages (at least 1). */
  readonly pages: number;
  /** Index (0-based) of this page's first item in the whole list. */
  readonly offset: number;
}

/** Lower-cased `name="value"` lines of each group, built once per group object. */
const haystacks = new WeakMap<Group, string>();

function haystack(group: Group): string {
  let h = haystacks.get(group);
  if (h === undefined) {
    h = "";
    for (const [name, value] of Object.entries(group.labels)) h += `\n${name}="${value}"`;
    h = h.toLowerCase();
    haystacks.set(group, h);
  }
  return h;
}

/**
 * The groups whose label names or values contain `query`, case-insensitively.
 * The query may also span a `name="value"` pair (`job="batch`). An empty
 * (or blank) query keeps every group.
 *
 * @param groups Groups in display order.
 * @param query The filter text.
 * @returns The matching groups, in the same order.
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * const g = { labels: { job: "Batch" }, families: new Map() };
 * assertEquals(filterGroups([g], "batch").length, 1);
 * ```
 */
export function filterGroups(groups: readonly Group[], query: string): readonly Group[] {
  const q = query.trim().toLowerCase();
  if (q === "") return groups;
  return groups.filter((g) => haystack(g).includes(q));
}

/**
 * Parses a `page` query parameter: a positive integer, anything else is page 1.
 *
 * @param raw The parameter value, or null when absent.
 * @returns The page number (1-based).
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * assertEquals(parsePageNumber("3"), 3);
 * assertEquals(parsePageNumber("x"), 1);
 * ```
 */
export function parsePageNumber(raw: string | null): number {
  if (raw === null || !/^\d{1,9}$/.test(raw.trim())) return 1;
  return Math.max(1, Number(raw.trim()));
}

/**
 * Cuts page `page` (1-based, clamped to the last page) of `size` items out of `items`.
 *
 * @param items The whole list.
 * @param page Requested page number.
 * @param size Items per page (at least 1).
 * @returns The page.
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * assertEquals(paginate([1, 2, 3], 9, 2).items, [3]);
 * ```
 */
export function paginate<T>(items: readonly T[], page: number, size: number): PageOf<T> {
  const per = Math.max(1, Math.floor(size));
  const pages = Math.max(1, Math.ceil(items.length / per));
  const current = Math.min(Math.max(1, Math.floor(page)), pages);
  const offset = (current - 1) * per;
  return {
    items: items.slice(offset, offset + per),
    count: items.length,
    page: current,
    pages,
    offset,
  };
}
