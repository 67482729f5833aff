/**
 * Real file bytes for upload tests, made in the test itself: images by sharp,
 * the rest by hand from their formats' specifications (headers are what type
 * detection reads).
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { crc32, deflateSync } from 'node:zlib';
import sharp from 'sharp';

/** GPS position and camera make written into test photos: none of it may survive processing. */
export const SECRET_EXIF = { make: 'PayamakTestCam', latitude: '51/1 30/1 2646/100', longitude: '0/1 7/1 3960/100' };

/**
 * A photo as a phone writes it: pixels stored sideways with EXIF Orientation 6
 * (display rotated 90° clockwise), camera make and a GPS position. Displayed,
 * it is `height` wide and `width` tall.
 */
export async function phonePhoto(format: 'png' | 'jpeg', width: number, height: number): Promise<Buffer> {
  const image = sharp({ create: { width, height, channels: 3, background: { r: 200, g: 80, b: 40 } } })
    // Something to compress: a gradient band, so sizes differ by resolution like real photos.
    .composite([{ input: Buffer.from(gradientSvg(width, height)), top: 0, left: 0 }])
    .withMetadata({ orientation: 6 })
    .withExif({
      IFD0: { Make: SECRET_EXIF.make, Model: 'Model X' },
      IFD3: { GPSLatitudeRef: 'N', GPSLatitude: SECRET_EXIF.latitude, GPSLongitudeRef: 'W', GPSLongitude: SECRET_EXIF.longitude },
    });
  return format === 'png' ? image.png().toBuffer() : image.jpeg({ quality: 90 }).toBuffer();
}

function gradientSvg(width: number, height: number): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">
    <defs><linearGradient id="g"><stop offset="0" stop-color="#123"/><stop offset="1" stop-color="#fe8"/></linearGradient></defs>
    <rect x="0" y="${Math.floor(height / 3)}" width="${width}" height="${Math.ceil(height / 3)}" fill="url(#g)"/>
    <circle cx="${width / 2}" cy="${height / 2}" r="${Math.min(width, height) / 4}" fill="#3a7"/></svg>`;
}

/**
 * A plain JPEG with photo-like detail: noise at a quarter of the size, scaled
 * up, so it compresses like a phone photo (a 12 MP one is ~4 MB) and is quick to make.
 */
export async function jpegPhoto(width: number, height: number): Promise<Buffer> {
  const noise = sharp({
    create: { width: Math.ceil(width / 4), height: Math.ceil(height / 4), channels: 3, background: 'black', noise: { type: 'gaussian', mean: 128, sigma: 40 } },
  });
  return sharp(await noise.png().toBuffer())
    .resize(width, height, { kernel: 'cubic' })
    .jpeg({ quality: 90 })
    .toBuffer();
}

/** An animated GIF: `frames` frames of `width`×`height`, each a different colour. */
export async function animatedGif(frames = 4, width = 60, height = 40): Promise<Buffer> {
  const raw = Buffer.alloc(width * height * frames * 4);
  for (let f = 0; f < frames; f++) {
    for (let i = 0; i < width * height; i++) {
      const o = (f * width * height + i) * 4;
      raw[o] = (f * 70) % 256;
      raw[o + 1] = 255 - ((f * 70) % 256);
      raw[o + 2] = (i % width) * 4;
      raw[o + 3] = 255;
    }
  }
  return sharp(raw, { raw: { width, height: height * frames, channels: 4, pageHeight: height } })
    .gif({ delay: Array(frames).fill(100), loop: 0 })
    .toBuffer();
}

/**
 * A PNG header claiming `side`×`side` pixels with a tiny body: 1-bit grayscale
 * rows of zeros deflate ~1000:1, so 16000×16000 (256 megapixels, ~1 GB once
 * decoded to RGBA) is about 30 KB. A decompression bomb, perfectly valid.
 */
export function pngBomb(side = 16_000): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const head = Buffer.alloc(8);
    head.writeUInt32BE(data.length, 0);
    head.write(type, 4, 'latin1');
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
    return Buffer.concat([head, data, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(side, 0);
  ihdr.writeUInt32BE(side, 4);
  ihdr[8] = 1; // bit depth
  ihdr[9] = 0; // grayscale
  const rowBytes = 1 + Math.ceil(side / 8); // filter byte + pixels
  const idat = deflateSync(Buffer.alloc(rowBytes * side), { level: 9 });
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', idat),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A small but complete PDF: one empty page, with a correct cross-reference table. */
export function minimalPdf(): Buffer {
  const objects = ['<< /Type /Catalog /Pages 2 0 R >>', '<< /Type /Pages /Kids [3 0 R] /Count 1 >>', '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>'];
  let body = '%PDF-1.4\n';
  const offsets: number[] = [];
  objects.forEach((object, i) => {
    offsets.push(Buffer.byteLength(body));
    body += `${i + 1} 0 obj\n${object}\nendobj\n`;
  });
  const xref = Buffer.byteLength(body);
  body += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const offset of offsets) body += `${String(offset).padStart(10, '0')} 00000 n \n`;
  body += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(body, 'latin1');
}

/** A WAV file: RIFF/WAVE header and `seconds` of a 440 Hz tone, 8 kHz 16-bit mono. */
export function wavTone(seconds = 1): Buffer {
  const rate = 8000;
  const samples = Math.round(rate * seconds);
  const buffer = Buffer.alloc(44 + samples * 2);
  buffer.write('RIFF', 0, 'latin1');
  buffer.writeUInt32LE(36 + samples * 2, 4);
  buffer.write('WAVEfmt ', 8, 'latin1');
  buffer.writeUInt32LE(16, 16); // fmt chunk size
  buffer.writeUInt16LE(1, 20); // PCM
  buffer.writeUInt16LE(1, 22); // mono
  buffer.writeUInt32LE(rate, 24);
  buffer.writeUInt32LE(rate * 2, 28); // byte rate
  buffer.writeUInt16LE(2, 32); // block align
  buffer.writeUInt16LE(16, 34); // bits per sample
  buffer.write('data', 36, 'latin1');
  buffer.writeUInt32LE(samples * 2, 40);
  for (let i = 0; i < samples; i++) buffer.writeInt16LE(Math.round(Math.sin((2 * Math.PI * 440 * i) / rate) * 8000), 44 + i * 2);
  return buffer;
}

/** The start of a Linux executable (ELF64 header). */
export function elfExecutable(): Buffer {
  const buffer = Buffer.alloc(256);
  Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]).copy(buffer, 0);
  buffer.writeUInt16LE(2, 16); // ET_EXEC
  buffer.writeUInt16LE(0x3e, 18); // x86-64
  return buffer;
}

/** The start of a Windows executable: DOS "MZ" stub pointing at a "PE\0\0" header. */
export function windowsExecutable(): Buffer {
  const buffer = Buffer.alloc(512);
  buffer.write('MZ', 0, 'latin1');
  buffer.writeUInt32LE(0x80, 0x3c);
  buffer.write('PE\0\0', 0x80, 'latin1');
  buffer.writeUInt16LE(0x8664, 0x84);
  return buffer;
}

/** A zip of stored (uncompressed) entries: enough for an Office Open XML file. */
export function storedZip(entries: Record<string, string>): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const [name, text] of Object.entries(entries)) {
    const data = Buffer.from(text, 'utf8');
    const nameBytes = Buffer.from(name, 'utf8');
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(data.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(nameBytes.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, nameBytes, data);
    centrals.push(central, nameBytes);
    offset += local.length + nameBytes.length + data.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(Object.keys(entries).length, 8);
  end.writeUInt16LE(Object.keys(entries).length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

/** A minimal .docx: content types, and word/document.xml. */
export function minimalDocx(): Buffer {
  return storedZip({
    '[Content_Types].xml':
      '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">' +
      '<Default Extension="xml" ContentType="application/xml"/>' +
      '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>',
    'word/document.xml':
      '<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>Hi</w:t></w:r></w:p></w:body></w:document>',
  });
}

/**
 * The skeleton of an OLE compound file (what .doc, .xls, .msi are): the header
 * signature and one directory sector with a stream named `streamName`.
 */
export function compoundFile(streamName: string): Buffer {
  const buffer = Buffer.alloc(512 * 4);
  Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]).copy(buffer, 0);
  buffer.writeUInt16LE(0x3e, 24); // minor version
  buffer.writeUInt16LE(3, 26); // major version 3: 512-byte sectors
  buffer.writeUInt16LE(0xfffe, 28); // little-endian
  buffer.writeUInt16LE(9, 30); // sector shift
  buffer.writeUInt32LE(0, 48); // first directory sector
  const entry = (at: number, name: string, type: number) => {
    const bytes = Buffer.from(`${name}\0`, 'utf16le');
    bytes.copy(buffer, at);
    buffer.writeUInt16LE(bytes.length, at + 64);
    buffer[at + 66] = type;
  };
  entry(512, 'Root Entry', 5);
  entry(512 + 128, streamName, 2);
  return buffer;
}

/** WebM (EBML) with one track: type 1 video or 2 audio, followed by a cluster. */
export function webm(trackType: 1 | 2, docType = 'webm'): Buffer {
  const el = (id: number[], body: Buffer) => Buffer.concat([Buffer.from(id), vintSize(body.length), body]);
  const header = el([0x1a, 0x45, 0xdf, 0xa3], Buffer.concat([el([0x42, 0x82], Buffer.from(docType))]));
  const tracks = el([0x16, 0x54, 0xae, 0x6b], el([0xae], Buffer.concat([el([0xd7], Buffer.from([1])), el([0x83], Buffer.from([trackType]))])));
  const cluster = el([0x1f, 0x43, 0xb6, 0x75], el([0xe7], Buffer.from([0])));
  // A live recording's Segment has "unknown" size (all ones).
  const segment = Buffer.concat([Buffer.from([0x18, 0x53, 0x80, 0x67, 0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), tracks, cluster]);
  return Buffer.concat([header, segment]);
}

function vintSize(size: number): Buffer {
  if (size < 0x7f) return Buffer.from([0x80 | size]);
  return Buffer.from([0x40 | (size >> 8), size & 0xff]);
}

/** An ISO media file header: `ftyp` box with the given major brand. */
export function ftyp(brand: string): Buffer {
  const box = Buffer.alloc(32);
  box.writeUInt32BE(32, 0);
  box.write('ftyp', 4, 'latin1');
  box.write(brand.padEnd(4, ' '), 8, 'latin1');
  box.write('isomiso2avc1mp41', 16, 'latin1');
  return box;
}

/**
 * Writes an mp4-looking file of exactly `size` bytes to disk without holding it
 * in memory: a real `ftyp` box, then an `mdat` box of filler.
 */
export async function writeMp4Like(file: string, size: number): Promise<void> {
  const out = createWriteStream(file);
  const head = ftyp('isom');
  const mdat = Buffer.alloc(8);
  mdat.writeUInt32BE(Math.min(size - head.length, 0xffffffff), 0);
  mdat.write('mdat', 4, 'latin1');
  out.write(Buffer.concat([head, mdat]));
  const filler = Buffer.alloc(1024 * 1024, 0x5a);
  let left = size - head.length - mdat.length;
  while (left > 0) {
    const piece = left >= filler.length ? filler : filler.subarray(0, left);
    left -= piece.length;
    if (!out.write(piece)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

/** CRC-32 of Ogg pages: polynomial 0x04C11DB7, MSB first, no reflection, initial value 0, no final XOR. */
const OGG_CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let r = i << 24;
    for (let bit = 0; bit < 8; bit++) r = r & 0x80000000 ? (r << 1) ^ 0x04c11db7 : r << 1;
    table[i] = r >>> 0;
  }
  return table;
})();

function oggCrc(bytes: Buffer): number {
  let crc = 0;
  for (const byte of bytes) crc = ((crc << 8) ^ OGG_CRC_TABLE[((crc >>> 24) ^ byte) & 0xff]!) >>> 0;
  return crc;
}

/** One Ogg page holding whole packets (each under 255 bytes), with its CRC. Header type: 2 first page, 4 last. */
function oggPage(packets: Buffer[], options: { type: number; granule: bigint; serial: number; sequence: number }): Buffer {
  const header = Buffer.alloc(27 + packets.length);
  header.write('OggS', 0, 'latin1');
  header[4] = 0; // version
  header[5] = options.type;
  header.writeBigInt64LE(options.granule, 6);
  header.writeUInt32LE(options.serial, 14);
  header.writeUInt32LE(options.sequence, 18);
  header[26] = packets.length;
  packets.forEach((packet, i) => {
    if (packet.length >= 255) throw new Error('oggPage: packets must be under 255 bytes');
    header[27 + i] = packet.length;
  });
  const page = Buffer.concat([header, ...packets]);
  page.writeUInt32LE(oggCrc(page), 22);
  return page;
}

/**
 * An Ogg Opus voice note of `durationMs` (a multiple of 20 ms): OpusHead and
 * OpusTags pages, then pages of 20 ms mono CELT packets (TOC 0xF8, a few bytes
 * of payload) whose granule positions count 48 kHz samples from the start,
 * pre-skip included; the last page is marked end of stream. Its duration, as
 * RFC 7845 defines it, is (last granule − pre-skip) / 48 kHz.
 */
export function oggOpus(durationMs: number, preSkip = 312): Buffer {
  const serial = 0x5a7a_1e00;
  const head = Buffer.alloc(19);
  head.write('OpusHead', 0, 'latin1');
  head[8] = 1; // version
  head[9] = 1; // channels
  head.writeUInt16LE(preSkip, 10);
  head.writeUInt32LE(48_000, 12); // the input's sample rate, informational
  head.writeInt16LE(0, 16); // output gain
  head[18] = 0; // mapping family: mono/stereo
  const vendor = Buffer.from('payamak-test', 'latin1');
  const tags = Buffer.alloc(8 + 4 + vendor.length + 4);
  tags.write('OpusTags', 0, 'latin1');
  tags.writeUInt32LE(vendor.length, 8);
  vendor.copy(tags, 12);
  tags.writeUInt32LE(0, 12 + vendor.length); // no comments
  const pages = [oggPage([head], { type: 2, granule: 0n, serial, sequence: 0 }), oggPage([tags], { type: 0, granule: 0n, serial, sequence: 1 })];
  const frames = Math.round(durationMs / 20);
  const perPage = 50; // a second of audio per page
  let granule = BigInt(preSkip);
  for (let done = 0, sequence = 2; done < frames; sequence++) {
    const count = Math.min(perPage, frames - done);
    const packets = Array.from({ length: count }, (_, i) => Buffer.from([0xf8, (done + i) & 0xff, 0x55, 0xaa, 0x33]));
    done += count;
    granule += BigInt(count * 960);
    pages.push(oggPage(packets, { type: done === frames ? 4 : 0, granule, serial, sequence }));
  }
  return Buffer.concat(pages);
}

function box(type: string, ...children: Buffer[]): Buffer {
  const body = Buffer.concat(children);
  const head = Buffer.alloc(8);
  head.writeUInt32BE(8 + body.length, 0);
  head.write(type, 4, 'latin1');
  return Buffer.concat([head, body]);
}

function fullBox(type: string, version: number, body: Buffer): Buffer {
  const head = Buffer.alloc(4);
  head[0] = version;
  return box(type, head, body);
}

const UNITY_MATRIX = (() => {
  const matrix = Buffer.alloc(36);
  matrix.writeUInt32BE(0x00010000, 0);
  matrix.writeUInt32BE(0x00010000, 16);
  matrix.writeUInt32BE(0x40000000, 32);
  return matrix;
})();

function mvhd(timescale: number, duration: number): Buffer {
  const body = Buffer.alloc(96);
  body.writeUInt32BE(timescale, 8);
  body.writeUInt32BE(duration, 12);
  body.writeUInt32BE(0x00010000, 16); // rate 1.0
  body.writeUInt16BE(0x0100, 20); // volume 1.0
  UNITY_MATRIX.copy(body, 32);
  body.writeUInt32BE(2, 92); // next track id
  return fullBox('mvhd', 0, body);
}

function tkhd(duration: number, video: { width: number; height: number } | null): Buffer {
  const body = Buffer.alloc(80);
  body.writeUInt32BE(1, 8); // track id
  body.writeUInt32BE(duration, 16);
  body.writeUInt16BE(video ? 0 : 0x0100, 32); // volume: audio tracks only
  UNITY_MATRIX.copy(body, 36);
  body.writeUInt32BE((video?.width ?? 0) << 16, 72);
  body.writeUInt32BE((video?.height ?? 0) << 16, 76);
  const withFlags = fullBox('tkhd', 0, body);
  withFlags[11] = 3; // enabled, in movie
  return withFlags;
}

function mdhd(timescale: number, duration: number): Buffer {
  const body = Buffer.alloc(20);
  body.writeUInt32BE(timescale, 8);
  body.writeUInt32BE(duration, 12);
  body.writeUInt16BE(0x55c4, 16); // language "und"
  return fullBox('mdhd', 0, body);
}

function hdlr(handler: 'soun' | 'vide'): Buffer {
  const body = Buffer.alloc(21);
  body.write(handler, 4, 'latin1');
  return fullBox('hdlr', 0, body);
}

function mp4aEntry(sampleRate: number): Buffer {
  const body = Buffer.alloc(28);
  body.writeUInt16BE(1, 6); // data reference index
  body.writeUInt16BE(1, 16); // channels
  body.writeUInt16BE(16, 18); // sample size
  body.writeUInt32BE(sampleRate * 65_536, 24); // 16.16 fixed point
  return box('mp4a', body);
}

function avc1Entry(width: number, height: number): Buffer {
  const body = Buffer.alloc(78);
  body.writeUInt16BE(1, 6);
  body.writeUInt16BE(width, 24);
  body.writeUInt16BE(height, 26);
  body.writeUInt32BE(0x00480000, 28); // 72 dpi
  body.writeUInt32BE(0x00480000, 32);
  body.writeUInt16BE(1, 40); // frame count
  body.writeUInt16BE(0x18, 74); // depth
  body.writeInt16BE(-1, 76);
  return box('avc1', body);
}

function stbl(entry: Buffer): Buffer {
  const count = Buffer.alloc(4);
  count.writeUInt32BE(1, 0);
  const empty = Buffer.alloc(4); // no entries
  return box(
    'stbl',
    fullBox('stsd', 0, Buffer.concat([count, entry])),
    fullBox('stts', 0, empty),
    fullBox('stsc', 0, empty),
    fullBox('stsz', 0, Buffer.alloc(8)),
    fullBox('stco', 0, empty),
  );
}

/**
 * An ISO media file as a phone records it: `ftyp` with `brand`, a `moov` whose
 * movie header (mvhd) and one track's media header (mdhd) give `durationMs`
 * (with timescales of their own, as real files have), and an `mdat` of filler
 * bytes at the end. `track` decides the kind: a sound track (an M4A voice
 * note, brand `M4A `) or a video track (brand `isom`).
 */
export function isoMedia(options: { brand: 'M4A ' | 'isom' | 'qt  '; track: 'audio' | 'video'; durationMs: number; mdatBytes?: number }): Buffer {
  const { brand, track, durationMs } = options;
  const head = Buffer.alloc(8);
  head.write(brand, 0, 'latin1');
  const compatible = Buffer.from(brand === 'M4A ' ? 'M4A mp42isom' : brand === 'qt  ' ? 'qt  ' : 'isomiso2avc1mp41', 'latin1');
  const movieScale = 1000;
  const mediaScale = track === 'audio' ? 44_100 : 90_000;
  const movieDuration = durationMs;
  const mediaDuration = Math.round((durationMs * mediaScale) / 1000);
  const video = track === 'video' ? { width: 320, height: 180 } : null;
  const trak = box(
    'trak',
    tkhd(movieDuration, video),
    box(
      'mdia',
      mdhd(mediaScale, mediaDuration),
      hdlr(track === 'audio' ? 'soun' : 'vide'),
      box('minf', stbl(track === 'audio' ? mp4aEntry(44_100) : avc1Entry(video!.width, video!.height))),
    ),
  );
  return Buffer.concat([
    box('ftyp', head, compatible),
    box('moov', mvhd(movieScale, movieDuration), trak),
    box('mdat', Buffer.alloc(options.mdatBytes ?? 256, 0x5a)),
  ]);
}

/**
 * An MP3 of `frames` MPEG-1 Layer III frames, 128 kbit/s at 44.1 kHz, mono,
 * constant bit rate and no Xing header: each frame is 417 bytes (418 padded)
 * and 1152 samples, so its duration is frames × 1152 / 44,100 s.
 */
export function mp3Frames(frames: number): Buffer {
  const parts: Buffer[] = [];
  let remainder = 0;
  for (let i = 0; i < frames; i++) {
    // Padding keeps the average at exactly 144 × 128000 / 44100 bytes per frame.
    remainder += (144 * 128_000) % 44_100;
    const padded = remainder >= 44_100;
    if (padded) remainder -= 44_100;
    const frame = Buffer.alloc(417 + (padded ? 1 : 0));
    frame.writeUInt32BE((0xfffb90c0 | (padded ? 0x200 : 0)) >>> 0, 0); // sync, MPEG-1, Layer III, no CRC, 128 kbit/s, 44.1 kHz, mono
    parts.push(frame);
  }
  return Buffer.concat(parts);
}

/**
 * A WebM voice note with a Duration in its Segment Info (as an encoder that
 * finalises its file writes): one Opus audio track at 48 kHz, mono. A live
 * MediaRecorder stream has none (see {@link webm}).
 */
export function webmVoice(durationMs: number): Buffer {
  const el = (id: number[], body: Buffer) => Buffer.concat([Buffer.from(id), vintSize(body.length), body]);
  const float = (value: number) => {
    const bytes = Buffer.alloc(8);
    bytes.writeDoubleBE(value);
    return bytes;
  };
  const header = el([0x1a, 0x45, 0xdf, 0xa3], el([0x42, 0x82], Buffer.from('webm')));
  // TimecodeScale 1,000,000 ns: Duration counts milliseconds.
  const info = el([0x15, 0x49, 0xa9, 0x66], Buffer.concat([el([0x2a, 0xd7, 0xb1], Buffer.from([0x0f, 0x42, 0x40])), el([0x44, 0x89], float(durationMs))]));
  const audio = el([0xe1], Buffer.concat([el([0xb5], float(48_000)), el([0x9f], Buffer.from([1]))]));
  const track = el([0xae], Buffer.concat([el([0xd7], Buffer.from([1])), el([0x83], Buffer.from([2])), el([0x86], Buffer.from('A_OPUS')), audio]));
  const tracks = el([0x16, 0x54, 0xae, 0x6b], track);
  const cluster = el([0x1f, 0x43, 0xb6, 0x75], el([0xe7], Buffer.from([0])));
  const segment = Buffer.concat([Buffer.from([0x18, 0x53, 0x80, 0x67, 0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), info, tracks, cluster]);
  return Buffer.concat([header, segment]);
}

/** A PNG of two colours side by side (left `left`, right `right`), `width` × `height`: its placeholder must keep them apart. */
export function twoColourPng(width: number, height: number, left: [number, number, number], right: [number, number, number]): Promise<Buffer> {
  const raw = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) Buffer.from(x < width / 2 ? left : right).copy(raw, (y * width + x) * 3);
  }
  return sharp(raw, { raw: { width, height, channels: 3 } })
    .png()
    .toBuffer();
}
