/**
 * Hides the password of a connection URL before it is shown (`/api/v1/status`,
 * the status page, log lines), as Go's `url.URL.Redacted` does: the userinfo
 * password becomes `xxxxx`; so does a libpq `password=` query parameter.
 *
 * @module
 */

/** The mask put in place of a password (Go's `url.URL.Redacted`). */
export const REDACTED = "xxxxx";

/**
 * A URL with its password replaced by {@linkcode REDACTED}. Works on text that
 * is not a valid URL too (the flag's value is shown as given otherwise).
 *
 * @param raw The URL as given.
 * @returns The URL without its password.
 * @example
 * ```ts
 * import { redactUrlPassword } from "@lib/cli/redact.ts";
 * redactUrlPassword("postgres://gw:s3cret@db:5432/m"); // "postgres://gw:xxxxx@db:5432/m"
 * ```
 */
export function redactUrlPassword(raw: string): string {
  let out = raw;
  const scheme = out.indexOf("://");
  if (scheme >= 0) {
    const start = scheme + 3;
    let end = out.length;
    for (const c of ["/", "?", "#"]) {
      const i = out.indexOf(c, start);
      if (i >= 0 && i < end) end = i;
    }
    const at = out.lastIndexOf("@", end - 1);
    if (at >= start) {
      const colon = out.indexOf(":", start);
      if (colon >= 0 && colon < at) out = out.slice(0, colon + 1) + REDACTED + out.slice(at);
    }
  }
  return out.replace(/([?&]password=)[^&#]*/gi, `$1${REDACTED}`);
}
