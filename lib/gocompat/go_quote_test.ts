import { assertEquals } from "@std/assert";
import { goQuote, goQuoteByte, goQuoteBytes } from "@lib/gocompat/go_quote.ts";

/** Bytes of a string whose code units are byte values. */
function bytes(s: string): Uint8Array {
  return Uint8Array.from(s, (c) => c.charCodeAt(0));
}

Deno.test("goQuote matches Go's %q", () => {
  const table: [Uint8Array, string][] = [
    [bytes("plain"), '"plain"'],
    [bytes('a"b\\c'), '"a\\"b\\\\c"'],
    [bytes("\n\t\r\x07\x00\x7f"), '"\\n\\t\\r\\a\\x00\\x7f"'],
    [bytes("\xbd\xff"), '"\\xbd\\xff"'],
    [new TextEncoder().encode("é€😀"), '"é€😀"'],
    [new TextEncoder().encode("\u00a0\u00ad\u200b"), '"\\u00a0\\u00ad\\u200b"'],
    [new TextEncoder().encode("\u{e0001}"), '"\\U000e0001"'],
    [bytes("\xed\xa0\x80"), '"\\xed\\xa0\\x80"'],
  ];
  for (const [input, want] of table) assertEquals(goQuoteBytes(input), want);
  assertEquals(goQuote("x\ny"), '"x\\ny"');
});

Deno.test("goQuoteByte quotes like %q of a byte", () => {
  assertEquals(goQuoteByte(0x41), "'A'");
  assertEquals(goQuoteByte(0x0a), "'\\n'");
  assertEquals(goQuoteByte(0x27), "'\\''");
});
