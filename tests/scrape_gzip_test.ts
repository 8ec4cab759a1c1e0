/**
 * The gzip-compressed scrape of a large store (one gzip member assembled from
 * cached deflate pieces) read by real clients: `gzip -t` and `gzip -dc`,
 * Python's `gzip` and `zlib` (which also checks that the body is exactly one
 * member), curl `--compressed`, Deno's `fetch` and Chromium. curl, Chromium
 * and Deno's `fetch` read only the first member of a body, so a body of
 * several members would show here as a truncated exposition. Each client
 * must see exactly the identity scrape, on an unchanged store and right
 * after a one-group push.
 *
 * @module
 */

import { sampleLines } from "@lib/http/test_client.ts";
import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { chromium } from "npm:playwright-core@1.65.1";
import { run, testWithGateway } from "./helpers/gateway.ts";
import { fillGroups, groupBody, groupPath, withoutOwnFamilies } from "./helpers/fill.ts";
import { hasProgram } from "./helpers/requirements.ts";

const CHROMIUM = "/usr/bin/chromium";
const PYTHON = "/usr/bin/python3";
const PROGRAMS = ["curl", "gzip", PYTHON, CHROMIUM];
const missing = PROGRAMS.filter((p) => !hasProgram(p));

const GROUPS = 3000;

/** Reads a file that must hold exactly one gzip member, and writes what it holds. */
const PYTHON_READER = `
import gzip, sys, zlib
data = open(sys.argv[1], "rb").read()
d = zlib.decompressobj(31)
out = d.decompress(data) + d.flush()
if not d.eof or d.unused_data != b"":
    sys.exit("not exactly one gzip member: %d bytes after it" % len(d.unused_data))
if gzip.decompress(data) != out:
    sys.exit("gzip.decompress differs from zlib")
sys.stdout.buffer.write(out)
`;

testWithGateway(
  "gzip scrapes of 3,000 groups: gzip -t, Python, curl --compressed, Deno fetch and Chromium read all of it",
  [],
  async (gw) => {
    const dir = await Deno.makeTempDir({ prefix: "scrape_gzip_test_" });
    let browser: Awaited<ReturnType<typeof chromium.launchPersistentContext>> | undefined;
    try {
      await fillGroups(gw.url, GROUPS);
      browser = await chromium.launchPersistentContext(`${dir}/chromium`, {
        executablePath: CHROMIUM,
        headless: true,
        args: [
          "--no-sandbox",
          "--disable-gpu",
          "--disable-background-networking",
          "--disable-component-update",
          "--disable-sync",
          "--no-first-run",
        ],
      });
      const page = browser.pages()[0] ?? await browser.newPage();
      const url = `${gw.url}/metrics`;

      for (const round of ["unchanged store", "right after a one-group push"]) {
        if (round !== "unchanged store") {
          const res = await fetch(gw.url + groupPath(1234), {
            method: "PUT",
            body: groupBody(1234, 55555),
          });
          assertEquals(res.status, 200, await res.text());
        }
        const identity = await fetch(url, { headers: { "accept-encoding": "identity" } });
        assertEquals(identity.headers.get("content-encoding"), null);
        const expected = withoutOwnFamilies(await identity.text());
        assertEquals(sampleLines(expected, "fill_requests_total").length, 3 * GROUPS);
        assertEquals(
          expected.includes(
            'fill_requests_total{code="200",instance="host-1234",job="fill"} 388885\n',
          ),
          round !== "unchanged store",
          round,
        );
        const same = (text: string, client: string) => {
          const got = withoutOwnFamilies(text);
          assertEquals(got.length, expected.length, `${client}, ${round}`);
          assert(got === expected, `${client}, ${round}: differs from the identity scrape`);
        };

        // The raw compressed body, as curl receives it without decoding.
        const gz = `${dir}/metrics.gz`;
        const raw = await run("curl", [
          "-sS",
          "--fail",
          "-H",
          "Accept-Encoding: gzip",
          "-D",
          `${dir}/headers.txt`,
          "-o",
          gz,
          url,
        ]);
        assertEquals(raw.code, 0, raw.stderr);
        assertStringIncludes(
          (await Deno.readTextFile(`${dir}/headers.txt`)).toLowerCase(),
          "content-encoding: gzip",
        );
        const compressed = await Deno.readFile(gz);
        assert(compressed.length * 5 < expected.length, `${compressed.length} compressed bytes`);

        const test = await run("gzip", ["-t", gz]);
        assertEquals([test.code, test.stderr], [0, ""], "gzip -t");
        const gunzip = await run("gzip", ["-dc", gz]);
        assertEquals(gunzip.code, 0, gunzip.stderr);
        same(gunzip.stdout, "gzip -dc");

        const python = await run(PYTHON, ["-c", PYTHON_READER, gz]);
        assertEquals(python.code, 0, python.stderr);
        same(python.stdout, "Python gzip/zlib");

        const curl = await run("curl", ["-sS", "--fail", "--compressed", url]);
        assertEquals(curl.code, 0, curl.stderr);
        same(curl.stdout, "curl --compressed");

        const viaFetch = await fetch(url, { headers: { "accept-encoding": "gzip" } });
        assertEquals(viaFetch.headers.get("content-encoding"), "gzip");
        same(await viaFetch.text(), "Deno fetch");

        const response = await page.goto(url);
        assert(response !== null);
        assertEquals(response.headers()["content-encoding"], "gzip", "Chromium's response");
        same(await response.text(), "Chromium");
      }
    } finally {
      await browser?.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
  { needs: { available: missing.length === 0, reason: `missing ${missing.join(", ")}` } },
);
