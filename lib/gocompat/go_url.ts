/**
 * Go's `net/url.Parse`, as far as kingpin's `URL()` flag needs it: the error texts and the
 * unescaped path (`--web.external-url`).
 *
 * @module
 */

const HEX = /^[0-9a-fA-F]{2}$/;
const HOST_OK = /^[A-Za-z0-9\-_.~!$&'()*+,;=:[\]<>"]$/;
const USERINFO_OK = /^[A-Za-z0-9\-._:~!$&'()*+,;=%@]*$/;

/** Percent-decodes like Go's unescape; `{ error }` carries the error text (`invalid URL escape "%zz"`). */
function goUnescape(s: string, host: boolean): { text: string } | { error: string } {
  const bytes: number[] = [];
  const enc = new TextEncoder();
  for (let i = 0; i < s.length; i++) {
    const c = s[i] as string;
    if (c === "%") {
      const hex = s.slice(i + 1, i + 3);
      if (!HEX.test(hex)) {
        return { error: `invalid URL escape ${JSON.stringify(s.slice(i, i + 3))}` };
      }
      if (host && parseInt(hex[0] as string, 16) < 8 && hex !== "25") {
        return { error: `invalid URL escape ${JSON.stringify(s.slice(i, i + 3))}` };
      }
      bytes.push(parseInt(hex, 16));
      i += 2;
      continue;
    }
    if (host && c.charCodeAt(0) < 0x80 && !HOST_OK.test(c)) {
      return { error: `invalid character ${JSON.stringify(c)} in host name` };
    }
    bytes.push(...enc.encode(c));
  }
  return { text: new TextDecoder().decode(new Uint8Array(bytes)) };
}

function validOptionalPort(port: string): boolean {
  return port === "" || /^:\d*$/.test(port);
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
  const h = goUnescape(host, true);
  if ("error" in h) return h.error;
  if (at >= 0) {
    const userinfo = authority.slice(0, at);
    if (!USERINFO_OK.test(userinfo)) return "net/url: invalid userinfo";
    const u = goUnescape(userinfo, false);
    if ("error" in u) return u.error;
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
      const p = goUnescape(rest, false);
      if ("error" in p) return fail(p.error);
      path = p.text;
    }
  }
  if (hash >= 0) {
    const f = goUnescape(raw.slice(hash + 1), false);
    if ("error" in f) return fail(f.error, raw);
  }
  return { path };
}
