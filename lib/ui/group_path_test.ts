import { assertEquals } from "@std/assert";
import { parseGroupingKey } from "@lib/http/grouping_path.ts";
import { groupDeletePath, groupText, labelText, sortedLabelNames } from "@lib/ui/group_path.ts";

Deno.test("sortedLabelNames() puts job first, then the other names sorted", () => {
  const cases: [Record<string, string>, string[]][] = [
    [{ job: "j" }, ["job"]],
    [{ zeta: "1", job: "j", alpha: "2", instance: "i" }, ["job", "alpha", "instance", "zeta"]],
    [{ b: "1", a: "2" }, ["a", "b"]],
  ];
  for (const [labels, want] of cases) assertEquals(sortedLabelNames(labels), want);
});

Deno.test("labelText() quotes values and non-legacy names", () => {
  const cases: [string, string, string][] = [
    ["job", "batch", 'job="batch"'],
    ["a", 'say "hi"\n', 'a="say \\"hi\\"\\n"'],
    ["a.b", "x", '"a.b"="x"'],
    ["x", "", 'x=""'],
  ];
  for (const [name, value, want] of cases) assertEquals(labelText(name, value), want);
});

Deno.test("groupText() lists the labels in display order", () => {
  assertEquals(groupText({ z: "1", job: "j", a: "" }), '{job="j", a="", z="1"}');
});

Deno.test("groupDeletePath() is relative and parses back to the same grouping key", () => {
  const cases: [Record<string, string>, boolean, string][] = [
    [{ job: "batch" }, false, "metrics/job@base64/YmF0Y2g="],
    [{ job: "a/b", x: "" }, false, "metrics/job@base64/YS9i=/x@base64/="],
    [{ job: "j", instance: "h:1", zone: "ü/?" }, false, ""],
    [{ job: "j", "a.b": "v" }, true, ""],
    [{ job: "j", "U__x": "v" }, true, ""],
  ];
  for (const [labels, utf8Names, want] of cases) {
    const path = groupDeletePath(labels, utf8Names);
    if (want !== "") assertEquals(path, want);
    const m = path.match(/^metrics\/job@base64\/([^/]*)(\/.*)?$/);
    assertEquals(m !== null, true, path);
    const segs = (m?.[2] ?? "").split("/").map(decodeURIComponent).join("/");
    assertEquals(parseGroupingKey(m?.[1] ?? "", true, segs, { utf8Names }), labels);
  }
});
