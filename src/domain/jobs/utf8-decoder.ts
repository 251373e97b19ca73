import { Transform } from 'node:stream';
import { invalidCsv } from '../errors.ts';
import { breaksIn } from './line-breaks.ts';
import { SAVE_AS_UTF8 } from './text-encoding.ts';

// Byte-level UTF-8 for uploads: where a character ends, and the line of the first bad byte.

/** Bytes of a UTF-8 sequence led by `byte` (0 for a continuation byte or a byte UTF-8 never uses). */
function sequenceLength(byte: number): number {
  if (byte < 0x80) return 1;
  if (byte >= 0xc2 && byte < 0xe0) return 2;
  if (byte >= 0xe0 && byte < 0xf0) return 3;
  if (byte >= 0xf0 && byte < 0xf5) return 4;
  return 0;
}

/** The bytes at the end of well-formed UTF-8 that start a sequence not yet complete. */
function incompleteTail(bytes: Buffer): Buffer {
  for (let back = 1; back <= Math.min(3, bytes.length); back++) {
    const byte = bytes[bytes.length - back]!;
    if ((byte & 0xc0) === 0x80) continue; // a continuation byte: the lead is further back
    return sequenceLength(byte) > back ? bytes.subarray(bytes.length - back) : Buffer.alloc(0);
  }
  return Buffer.alloc(0);
}

/**
 * The line (counted from the chunk's first, 0) of the first byte sequence in `bytes` that is
 * not UTF-8. Each piece between line breaks must decode on its own, since no character spans
 * one; only the last may stop inside a character (the next chunk completes it).
 */
function badUtf8Offset(bytes: Buffer, cr: boolean): number {
  let start = 0;
  for (;;) {
    let end = start;
    while (end < bytes.length && bytes[end] !== 0x0a && bytes[end] !== 0x0d) end++;
    const last = end === bytes.length;
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(start, end), {
        stream: last,
      });
    } catch {
      return breaksIn(bytes, { cr }, start);
    }
    if (last) return breaksIn(bytes, { cr }); // not expected: the decoder failed on this chunk
    start = end + 1;
  }
}

/**
 * Decodes bytes to text as they stream: drops a BOM, and rejects NUL bytes (binary files) and
 * byte sequences that are not UTF-8, with the line (1-based, as in the file) where the first
 * one is. Emits strings (object mode) so no character is ever split.
 */
export function utf8Decoder(): Transform {
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
  /** Line breaks before the current chunk, and whether it ended with CR. */
  let linesBefore = 0;
  const state = { cr: false };
  /** The end of the previous chunk: a character that this chunk completes (no CR or LF). */
  let carry: Buffer = Buffer.alloc(0);
  return new Transform({
    readableObjectMode: true,
    transform(chunk: Buffer, _enc, done) {
      const nul = chunk.indexOf(0);
      if (nul >= 0) {
        const line = linesBefore + breaksIn(chunk, { cr: state.cr }, nul) + 1;
        return done(invalidCsv('The file is binary, not CSV text.', line));
      }
      // Only a chunk shorter than a character needs the carry to find its own incomplete end.
      const withCarry = () => (carry.length > 0 ? Buffer.concat([carry, chunk]) : chunk);
      // Decoded 64 KB at a time: V8 reads strings decoded from a megabyte several times slower.
      const texts: string[] = [];
      try {
        for (let i = 0; i < chunk.length; i += 65536) {
          texts.push(decoder.decode(chunk.subarray(i, i + 65536), { stream: true }));
        }
      } catch {
        const line = linesBefore + badUtf8Offset(withCarry(), state.cr) + 1;
        return done(invalidCsv(`The file is not UTF-8 text. ${SAVE_AS_UTF8}`, line));
      }
      carry = incompleteTail(chunk.length >= 4 ? chunk : withCarry());
      linesBefore += breaksIn(chunk, state);
      for (const text of texts) if (text !== '') this.push(text);
      done();
    },
    flush(done) {
      try {
        done(null, decoder.decode());
      } catch {
        // The file ends inside a character: that is on its last line.
        done(invalidCsv(`The file is not UTF-8 text. ${SAVE_AS_UTF8}`, linesBefore + 1));
      }
    },
  });
}
