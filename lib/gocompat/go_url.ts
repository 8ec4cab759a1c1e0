/**
 * Go's `net/url`, as far as this gateway needs it: `url.Parse` for kingpin's `URL()` flag (the
 * error texts and the unescaped path of `--web.external-url`), and the percent-decoding behind
 * `url.PathUnescape` that request paths go through.
 *
 * @module
 */

import { goQuoteBytes } from "@lib/gocompat/go_quote.ts";

/** Host name bytes Go's `shouldEscape(c, encodeHost)` lets through unescaped. */
const HOST_OK = /^[A-Za-z0-9\-_.~!$&'()*+,;=:[\]<>"]$/;
const USERINFO_OK = /^[A-Za-z0-9\-._:~!$&'()*+,;=%@]*$/;

const utf8 = new TextEncoder();
/** Decodes bytes as UTF-8, invalid sequences as U+FFFD. */
const lenientUtf8 = new TextDecoder();

/**
 * The part of a URL a text comes from, as Go's `unescape` is told by its `encoding` mode. Only
 * `"host"` changes the rules: `%XX` may only encode bytes of 0x80 and above (or `%25`), and
 * ASCII bytes outside the host name set are refused.
 */
export type UnescapeMode = "path" | "host" | "userinfo" | "fragment";

/**
 * A malformed percent-encoding (Go's `url.EscapeError`) or a byte not allowed in a host name
 * (Go's `url.InvalidHostError`); the message is Go's text.
 */
export class UrlEscapeError extends Error {
  /** Creates the error with Go's text, e.g. `invalid URL escape "%zz"`. */
  constructor(message: string) {
    super(message);
    this.name = "UrlEscapeError";
  }
}

function unhex(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  return -1;
}

/**
 * Percent-decodes like Go's `url` package `unescape`: on UTF-8 bytes, the result read back as
 * UTF-8 (invalid sequences become U+FFFD).
 *
 * @param s The escaped text.
 * @param mode Which part of a URL `s` is; see {@linkcode UnescapeMode}.
 * @returns The unescaped text.
 * @throws {UrlEscapeError} `invalid URL escape "%zz"` (the escape's bytes, at most three, quoted
 * like Go's `%q`), or in `"host"` mode `invalid character " " in host name`.
 * @example
 * ```ts
 * import { goUnescape } from "@lib/gocompat/go_url.ts";
 * goUnescape("/a%2Fb%C3%A9", "path"); // "/a/bé"
 * ```
 */
export function goUnescape(s: string, mode: UnescapeMode): string {
  const host = mode === "host";
  if (!host && !s.includes("%")) return s;
  const b = utf8.encode(s);
  const out = new Uint8Array(b.length);
  let n = 0;
  for (let i = 0; i < b.length;) {
    const c = b[i]!;
    if (c === 0x25) {
      const hi = i + 2 < b.length ? unhex(b[i + 1]!) : -1;
      const lo = hi < 0 ? -1 : unhex(b[i + 2]!);
      if (lo < 0 || (host && hi < 8 && !(hi === 2 && lo === 5))) {
        throw new UrlEscapeError(`invalid URL escape ${goQuoteBytes(b.subarray(i, i + 3))}`);
      }
      out[n++] = hi << 4 | lo;
      i += 3;
    } else {
      if (host && c < 0x80 && !HOST_OK.test(String.fromCharCode(c))) {
        throw new UrlEscapeError(
          `invalid character ${goQuoteBytes(b.subarray(i, i + 1))} in host name`,
        );
      }
      out[n++] = c;
      i++;
    }
  }
  return lenientUtf8.decode(out.subarray(0, n));
}

/**
 * Percent-decodes a path segment like Go's `url.PathUnescape`.
 *
 * @param s The escaped path.
 * @returns The unescaped path.
 * @throws {UrlEscapeError} `invalid URL escape "%zz"` for a malformed escape.
 * @example
 * ```ts
 * import { goPathUnescape } from "@lib/gocompat/go_url.ts";
 * goPathUnescape("/metrics/job/a%20b"); // "/metrics/job/a b"
 * ```
 */
export function goPathUnescape(s: string): string {
  return goUnescape(s, "path");
}

function validOptionalPort(port: string): boolean {
  return port === "" || /^:\d*$/.test(port);
}

/** Go's error text for a bad escape, or `undefined`. */
function escapeError(s: string, mode: UnescapeMode): string | undefined {
  try {
    goUnescape(s, mode);
    return undefined;
  } catch (err) {
    if (err instanceof UrlEscapeError) return err.message;
    throw err;
  }
}

function checkAuthority(authority: string): string | undefined {
  const at = authority.lastIndexOf("@");
  const host = at < 0 ? authority : authority.slice(at + 1);
  if (host.startsWith("[")) {
    const close = host.lastIndexOf("]");
    if (close < 0) return "missing ']' in host";
    const colonPort = host.slice(close + 1);
    if (!validOptionalPort(colonPort)) {
      return `invalid port ${JSON.stringify(colonPort)} after host`;
    }
  } else {
    const colon = host.lastIndexOf(":");
    if (colon >= 0 && !validOptionalPort(host.slice(colon))) {
      return `invalid port ${JSON.stringify(host.slice(colon))} after host`;
    }
  }
  const hostError = escapeError(host, "host");
  if (hostError !== undefined) return hostError;
  if (at >= 0) {
    const userinfo = authority.slice(0, at);
    if (!USERINFO_OK.test(userinfo)) return "net/url: invalid userinfo";
    return escapeError(userinfo, "userinfo");
  }
  return undefined;
}

/**
 * Parses a URL like Go's `url.Parse` and returns its unescaped `Path`, or the
 * error text `parse "<url>": <reason>` that kingpin prefixes with `invalid URL: `.
 *
 * @param raw The URL text.
 * @returns `{ path }` or `{ error }`.
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { parseGoUrlPath } from "@lib/gocompat/go_url.ts";
 * assertEquals(parseGoUrlPath("http://example.com/ext/"), { path: "/ext/" });
 * ```
 */
export function parseGoUrlPath(raw: string): { path: string } | { error: string } {
  const hash = raw.indexOf("#");
  const u = hash < 0 ? raw : raw.slice(0, hash);
  const fail = (reason: string, text = u): { error: string } => ({
    error: `parse ${JSON.stringify(text)}: ${reason}`,
  });
  if ([...u].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f)) {
    return fail("net/url: invalid control character in URL");
  }
  let path = "";
  if (u === "*") {
    path = "*";
  } else {
    let scheme = "";
    let rest = u;
    for (let i = 0; i < u.length; i++) {
      const c = u[i] as string;
      if (/[A-Za-z]/.test(c)) continue;
      if (/[0-9+\-.]/.test(c)) {
        if (i === 0) break;
        continue;
      }
      if (c === ":") {
        if (i === 0) return fail("missing protocol scheme");
        scheme = u.slice(0, i);
        rest = u.slice(i + 1);
      }
      break;
    }
    if (rest.endsWith("?") && rest.indexOf("?") === rest.length - 1) {
      rest = rest.slice(0, -1);
    } else if (rest.includes("?")) {
      rest = rest.slice(0, rest.indexOf("?"));
    }
    if (!rest.startsWith("/") && scheme !== "") {
      rest = ""; // opaque URL: no path
    } else {
      if (!rest.startsWith("/")) {
        const slash = rest.indexOf("/");
        const segment = slash < 0 ? rest : rest.slice(0, slash);
        if (segment.includes(":")) return fail("first path segment in URL cannot contain colon");
      }
      if ((scheme !== "" || !rest.startsWith("///")) && rest.startsWith("//")) {
        const after = rest.slice(2);
        const slash = after.indexOf("/");
        const authority = slash < 0 ? after : after.slice(0, slash);
        rest = slash < 0 ? "" : after.slice(slash);
        const err = checkAuthority(authority);
        if (err !== undefined) return fail(err);
      }
      try {
        path = goUnescape(rest, "path");
      } catch (err) {
        if (err instanceof UrlEscapeError) return fail(err.message);
        throw err;
      }
    }
  }
  if (hash >= 0) {
    const fragmentError = escapeError(raw.slice(hash + 1), "fragment");
    if (fragmentError !== undefined) return fail(fragmentError, raw);
  }
  return { path };
}
