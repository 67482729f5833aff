import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { fileTypeFromFile } from 'file-type';

/** What a file is shown as; the same names as the message kinds. */
export type MediaKind = 'IMAGE' | 'VIDEO' | 'AUDIO' | 'DOCUMENT';

/** An accepted type, decided from the bytes. */
export interface DetectedType {
  kind: MediaKind;
  /** The Content-Type it is served with (text/plain gets `; charset=utf-8` when served). */
  mime: string;
  /** Usual file extension, without the dot (used to name downloads). */
  ext: string;
}

const type = (kind: MediaKind, mime: string, ext: string): DetectedType => ({ kind, mime, ext });

/** file-type's answer (by its `ext`) → what we accept it as. Anything missing is refused. */
const ACCEPTED: Readonly<Record<string, DetectedType>> = {
  jpg: type('IMAGE', 'image/jpeg', 'jpg'),
  png: type('IMAGE', 'image/png', 'png'),
  // An animated PNG is a PNG whose first frame is all that sharp reads.
  apng: type('IMAGE', 'image/png', 'png'),
  gif: type('IMAGE', 'image/gif', 'gif'),
  webp: type('IMAGE', 'image/webp', 'webp'),
  mp4: type('VIDEO', 'video/mp4', 'mp4'),
  m4v: type('VIDEO', 'video/mp4', 'm4v'),
  mov: type('VIDEO', 'video/quicktime', 'mov'),
  avi: type('VIDEO', 'video/x-msvideo', 'avi'),
  mp3: type('AUDIO', 'audio/mpeg', 'mp3'),
  wav: type('AUDIO', 'audio/wav', 'wav'),
  ogg: type('AUDIO', 'audio/ogg', 'ogg'),
  opus: type('AUDIO', 'audio/ogg', 'opus'),
  m4a: type('AUDIO', 'audio/mp4', 'm4a'),
  aac: type('AUDIO', 'audio/aac', 'aac'),
  pdf: type('DOCUMENT', 'application/pdf', 'pdf'),
  docx: type('DOCUMENT', 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', 'docx'),
};

const DOC = type('DOCUMENT', 'application/msword', 'doc');
const TXT = type('DOCUMENT', 'text/plain', 'txt');
const WEBM_AUDIO = type('AUDIO', 'audio/webm', 'webm');
const WEBM_VIDEO = type('VIDEO', 'video/webm', 'webm');

/**
 * Decides what a file is from its bytes alone (never the client's name or MIME
 * type). Null when it is nothing we accept.
 *
 * - Everything file-type recognises is looked up in {@link ACCEPTED}.
 * - An OLE compound file (file-type's `cfb`) is a Word document only when its
 *   directory has a `WordDocument` stream; Excel, PowerPoint or MSI files are refused.
 * - WebM is AUDIO when no track is video (voice notes recorded in a browser), else VIDEO.
 * - What file-type does not recognise is plain text when it is valid UTF-8
 *   without NUL or other binary control characters; anything else is refused.
 */
export async function detectFileType(file: string): Promise<DetectedType | null> {
  const found = await fileTypeFromFile(file);
  if (found) {
    if (found.ext === 'cfb') return (await isWordDocument(file)) ? DOC : null;
    if (found.ext === 'webm') return (await webmHasVideo(file)) === false ? WEBM_AUDIO : WEBM_VIDEO;
    return ACCEPTED[found.ext] ?? null;
  }
  return (await isPlainText(file)) ? TXT : null;
}

// Bytes that do not occur in text: C0 controls other than tab, newline, form
// feed and carriage return (ESC too: terminal escape sequences), and DEL.
const BINARY = new Uint8Array(256);
for (let b = 0; b < 0x20; b++) BINARY[b] = b === 0x09 || b === 0x0a || b === 0x0c || b === 0x0d ? 0 : 1;
BINARY[0x7f] = 1;

/** Valid UTF-8 (a BOM is fine) with no binary control bytes. Streams: any size, constant memory. */
export async function isPlainText(file: string): Promise<boolean> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let bytes = 0;
  try {
    for await (const chunk of createReadStream(file, { highWaterMark: 256 * 1024 }) as AsyncIterable<Buffer>) {
      bytes += chunk.length;
      for (let i = 0; i < chunk.length; i++) if (BINARY[chunk[i]!]) return false;
      decoder.decode(chunk, { stream: true });
    }
    decoder.decode();
  } catch {
    return false; // invalid UTF-8
  }
  return bytes > 0;
}

const WORD_DOCUMENT = Buffer.from('WordDocument\0', 'utf16le');

/**
 * An OLE compound file with a `WordDocument` stream: a Word 97–2003 .doc.
 * Directory entries are 128 bytes, aligned to 128 in the file (sectors are 512
 * or 4096 bytes after a header sector), with the UTF-16 name first, its byte
 * length at 64 and the object type (2 = stream) at 66.
 */
export async function isWordDocument(file: string): Promise<boolean> {
  const ENTRY = 128;
  let offset = 0;
  for await (const chunk of createReadStream(file, { highWaterMark: 1024 * ENTRY }) as AsyncIterable<Buffer>) {
    // highWaterMark is a multiple of ENTRY, and reads of a regular file fill it, so entries never straddle chunks.
    for (let at = (ENTRY - (offset % ENTRY)) % ENTRY; at + ENTRY <= chunk.length; at += ENTRY) {
      if (
        offset + at >= 512 &&
        chunk.readUInt16LE(at + 64) === WORD_DOCUMENT.length &&
        chunk[at + 66] === 2 &&
        chunk.compare(WORD_DOCUMENT, 0, WORD_DOCUMENT.length, at, at + WORD_DOCUMENT.length) === 0
      ) {
        return true;
      }
    }
    offset += chunk.length;
  }
  return false;
}

const EBML_SEGMENT = 0x18538067;
const EBML_TRACKS = 0x1654ae6b;
const EBML_TRACK_ENTRY = 0xae;
const EBML_TRACK_TYPE = 0x83;
const EBML_CLUSTER = 0x1f43b675;
const TRACK_TYPE_VIDEO = 1;

/**
 * Whether a WebM file has a video track: walks the EBML header and the
 * Segment's elements (Tracks come before the first Cluster) in the first 64 KiB.
 * Null when that is not enough to tell.
 */
export async function webmHasVideo(file: string): Promise<boolean | null> {
  const handle = await open(file, 'r');
  let buffer: Buffer;
  try {
    buffer = Buffer.alloc(64 * 1024);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    buffer = buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }

  const vint = (at: number, keepMarker: boolean): { value: number; length: number; unknown: boolean } | null => {
    const first = buffer[at];
    if (first === undefined || first === 0) return null;
    const length = Math.clz32(first) - 23; // 1 for 0b1xxxxxxx … 8 for 0b00000001
    if (at + length > buffer.length) return null;
    let value = keepMarker ? first : first & (0xff >> length);
    let allOnes = value === 0xff >> length;
    for (let i = 1; i < length; i++) {
      const byte = buffer[at + i]!;
      value = value * 256 + byte;
      allOnes &&= byte === 0xff;
    }
    return { value, length, unknown: !keepMarker && allOnes };
  };
  const element = (at: number) => {
    const id = vint(at, true);
    if (!id) return null;
    const size = vint(at + id.length, false);
    if (!size) return null;
    return { id: id.value, start: at + id.length + size.length, size: size.unknown ? Infinity : size.value };
  };

  let hasVideo = false;
  let sawTracks = false;
  const walk = (from: number, to: number, depth: number): boolean => {
    let at = from;
    while (at < Math.min(to, buffer.length)) {
      const el = element(at);
      if (!el) return false;
      if (el.id === EBML_CLUSTER) return true;
      if (el.id === EBML_SEGMENT || el.id === EBML_TRACKS || el.id === EBML_TRACK_ENTRY) {
        if (el.id === EBML_TRACKS) sawTracks = true;
        if (depth > 4 || walk(el.start, el.start + el.size, depth + 1)) return true;
      } else if (el.id === EBML_TRACK_TYPE) {
        if (el.size >= 1 && el.size <= 8 && el.start + el.size <= buffer.length && buffer.readUIntBE(el.start, Math.min(el.size, 6)) === TRACK_TYPE_VIDEO) {
          hasVideo = true;
        }
      }
      if (el.size === Infinity) return false;
      at = el.start + el.size;
    }
    return false;
  };
  walk(0, Infinity, 0);
  return hasVideo ? true : sawTracks ? false : null;
}

const EXTENSIONS = new Map<string, string>([...Object.values(ACCEPTED), DOC, TXT, WEBM_AUDIO, WEBM_VIDEO].map((t) => [t.mime, t.ext] as const).reverse());

/** The usual extension for a MIME type we accept (`image/jpeg` → `jpg`); undefined for others. */
export function extensionOf(mime: string): string | undefined {
  return EXTENSIONS.get(mime);
}
