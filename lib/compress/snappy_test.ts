import { assertEquals, assertThrows } from "@std/assert";
import {
  BodyTooLargeError,
  decodeSnappyBlock,
  decodeSnappyFramed,
  maskedCrc32c,
  SnappyError,
} from "@lib/compress/snappy.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();
const TESTDATA = new URL("../../tests/testdata/body/", import.meta.url);
const NO_LIMIT = Number.MAX_SAFE_INTEGER;

// ---------------------------------------------------------------------------
// A tiny encoder for the tests: literal-only blocks plus hand-made elements.

function uvarint(n: number): number[] {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n % 128) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
}

/** A literal element; uses the 1- to 4-byte length forms as needed (or as forced). */
function literal(bytes: Uint8Array, forceExtra = 0): number[] {
  const n = bytes.length - 1;
  let extra = forceExtra;
  if (extra === 0 && n >= 60) extra = n < 1 << 8 ? 1 : n < 1 << 16 ? 2 : n < 1 << 24 ? 3 : 4;
  if (extra === 0) return [n << 2, ...bytes];
  const len: number[] = [];
  for (let k = 0, v = n; k < extra; k++, v = Math.floor(v / 256)) len.push(v & 0xff);
  return [(59 + extra) << 2, ...len, ...bytes];
}

function copy1(length: number, offset: number): number[] {
  return [((offset >> 8) << 5) | ((length - 4) << 2) | 1, offset & 0xff];
}

function copy2(length: number, offset: number): number[] {
  return [((length - 1) << 2) | 2, offset & 0xff, offset >> 8];
}

function copy4(length: number, offset: number): number[] {
  return [((length - 1) << 2) | 3, offset & 0xff, (offset >> 8) & 0xff, (offset >> 16) & 0xff, 0];
}

function block(decodedLength: number, ...elements: number[][]): Uint8Array {
  return new Uint8Array([...uvarint(decodedLength), ...elements.flat()]);
}

function le32(n: number): number[] {
  return [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24];
}

function chunk(type: number, body: Uint8Array | number[]): number[] {
  const len = body.length;
  return [type, len & 0xff, (len >> 8) & 0xff, len >> 16, ...body];
}

const STREAM_ID = chunk(0xff, [...enc.encode("sNaPpY")]);

function compressedChunk(plain: Uint8Array, blockBytes: Uint8Array, crc = maskedCrc32c(plain)) {
  return chunk(0x00, [...le32(crc), ...blockBytes]);
}

function uncompressedChunk(plain: Uint8Array, crc = maskedCrc32c(plain)) {
  return chunk(0x01, [...le32(crc), ...plain]);
}

function stream(...chunks: number[][]): Uint8Array {
  return new Uint8Array(chunks.flat());
}

/** Frames `data` in literal-only compressed chunks of at most 65536 bytes. */
function encodeLiteralFramed(data: Uint8Array): Uint8Array {
  const parts: number[][] = [STREAM_ID];
  for (let i = 0; i < data.length; i += 65536) {
    const piece = data.subarray(i, i + 65536);
    parts.push(compressedChunk(piece, block(piece.length, literal(piece))));
  }
  return stream(...parts);
}

function metricsText(lines: number): Uint8Array {
  let s = "";
  for (let i = 0; i < lines; i++) {
    s += `metric_${i}{label="value ${i % 7}",job="snappy"} ${i * 3}\n`;
  }
  return enc.encode(s);
}

// ---------------------------------------------------------------------------

Deno.test("maskedCrc32c matches the framing format's checksum", () => {
  // Expected values computed with python3-crc32c: CRC-32C, rotated right by 15, plus 0xa282ead8.
  assertEquals(maskedCrc32c(enc.encode("123456789")), 0xc78ab0e5);
  assertEquals(maskedCrc32c(enc.encode("hello world")), 0x6dd87e00);
  assertEquals(maskedCrc32c(new Uint8Array()), 0xa282ead8);
});

Deno.test("decodeSnappyFramed reads streams made by python-snappy", () => {
  const small = Deno.readFileSync(new URL("m1.txt.sz", TESTDATA));
  assertEquals(dec.decode(decodeSnappyFramed(small, NO_LIMIT)), "m 1\n");
  const big = Deno.readFileSync(new URL("metrics_1500.txt.sz", TESTDATA));
  assertEquals(decodeSnappyFramed(big, NO_LIMIT), metricsText(1500));
});

Deno.test("decodeSnappyFramed round-trips the literal-only test encoder", async (t) => {
  const inputs: [string, Uint8Array][] = [
    ["empty", new Uint8Array()],
    ["one byte", new Uint8Array([7])],
    ["60 bytes (1-byte length)", new Uint8Array(60).fill(1)],
    ["300 bytes (2-byte length)", new Uint8Array(300).map((_, i) => i)],
    ["exactly one full chunk", new Uint8Array(65536).map((_, i) => i * 31)],
    ["two chunks", metricsText(2000)],
  ];
  for (const [name, data] of inputs) {
    await t.step(
      name,
      () => assertEquals(decodeSnappyFramed(encodeLiteralFramed(data), NO_LIMIT), data),
    );
  }
});

Deno.test("decodeSnappyBlock handles every element kind", async (t) => {
  const abcd = enc.encode("abcd");
  const cases: [string, Uint8Array, string][] = [
    ["literal, 1-byte length form", block(4, literal(abcd, 1)), "abcd"],
    ["literal, 3-byte length form", block(4, literal(abcd, 3)), "abcd"],
    ["literal, 4-byte length form", block(4, literal(abcd, 4)), "abcd"],
    ["copy1", block(8, literal(abcd), copy1(4, 4)), "abcdabcd"],
    ["copy1, 11 bytes", block(15, literal(abcd), copy1(11, 4)), "abcdabcdabcdabc"],
    ["copy2", block(10, literal(abcd), copy2(6, 3)), "abcdbcdbcd"],
    ["copy4", block(6, literal(abcd), copy4(2, 4)), "abcdab"],
    ["overlapping copy repeats", block(9, literal(enc.encode("x")), copy2(8, 1)), "xxxxxxxxx"],
    ["empty block", block(0), ""],
  ];
  for (const [name, b, want] of cases) {
    await t.step(name, () => assertEquals(dec.decode(decodeSnappyBlock(b)), want));
  }
  await t.step("copy1 with an 11-bit offset", () => {
    const head = new Uint8Array(1500).map((_, i) => (i * 7) & 0xff);
    const got = decodeSnappyBlock(block(1504, literal(head), copy1(4, 1500)));
    assertEquals(got.subarray(1500), head.subarray(0, 4));
  });
});

Deno.test("decodeSnappyBlock rejects corrupt blocks", async (t) => {
  const abcd = enc.encode("abcd");
  const cases: [string, Uint8Array][] = [
    ["no length header", new Uint8Array()],
    ["unterminated length", new Uint8Array([0x80, 0x80])],
    ["length above 32 bits", new Uint8Array([0x80, 0x80, 0x80, 0x80, 0x80, 0x01])],
    ["output shorter than declared", block(5, literal(abcd))],
    ["literal longer than declared", block(3, literal(abcd))],
    ["literal past the input", new Uint8Array([4, 3 << 2, 0x61])],
    ["literal length bytes missing", new Uint8Array([4, 61 << 2, 3])],
    ["copy offset 0", block(8, literal(abcd), copy1(4, 0))],
    ["copy before the start", block(9, literal(abcd), copy2(5, 5))],
    ["copy past the declared length", block(6, literal(abcd), copy1(4, 4))],
    ["copy1 truncated", new Uint8Array([8, ...literal(abcd), 1])],
    ["copy2 truncated", new Uint8Array([8, ...literal(abcd), 2, 4])],
    ["copy4 truncated", new Uint8Array([8, ...literal(abcd), 3, 4, 0, 0])],
  ];
  for (const [name, b] of cases) {
    await t.step(name, () => {
      const err = assertThrows(() => decodeSnappyBlock(b), SnappyError);
      assertEquals(err.message, "snappy: corrupt input");
    });
  }
});

Deno.test("decodeSnappyFramed handles the chunk types like golang/snappy", async (t) => {
  const hello = enc.encode("hello ");
  const world = enc.encode("world");
  const ok: [string, Uint8Array, string][] = [
    ["empty input", new Uint8Array(), ""],
    ["stream identifier only", stream(STREAM_ID), ""],
    ["uncompressed chunk", stream(STREAM_ID, uncompressedChunk(hello)), "hello "],
    [
      "mixed chunks, padding and skippable chunks",
      stream(
        STREAM_ID,
        uncompressedChunk(hello),
        chunk(0xfe, [0, 0, 0]),
        chunk(0x80, [1, 2]),
        chunk(0xfd, []),
        compressedChunk(world, block(5, literal(world))),
      ),
      "hello world",
    ],
    [
      "repeated stream identifier (concatenated streams)",
      stream(STREAM_ID, uncompressedChunk(hello), STREAM_ID, uncompressedChunk(world)),
      "hello world",
    ],
    ["empty uncompressed chunk", stream(STREAM_ID, uncompressedChunk(new Uint8Array())), ""],
  ];
  for (const [name, data, want] of ok) {
    await t.step(name, () => assertEquals(dec.decode(decodeSnappyFramed(data, NO_LIMIT)), want));
  }

  const full = stream(STREAM_ID, uncompressedChunk(hello));
  const corrupt: [string, Uint8Array][] = [
    ["no stream identifier first", stream(uncompressedChunk(hello))],
    ["padding before the identifier", stream(chunk(0xfe, [0]), STREAM_ID)],
    ["wrong magic", stream(chunk(0xff, [...enc.encode("sNaPpX")]))],
    ["identifier of the wrong length", stream(chunk(0xff, [...enc.encode("sNaPpYY")]))],
    ["truncated chunk header", full.subarray(0, 12)],
    ["truncated chunk body", full.subarray(0, full.length - 1)],
    ["truncated identifier", stream(STREAM_ID).subarray(0, 7)],
    ["uncompressed CRC mismatch", stream(STREAM_ID, uncompressedChunk(hello, 1234))],
    [
      "compressed CRC mismatch",
      stream(STREAM_ID, compressedChunk(world, block(5, literal(world)), 1)),
    ],
    ["uncompressed chunk shorter than a checksum", stream(STREAM_ID, chunk(0x01, [1, 2, 3]))],
    ["compressed chunk shorter than a checksum", stream(STREAM_ID, chunk(0x00, [1, 2, 3]))],
    [
      "compressed chunk with a corrupt block",
      stream(STREAM_ID, compressedChunk(world, block(6, literal(world)))),
    ],
    [
      "compressed chunk announcing more than 65536 bytes",
      stream(STREAM_ID, compressedChunk(new Uint8Array(), block(65537, literal(world)))),
    ],
    [
      "uncompressed chunk with more than 65536 bytes",
      stream(STREAM_ID, uncompressedChunk(new Uint8Array(65537))),
    ],
    ["truncated skippable chunk", stream(STREAM_ID, chunk(0x80, [1, 2])).subarray(0, 13)],
  ];
  for (const [name, data] of corrupt) {
    await t.step(name, () => {
      const err = assertThrows(() => decodeSnappyFramed(data, NO_LIMIT), SnappyError);
      assertEquals(err.message, "snappy: corrupt input");
    });
  }

  const tooLong = new Uint8Array([0x80, 0xcf, 0x2a, 0x01]); // length 76495
  const unsupported: [string, Uint8Array][] = [
    ["reserved unskippable 0x02", stream(STREAM_ID, chunk(0x02, [1]))],
    ["reserved unskippable 0x7f", stream(STREAM_ID, chunk(0x7f, []))],
    ["chunk longer than golang/snappy's buffer", new Uint8Array([...STREAM_ID, ...tooLong])],
  ];
  for (const [name, data] of unsupported) {
    await t.step(name, () => {
      const err = assertThrows(() => decodeSnappyFramed(data, NO_LIMIT), SnappyError);
      assertEquals(err.message, "snappy: unsupported input");
    });
  }
  await t.step("a chunk of exactly the buffer size is read (then found truncated)", () => {
    const err = assertThrows(
      () => decodeSnappyFramed(new Uint8Array([...STREAM_ID, 0x80, 0xce, 0x2a, 0x01]), NO_LIMIT),
      SnappyError,
    );
    assertEquals(err.message, "snappy: corrupt input");
  });
});

Deno.test("decodeSnappyFramed enforces maxBytes", async (t) => {
  const data = metricsText(100);
  const framed = encodeLiteralFramed(data);
  await t.step("output of exactly maxBytes is fine", () => {
    assertEquals(decodeSnappyFramed(framed, data.length), data);
  });
  await t.step("one byte more is too large", () => {
    const err = assertThrows(() => decodeSnappyFramed(framed, data.length - 1), BodyTooLargeError);
    assertEquals(err.limit, data.length - 1);
  });
  await t.step("a small bomb of copy elements is stopped", () => {
    // Each compressed chunk: 1 literal byte, then 64-byte copies up to 65536 zeros (~3 KB).
    const zeros = new Uint8Array(65536);
    const elements = [literal(new Uint8Array(1))];
    for (let d = 1; d < 65536; d += 64) elements.push(copy2(Math.min(64, 65536 - d), 1));
    const bombChunk = compressedChunk(zeros, block(65536, ...elements));
    const bomb = stream(STREAM_ID, ...Array.from({ length: 200 }, () => bombChunk));
    assertEquals(decodeSnappyFramed(stream(STREAM_ID, bombChunk), 65536), zeros);
    assertThrows(() => decodeSnappyFramed(bomb, 1 << 20), BodyTooLargeError);
  });
});
