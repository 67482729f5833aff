import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isoMedia, minimalPdf, oggOpus, wavTone } from '../test/media-fixtures.js';
import { readDurationMs } from './duration.js';
import { detectFileType, type DetectedType } from './file-type.js';

let dir: string;
let counter = 0;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'payamak-duration-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function written(bytes: Uint8Array): Promise<{ file: string; type: DetectedType }> {
  const file = path.join(dir, `f${++counter}`);
  await writeFile(file, bytes);
  const type = await detectFileType(file);
  if (!type) throw new Error('not detected');
  return { file, type };
}

describe('readDurationMs', () => {
  it('reads an Ogg Opus stream to its last page, less the pre-skip', async () => {
    const { file, type } = await written(oggOpus(61_000, 3840));
    expect(type.mime).toBe('audio/ogg');
    expect(await readDurationMs(file, type)).toBe(61_000);
  });

  it('reads a version 1 (64-bit) movie header, after an mdat that comes first', async () => {
    const movie = isoMedia({ brand: 'isom', track: 'video', durationMs: 1 });
    // Rebuild: ftyp, a large-size mdat, then a moov whose mvhd is version 1 with 90 kHz and 12.5 s.
    const ftyp = movie.subarray(0, movie.readUInt32BE(0));
    const mdat = Buffer.alloc(16 + 1000, 0x5a);
    mdat.writeUInt32BE(1, 0);
    mdat.write('mdat', 4, 'latin1');
    mdat.writeBigUInt64BE(BigInt(mdat.length), 8);
    const mvhd = Buffer.alloc(8 + 4 + 28 + 80);
    mvhd.writeUInt32BE(mvhd.length, 0);
    mvhd.write('mvhd', 4, 'latin1');
    mvhd[8] = 1;
    mvhd.writeUInt32BE(90_000, 8 + 4 + 16);
    mvhd.writeBigUInt64BE(1_125_000n, 8 + 4 + 20);
    const moov = Buffer.concat([Buffer.from([0, 0, 0, 8 + mvhd.length]), Buffer.from('moov', 'latin1'), mvhd]);
    const { file, type } = await written(Buffer.concat([ftyp, mdat, moov]));
    expect(type.mime).toBe('video/mp4');
    expect(await readDurationMs(file, type)).toBe(12_500);
  });

  it('takes a length beyond 24 h as none (a made-up header), as it does a file that is not timed', async () => {
    const long = await written(isoMedia({ brand: 'isom', track: 'audio', durationMs: 24 * 3600_000 + 1000 }));
    expect(await readDurationMs(long.file, long.type)).toBeNull();
    const pdf = await written(minimalPdf());
    expect(await readDurationMs(pdf.file, pdf.type)).toBeNull();
  });

  it('gives up at the deadline with null rather than a partial reading', async () => {
    // A 3-hour note: about 10,800 pages, seconds to read to its last one, so a 50 ms deadline always comes first.
    const { file, type } = await written(oggOpus(3 * 3600_000));
    expect(await readDurationMs(file, type, { timeoutMs: 50 })).toBeNull();
  });

  it('never throws: a file that cannot be read has no length', async () => {
    const { type } = await written(wavTone(1));
    expect(await readDurationMs(path.join(dir, 'gone'), type)).toBeNull();
    expect(await readDurationMs(path.join(dir, 'gone'), { kind: 'VIDEO', mime: 'video/mp4', ext: 'mp4' })).toBeNull();
  });
});
