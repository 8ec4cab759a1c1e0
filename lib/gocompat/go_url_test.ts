import { assertEquals } from "@std/assert";
import { parseGoUrlPath } from "@lib/gocompat/go_url.ts";

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
  ];
  for (const [raw, want] of cases) assertEquals(parseGoUrlPath(raw), want, raw);
});
