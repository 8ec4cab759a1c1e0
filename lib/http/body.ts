/**
 * Reads a push request's body with a size cap and decodes
 * `Content-Encoding: gzip` or `snappy` (framed), like upstream's
 * `decodeRequest` wrapper, with Go's error texts for bad bodies.
 *
 * gzip goes through `node:zlib` rather than `DecompressionStream`: zlib reads
 * concatenated gzip members as Go does, stops a decompression bomb at the cap
 * (`maxOutputLength`), and tells truncation, bad checksums and bad headers
 * apart, so each maps to the text Go's `compress/gzip` gives.
 *
 * @module
 */

import { concat } from "@std/bytes/concat";
import { crc32 } from "@lib/compress/crc32.ts";
import type { BodyLease } from "@lib/http/body_budget.ts";
import { HttpError } from "@lib/http/errors.ts";
import { BodyTooLargeError, decodeSnappyFramed, SnappyError } from "@lib/compress/snappy.ts";

/** Limits for reading a request body. */
export interface BodyOptions {
  /** Cap in bytes, applied to the raw body and again to the decoded body. */
  maxBytes: number;
  /**
   * The request's share of the bytes all requests may hold at once: raw
   * bytes as they arrive and decoded bytes are taken from it; when they do not
   * fit, the read stops with its 503 {@linkcode HttpError}.
   */
  lease?: BodyLease;
}

/**
 * Reads the request body (streamed; never holds more than `maxBytes` of it),
 * decoding `Content-Encoding` `gzip` (case-insensitive) or `snappy` (framed
 * stream format); any other encoding is ignored and the raw bytes returned.
 *
 * Throws `HttpError(413, …)` naming the limit when the raw or the decoded body
 * is over the cap (a `Content-Length` over the cap is refused before reading),
 * and `HttpError(400, <Go's error text>)` for a bad gzip or snappy body:
 * `EOF` (empty gzip body), `unexpected EOF`, `gzip: invalid header`,
 * `gzip: invalid checksum`, `flate: corrupt input`, `snappy: corrupt input`,
 * `snappy: unsupported input`.
 */
export async function readRequestBody(req: Request, options: BodyOptions): Promise<Uint8Array> {
  const { maxBytes, lease } = options;
  const declared = req.headers.get("content-length");
  const length = declared !== null && /^\d+$/.test(declared.trim()) ? Number(declared) : undefined;
  if (length !== undefined && length > maxBytes) {
    await req.body?.cancel().catch(() => {});
    throw tooLarge(new BodyTooLargeError(maxBytes, "request body"));
  }
  // With a Content-Length (and no Transfer-Encoding, which would win over it) the HTTP layer
  // delivers exactly that many bytes, so the body is read in one go instead of chunk by chunk
  // through a stream reader; otherwise it is read under the cap.
  const whole = length !== undefined && req.headers.get("transfer-encoding") === null;
  if (whole && lease !== undefined) {
    try {
      lease.grow(length);
    } catch (err) {
      await req.body?.cancel().catch(() => {});
      throw err;
    }
  }
  const raw = whole ? await req.bytes() : await readLimited(req.body, maxBytes, lease);
  const encoding = (req.headers.get("content-encoding") ?? "").toLowerCase();
  if (encoding === "gzip") return await gunzipBody(raw, maxBytes, lease);
  if (encoding === "snappy") return unsnappyBody(raw, maxBytes, lease);
  return raw;
}

/**
 * The output cap of a decompression: the body cap, or less when the budget has
 * less free (then passing it is a 503, not a 413).
 */
function outputCap(maxBytes: number, lease: BodyLease | undefined): number {
  return lease === undefined ? maxBytes : Math.min(maxBytes, Math.max(0, lease.available));
}

function tooLarge(err: BodyTooLargeError): HttpError {
  return new HttpError(413, err.message, { cause: err });
}

/** Reads a stream to its end, refusing to hold more than `maxBytes`. */
async function readLimited(
  body: ReadableStream<Uint8Array> | null,
  maxBytes: number,
  lease: BodyLease | undefined,
): Promise<Uint8Array> {
  if (body === null) return new Uint8Array();
  const reader = body.getReader();
  const parts: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (total + value.length > maxBytes) {
        await reader.cancel().catch(() => {});
        throw tooLarge(new BodyTooLargeError(maxBytes, "request body"));
      }
      try {
        lease?.grow(value.length);
      } catch (err) {
        await reader.cancel().catch(() => {});
        throw err;
      }
      parts.push(value);
      total += value.length;
    }
  } finally {
    reader.releaseLock();
  }
  if (parts.length === 1) return parts[0]!;
  return concat(parts);
}

const FLAG_HCRC = 0x02;
const FLAG_EXTRA = 0x04;
const FLAG_NAME = 0x08;
const FLAG_COMMENT = 0x10;
/** Go's gzip reader keeps names and comments in a 512-byte buffer. */
const MAX_HEADER_STRING = 512;

/** The first gzip member's header as Go reads it: where it ends, or Go's error text. */
export type GzipHeader = { end: number; plain: boolean } | { error: string };

/**
 * Parses the first member's header the way Go's `gzip.NewReader` does:
 * `EOF` for no input, `unexpected EOF` for a header cut short (Go reads the
 * fixed ten bytes before looking at them), `gzip: invalid header` for a bad
 * magic or method, a name or comment of 512 bytes or more, or a header CRC
 * mismatch. Reserved flag bits are ignored, as Go does. `plain` is true when
 * the header has no optional fields and no reserved bits.
 */
export function parseGzipHeader(data: Uint8Array): GzipHeader {
  if (data.length === 0) return { error: "EOF" };
  if (data.length < 10) return { error: "unexpected EOF" };
  if (data[0] !== 0x1f || data[1] !== 0x8b || data[2] !== 8) {
    return { error: "gzip: invalid header" };
  }
  const flags = data[3]!;
  let pos = 10;
  if (flags & FLAG_EXTRA) {
    if (pos + 2 > data.length) return { error: "unexpected EOF" };
    pos += 2 + (data[pos]! | (data[pos + 1]! << 8));
    if (pos > data.length) return { error: "unexpected EOF" };
  }
  for (const flag of [FLAG_NAME, FLAG_COMMENT]) {
    if (!(flags & flag)) continue;
    for (let i = 0;; i++) {
      if (i >= MAX_HEADER_STRING) return { error: "gzip: invalid header" };
      if (pos >= data.length) return { error: "unexpected EOF" };
      if (data[pos++] === 0) break;
    }
  }
  if (flags & FLAG_HCRC) {
    if (pos + 2 > data.length) return { error: "unexpected EOF" };
    const want = data[pos]! | (data[pos + 1]! << 8);
    if ((crc32(data.subarray(0, pos)) & 0xffff) !== want) return { error: "gzip: invalid header" };
    pos += 2;
  }
  return { end: pos, plain: flags === 0 };
}

/** Maps a zlib error message to the text Go's compress/gzip would give. */
export function goGzipErrorText(zlibMessage: string): string {
  switch (zlibMessage) {
    case "unexpected end of file":
      return "unexpected EOF";
    case "incorrect data check":
    case "incorrect length check":
      return "gzip: invalid checksum";
    case "incorrect header check":
    case "unknown compression method":
    case "unknown header flags set":
    case "header crc mismatch":
      return "gzip: invalid header";
    default:
      // Go says "flate: corrupt input before offset N"; zlib does not tell N.
      return "flate: corrupt input";
  }
}

/** A minimal first-member header handed to zlib once Go's checks have passed. */
const PLAIN_GZIP_HEADER = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];

/**
 * `node:zlib`'s `gunzip` and `node:buffer`'s largest length, loaded with the
 * first gzip body: importing any `node:` module starts Deno's Node.js
 * compatibility layer, about 30 ms that every start would otherwise pay.
 */
type Gunzip = { gunzip: typeof import("node:zlib").gunzip; maxLength: number };
let gunzipLoading: Promise<Gunzip> | undefined;

function loadGunzip(): Promise<Gunzip> {
  gunzipLoading ??= Promise.all([import("node:zlib"), import("node:buffer")]).then((
    [zlib, buffer],
  ) => ({ gunzip: zlib.gunzip, maxLength: buffer.constants.MAX_LENGTH }));
  return gunzipLoading;
}

async function gunzipBody(
  data: Uint8Array,
  maxBytes: number,
  lease: BodyLease | undefined,
): Promise<Uint8Array> {
  const header = parseGzipHeader(data);
  if ("error" in header) throw new HttpError(400, header.error);
  // zlib judges optional header fields differently from Go (reserved flags,
  // long names), so it gets the first member with a plain header instead.
  let input = data;
  if (!header.plain) {
    input = new Uint8Array(PLAIN_GZIP_HEADER.length + data.length - header.end);
    input.set(PLAIN_GZIP_HEADER);
    input.set(data.subarray(header.end), PLAIN_GZIP_HEADER.length);
  }
  const cap = outputCap(maxBytes, lease);
  if (cap < 1 && lease !== undefined) throw lease.refusal();
  const { gunzip, maxLength } = await loadGunzip();
  const limited = Number.isSafeInteger(cap) && cap <= maxLength;
  return await new Promise((resolve, reject) => {
    gunzip(input, limited ? { maxOutputLength: cap } : {}, (err, out) => {
      if (err === null) {
        try {
          lease?.grow(out.byteLength);
          resolve(new Uint8Array(out.buffer, out.byteOffset, out.byteLength));
        } catch (budgetErr) {
          reject(budgetErr);
        }
      } else if ((err as { code?: string }).code === "ERR_BUFFER_TOO_LARGE") {
        if (cap < maxBytes && lease !== undefined) reject(lease.refusal());
        else reject(tooLarge(new BodyTooLargeError(maxBytes)));
      } else {
        reject(new HttpError(400, goGzipErrorText(err.message), { cause: err }));
      }
    });
  });
}

function unsnappyBody(
  data: Uint8Array,
  maxBytes: number,
  lease: BodyLease | undefined,
): Uint8Array {
  const cap = outputCap(maxBytes, lease);
  try {
    const out = decodeSnappyFramed(data, cap);
    lease?.grow(out.byteLength);
    return out;
  } catch (err) {
    if (err instanceof BodyTooLargeError) {
      if (cap < maxBytes && lease !== undefined) throw lease.refusal();
      throw tooLarge(new BodyTooLargeError(maxBytes));
    }
    if (err instanceof SnappyError) throw new HttpError(400, err.message, { cause: err });
    throw err;
  }
}
