import { assertEquals, assertThrows } from "@std/assert";
import { isBcryptHash, parseWebConfig, WebConfigError } from "@lib/web/web_config.ts";
import { HASH, SUPPORTED_KEYS } from "@lib/web/web_config_testdata.ts";

Deno.test("parseWebConfig() gives upstream's defaults for an empty file", () => {
  for (const text of ["", "---\n", "# nothing\n", "tls_server_config:\nhttp_server_config:\n"]) {
    assertEquals(parseWebConfig(text), {
      tls: undefined,
      http2: true,
      headers: [],
      users: new Map(),
      rateLimit: undefined,
    });
  }
});

Deno.test("parseWebConfig() reads every supported key, file paths as written", () => {
  assertEquals(parseWebConfig(SUPPORTED_KEYS), {
    tls: {
      certFile: "server.crt",
      keyFile: "/abs/server.key",
      cert: undefined,
      key: undefined,
      clientAuthType: "RequireAndVerifyClientCert",
      clientCaFile: "../ca/ca.pem",
      clientCa: undefined,
      clientAllowedSans: ["client.example", "127.0.0.1"],
      minVersion: "TLS13",
      maxVersion: "TLS13",
    },
    http2: false,
    headers: [
      ["X-Frame-Options", "sameorigin"],
      ["X-XSS-Protection", "0"],
      ["Content-Security-Policy", "default-src 'self'"],
    ],
    users: new Map([["alice", HASH], ["a:b", HASH]]),
    rateLimit: { intervalMs: 90_000, burst: 3 },
  });
});

Deno.test("parseWebConfig() maps RequireClientCert and disables a zero rate limit", () => {
  const c = parseWebConfig(
    "tls_server_config:\n  cert: x\n  key: y\n  client_auth_type: RequireClientCert\n" +
      "rate_limit:\n  interval: 0s\n  burst: 5\n",
  );
  assertEquals(c.tls?.clientAuthType, "RequireAnyClientCert");
  assertEquals(c.tls?.cert, "x");
  assertEquals(c.rateLimit, undefined);
  assertEquals(
    parseWebConfig("rate_limit:\n  interval: 1000000\n").rateLimit,
    { intervalMs: 1, burst: 0 },
  );
});

const BAD: [string, string, string][] = [
  [
    "unknown top-level key",
    "tls_server_config: {}\nbogus: 1\n",
    "w.yml:2:1: field bogus not allowed",
  ],
  [
    "unknown nested key",
    'tls_server_config:\n  cert_filse: "server.crt"\n',
    "w.yml:2:3: field cert_filse not allowed in tls_server_config",
  ],
  ["duplicate key", "rate_limit:\n  burst: 1\n  burst: 2\n", "w.yml:3:3: invalid YAML"],
  ["YAML syntax", "a: [\n", "w.yml:"],
  ["root not a mapping", "- a\n", "w.yml:1:1: the top level must be a mapping"],
  ["bad hash", "basic_auth_users:\n  john: doe\n", 'w.yml:2:9: password of user "john"'],
  ["empty hash", "basic_auth_users:\n  john:\n", 'password of user "john" is not a bcrypt'],
  [
    "hash with bad cost",
    `basic_auth_users:\n  john: ${HASH.replace("$10$", "$03$")}\n`,
    "is not a bcrypt hash",
  ],
  [
    "header not allowed",
    "http_server_config:\n  headers:\n    Content-Type: foo\n",
    'w.yml:3:5: HTTP header "Content-Type" can not be configured',
  ],
  [
    "header name case",
    "http_server_config:\n  headers:\n    x-frame-options: deny\n",
    'HTTP header "x-frame-options" can not be configured',
  ],
  [
    "bad X-Frame-Options",
    "http_server_config:\n  headers:\n    X-Frame-Options: allow\n",
    'w.yml:3:22: invalid value for X-Frame-Options. Expected one of: ["deny" "sameorigin"], but got: "allow"',
  ],
  [
    "bad X-Content-Type-Options",
    "http_server_config:\n  headers:\n    X-Content-Type-Options: sniff\n",
    'Expected one of: ["nosniff"], but got: "sniff"',
  ],
  [
    "header value with a newline",
    'http_server_config:\n  headers:\n    Content-Security-Policy: "a\\nb"\n',
    "invalid value for Content-Security-Policy",
  ],
  [
    "http2 not a bool",
    "http_server_config:\n  http2: maybe\n",
    "w.yml:2:10: http_server_config.http2",
  ],
  [
    "unknown TLS version",
    "tls_server_config:\n  cert: a\n  key: b\n  min_version: TLS14\n",
    "w.yml:4:16: unknown TLS version: TLS14",
  ],
  [
    "TLS10 refused",
    "tls_server_config:\n  cert: a\n  key: b\n  min_version: TLS10\n",
    "min_version TLS10 is not supported here",
  ],
  [
    "min above max",
    "tls_server_config:\n  cert: a\n  key: b\n  min_version: TLS13\n  max_version: TLS12\n",
    "min_version TLS13 is above max_version TLS12",
  ],
  [
    "cert without key",
    "tls_server_config:\n  cert_file: a.crt\n",
    "missing one of key or key_file",
  ],
  [
    "key without cert",
    "tls_server_config:\n  key_file: a.key\n",
    "missing one of cert or cert_file",
  ],
  [
    "client auth without cert",
    "tls_server_config:\n  client_auth_type: RequireAnyClientCert\n",
    "missing one of cert or cert_file",
  ],
  [
    "cert and cert_file",
    "tls_server_config:\n  cert: a\n  cert_file: a\n  key: b\n",
    "cert and cert_file are mutually exclusive",
  ],
  [
    "bad client_auth_type",
    "tls_server_config:\n  cert: a\n  key: b\n  client_auth_type: Sometimes\n",
    "invalid ClientAuth: Sometimes",
  ],
  [
    "CA without policy",
    "tls_server_config:\n  cert: a\n  key: b\n  client_ca: c\n",
    "client CA's have been configured without a Client Auth Policy",
  ],
  [
    "verify without CA",
    "tls_server_config:\n  cert: a\n  key: b\n  client_auth_type: RequireAndVerifyClientCert\n",
    "needs client_ca_file or client_ca",
  ],
  [
    "SANs with optional certificates",
    "tls_server_config:\n  cert: a\n  key: b\n  client_auth_type: RequestClientCert\n" +
    "  client_allowed_sans: [x]\n",
    "client_allowed_sans needs client_auth_type",
  ],
  [
    "unknown cipher",
    "tls_server_config:\n  cert: a\n  key: b\n  cipher_suites: [TLS_FOO]\n",
    "w.yml:4:18: unknown cipher: TLS_FOO",
  ],
  [
    "cipher_suites refused",
    "tls_server_config:\n  cert: a\n  key: b\n  cipher_suites: [TLS_AES_128_GCM_SHA256]\n",
    "w.yml:4:18: cipher_suites is not supported here: the TLS stack chooses its own secure cipher suites; remove the option",
  ],
  [
    "cipher_suites not a list",
    "tls_server_config:\n  cert: a\n  key: b\n  cipher_suites: TLS_AES_128_GCM_SHA256\n",
    "w.yml:4:18: tls_server_config.cipher_suites must be a list",
  ],
  [
    "cipher_suites entry not a string",
    "tls_server_config:\n  cert: a\n  key: b\n  cipher_suites: [[x]]\n",
    "w.yml:4:19: tls_server_config.cipher_suites entry must be a string",
  ],
  [
    "unknown curve",
    "tls_server_config:\n  cert: a\n  key: b\n  curve_preferences: [CurveP1024]\n",
    "w.yml:4:22: unknown curve: CurveP1024",
  ],
  [
    "curve_preferences refused",
    "tls_server_config:\n  cert: a\n  key: b\n  curve_preferences: [X25519]\n",
    "w.yml:4:22: curve_preferences is not supported here: the TLS stack chooses its own curves; remove the option",
  ],
  [
    "curve_preferences not a list",
    "tls_server_config:\n  cert: a\n  key: b\n  curve_preferences: X25519\n",
    "w.yml:4:22: curve_preferences must be a list",
  ],
  [
    "curve_preferences entry not a string",
    "tls_server_config:\n  cert: a\n  key: b\n  curve_preferences: [{x: 1}]\n",
    "w.yml:4:23: curve_preferences entry must be a string",
  ],
  ["bad duration", "rate_limit:\n  interval: 1 second\n", "w.yml:2:13: rate_limit.interval"],
  [
    "duration beyond Go's int64 nanoseconds",
    "rate_limit:\n  interval: 3000000h\n",
    'w.yml:2:13: rate_limit.interval: invalid duration "3000000h"',
  ],
  ["duration in days (not Go syntax)", "rate_limit:\n  interval: 1d\n", 'invalid duration "1d"'],
  ["negative duration", "rate_limit:\n  interval: -1s\n", "must not be negative"],
  ["burst not an integer", "rate_limit:\n  burst: 1.5\n", "rate_limit.burst must be an integer"],
  ["users as a list", "basic_auth_users: [a]\n", "basic_auth_users must be a mapping"],
];

for (const [name, text, want] of BAD) {
  Deno.test(`parseWebConfig() rejects: ${name}`, () => {
    assertThrows(() => parseWebConfig(text, "w.yml"), WebConfigError, want);
  });
}

Deno.test("isBcryptHash() accepts the three prefixes and cost 4 to 31 only", () => {
  const tail = HASH.slice(7);
  assertEquals(
    ["$2a$", "$2b$", "$2y$", "$2x$", "$1$"].map((p) => isBcryptHash(`${p}10$${tail}`)),
    [true, true, true, false, false],
  );
  assertEquals(
    ["04", "31", "03", "32"].map((c) => isBcryptHash(`$2b$${c}$${tail}`)),
    [true, true, false, false],
  );
  assertEquals(isBcryptHash(HASH + "x"), false);
});
