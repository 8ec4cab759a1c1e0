import { assertEquals } from "@std/assert";
import { escapeHtml } from "@lib/ui/html.ts";

Deno.test("escapeHtml() escapes the five special characters and nothing else", () => {
  const cases: [string, string][] = [
    ["", ""],
    ["plain text ü ✓", "plain text ü ✓"],
    [`<script>alert("x")</script>`, "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"],
    ["a & b", "a &amp; b"],
    ["it's", "it&#39;s"],
    ["&amp;", "&amp;amp;"],
  ];
  for (const [input, want] of cases) assertEquals(escapeHtml(input), want);
});
