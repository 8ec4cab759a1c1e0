/**
 * The deployment examples of the shared store (`packaging/kubernetes/`,
 * `packaging/compose/`) cannot be run here (no cluster, no Docker engine).
 * These tests parse them and check what can be checked: every flag exists
 * and parses, the database password comes from a file (never the URL), the
 * probe and scrape paths are served by the gateway, and Prometheus takes the
 * scrape configuration (`promtool`, when installed).
 */

import { assert, assertEquals } from "@std/assert";
import { parse, parseAllDocuments } from "yaml";
import { parseFlags, validateStorage, validateUnsupported } from "@lib/cli/flags.ts";
import { redactUrlPassword } from "@lib/cli/redact.ts";
import { createApp } from "@lib/http/app.ts";
import { testAppContext } from "@lib/http/test_context.ts";
import { run } from "./helpers/gateway.ts";
import { hasProgram, testNeeding } from "./helpers/requirements.ts";

const ROOT = new URL("../packaging/", import.meta.url);
const K8S = new URL("kubernetes/pushgateway-ha.yaml", ROOT);
const COMPOSE = new URL("compose/compose.yaml", ROOT);
const PROMETHEUS = new URL("compose/prometheus.yml", ROOT);

type Doc = Record<string, unknown>;

function at(doc: unknown, ...path: (string | number)[]): unknown {
  let v: unknown = doc;
  for (const p of path) v = (v as Record<string | number, unknown> | undefined)?.[p];
  return v;
}

/** Checks a replica's arguments: they parse, use the shared store, carry no password. */
function checkArgs(args: string[]): { passwordFile: string } {
  const parsed = parseFlags(args);
  assert(parsed.kind === "run", `flags parse: ${JSON.stringify(parsed)}`);
  assertEquals(validateUnsupported(parsed.config), undefined);
  assertEquals(validateStorage(parsed.config), undefined);
  const url = parsed.config.postgresUrl;
  assert(url.startsWith("postgres://"), url);
  assertEquals(redactUrlPassword(url), url, "no password in the URL");
  assert(parsed.config.postgresPasswordFile !== "", "the password comes from a file");
  return { passwordFile: parsed.config.postgresPasswordFile };
}

/** GETs `path` from the application as the shared store configures it. */
async function served(path: string): Promise<number> {
  const app = createApp(testAppContext({ ownMetricsApart: true }));
  const res = await app(new Request(`http://gw${path}`));
  await res.body?.cancel();
  return res.status;
}

Deno.test("the Kubernetes manifest: flags, password file from the Secret, probes served", async () => {
  const docs = parseAllDocuments(await Deno.readTextFile(K8S)).map((d) => d.toJS() as Doc);
  assertEquals(docs.map((d) => d.kind), ["Secret", "Deployment", "Service", "PodDisruptionBudget"]);
  const deployment = docs[1]!;
  assert((at(deployment, "spec", "replicas") as number) >= 2, "several replicas");
  const pod = at(deployment, "spec", "template", "spec") as Doc;
  const container = at(pod, "containers", 0) as Doc;
  const { passwordFile } = checkArgs(container.args as string[]);
  const mounts = container.volumeMounts as { name: string; mountPath: string }[];
  const mount = mounts.find((m) => passwordFile.startsWith(m.mountPath + "/"));
  assert(mount, "the password file is in a mounted volume");
  const volume = (pod.volumes as Doc[]).find((v) => v.name === mount.name);
  assertEquals(at(volume, "secret", "secretName"), at(docs[0], "metadata", "name"));
  assertEquals(at(container, "ports", 0, "containerPort"), 9091, "the default listen port");
  for (const probe of ["readinessProbe", "livenessProbe"]) {
    const path = at(container, probe, "httpGet", "path") as string;
    assertEquals(await served(path), 200, `${probe} ${path}`);
  }
  assertEquals(at(container, "readinessProbe", "httpGet", "path"), "/-/ready");
  assertEquals(at(docs[2], "spec", "selector"), at(deployment, "spec", "selector", "matchLabels"));
  // The Prometheus jobs in the comments scrape paths that are served.
  const text = await Deno.readTextFile(K8S);
  assert(text.includes("honor_labels: true"));
  assert(text.includes("metrics_path: /-/metrics"));
  assertEquals(await served("/-/metrics"), 200);
});

Deno.test("the compose file: flags, password from a secret, Prometheus scraping served paths", async () => {
  const compose = parse(await Deno.readTextFile(COMPOSE)) as Doc;
  const gw = at(compose, "services", "pushgateway") as Doc;
  const { passwordFile } = checkArgs(gw.command as string[]);
  assertEquals(passwordFile, "/run/secrets/postgres-password");
  assertEquals(gw.secrets, ["postgres-password"]);
  assert((at(gw, "deploy", "replicas") as number) >= 2);
  assertEquals(
    at(compose, "services", "postgres", "environment", "POSTGRES_PASSWORD_FILE"),
    passwordFile,
    "the database and the replicas read one secret",
  );
  const prometheus = parse(await Deno.readTextFile(PROMETHEUS)) as Doc;
  const jobs = prometheus.scrape_configs as Doc[];
  const groups = jobs.find((j) => j.job_name === "pushgateway")!;
  assertEquals(groups.honor_labels, true);
  assertEquals(at(groups, "static_configs", 0, "targets"), ["pushgateway:9091"], "once, by name");
  const replicas = jobs.find((j) => j.job_name === "pushgateway-replicas")!;
  for (const job of [groups, replicas]) {
    const path = (job.metrics_path as string | undefined) ?? "/metrics";
    assertEquals(await served(path), 200, path);
  }
  assertEquals(replicas.metrics_path, "/-/metrics");
});

const PROMTOOL = {
  available: hasProgram("promtool"),
  reason: "promtool (Debian's prometheus package) is not installed",
};

testNeeding(PROMTOOL, "promtool accepts the compose file's Prometheus configuration", async () => {
  const out = await run("promtool", ["check", "config", new URL(PROMETHEUS).pathname]);
  assertEquals(out.code, 0, out.stdout + out.stderr);
  assert(out.stdout.includes("SUCCESS"), out.stdout);
});
