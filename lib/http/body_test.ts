import { assert, assertEquals, assertRejects, assertStringIncludes } from "@std/assert";
import { HttpError } from "@lib/http/errors.ts";
import { goGzipErrorText, parseGzipHeader, readRequestBody } from "@lib/http/body.ts";
import { maskedCrc32c } from "@lib/compress/snappy.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();
const TESTDATA = new URL("../../tests/testdata/body/", import.meta.url);
const BIG = { maxBytes: 64 << 20 };

async function gzip(data: Uint8Array): Promise<Uint8Array> {
  const s = new Blob([data as Uint8Array<ArrayBuffer>]).stream().pipeThrough(
    new CompressionStream("gzip"),
  );
  return new Uint8Array(await new Response(s).arrayBuffer());
}

/** A stream that hands out `data` in pieces of `size` bytes, counting what was pulled. */
function chunkedStream(data: Uint8Array, size: number, pulled = { bytes: 0 }) {
  let at = 0;
  return new ReadableStream<Uint8Array<ArrayBuffer>>({
    pull(controller) {
      if (at >= data.length) {
        controller.close();
        return;
      }
      const piece = data.slice(at, at + size);
      at += piece.length;
      pulled.bytes += piece.length;
      controller.enqueue(piece);
    },
  });
}

type TestBody = string | Uint8Array | ReadableStream<Uint8Array<ArrayBuffer>> | null;

function put(body: TestBody, headers: Record<string, string> = {}): Request {
  const init = body instanceof Uint8Array ? new Uint8Array(body) : body;
  return new Request("http://localhost/metrics/job/x", { method: "PUT", body: init, headers });
}

async function expectHttpError(
  req: Request,
  maxBytes: number,
  status: number,
  message?: string,
): Promise<HttpError> {
  const err = await assertRejects(() => readRequestBody(req, { maxBytes }), HttpError);
  assertEquals(err.status, status);
  if (message !== undefined) assertEquals(err.message, message);
  return err;
}

Deno.test("readRequestBody returns plain bodies unchanged", async () => {
  assertEquals(dec.decode(await readRequestBody(put("m 1\n"), BIG)), "m 1\n");
  assertEquals(await readRequestBody(put(null), BIG), new Uint8Array());
  const data = new Uint8Array(200_000).map((_, i) => i * 13);
  assertEquals(await readRequestBody(put(chunkedStream(data, 999)), BIG), data);
});

Deno.test("readRequestBody ignores unknown encodings", async () => {
  for (const encoding of ["deflate", "identity", "br", "x-gzip", "gzip, identity"]) {
    const got = await readRequestBody(put("m 1\n", { "content-encoding": encoding }), BIG);
    assertEquals(dec.decode(got), "m 1\n", encoding);
  }
});

Deno.test("readRequestBody gunzips, case-insensitively", async () => {
  const text = enc.encode("# TYPE m counter\nm 1\n");
  const gz = await gzip(text);
  for (const encoding of ["gzip", "GZIP", "Gzip"]) {
    assertEquals(await readRequestBody(put(gz, { "content-encoding": encoding }), BIG), text);
  }
  const body = chunkedStream(gz, 3); // chunked, no Content-Length
  assertEquals(await readRequestBody(put(body, { "content-encoding": "gzip" }), BIG), text);
});

Deno.test("readRequestBody reads concatenated gzip members like Go", async () => {
  const gz = new Uint8Array([
    ...await gzip(enc.encode("a 1\n")),
    ...await gzip(enc.encode("b 2\n")),
  ]);
  const got = await readRequestBody(put(gz, { "content-encoding": "gzip" }), BIG);
  assertEquals(dec.decode(got), "a 1\nb 2\n");
});

Deno.test("readRequestBody answers bad gzip bodies with Go's texts", async (t) => {
  const good = await gzip(enc.encode("m 1\n"));
  const flip = (i: number): Uint8Array => {
    const b = good.slice();
    b[i < 0 ? b.length + i : i]! ^= 0xff;
    return b;
  };
  const cases: [string, Uint8Array, string][] = [
    ["empty body", new Uint8Array(), "EOF"], // [1.5.1]
    ["one byte", good.subarray(0, 1), "unexpected EOF"], // [1.5.1]
    ["truncated header", good.subarray(0, 5), "unexpected EOF"], // [1.5.1]
    ["short non-gzip body", enc.encode("m 1\n"), "unexpected EOF"],
    ["not gzip", enc.encode("hello world"), "gzip: invalid header"], // [1.5.1]
    [
      "bad compression method",
      (() => {
        const b = good.slice();
        b[2] = 9;
        return b;
      })(),
      "gzip: invalid header",
    ], // [1.5.1]
    ["truncated deflate data", good.subarray(0, 12), "unexpected EOF"],
    ["truncated trailer", good.subarray(0, good.length - 4), "unexpected EOF"],
    ["bad CRC", flip(-8), "gzip: invalid checksum"],
    ["bad size", flip(-1), "gzip: invalid checksum"],
    ["corrupt deflate data", flip(10), "flate: corrupt input"],
    [
      "garbage after the member",
      new Uint8Array([...good, ...enc.encode("hello world")]),
      "gzip: invalid header",
    ],
  ];
  for (const [name, body, want] of cases) {
    await t.step(name, async () => {
      await expectHttpError(put(body, { "content-encoding": "gzip" }), 1 << 20, 400, want);
    });
  }
});

function crc32(data: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of data) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

/** A gzip member with optional header fields, around the deflate data of `good`. */
function withHeader(good: Uint8Array, flags: number, fields: number[], hcrc?: "good" | "bad") {
  const head = [0x1f, 0x8b, 8, flags | (hcrc ? 2 : 0), 0, 0, 0, 0, 0, 3, ...fields];
  if (hcrc) {
    const c = crc32(new Uint8Array(head)) & 0xffff;
    const v = hcrc === "good" ? c : c ^ 1;
    head.push(v & 0xff, v >> 8);
  }
  return new Uint8Array([...head, ...good.subarray(10)]);
}

Deno.test("readRequestBody reads gzip header fields as Go does", async (t) => {
  const good = await gzip(enc.encode("m 1\n"));
  const name = (n: number): number[] => [...new Uint8Array(n).fill(0x61), 0];
  const ok: [string, Uint8Array][] = [
    ["reserved flag bits are ignored", withHeader(good, 0xe0, [])],
    ["extra field", withHeader(good, 4, [3, 0, 1, 2, 3])],
    ["name of 511 bytes", withHeader(good, 8, name(511))],
    ["name and comment", withHeader(good, 0x18, [...name(3), ...name(5)])],
    ["header CRC", withHeader(good, 0x1c, [1, 0, 9, ...name(3), ...name(5)], "good")],
    ["reserved bits and header CRC", withHeader(good, 0x80, [], "good")],
  ];
  for (const [label, body] of ok) {
    await t.step(label, async () => {
      const got = await readRequestBody(put(body, { "content-encoding": "gzip" }), BIG);
      assertEquals(dec.decode(got), "m 1\n");
    });
  }
  const bad: [string, Uint8Array, string][] = [
    ["name of 512 bytes", withHeader(good, 8, name(512)), "gzip: invalid header"], // [1.5.1]
    ["comment of 600 bytes", withHeader(good, 0x10, name(600)), "gzip: invalid header"],
    ["header CRC mismatch", withHeader(good, 0, [], "bad"), "gzip: invalid header"],
    ["extra field cut short", withHeader(good, 4, [3]).subarray(0, 11), "unexpected EOF"],
    [
      "extra field data cut short",
      withHeader(good, 4, [200, 0, 1]).subarray(0, 13),
      "unexpected EOF",
    ],
    ["unterminated name", withHeader(good, 8, [0x61, 0x62]).subarray(0, 12), "unexpected EOF"],
    ["header CRC cut short", withHeader(good, 0, [], "good").subarray(0, 11), "unexpected EOF"],
  ];
  for (const [label, body, want] of bad) {
    await t.step(label, async () => {
      await expectHttpError(put(body, { "content-encoding": "gzip" }), 1 << 20, 400, want);
    });
  }
});

Deno.test("parseGzipHeader and goGzipErrorText", () => {
  assertEquals(parseGzipHeader(new Uint8Array()), { error: "EOF" });
  assertEquals(parseGzipHeader(new Uint8Array(9).fill(0x1f)), { error: "unexpected EOF" });
  assertEquals(parseGzipHeader(new Uint8Array([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3])), {
    end: 10,
    plain: true,
  });
  assertEquals(parseGzipHeader(new Uint8Array([0x1f, 0x8b, 8, 8, 0, 0, 0, 0, 0, 3, 0x61, 0])), {
    end: 12,
    plain: false,
  });
  assertEquals(parseGzipHeader(new Uint8Array([0x1f, 0x8c, 8, 0, 0, 0, 0, 0, 0, 3])), {
    error: "gzip: invalid header",
  });
  assertEquals(goGzipErrorText("invalid distance too far back"), "flate: corrupt input");
  assertEquals(goGzipErrorText("unknown header flags set"), "gzip: invalid header");
  assertEquals(goGzipErrorText("incorrect length check"), "gzip: invalid checksum");
  assertEquals(goGzipErrorText("unexpected end of file"), "unexpected EOF");
});

Deno.test("readRequestBody refuses raw bodies over the cap", async (t) => {
  const data = new Uint8Array(1000).fill(65);
  await t.step("exactly at the cap is fine", async () => {
    assertEquals(await readRequestBody(put(data), { maxBytes: 1000 }), data);
    assertEquals(await readRequestBody(put(chunkedStream(data, 7)), { maxBytes: 1000 }), data);
  });
  await t.step("Content-Length over the cap is refused before reading", async () => {
    const pulled = { bytes: 0 };
    const req = new Request("http://localhost/", {
      method: "PUT",
      body: chunkedStream(new Uint8Array(1 << 20), 1024, pulled),
      headers: { "content-length": String(1 << 20) },
    });
    const err = await expectHttpError(req, 10_000, 413);
    assertEquals(err.message, "request body exceeds the limit of 10000 bytes");
    // Reading up to the cap would have pulled more than 10000 bytes.
    assert(pulled.bytes < 10_000, `pulled ${pulled.bytes} bytes`);
  });
  await t.step("a chunked body is cut off just after the cap", async () => {
    const pulled = { bytes: 0 };
    const big = new Uint8Array(10 << 20);
    const err = await expectHttpError(put(chunkedStream(big, 4096, pulled)), 100_000, 413);
    assertEquals(err.message, "request body exceeds the limit of 100000 bytes");
    // Reading stops at the first chunk that crosses the cap (plus what the stream queued).
    assert(pulled.bytes < 100_000 + 4 * 4096, `pulled ${pulled.bytes} bytes`);
  });
  await t.step("one byte over the cap", async () => {
    await expectHttpError(put(chunkedStream(data, 7)), 999, 413);
    await expectHttpError(put(data), 999, 413);
  });
});

Deno.test("readRequestBody stops a gzip bomb at the cap", async () => {
  // 50 MB of zeros compress to about 50 KB.
  const zeros = chunkedStream(new Uint8Array(50 << 20), 1 << 20);
  const bomb = new Uint8Array(
    await new Response(zeros.pipeThrough(new CompressionStream("gzip"))).arrayBuffer(),
  );
  assert(bomb.length < 1 << 20, `bomb is ${bomb.length} bytes`);
  const err = await expectHttpError(put(bomb, { "content-encoding": "gzip" }), 1 << 20, 413);
  assertEquals(err.message, "decoded request body exceeds the limit of 1048576 bytes");
  // Exactly at the cap is fine.
  const exact = await gzip(new Uint8Array(1 << 20));
  const got = await readRequestBody(put(exact, { "content-encoding": "gzip" }), {
    maxBytes: 1 << 20,
  });
  assertEquals(got.length, 1 << 20);
});

Deno.test("readRequestBody decodes framed snappy", async () => {
  const fixture = Deno.readFileSync(new URL("metrics_1500.txt.sz", TESTDATA));
  for (const encoding of ["snappy", "SNAPPY"]) {
    const got = await readRequestBody(put(fixture, { "content-encoding": encoding }), BIG);
    assertStringIncludes(dec.decode(got), 'metric_1499{label="value 1",job="snappy"} 4497\n');
    assertEquals(got.length, 69018);
  }
  const chunked = chunkedStream(fixture, 100);
  const got = await readRequestBody(put(chunked, { "content-encoding": "snappy" }), BIG);
  assertEquals(got.length, 69018);
  // An empty snappy body is an empty stream.
  assertEquals(
    await readRequestBody(put(null, { "content-encoding": "snappy" }), BIG),
    new Uint8Array(),
  );
});

Deno.test("readRequestBody answers bad snappy bodies with golang/snappy's texts", async () => {
  const fixture = Deno.readFileSync(new URL("m1.txt.sz", TESTDATA));
  const headers = { "content-encoding": "snappy" };
  await expectHttpError(
    put(fixture.subarray(0, fixture.length - 1), headers),
    1000,
    400,
    "snappy: corrupt input",
  );
  await expectHttpError(put("m 1\n", headers), 1000, 400, "snappy: corrupt input");
  const reserved = new Uint8Array([...fixture.subarray(0, 10), 0x02, 0, 0, 0]);
  await expectHttpError(put(reserved, headers), 1000, 400, "snappy: unsupported input");
});

Deno.test("readRequestBody caps the decoded snappy body", async () => {
  // 20 compressed chunks of 65536 zeros each (1 literal byte, then 64-byte copies): ~60 KB raw.
  const zeros = new Uint8Array(65536);
  const block = [0x80, 0x80, 0x04, 0x00, 0x00]; // uvarint 65536, literal of one zero byte
  for (let d = 1; d < 65536; d += 64) block.push(((Math.min(64, 65536 - d) - 1) << 2) | 2, 1, 0);
  const crc = maskedCrc32c(zeros);
  const len = block.length + 4;
  const chunk = [
    0,
    len & 0xff,
    (len >> 8) & 0xff,
    len >> 16,
    ...[0, 8, 16, 24].map((s) => (crc >>> s) & 0xff),
    ...block,
  ];
  const streamId = [0xff, 6, 0, 0, ...enc.encode("sNaPpY")];
  const body = new Uint8Array([...streamId, ...Array.from({ length: 20 }, () => chunk).flat()]);
  assert(body.length < 100_000, `body is ${body.length} bytes`);
  const headers = { "content-encoding": "snappy" };
  assertEquals(
    await readRequestBody(put(body, headers), { maxBytes: 20 * 65536 }),
    new Uint8Array(20 * 65536),
  );
  const err = await expectHttpError(put(body, headers), 1 << 20, 413);
  assertEquals(err.message, "decoded request body exceeds the limit of 1048576 bytes");
});
