import { assertEquals, assertThrows } from "@std/assert";
import { HttpError } from "@lib/http/errors.ts";
import { parseGroupingKey } from "@lib/http/grouping_path.ts";
import { encodeGroupingPath } from "@lib/model/grouping_key.ts";

const LEGACY = { utf8Names: false };
const UTF8 = { utf8Names: true };

interface OkCase {
  name: string;
  job: string;
  b64?: boolean;
  rest: string;
  utf8?: boolean;
  want: Record<string, string>;
}

const OK_CASES: OkCase[] = [
  { name: "job only", job: "x", rest: "", want: { job: "x" } },
  { name: "trailing slash after job", job: "x", rest: "/", want: { job: "x" } },
  {
    name: "regular labels",
    job: "x",
    rest: "/label_name1/label_value1/label_name2/label_value2",
    want: { job: "x", label_name1: "label_value1", label_name2: "label_value2" },
  },
  {
    name: "trailing slash gives empty value",
    job: "x",
    rest: "/a/1/b/",
    want: { job: "x", a: "1", b: "" },
  },
  { name: "last repeated name wins", job: "x", rest: "/a/1/a/2", want: { job: "x", a: "2" } },
  { name: "job in labels is overridden", job: "x", rest: "/job/other", want: { job: "x" } },
  { name: "plus stays literal", job: "x", rest: "/a/a+b", want: { job: "x", a: "a+b" } },
  { name: "underscore name", job: "x", rest: "/_/1", want: { job: "x", _: "1" } },
  {
    name: "base64 value with slash",
    job: "x",
    rest: "/label_name1@base64/bGFiZWwvdmFsdWUx/label_name2/label_value2",
    want: { job: "x", label_name1: "label/value1", label_name2: "label_value2" },
  },
  {
    name: "base64 value with padding",
    job: "x",
    rest: "/label_name2@base64/bGFiZWwvdmFsdWUy==",
    want: { job: "x", label_name2: "label/value2" },
  },
  { name: "= is the empty value", job: "x", rest: "/a@base64/=", want: { job: "x", a: "" } },
  { name: "=== is the empty value", job: "x", rest: "/a@base64/===", want: { job: "x", a: "" } },
  { name: "empty base64 value", job: "x", rest: "/a@base64/", want: { job: "x", a: "" } },
  {
    name: "newlines in base64 are skipped",
    job: "x",
    rest: "/a@base64/YW\nJj",
    want: { job: "x", a: "abc" },
  },
  { name: "base64 job", job: "YWJj", b64: true, rest: "", want: { job: "abc" } },
  {
    name: "base64 job with padding",
    job: "L3Zhci90bXA=",
    b64: true,
    rest: "",
    want: { job: "/var/tmp" },
  },
  { name: "plain job is not base64-decoded", job: "=", rest: "/a/1", want: { job: "=", a: "1" } },
  {
    name: "U__ name kept literally without utf8",
    job: "x",
    rest: "/label_name1/label_value1/U__label_2e_name2/label_value2",
    want: { job: "x", label_name1: "label_value1", U__label_2e_name2: "label_value2" },
  },
  {
    name: "U__ name unescaped with utf8",
    job: "x",
    rest: "/label_name1/label_value1/U__label_2e_name2/label_value2",
    utf8: true,
    want: { job: "x", label_name1: "label_value1", "label.name2": "label_value2" },
  },
  {
    name: "U__ name with base64 value",
    job: "x",
    rest: "/label_name1@base64/bGFiZWwvdmFsdWUx/U__label_2e_name2@base64/bGFiZWwvdmFsdWUy",
    utf8: true,
    want: { job: "x", label_name1: "label/value1", "label.name2": "label/value2" },
  },
  {
    name: "raw UTF-8 name with utf8",
    job: "x",
    rest: "/é.b/1",
    utf8: true,
    want: { job: "x", "é.b": "1" },
  },
  {
    name: "escape may produce a __ name (prefix checked before unescaping)",
    job: "x",
    rest: "/U______name____/1",
    utf8: true,
    want: { job: "x", __name__: "1" },
  },
  {
    name: "__proto__ via escape stays an own label",
    job: "x",
    rest: "/U______proto____/1",
    utf8: true,
    want: { job: "x", ["__proto__"]: "1" },
  },
  { name: "U__job is overridden", job: "x", rest: "/U__job/y", utf8: true, want: { job: "x" } },
  {
    name: "invalid escape validated as is",
    job: "x",
    rest: "/U__bad_2eg_/1",
    utf8: true,
    want: { job: "x", U__bad_2eg_: "1" },
  },
  {
    // prometheus/common's UnescapeName reads bytes 0x10-0x19 as hex digits (its `lower`
    // turns them into '0'-'9'), so this is the escape of U+0000, as upstream has it.
    name: "control bytes count as hex digits, as in Go",
    job: "x",
    rest: "/U___\x10_/1",
    utf8: true,
    want: { job: "x", "\x00": "1" },
  },
  {
    name: "job is never unescaped",
    job: "U__a_2e_b",
    rest: "",
    utf8: true,
    want: { job: "U__a_2e_b" },
  },
];

Deno.test("parseGroupingKey accepts valid keys", async (t) => {
  for (const c of OK_CASES) {
    await t.step(c.name, () => {
      const got = parseGroupingKey(c.job, c.b64 ?? false, c.rest, c.utf8 ? UTF8 : LEGACY);
      assertEquals(got, c.want);
      assertEquals(Object.keys(got).sort(), Object.keys(c.want).sort());
    });
  }
});

interface ErrCase {
  name: string;
  job: string;
  b64?: boolean;
  rest: string;
  utf8?: boolean;
  msg: string;
}

// Messages marked [1.5.1] were checked against the Debian 1.5.1 binary with curl.
const ERR_CASES: ErrCase[] = [
  // [1.5.1]
  {
    name: "odd components",
    job: "x",
    rest: "/a/1/b",
    msg: 'odd number of components in label string "/a/1/b"',
  },
  {
    name: "odd components, Go quoting", // [1.5.1]
    job: "x",
    rest: '/a/"é\t\x7f\u00a0/b',
    msg: 'odd number of components in label string "/a/\\"é\\t\\x7f\\u00a0/b"',
  },
  {
    name: "odd components, more Go quoting", // [1.5.1]
    job: "x",
    rest: "/a/😀\u200b\x00/b",
    msg: 'odd number of components in label string "/a/😀\\u200b\\x00/b"',
  },
  {
    name: "odd components, single name",
    job: "x",
    rest: "/a",
    msg: 'odd number of components in label string "/a"',
  },
  // [1.5.1]
  { name: "dash in name", job: "x", rest: "/a-b@base64/a+b", msg: 'improper label name "a-b"' },
  { name: "name starts with digit", job: "x", rest: "/9a/1", msg: 'improper label name "9a"' },
  { name: "reserved name", job: "x", rest: "/__a@base64/a+b", msg: 'improper label name "__a"' },
  { name: "just __", job: "x", rest: "/__/1", msg: 'improper label name "__"' },
  { name: "empty name", job: "x", rest: "/@base64/YQ", msg: 'improper label name ""' },
  {
    name: "double @base64",
    job: "x",
    rest: "/a@base64@base64/YQ",
    msg: 'improper label name "a@base64"',
  },
  { name: "newline in name", job: "x", rest: "/a\nb/1", msg: 'improper label name "a\\nb"' },
  { name: "quote in name", job: "x", rest: '/a"b/1', msg: 'improper label name "a\\"b"' },
  { name: "UTF-8 name without flag", job: "x", rest: "/é/1", msg: 'improper label name "é"' },
  {
    name: "reserved raw name with utf8",
    job: "x",
    rest: "/__a/1",
    utf8: true,
    msg: 'improper label name "__a"',
  },
  {
    name: "bare U__ with utf8",
    job: "x",
    rest: "/U__/1",
    utf8: true,
    msg: 'improper label name "U__"',
  },
  {
    name: "lone surrogate name with utf8",
    job: "x",
    rest: "/a\ud800/1",
    utf8: true,
    msg: 'improper label name "a\ufffd"',
  },
  {
    name: "standard alphabet", // [1.5.1]
    job: "x",
    rest: "/a@base64/a+b",
    msg: 'invalid base64 encoding for label a="a+b": illegal base64 data at input byte 1',
  },
  {
    name: "bad char after two quanta", // [1.5.1]
    job: "x",
    rest: "/a@base64/YWJjZGVmZ2hp+",
    msg:
      'invalid base64 encoding for label a="YWJjZGVmZ2hp+": illegal base64 data at input byte 12',
  },
  {
    name: "value quoted Go-style", // [1.5.1]
    job: "x",
    rest: '/a@base64/"q\n',
    msg: 'invalid base64 encoding for label a="\\"q\\n": illegal base64 data at input byte 0',
  },
  {
    name: "= inside value", // [1.5.1]
    job: "x",
    rest: "/a@base64/YQ=a",
    msg: 'invalid base64 encoding for label a="YQ=a": illegal base64 data at input byte 2',
  },
  {
    name: "name in base64 error is before unescaping",
    job: "x",
    rest: "/U__a_2e_b@base64/a+b",
    utf8: true,
    msg: 'invalid base64 encoding for label U__a_2e_b="a+b": illegal base64 data at input byte 1',
  },
  {
    name: "name checked before the value",
    job: "x",
    rest: "/a-b@base64/a+b",
    msg: 'improper label name "a-b"',
  },
  { name: "empty base64 job", job: "=", b64: true, rest: "/a/1", msg: "job name is required" }, // [1.5.1]
  { name: "empty plain job", job: "", rest: "", msg: "job name is required" },
  {
    name: "label error wins over empty job", // [1.5.1]
    job: "=",
    b64: true,
    rest: "/a-b/1",
    msg: 'improper label name "a-b"',
  },
  {
    name: "odd components win over empty job", // [1.5.1]
    job: "=",
    b64: true,
    rest: "/a/1/b",
    msg: 'odd number of components in label string "/a/1/b"',
  },
  {
    name: "bad base64 job in first quantum", // [1.5.1]
    job: "a+b",
    b64: true,
    rest: "/x@base64/a+b",
    msg: 'invalid base64 encoding in job name "": illegal base64 data at input byte 1',
  },
  {
    name: "bad base64 job prints the partial decode", // [1.5.1]
    job: "YWJj+",
    b64: true,
    rest: "",
    msg: 'invalid base64 encoding in job name "abc": illegal base64 data at input byte 4',
  },
  {
    name: "bad base64 job after 8 chars", // [1.5.1]
    job: "YWJjZGVm+xyz",
    b64: true,
    rest: "",
    msg: 'invalid base64 encoding in job name "abcdef": illegal base64 data at input byte 8',
  },
  {
    name: "single char job", // [1.5.1]
    job: "Y",
    b64: true,
    rest: "",
    msg: 'invalid base64 encoding in job name "": illegal base64 data at input byte 0',
  },
  {
    name: "dangling char after a quantum", // [1.5.1]
    job: "YWJjZ",
    b64: true,
    rest: "",
    msg: 'invalid base64 encoding in job name "abc": illegal base64 data at input byte 4',
  },
  {
    name: "newlines count in the offset", // [1.5.1]
    job: "YWJjZGVmZ2hp\n\n\na+",
    b64: true,
    rest: "",
    msg: 'invalid base64 encoding in job name "abcdefghi": illegal base64 data at input byte 16',
  },
  {
    name: "dangling char before a newline", // [1.5.1]
    job: "Y\n",
    b64: true,
    rest: "",
    msg: 'invalid base64 encoding in job name "": illegal base64 data at input byte 1',
  },
  {
    name: "bad char in the first quantum",
    job: "_w+",
    b64: true,
    rest: "",
    msg: 'invalid base64 encoding in job name "": illegal base64 data at input byte 2',
  },
  {
    name: "partial job bytes that are not UTF-8",
    job: "____+",
    b64: true,
    rest: "",
    msg:
      'invalid base64 encoding in job name "\\xff\\xff\\xff": illegal base64 data at input byte 4',
  },
  {
    name: "job error wins over label errors",
    job: "a+b",
    b64: true,
    rest: "/a-b/1/c",
    msg: 'invalid base64 encoding in job name "": illegal base64 data at input byte 1',
  },
  {
    name: "non-ASCII character",
    job: "x",
    rest: "/a@base64/YWJj\u00e9",
    msg: 'invalid base64 encoding for label a="YWJj\u00e9": illegal base64 data at input byte 4',
  },
];

Deno.test("parseGroupingKey rejects bad keys with upstream's messages", async (t) => {
  for (const c of ERR_CASES) {
    await t.step(c.name, () => {
      const err = assertThrows(
        () => parseGroupingKey(c.job, c.b64 ?? false, c.rest, c.utf8 ? UTF8 : LEGACY),
        HttpError,
      );
      assertEquals(err.status, 400);
      assertEquals(err.message, c.msg);
    });
  }
});

Deno.test("encodeGroupingPath round-trips through parseGroupingKey", async (t) => {
  const keys: [Record<string, string>, boolean][] = [
    [{ job: "x" }, false],
    [{ job: "a/b c", instance: "", path: "/var/tmp", plus: "a+b", eq: "==", u: "é😀" }, false],
    [{ job: "j", "a.b": "1", U__x: "2", "ünï/cödé": "", "a b": "x" }, true],
  ];
  for (const [labels, utf8] of keys) {
    await t.step(JSON.stringify(labels), () => {
      const path = encodeGroupingPath(labels, { utf8Names: utf8 });
      // What the router hands over: percent-decoded segments.
      const segments = path.split("/").map(decodeURIComponent);
      assertEquals(segments.slice(0, 3), ["", "metrics", "job@base64"]);
      const rest = segments.slice(4).map((s) => "/" + s).join("");
      assertEquals(parseGroupingKey(segments[3]!, true, rest, { utf8Names: utf8 }), labels);
    });
  }
});
