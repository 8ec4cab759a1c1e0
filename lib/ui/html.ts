/**
 * HTML escaping for the web UI: every label, value, help text and flag the
 * server writes into a page goes through {@linkcode escapeHtml}.
 *
 * @module
 */

const ENTITIES: Readonly<Record<string, string>> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/**
 * Escapes `s` for HTML text and for double- or single-quoted attribute values.
 *
 * @param s Any text.
 * @returns `s` with `&`, `<`, `>`, `"` and `'` replaced by entities.
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * assertEquals(escapeHtml(`<a href="x">`), "&lt;a href=&quot;x&quot;&gt;");
 * ```
 */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ENTITIES[c] as string);
}
