import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { ndjsonBlocks } from '../../src/providers/auth0/files.js';

// Lines as a reader of the whole text would see them: split at \n, a trailing \r dropped, and no
// empty last line after a final newline.
function expected(text: string): string[] {
  const lines = text.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  if (text.endsWith('\n')) lines.pop();
  return lines;
}

async function linesOf(chunks: Uint8Array[]): Promise<string[]> {
  async function* source() {
    for (const c of chunks) yield c;
  }
  const out: string[] = [];
  for await (const block of ndjsonBlocks(source())) out.push(...block);
  return out;
}

/** The bytes cut at every given offset: chunk edges inside characters, inside \r\n, inside lines. */
function cut(bytes: Uint8Array, at: number[]): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  let from = 0;
  for (const to of [...at, bytes.length]) {
    chunks.push(bytes.subarray(from, to));
    from = to;
  }
  return chunks;
}

const text = [
  '{"email":"zoë@example.com","name":"Zoë Ñúñez"}',
  '{"email":"emoji@example.com","name":"😀 smile"}\r',
  '',
  '{"email":"long@example.com","bio":"' + 'x'.repeat(700) + '"}',
  '{"email":"日本@example.com"}',
].join('\n');

describe('ndjsonBlocks', () => {
  it('gives every line whole wherever the chunks cut the bytes (characters, \\r\\n, long lines)', async () => {
    const bytes = new TextEncoder().encode(`${text}\n`);
    for (let at = 1; at < bytes.length; at++) {
      expect(await linesOf(cut(bytes, [at]))).toEqual(expected(`${text}\n`));
    }
    // Many small chunks: a line spans several of them.
    const small = Array.from({ length: Math.floor(bytes.length / 7) }, (_, i) => (i + 1) * 7);
    expect(await linesOf(cut(bytes, small))).toEqual(expected(`${text}\n`));
    // One byte at a time.
    expect(await linesOf(cut(bytes, Array.from({ length: bytes.length - 1 }, (_, i) => i + 1)))).toEqual(expected(`${text}\n`));
  });

  it('keeps a last line without a newline, and reads gzip cut anywhere', async () => {
    const bytes = new TextEncoder().encode(text);
    expect(await linesOf([bytes])).toEqual(expected(text));
    const gz = gzipSync(Buffer.from(`${text}\n`));
    for (const at of [1, 2, 10, gz.length - 3]) expect(await linesOf(cut(gz, [at]))).toEqual(expected(`${text}\n`));
  });

  it('leaves out a UTF-8 byte order mark, however the first chunk is cut', async () => {
    const bytes = new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode('{"a":1}\n{"b":2}\n')]);
    expect(await linesOf([bytes])).toEqual(['{"a":1}', '{"b":2}']);
    for (const at of [1, 2, 3]) expect(await linesOf(cut(bytes, [at]))).toEqual(['{"a":1}', '{"b":2}']);
    expect(await linesOf(cut(bytes, [5]))).toEqual(['{"a":1}', '{"b":2}']);
    expect(await linesOf([gzipSync(Buffer.from(bytes))])).toEqual(['{"a":1}', '{"b":2}']);
  });

  it('reads nothing from an empty stream', async () => {
    expect(await linesOf([])).toEqual([]);
    expect(await linesOf([new Uint8Array(0)])).toEqual([]);
  });
});
