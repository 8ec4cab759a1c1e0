/**
 * What a start loads before it serves: the modules `main.ts` imports
 * statically (dynamic imports load later, when their feature is used).
 *
 * None of them may be a `node:` module, nor `@std/internal/os` (which reads
 * `globalThis.process`): either makes Deno start its Node.js compatibility
 * layer, measured at 30–50 ms of every start and of every restore
 * (docs/benchmark.md, "Start without the Node.js layer"). npm packages are
 * listed one by one: each was checked to import nothing of Node's.
 *
 * @module
 */

import { assert, assertEquals } from "@std/assert";

/** npm packages a start may load (pure JavaScript; none imports a `node:` module). */
const STARTUP_NPM = ["@bufbuild/protobuf", "@noble/hashes"];

interface InfoModule {
  readonly specifier: string;
  readonly dependencies?: readonly {
    readonly isDynamic?: boolean;
    readonly code?: { readonly specifier?: string };
  }[];
}

/** The specifiers `root` imports statically, directly or not (type-only imports left out). */
async function staticClosure(root: string): Promise<Set<string>> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", root],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
  const info = JSON.parse(new TextDecoder().decode(out.stdout)) as {
    roots: string[];
    modules: InfoModule[];
  };
  const modules = new Map(info.modules.map((m) => [m.specifier, m]));
  const seen = new Set<string>();
  const todo = [...info.roots];
  while (todo.length > 0) {
    const specifier = todo.pop()!;
    if (seen.has(specifier)) continue;
    seen.add(specifier);
    for (const dep of modules.get(specifier)?.dependencies ?? []) {
      if (dep.isDynamic !== true && dep.code?.specifier) todo.push(dep.code.specifier);
    }
  }
  return seen;
}

/** `npm:/@scope/name@1.2.3/sub` → `@scope/name`. */
function npmPackage(specifier: string): string {
  const m = /^npm:\/?((?:@[^/]+\/)?[^@/]+)/.exec(specifier);
  return m?.[1] ?? specifier;
}

Deno.test("a start loads no node: module, nothing that reads globalThis.process, and only listed npm packages", async () => {
  const loaded = await staticClosure(new URL("../main.ts", import.meta.url).href);
  // The walk reached the whole application (a broken walk would find nothing to complain about).
  const ours = [...loaded].filter((s) => s.includes("/lib/"));
  assert(ours.length > 50, `${ours.length} lib modules reached`);
  assertEquals(loaded.has(new URL("../lib/store/persistence.ts", import.meta.url).href), true);

  assertEquals([...loaded].filter((s) => s.startsWith("node:")), []);
  assertEquals([...loaded].filter((s) => s.endsWith("/std/internal/os.ts")), []);
  const npm = new Set([...loaded].filter((s) => s.startsWith("npm:")).map(npmPackage));
  assertEquals([...npm].filter((p) => !STARTUP_NPM.includes(p)), []);
});

Deno.test("the walk sees node: imports where they are (the check above can fail)", async () => {
  // The PostgreSQL store is imported only with --storage.postgres-url; its client uses node:net.
  const loaded = await staticClosure(
    new URL("../lib/store/postgres/setup.ts", import.meta.url).href,
  );
  assertEquals([...loaded].some((s) => npmPackage(s) === "postgres"), true);
  const gzip = await staticClosure(new URL("../lib/http/body.ts", import.meta.url).href);
  assertEquals([...gzip].some((s) => s.startsWith("node:")), false, "body.ts loads zlib lazily");
  const selfTest = await staticClosure(
    new URL("../lib/http/scrape_cache_test.ts", import.meta.url).href,
  );
  assertEquals(selfTest.has("node:zlib"), true, "a test that imports node:zlib statically");
});
