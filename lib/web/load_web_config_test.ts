import { assertEquals, assertRejects } from "@std/assert";
import { join } from "@std/path";
import { loadWebConfig, resolveTlsPaths } from "@lib/web/load_web_config.ts";
import { parseWebConfig, WebConfigError } from "@lib/web/web_config.ts";
import { HASH, SUPPORTED_KEYS } from "@lib/web/web_config_testdata.ts";

Deno.test("resolveTlsPaths() resolves relative paths against the file's directory", () => {
  const tls = parseWebConfig(SUPPORTED_KEYS).tls!;
  assertEquals(resolveTlsPaths(tls, "/etc/pg"), {
    certFile: "/etc/pg/server.crt",
    keyFile: "/abs/server.key",
    cert: undefined,
    key: undefined,
    clientAuthType: "RequireAndVerifyClientCert",
    clientCaFile: "/etc/ca/ca.pem",
    clientCa: undefined,
    clientAllowedSans: ["client.example", "127.0.0.1"],
    minVersion: "TLS13",
    maxVersion: "TLS13",
  });
  const inline = parseWebConfig("tls_server_config:\n  cert: x\n  key: y\n").tls!;
  assertEquals(resolveTlsPaths(inline, "/etc/pg"), inline);
});

Deno.test("loadWebConfig() names a missing file and a missing certificate file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await assertRejects(
      () => loadWebConfig(join(dir, "nope.yml")),
      WebConfigError,
      "Cannot read web config file",
    );
    const path = join(dir, "web.yml");
    await Deno.writeTextFile(path, "tls_server_config:\n  cert_file: a.crt\n  key_file: a.key\n");
    await assertRejects(
      () => loadWebConfig(path),
      WebConfigError,
      `failed to read cert_file (${join(dir, "a.crt")})`,
    );
    await Deno.writeTextFile(join(dir, "a.crt"), "not a certificate");
    await Deno.writeTextFile(join(dir, "a.key"), "not a key");
    await assertRejects(() => loadWebConfig(path), WebConfigError, "failed to load X509KeyPair");
    await Deno.writeTextFile(path, `basic_auth_users:\n  u: ${HASH}\n`);
    const c = await loadWebConfig(path);
    assertEquals([c.tls, c.files, c.users.get("u")], [undefined, [path], HASH]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
