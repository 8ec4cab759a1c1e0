/**
 * Web configuration texts shared by `web_config_test.ts` and `load_web_config_test.ts`. Imported by
 * tests only.
 *
 * @module
 */

/** A valid bcrypt hash (`$2y$`, cost 10). */
export const HASH = "$2y$10$QOauhQNbBCuQDKes6eFzPeMqBSjb7Mr5DUmpZ/VcEd00UAV/LDeSi";

/** A file that sets every supported key, with a relative, an absolute and a `..` path. */
export const SUPPORTED_KEYS = `
tls_server_config:
  cert_file: server.crt
  key_file: /abs/server.key
  client_auth_type: RequireAndVerifyClientCert
  client_ca_file: ../ca/ca.pem
  client_allowed_sans: [client.example, "127.0.0.1"]
  min_version: TLS13
  prefer_server_cipher_suites: false
http_server_config:
  http2: no
  headers:
    X-Frame-Options: sameorigin
    X-XSS-Protection: 0
    Content-Security-Policy: "default-src 'self'"
basic_auth_users:
  alice: ${HASH}
  "a:b": '${HASH}'
rate_limit:
  interval: 1m30s
  burst: 3
`;
