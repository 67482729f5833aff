import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { parseStream } from 'music-metadata';
import type { DetectedType } from './file-type.js';
import { MediaLimits } from './limits.js';

/** Options for {@link readDurationMs}. */
export interface DurationOptions {
  /** Reading the container takes at most this long, or the duration is unknown (null); default 10 s. */
  timeoutMs?: number;
}

/**
 * How long an audio or video file plays, in ms, as its container says; null
 * when it does not say (a browser's MediaRecorder WebM has no Duration, an
 * AVI is not read), when the bytes cannot be parsed, and when the length is
 * beyond {@link MediaLimits.durationMs} (a made-up header). Never throws: a
 * file we cannot read the length of is still a file to send.
 *
 * - MP4, M4V and MOV video: the movie header (`mvhd`). music-metadata reports
 *   the length of an MP4's first sound track only, so a video without sound
 *   would have none.
 * - MP3, Ogg (Opus, Vorbis), M4A/AAC, WAV, WebM: music-metadata (an Ogg stream
 *   is read to its last page, whose granule position gives the length; an MP3
 *   without a Xing/VBRI header is counted frame by frame).
 */
export async function readDurationMs(file: string, type: DetectedType, options: DurationOptions = {}): Promise<number | null> {
  if (type.kind !== 'AUDIO' && type.kind !== 'VIDEO') return null;
  if (type.ext === 'avi') return null;
  let seconds: number | null;
  try {
    const movie = type.ext === 'mp4' || type.ext === 'm4v' || type.ext === 'mov';
    seconds = (movie ? await movieHeaderSeconds(file) : null) ?? (await containerSeconds(file, type, options.timeoutMs ?? 10_000));
  } catch {
    return null; // the file could not be read: its length is as unknown as a damaged one's
  }
  if (seconds === null || !Number.isFinite(seconds) || seconds < 0) return null;
  const ms = Math.round(seconds * 1000);
  return ms <= MediaLimits.durationMs ? ms : null;
}

/** music-metadata over a stream that is destroyed at the deadline, so a slow parse never outlives it. */
async function containerSeconds(file: string, type: DetectedType, timeoutMs: number): Promise<number | null> {
  const { size } = await stat(file);
  const stream = createReadStream(file, { highWaterMark: 256 * 1024 });
  // A read error reaches the parse through its own listener; this one only keeps it from being an unhandled 'error'.
  stream.on('error', () => undefined);
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), timeoutMs);
  });
  try {
    const parsed = parseStream(stream, { mimeType: type.mime, size }, { duration: true, skipCovers: true })
      .then((metadata) => metadata.format.duration ?? null)
      .catch(() => null);
    return await Promise.race([parsed, deadline]);
  } finally {
    clearTimeout(timer);
    // At the deadline the parse ends early on the closed stream; its result, then partial, is no longer awaited.
    stream.destroy();
  }
}

/** Boxes visited before giving up: real files have a handful at the top level and in `moov` before `mvhd`. */
const MAX_BOXES = 256;

/**
 * The ISO media movie header's duration (ISO/IEC 14496-12 §8.2.2): the top
 * level is walked by box sizes (`moov` may come after a large `mdat`), then
 * `moov`'s children to `mvhd`. Null when there is none, or it says "unknown".
 */
export async function movieHeaderSeconds(file: string): Promise<number | null> {
  const handle = await open(file, 'r');
  try {
    const { size: fileSize } = await handle.stat();
    const header = Buffer.alloc(32);
    const boxAt = async (offset: number, end: number) => {
      if (offset + 8 > end) return null;
      const { bytesRead } = await handle.read(header, 0, 16, offset);
      if (bytesRead < 8) return null;
      let size = header.readUInt32BE(0);
      const type = header.toString('latin1', 4, 8);
      let headerSize = 8;
      if (size === 1) {
        if (bytesRead < 16) return null;
        size = Number(header.readBigUInt64BE(8));
        headerSize = 16;
      } else if (size === 0) {
        size = end - offset;
      }
      if (size < headerSize || offset + size > end) return null;
      return { type, start: offset + headerSize, end: offset + size };
    };
    const find = async (type: string, from: number, to: number) => {
      for (let at = from, visited = 0; visited < MAX_BOXES; visited++) {
        const found = await boxAt(at, to);
        if (!found) return null;
        if (found.type === type) return found;
        at = found.end;
      }
      return null;
    };
    const moov = await find('moov', 0, fileSize);
    const mvhd = moov && (await find('mvhd', moov.start, moov.end));
    if (!mvhd) return null;
    const { bytesRead } = await handle.read(header, 0, 32, mvhd.start);
    const version = header[0];
    let timescale: number;
    let duration: number;
    if (version === 0 && bytesRead >= 20) {
      timescale = header.readUInt32BE(12);
      duration = header.readUInt32BE(16);
      if (duration === 0xffffffff) return null;
    } else if (version === 1 && bytesRead >= 32) {
      timescale = header.readUInt32BE(20);
      const long = header.readBigUInt64BE(24);
      if (long === 0xffffffffffffffffn) return null;
      duration = Number(long);
    } else {
      return null;
    }
    return timescale > 0 && duration > 0 ? duration / timescale : null;
  } finally {
    await handle.close();
  }
}
