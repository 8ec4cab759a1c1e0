/**
 * The project's notes on upstream's behaviour (`docs/upstream.md`): every `§`
 * reference in the sources and docs names its document, every reference to the
 * notes lands on a section that exists, and the notes name every entry of
 * `tests/known_differences.ts`.
 */

import { assert, assertEquals } from "@std/assert";
import { walk } from "@std/fs";
import { relative } from "@std/path";
import { KNOWN_DIFFERENCES } from "./known_differences.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const NOTES = "docs/upstream.md";
/** Documents a `§` may refer to: the notes, and the shared docs named by file. */
const DOCUMENTS = [NOTES, "clients.md", "toolchain.md"];

/** Section numbers of a markdown text: `## 4. Title` is `4`, `### 4.6 Title` is `4.6`. */
export function sectionNumbers(markdown: string): Set<string> {
  const out = new Set<string>();
  for (const m of markdown.matchAll(/^#{2,3} (\d+(?:\.\d+)?)[. ]/gm)) out.add(m[1] as string);
  return out;
}

/** One `§` reference: the document it names (undefined: none), the section, the line. */
export interface Reference {
  readonly document: string | undefined;
  readonly section: string;
  readonly line: number;
}

const SECTION = /§(\d+(?:\.\d+)*)/g;
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
/** A document's name, then a run of sections: `docs/upstream.md §4.4, §5`, `§5 and §7`. */
const RUN = new RegExp(
  `(${DOCUMENTS.map(escape).join("|")}) (§[\\d.]+(?:(?:,| and| or) §[\\d.]+)*)`,
  "g",
);

/**
 * The `§` references of `text`. Inside `self` (a document's own text) a bare
 * `§` refers to that document.
 */
export function references(text: string, self?: string): Reference[] {
  const lineOf = (index: number) => text.slice(0, index).split("\n").length;
  const named = new Map<number, string>();
  for (const run of text.matchAll(RUN)) {
    const start = (run.index as number) + (run[1] as string).length + 1;
    for (const s of (run[2] as string).matchAll(SECTION)) {
      named.set(start + (s.index as number), run[1] as string);
    }
  }
  return [...text.matchAll(SECTION)].map((m) => ({
    document: named.get(m.index as number) ?? self,
    section: (m[1] as string).replace(/\.$/, ""),
    line: lineOf(m.index as number),
  }));
}

Deno.test("references: runs name their document; bare ones name none", () => {
  const text = "see docs/upstream.md §4.4, §5 and §7.1.\nclients.md §3; spec §2";
  assertEquals(references(text).map((r) => [r.document, r.section, r.line]), [
    [NOTES, "4.4", 1],
    [NOTES, "5", 1],
    [NOTES, "7.1", 1],
    ["clients.md", "3", 2],
    [undefined, "2", 2],
  ]);
  assertEquals(references("(§2.3, §13.3)", NOTES).map((r) => r.document), [NOTES, NOTES]);
  assertEquals([...sectionNumbers("# T\n## 4. Push\n### 4.6 Poison\n#### 4.6.1 x\n")], [
    "4",
    "4.6",
  ]);
});

Deno.test("every § reference names its document and lands on a section of the notes", async () => {
  const notes = await Deno.readTextFile(`${ROOT}${NOTES}`);
  const sections = sectionNumbers(notes);
  assert(sections.has("4.6") && sections.has("13.12"), "the notes keep their numbering");
  const problems: string[] = [];
  let count = 0;
  const files = walk(ROOT, {
    includeDirs: false,
    exts: [".ts", ".md"],
    skip: [/\/\.git\//, /\/vendor\//, /\/node_modules\//, /\/tests\/testdata\//],
  });
  for await (const entry of files) {
    const path = relative(ROOT, entry.path);
    if (path === "tests/docs_test.ts") continue; // its examples above
    const text = await Deno.readTextFile(entry.path);
    for (const ref of references(text, path === NOTES ? NOTES : undefined)) {
      const where = `${path}:${ref.line} §${ref.section}`;
      if (ref.document === undefined) problems.push(`${where} names no document`);
      else if (ref.document === NOTES) {
        count++;
        if (!sections.has(ref.section)) problems.push(`${where}: no such section in ${NOTES}`);
      }
    }
  }
  assertEquals(problems, []);
  assert(count > 100, `only ${count} references to ${NOTES} found`);
});

Deno.test("the notes name every known difference where they describe the behaviour", async () => {
  const notes = await Deno.readTextFile(`${ROOT}${NOTES}`);
  const unnamed = KNOWN_DIFFERENCES.map((d) => d.id).filter((id) => !notes.includes(`\`${id}\``));
  assertEquals(unnamed, [], `add an "Ours:" line naming each id to ${NOTES}`);
  for (const d of KNOWN_DIFFERENCES) {
    assert(d.upstream.startsWith(`${NOTES} §`), `${d.id}: upstream must cite ${NOTES}`);
  }
});
