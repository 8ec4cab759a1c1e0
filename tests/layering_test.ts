/**
 * The architecture as a test: the folders of `lib/` and which may import
 * which (see docs/architecture.md). A new edge fails here until it is added
 * to {@linkcode ALLOWED} on purpose. Tests, benches and test support
 * (`test_*.ts`) may import anything.
 *
 * @module
 */

import { assertEquals } from "@std/assert";
import { walk } from "@std/fs";
import { dirname, fromFileUrl, join, relative } from "@std/path";

const ROOT = fromFileUrl(new URL("..", import.meta.url));
const LIB = join(ROOT, "lib");

/**
 * Folder → the folders its source files may import ("." is `lib/` itself:
 * `log.ts` and `version.ts`). A folder may always import from itself.
 */
const ALLOWED: Readonly<Record<string, readonly string[]>> = {
  "gocompat": [],
  "compress": [],
  "gob": [],
  ".": ["gocompat"],
  "model": ["gocompat"],
  "protobuf": ["model"],
  "expfmt": ["model", "gocompat", "protobuf"],
  "store": ["model", "gocompat", "protobuf", "gob"],
  // The shared store (PostgreSQL): the store's state machine and interface, the codec.
  "store/postgres": ["store", "model", "gocompat", "protobuf", "."],
  "cli": [".", "gocompat"],
  "http": [".", "compress", "expfmt", "gocompat", "model", "protobuf", "store"],
  "ui": [".", "gocompat", "http", "model", "store"],
  "web": ["gocompat", "http"],
};

/** Source files: not tests, benches or test support (`test_*.ts`, e.g. `http/test_app.ts`). */
function isSource(path: string): boolean {
  const name = path.slice(path.lastIndexOf("/") + 1);
  return name.endsWith(".ts") && !name.endsWith("_test.ts") && !name.endsWith("_bench.ts") &&
    !name.startsWith("test_");
}

/** The import specifiers of a module (static imports, re-exports and dynamic imports). */
function specifiers(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)[^"';]*?from\s*["']([^"']+)["']/g)) {
    out.push(m[1] as string);
  }
  for (const m of text.matchAll(/import\(\s*["']([^"']+)["']\s*\)/g)) out.push(m[1] as string);
  return out;
}

async function libSources(): Promise<Map<string, string[]>> {
  const files = new Map<string, string[]>();
  for await (const entry of walk(LIB, { includeDirs: false, exts: [".ts"] })) {
    if (!isSource(entry.path)) continue;
    files.set(relative(LIB, entry.path), specifiers(await Deno.readTextFile(entry.path)));
  }
  return files;
}

Deno.test("lib/ folders import only along the allowed edges", async () => {
  const unexpected: string[] = [];
  for (const [file, specs] of await libSources()) {
    const from = dirname(file);
    for (const spec of specs) {
      if (!spec.startsWith("@lib/")) continue;
      const to = dirname(spec.slice("@lib/".length));
      if (to === from) continue;
      if (!(from in ALLOWED)) unexpected.push(`${file}: folder ${from} is not in the table`);
      else if (!ALLOWED[from]!.includes(to)) unexpected.push(`${file}: ${from} -> ${to} (${spec})`);
    }
  }
  assertEquals(unexpected, []);
});

Deno.test("lib/ uses one import style: @lib/ paths, no relative imports of modules", async () => {
  const relativeImports: string[] = [];
  for (const [file, specs] of await libSources()) {
    for (const spec of specs) {
      // Relative imports are only for the UI's static assets (text imports outside lib/).
      if (spec.startsWith(".") && spec.endsWith(".ts")) relativeImports.push(`${file}: ${spec}`);
    }
  }
  assertEquals(relativeImports, []);
});

Deno.test("the table names every folder of lib/", async () => {
  const folders = new Set<string>();
  for (const file of (await libSources()).keys()) folders.add(dirname(file));
  assertEquals([...folders].filter((f) => !(f in ALLOWED)).sort(), []);
});

/** Source files of `lib/` allowed past {@linkcode MAX_LINES}: the text parser mirrors Go's own state machine. */
const LONG_FILES = new Set(["expfmt/text_parse.ts"]);
/** Files a reader can hold. */
const MAX_LINES = 600;

Deno.test(`lib/ source files stay under ${MAX_LINES} lines (the text parser aside)`, async () => {
  const long: string[] = [];
  for await (const entry of walk(LIB, { includeDirs: false, exts: [".ts"] })) {
    const file = relative(LIB, entry.path);
    if (!isSource(file) || LONG_FILES.has(file)) continue;
    const lines = (await Deno.readTextFile(entry.path)).split("\n").length;
    if (lines > MAX_LINES) long.push(`${file}: ${lines} lines`);
  }
  assertEquals(long, []);
});
