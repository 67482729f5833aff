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
