import { assertEquals } from "@std/assert";
import { redactUrlPassword } from "@lib/cli/redact.ts";

Deno.test("redactUrlPassword() masks the userinfo password as Go's url.URL.Redacted", () => {
  const cases: [string, string][] = [
    ["postgres://gw:s3cret@db:5432/m", "postgres://gw:xxxxx@db:5432/m"],
    ["postgresql://gw:p%40ss@db/m?sslmode=require", "postgresql://gw:xxxxx@db/m?sslmode=require"],
    ["postgres://gw:@db/m", "postgres://gw:xxxxx@db/m"],
    // A raw @ in the password: the authority ends at the last @ before the path.
    ["postgres://gw:p@ss@db/m", "postgres://gw:xxxxx@db/m"],
    ["postgres://gw@db:5432/m", "postgres://gw@db:5432/m"],
    ["postgres://db:5432/m", "postgres://db:5432/m"],
    ["postgres://a:b@h1:1,h2:2/m", "postgres://a:xxxxx@h1:1,h2:2/m"],
    ["", ""],
    ["not a url", "not a url"],
  ];
  for (const [raw, want] of cases) assertEquals(redactUrlPassword(raw), want, raw);
});

Deno.test("redactUrlPassword() masks libpq's password= parameter", () => {
  assertEquals(
    redactUrlPassword("postgres://gw@db/m?sslmode=require&password=s3cret&application_name=x"),
    "postgres://gw@db/m?sslmode=require&password=xxxxx&application_name=x",
  );
  assertEquals(
    redactUrlPassword("postgres://gw:a@db/m?Password=b"),
    "postgres://gw:xxxxx@db/m?Password=xxxxx",
  );
});
