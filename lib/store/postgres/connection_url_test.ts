import { assertEquals, assertThrows } from "@std/assert";
import {
  describeTarget,
  parsePostgresUrl,
  PostgresUrlError,
} from "@lib/store/postgres/connection_url.ts";

Deno.test("parsePostgresUrl() reads user, password, host, port, database and sslmode", () => {
  const t = parsePostgresUrl("postgres://gw:p%40ss@db.example:5433/metrics?sslmode=verify-full");
  assertEquals(t.user, "gw");
  assertEquals(t.password, "p@ss");
  assertEquals(t.hosts, ["db.example"]);
  assertEquals(t.ports, [5433]);
  assertEquals(t.database, "metrics");
  assertEquals(t.sslmode, "verify-full");
});

Deno.test("parsePostgresUrl() defaults as libpq: port 5432, sslmode prefer, localhost", () => {
  const t = parsePostgresUrl("postgresql://");
  assertEquals([t.hosts, t.ports, t.database, t.user, t.password], [
    ["localhost"],
    [5432],
    undefined,
    undefined,
    undefined,
  ]);
  assertEquals(t.sslmode, "prefer");
  assertEquals(parsePostgresUrl("postgres://h/d").ports, [5432]);
});

Deno.test("parsePostgresUrl() takes several hosts, IPv6 and a socket directory", () => {
  const multi = parsePostgresUrl(
    "postgres://u@h1:5432,h2:6432/db?target_session_attrs=read-write",
  );
  assertEquals(multi.hosts, ["h1", "h2"]);
  assertEquals(multi.ports, [5432, 6432]);
  assertEquals(multi.targetSessionAttrs, "read-write");
  assertEquals(describeTarget(multi), "h1:5432,h2:6432/db");
  const v6 = parsePostgresUrl("postgres://[::1]:7000/db");
  assertEquals([v6.hosts, v6.ports], [["::1"], [7000]]);
  const sock = parsePostgresUrl("postgres://u@%2Fvar%2Frun%2Fpostgresql/db");
  assertEquals(sock.hosts, ["/var/run/postgresql"]);
  const sockParam = parsePostgresUrl("postgres:///db?host=/tmp/pg&port=5433");
  assertEquals([sockParam.hosts, sockParam.ports], [["/tmp/pg"], [5433]]);
  assertEquals(describeTarget(sockParam), "/tmp/pg/db");
});

Deno.test("parsePostgresUrl() query parameters override the URL's parts", () => {
  const t = parsePostgresUrl(
    "postgres://a:b@h/d?user=u2&password=p2&dbname=d2&application_name=gw1&connect_timeout=3" +
      "&sslrootcert=/ca.pem&sslcert=/c.pem&sslkey=/k.pem",
  );
  assertEquals([t.user, t.password, t.database], ["u2", "p2", "d2"]);
  assertEquals(t.applicationName, "gw1");
  assertEquals(t.connectTimeoutSeconds, 3);
  assertEquals([t.sslrootcert, t.sslcert, t.sslkey], ["/ca.pem", "/c.pem", "/k.pem"]);
});

Deno.test("parsePostgresUrl() refuses what it cannot honour, without showing the password", () => {
  const bad: [string, string][] = [
    ["mysql://h/d", "must start with postgres:// or postgresql://"],
    ["postgres://h/d?sslmode=sometimes", 'invalid sslmode "sometimes"'],
    ["postgres://h/d?options=-c%20x", 'unsupported parameter "options"'],
    ["postgres://h:99999/d", 'invalid port "99999"'],
    ["postgres://h:x/d", 'invalid port "x"'],
    ["postgres://h/d?connect_timeout=soon", 'invalid connect_timeout "soon"'],
    ["postgres://h/d?target_session_attrs=prefer-standby", "unsupported target_session_attrs"],
    ["postgres://h1,h2/d?port=1,2,3", "different number of hosts and ports"],
    ["postgres://u:s3cret@[::1/d", "unclosed ["],
    ["postgres://u:%zz@h/d", "invalid percent-encoding in the password"],
  ];
  for (const [url, want] of bad) {
    const err = assertThrows(() => parsePostgresUrl(url), PostgresUrlError, want);
    assertEquals(err.message.includes("s3cret"), false, url);
  }
});
