import { assertEquals, assertThrows } from "@std/assert";
import {
  goPathUnescape,
  goUnescape,
  parseGoUrlPath,
  UrlEscapeError,
} from "@lib/gocompat/go_url.ts";

Deno.test("parseGoUrlPath() returns Go's url.Path or url.Parse's error text", () => {
  const cases: [string, { path: string } | { error: string }][] = [
    ["", { path: "" }],
    ["http://example.com/ext/", { path: "/ext/" }],
    ["http://example.com/a%2Fb?q=1#frag", { path: "/a/b" }],
    ["mailto:foo", { path: "" }],
    ["//host/p", { path: "/p" }],
    ["http://[::1]:9091/p", { path: "/p" }],
    ["http://u:p@h:80/p", { path: "/p" }],
    [":foo", { error: 'parse ":foo": missing protocol scheme' }],
    ["http://[::1", { error: "parse \"http://[::1\": missing ']' in host" }],
    ["http://a b/", { error: 'parse "http://a b/": invalid character " " in host name' }],
    ["http://h:xx/", { error: 'parse "http://h:xx/": invalid port ":xx" after host' }],
    ["http://[::1]x/", { error: 'parse "http://[::1]x/": invalid port "x" after host' }],
    ["%zz", { error: 'parse "%zz": invalid URL escape "%zz"' }],
    ["http://x/a%zz", { error: 'parse "http://x/a%zz": invalid URL escape "%zz"' }],
    ["http://x/#%zz", { error: 'parse "http://x/#%zz": invalid URL escape "%zz"' }],
    ["http://h%20x/", { error: 'parse "http://h%20x/": invalid URL escape "%20"' }],
    ["1a:b", { error: 'parse "1a:b": first path segment in URL cannot contain colon' }],
    ["http://us er@h/", { error: 'parse "http://us er@h/": net/url: invalid userinfo' }],
    ["\thttp://h", { error: 'parse "\\thttp://h": net/url: invalid control character in URL' }],
    ["http://h/%aé", { error: 'parse "http://h/%aé": invalid URL escape "%a\\xc3"' }],
    ["http://[fe80::1%25en0]/p", { path: "/p" }],
  ];
  for (const [raw, want] of cases) assertEquals(parseGoUrlPath(raw), want, raw);
});

Deno.test("goPathUnescape() decodes like url.PathUnescape: bytes, then UTF-8", () => {
  const cases: [string, string][] = [
    ["", ""],
    ["/metrics/job/a", "/metrics/job/a"],
    ["/metrics/job/a%20b", "/metrics/job/a b"],
    ["/a%2Fb%2fc", "/a/b/c"],
    ["%C3%A9t%c3%a9", "été"],
    ["%25", "%"],
    ["a+b", "a+b"],
    ["é", "é"],
    ["%ff%fe", "\ufffd\ufffd"], // invalid UTF-8 reads as U+FFFD
  ];
  for (const [raw, want] of cases) assertEquals(goPathUnescape(raw), want, raw);
});

Deno.test("goPathUnescape() fails with Go's EscapeError text", () => {
  const cases: [string, string][] = [
    ["%", 'invalid URL escape "%"'],
    ["/x%4", 'invalid URL escape "%4"'],
    ["/x%zz/%41", 'invalid URL escape "%zz"'],
    ["%g0", 'invalid URL escape "%g0"'],
    ["%é", 'invalid URL escape "%é"'], // the escape's three bytes are é's two
    ["%aé", 'invalid URL escape "%a\\xc3"'], // cut inside é: %q shows the lone byte
  ];
  for (const [raw, message] of cases) {
    const err = assertThrows(() => goPathUnescape(raw), UrlEscapeError);
    assertEquals(err.message, message, raw);
  }
});

Deno.test("goUnescape() applies the host rules only in host mode", () => {
  assertEquals(goUnescape("h%c3%a9", "host"), "hé");
  assertEquals(goUnescape("fe80::1%25en0", "host"), "fe80::1%en0");
  assertEquals(goUnescape("[::1]:80", "host"), "[::1]:80");
  assertEquals(goUnescape("a%20b", "path"), "a b");
  assertEquals(goUnescape("a b", "userinfo"), "a b");
  assertEquals(goUnescape("a{b", "fragment"), "a{b");
  const bad: [string, string][] = [
    ["a%20b", 'invalid URL escape "%20"'],
    ["a%7e", 'invalid URL escape "%7e"'],
    ["a b", 'invalid character " " in host name'],
    ["a{b", 'invalid character "{" in host name'],
    ["a\\b", 'invalid character "\\\\" in host name'],
  ];
  for (const [raw, message] of bad) {
    const err = assertThrows(() => goUnescape(raw, "host"), UrlEscapeError);
    assertEquals(err.message, message, raw);
  }
});
