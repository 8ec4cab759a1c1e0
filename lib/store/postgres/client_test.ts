import { assertEquals, assertThrows } from "@std/assert";
import {
  choosePassword,
  passwordFromFile,
  readTlsFiles,
  sslOption,
} from "@lib/store/postgres/client.ts";
import { parsePostgresUrl, PostgresUrlError } from "@lib/store/postgres/connection_url.ts";

Deno.test("choosePassword(): the URL's or the file's, else PGPASSWORD; both at once is refused", () => {
  const withPw = parsePostgresUrl("postgres://u:url@h/d");
  const without = parsePostgresUrl("postgres://u@h/d");
  assertEquals(choosePassword(withPw, { env: "env" }), "url");
  assertEquals(choosePassword(without, { file: "file", env: "env" }), "file");
  assertEquals(choosePassword(without, { env: "env" }), "env");
  assertEquals(choosePassword(without, {}), undefined);
  assertThrows(
    () => choosePassword(withPw, { file: "file" }),
    PostgresUrlError,
    "use one of them",
  );
});

Deno.test("passwordFromFile() takes the first line without its line end", () => {
  assertEquals(passwordFromFile("s3cret\n"), "s3cret");
  assertEquals(passwordFromFile("s3cret\r\nignored\n"), "s3cret");
  assertEquals(passwordFromFile("no newline"), "no newline");
  assertEquals(passwordFromFile(" spaces kept \n"), " spaces kept ");
});

Deno.test("sslOption() maps libpq's sslmode onto the client's TLS options", () => {
  const mode = (m: string) => parsePostgresUrl(`postgres://h/d?sslmode=${m}`);
  assertEquals(sslOption(mode("disable"), {}), false);
  assertEquals(sslOption(mode("allow"), {}), "prefer");
  assertEquals(sslOption(mode("prefer"), {}), "prefer");
  assertEquals(sslOption(parsePostgresUrl("postgres://h/d"), {}), "prefer");
  assertEquals(sslOption(mode("require"), {}), "require");
  const verifyCa = sslOption(mode("verify-ca"), { ca: "CA" }) as Record<string, unknown>;
  assertEquals([verifyCa.rejectUnauthorized, verifyCa.ca], [true, "CA"]);
  assertEquals(typeof verifyCa.checkServerIdentity, "function", "no host name check");
  const full = sslOption(mode("verify-full"), { ca: "CA", cert: "C", key: "K" });
  assertEquals(full, { rejectUnauthorized: true, ca: "CA", cert: "C", key: "K" });
  // As libpq: require with a root certificate verifies the chain.
  const requireCa = sslOption(mode("require"), { ca: "CA" }) as Record<string, unknown>;
  assertEquals(requireCa.rejectUnauthorized, true);
});

Deno.test("readTlsFiles() reads the named files and names the one it cannot read", () => {
  const t = parsePostgresUrl("postgres://h/d?sslrootcert=/ca.pem&sslkey=/missing.pem");
  const files: Record<string, string> = { "/ca.pem": "CA" };
  const read = (p: string) => {
    const v = files[p];
    if (v === undefined) throw new Deno.errors.NotFound(`no ${p}`);
    return v;
  };
  assertThrows(() => readTlsFiles(t, read), PostgresUrlError, "cannot read sslkey /missing.pem");
  files["/missing.pem"] = "K";
  assertEquals(readTlsFiles(t, read), { ca: "CA", cert: undefined, key: "K" });
});
