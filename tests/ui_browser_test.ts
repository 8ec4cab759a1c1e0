/**
 * The web UI in a real browser (Debian's Chromium driven by playwright-core)
 * against the real gateway process: push groups, load the page under a route
 * prefix, expand panels (remembered across a reload), filter, open the
 * Status tab, delete a group through its button and check it is gone from
 * `/metrics`, then wipe everything with "Delete All". Set `UI_TEST_KEEP=1`
 * to keep the screenshots.
 *
 * @module
 */

import { assertEquals, assertStringIncludes } from "@std/assert";
import { chromium } from "npm:playwright-core@1.65.1";
import { request } from "@lib/http/test_client.ts";
import { withGateway } from "./helpers/gateway.ts";
import { hasProgram, testNeeding } from "./helpers/requirements.ts";

const CHROMIUM = "/usr/bin/chromium";
const PREFIX = "/pg";

const BATCH = `# HELP jobs_done_total Jobs <done>.
# TYPE jobs_done_total counter
jobs_done_total{shard="a"} 12
jobs_done_total{shard="b"} 3
# TYPE latency_seconds summary
latency_seconds{quantile="0.5"} 0.25
latency_seconds{quantile="0.99"} 1.5
latency_seconds_sum 42
latency_seconds_count 100
# TYPE size_bytes histogram
size_bytes_bucket{le="100"} 1
size_bytes_bucket{le="1000"} 4
size_bytes_bucket{le="+Inf"} 5
size_bytes_sum 3210
size_bytes_count 5
`;

/**
 * Polls `expression` in the page until it is true. (`page.waitForFunction`
 * evaluates strings with `eval`, which the page's CSP rightly forbids.)
 */
async function waitFor(
  page: { evaluate(expression: string): Promise<unknown> },
  expression: string,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if (await page.evaluate(expression) === true) return;
    } catch {
      // Navigation in progress: the context is gone for a moment.
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${expression}`);
}

testNeeding(
  { available: hasProgram(CHROMIUM), reason: `Chromium not found at ${CHROMIUM}` },
  "web UI in Chromium: list, expand, filter, status, delete a group",
  async () => {
    const dir = await Deno.makeTempDir({ prefix: "ui_browser_test_" });
    try {
      await withGateway(
        [`--web.route-prefix=${PREFIX}`, "--web.enable-admin-api"],
        (gateway) => driveBrowser(`${gateway.url}${PREFIX}`, dir),
      );
    } finally {
      if (Deno.env.get("UI_TEST_KEEP") === "1") console.log(`screenshots kept in ${dir}`);
      else await Deno.remove(dir, { recursive: true });
    }
  },
  { sanitizeResources: false, sanitizeOps: false },
);

/** Drives Chromium through the UI at `base`; screenshots go to `dir`. */
async function driveBrowser(base: string, dir: string): Promise<void> {
  let browser: Awaited<ReturnType<typeof chromium.launchPersistentContext>> | undefined;
  try {
    assertEquals((await request(base, "PUT", "/metrics/job/batch/instance/h1", BATCH)).status, 200);
    assertEquals(
      (await request(base, "PUT", "/metrics/job/cleanup/instance@base64/=", "last_run 1.7e9\n"))
        .status,
      200,
    );
    assertEquals((await request(base, "PUT", "/metrics/job/flaky", "errors 1\n")).status, 200);
    // A timestamped sample is rejected: the group's last push failed.
    assertEquals((await request(base, "PUT", "/metrics/job/flaky", "errors 2 1000\n")).status, 400);

    // A fresh profile in the temp dir (playwright passes it as --user-data-dir).
    browser = await chromium.launchPersistentContext(`${dir}/profile`, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
      viewport: { width: 1280, height: 900 },
    });
    const page = browser.pages()[0] ?? await browser.newPage();
    const problems: string[] = [];
    page.on("pageerror", (err) => problems.push(`page error: ${err.message}`));
    page.on("console", (msg) => {
      if (msg.type() === "error") problems.push(`console: ${msg.text()}`);
    });
    page.on("requestfailed", (req) => {
      problems.push(`request failed: ${req.method()} ${req.url()}: ${req.failure()?.errorText}`);
    });

    const loaded = await page.goto(`${base}/`);
    assertEquals(loaded?.status(), 200);
    assertEquals(await page.evaluate(`document.querySelectorAll("details.group").length`), 3);
    // The stylesheet applied (CSP allows it): the top bar has its dark background.
    assertEquals(
      await page.evaluate(`getComputedStyle(document.querySelector(".topbar")).backgroundColor`),
      "rgb(28, 33, 40)",
    );
    const flaky = page.locator("details.group", { hasText: 'job="flaky"' });
    assertStringIncludes(await flaky.innerText(), "Last push failed!");

    // Expand the batch group and one of its families.
    const batch = page.locator("details.group", { hasText: 'job="batch"' });
    await batch.locator("> summary").click();
    assertEquals((await batch.getAttribute("open")) !== null, true);
    const latency = batch.locator("details.family", { hasText: "latency_seconds" });
    await latency.locator("> summary").click();
    const table = await latency.locator("table.samples").innerText();
    assertStringIncludes(table, "Quantile 0.99");
    assertStringIncludes(table, "1.5");
    assertStringIncludes(await batch.innerText(), "Jobs <done>.");
    await page.screenshot({ path: `${dir}/metrics.png`, fullPage: true });

    // Open panels survive a reload (sessionStorage).
    await page.reload();
    assertEquals((await batch.getAttribute("open")) !== null, true);
    assertEquals((await latency.getAttribute("open")) !== null, true);

    // Filter.
    await page.fill('input[name="q"]', "clean");
    await page.press('input[name="q"]', "Enter");
    await page.waitForURL(/\?q=clean$/);
    assertEquals(await page.evaluate(`document.querySelectorAll("details.group").length`), 1);
    await page.click("text=Clear");
    await page.waitForURL(`${base}/`);

    // Status tab.
    await page.click('nav.tabs >> text="Status"');
    await page.waitForURL(`${base}/status`);
    const status = await page.innerText("main");
    assertStringIncludes(status, "Build Information");
    assertStringIncludes(status, "web.route-prefix");
    await page.screenshot({ path: `${dir}/status.png`, fullPage: true });
    await page.click('nav.tabs >> text="Metrics"');
    await page.waitForURL(`${base}/`);

    // Delete the cleanup group (empty instance value) through its button.
    const dialogs: string[] = [];
    page.on("dialog", (dialog) => {
      dialogs.push(dialog.message());
      dialog.accept();
    });
    const cleanup = page.locator("details.group", { hasText: 'job="cleanup"' });
    await cleanup.locator("button[data-delete]").click();
    // The page reloads after a successful delete.
    await waitFor(
      page,
      `document.querySelectorAll("details.group").length === 2 && !document.querySelector(".deleted")`,
    );
    assertEquals(dialogs, [
      'Do you really want to delete all metrics of group {job="cleanup", instance=""}?',
    ]);
    const scrape = (await request(base, "GET", "/metrics")).text;
    assertEquals(scrape.includes('job="cleanup"'), false);
    assertStringIncludes(scrape, 'jobs_done_total{instance="h1",job="batch",shard="a"} 12');

    // "Delete All N Groups" wipes the store (admin API enabled).
    await page.click("button[data-wipe]");
    await waitFor(page, `document.querySelectorAll("details.group").length === 0`);
    assertEquals(dialogs.at(-1), "Do you really want to delete all 2 groups?");
    assertStringIncludes(await page.innerText("main"), "No metric groups have been pushed yet.");
    const api = JSON.parse((await request(base, "GET", "/api/v1/metrics")).text);
    assertEquals(api.data, []);
    assertEquals(problems, []);
  } finally {
    await browser?.close();
  }
}
