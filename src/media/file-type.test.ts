import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  animatedGif,
  compoundFile,
  elfExecutable,
  ftyp,
  minimalDocx,
  minimalPdf,
  storedZip,
  wavTone,
  webm,
  windowsExecutable,
} from '../test/media-fixtures.js';
import { detectFileType, extensionOf, isPlainText } from './file-type.js';

let dir: string;
let counter = 0;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'payamak-filetype-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function detect(bytes: Uint8Array) {
  const file = path.join(dir, `f${++counter}`);
  await writeFile(file, bytes);
  return detectFileType(file);
}

const image = (format: 'jpeg' | 'png' | 'webp') =>
  sharp({ create: { width: 8, height: 8, channels: 3, background: 'red' } })
    .toFormat(format)
    .toBuffer();

function riff(form: string, body = Buffer.alloc(64)): Buffer {
  const head = Buffer.alloc(12);
  head.write('RIFF', 0, 'latin1');
  head.writeUInt32LE(4 + body.length, 4);
  head.write(form, 8, 'latin1');
  return Buffer.concat([head, body]);
}

describe('detectFileType', () => {
  it.each([
    ['jpeg', () => image('jpeg'), 'IMAGE', 'image/jpeg'],
    ['png', () => image('png'), 'IMAGE', 'image/png'],
    ['webp', () => image('webp'), 'IMAGE', 'image/webp'],
    ['gif', () => animatedGif(2, 4, 4), 'IMAGE', 'image/gif'],
    ['mp4', () => Buffer.concat([ftyp('isom'), Buffer.alloc(64)]), 'VIDEO', 'video/mp4'],
    ['mov', () => Buffer.concat([ftyp('qt'), Buffer.alloc(64)]), 'VIDEO', 'video/quicktime'],
    ['avi', () => riff('AVI ', Buffer.concat([Buffer.from('LIST', 'latin1'), Buffer.alloc(60)])), 'VIDEO', 'video/x-msvideo'],
    ['m4a (phone voice memo)', () => Buffer.concat([ftyp('M4A'), Buffer.alloc(64)]), 'AUDIO', 'audio/mp4'],
    [
      'mp3 with ID3',
      () => Buffer.concat([Buffer.from('ID3\x04\x00\x00\x00\x00\x00\x00', 'latin1'), Buffer.from([0xff, 0xfb, 0x90, 0x64]), Buffer.alloc(400)]),
      'AUDIO',
      'audio/mpeg',
    ],
    ['aac (ADTS)', () => Buffer.concat([Buffer.from([0xff, 0xf1, 0x50, 0x80, 0x02, 0x1f, 0xfc]), Buffer.alloc(64)]), 'AUDIO', 'audio/aac'],
    ['wav', () => wavTone(0.01), 'AUDIO', 'audio/wav'],
    ['ogg vorbis', () => ogg('\x01vorbis'), 'AUDIO', 'audio/ogg'],
    ['ogg opus (WhatsApp voice notes)', () => ogg('OpusHead'), 'AUDIO', 'audio/ogg'],
    ['webm audio (browser voice notes)', () => webm(2), 'AUDIO', 'audio/webm'],
    ['webm video', () => webm(1), 'VIDEO', 'video/webm'],
    ['pdf', () => minimalPdf(), 'DOCUMENT', 'application/pdf'],
    ['docx', () => minimalDocx(), 'DOCUMENT', 'application/vnd.openxmlformats-officedocument.wordprocessingml.document'],
    ['doc (OLE file with a WordDocument stream)', () => compoundFile('WordDocument'), 'DOCUMENT', 'application/msword'],
    ['UTF-8 text', () => Buffer.from('\uFEFFhello\r\n\tworld 🌍\f\n'), 'DOCUMENT', 'text/plain'],
    ['HTML (served as text, never rendered)', () => Buffer.from('<!doctype html><script>alert(1)</script>'), 'DOCUMENT', 'text/plain'],
  ] as const)('%s', async (_name, make, kind, mime) => {
    expect(await detect(await make())).toMatchObject({ kind, mime });
  });

  it.each([
    ['ELF executable', () => elfExecutable()],
    ['Windows executable', () => windowsExecutable()],
    ['OLE file without a WordDocument stream (.xls, .msi)', () => compoundFile('Workbook')],
    ['plain zip', () => storedZip({ 'a.txt': 'a' })],
    ['NUL bytes', () => Buffer.from('text\0more')],
    ['terminal escapes', () => Buffer.from('\u001b[31mred')],
    ['invalid UTF-8', () => Buffer.from([0x68, 0x69, 0xc3, 0x28])],
    ['UTF-16 text', () => Buffer.from('\uFEFFhello', 'utf16le')],
    ['empty', () => Buffer.alloc(0)],
    ['Matroska video (.mkv)', () => webm(1, 'matroska')],
  ] as const)('refuses %s', async (_name, make) => {
    expect(await detect(await make())).toBeNull();
  });

  it('reads text of any size in constant memory, multi-byte characters split across reads included', async () => {
    const file = path.join(dir, 'big.txt');
    // 'é' is two bytes: at an odd offset, one of them lands at the 256 KiB read boundary.
    await writeFile(file, Buffer.from(`x${'é'.repeat(400_000)}`));
    expect(await isPlainText(file)).toBe(true);
  });

  it('names extensions for served types', () => {
    expect(extensionOf('image/jpeg')).toBe('jpg');
    expect(extensionOf('video/mp4')).toBe('mp4');
    expect(extensionOf('audio/ogg')).toBe('ogg');
    expect(extensionOf('text/plain')).toBe('txt');
    expect(extensionOf('application/x-msdownload')).toBeUndefined();
  });
});

/** An Ogg page whose first packet starts with `codec`. */
function ogg(codec: string): Buffer {
  const page = Buffer.alloc(28 + 64);
  page.write('OggS', 0, 'latin1');
  page[5] = 0x02; // beginning of stream
  page.write(codec, 28, 'latin1');
  return page;
}
