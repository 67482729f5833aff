import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import type { FileUpload } from 'graphql-upload-minimal';
import { AppError, ErrorCode, badInput } from '../../lib/errors.js';
import type { Logger } from '../../lib/logger.js';
import { readDurationMs } from '../../media/duration.js';
import { detectFileType, type DetectedType } from '../../media/file-type.js';
import type { FileStore } from '../../media/file-store.js';
import type { ImageProcessor } from '../../media/image.js';
import { formatBytes, payloadTooLarge, unsupportedMediaType } from '../../media/media-errors.js';
import type { TempDir, UploadStream } from '../../media/temp-file.js';
import { cleanFileName } from './files.inputs.js';
import { withinRoom, type Room } from './files.quota.js';
import type { FileRecord } from './files.types.js';

/** An upload processed and stored, before its File row exists. */
export interface StoredUpload {
  data: Omit<FileRecord, 'id' | 'ownerId' | 'chatId' | 'createdAt'>;
  /** Removes the stored bytes (the row was never written, or was rolled back). */
  discard(): Promise<void>;
}

/** How one upload is received: its byte limit, whether it is a profile picture, whose it is, and the quota room left. */
export interface ReceiveOptions {
  maxBytes: number;
  avatar: boolean;
  ownerId: string;
  room: Room;
}

const ACCEPTED_LIST = 'JPEG, PNG, GIF or WebP images; MP4, MOV or AVI video; MP3, WAV, OGG, M4A/AAC or WebM audio; PDF, Word (DOC, DOCX) or UTF-8 text';

/**
 * An upload is streamed to a temporary file (counted against its limit,
 * hashed), its type is decided from its bytes, images are re-encoded without
 * metadata (and get a BlurHash), audio and video have their length read from
 * the container, and only then is anything stored; the temporary files are
 * removed whatever happens. Multipart uploads and finished resumable ones
 * both come through here, so both get the same.
 */
export class UploadReceiver {
  constructor(
    private readonly store: FileStore,
    private readonly temp: TempDir,
    private readonly images: ImageProcessor,
    private readonly logger: Logger,
  ) {}

  /** Receives, inspects, processes and stores one upload; every temporary file is gone when this returns or throws. */
  async receive(upload: Promise<FileUpload>, options: ReceiveOptions): Promise<StoredUpload> {
    const started = performance.now();
    const { filename, stream } = await openUpload(upload);
    const temp = await this.temp.receive(withinRoom(stream, options.room), options.maxBytes).catch((error: unknown) => {
      throw uploadError(error);
    });
    try {
      return await this.#inspectAndStore(temp, filename, options, started);
    } finally {
      await temp.dispose();
    }
  }

  /**
   * The same for bytes already complete on disk (a finished resumable upload):
   * hashed, inspected, processed and stored. The file may be taken (moved into
   * the store); the caller removes it if it is still there, whatever happens.
   */
  async receiveFile(file: string, filename: string | null, options: ReceiveOptions): Promise<StoredUpload> {
    const started = performance.now();
    const { size, sha256 } = await hashFile(file);
    if (size > options.maxBytes) throw payloadTooLarge(`The file is larger than ${formatBytes(options.maxBytes)}`);
    return this.#inspectAndStore({ path: file, size, sha256 }, filename ?? undefined, options, started);
  }

  async #inspectAndStore(
    temp: { path: string; size: number; sha256: string },
    filename: string | undefined,
    options: ReceiveOptions,
    started: number,
  ): Promise<StoredUpload> {
    const outputs: string[] = [];
    const keys: string[] = [];
    const discard = async () => {
      await Promise.all(
        keys.map((key) => this.store.delete(key).catch((error: unknown) => this.logger.error({ err: error }, 'could not remove stored bytes'))),
      );
    };
    try {
      if (temp.size === 0) throw badInput('The file is empty', 'file');
      const type = await detectFileType(temp.path);
      if (!type) throw unsupportedMediaType(`This type of file is not accepted. Accepted: ${ACCEPTED_LIST}`);
      if (options.avatar && type.kind !== 'IMAGE') throw unsupportedMediaType('A profile picture must be a JPEG, PNG, GIF or WebP image');

      let data: StoredUpload['data'];
      if (type.kind === 'IMAGE') {
        const out = { main: this.temp.newPath('.main'), thumbnail: this.temp.newPath('.thumb') };
        outputs.push(out.main, out.thumbnail);
        const image = options.avatar
          ? await this.images.avatar(temp.path, type, out, options.ownerId)
          : await this.images.process(temp.path, type, out, options.ownerId);
        const checksum = await sha256File(image.main.path);
        keys.push(await this.store.putFile(image.main.path));
        keys.push(await this.store.putFile(image.thumbnail.path));
        data = {
          ...fileData(type, image.main.mime, filename),
          size: image.main.size,
          width: image.main.width,
          height: image.main.height,
          checksum,
          storageKey: keys[0]!,
          thumbnailKey: keys[1]!,
          thumbnailSize: image.thumbnail.size,
          durationMs: null,
          blurhash: image.blurhash,
          ...NO_EXTRAS,
        };
      } else {
        // Before the bytes move into the store: read where they are, once.
        const durationMs = await readDurationMs(temp.path, type);
        keys.push(await this.store.putFile(temp.path));
        data = {
          ...fileData(type, type.mime, filename),
          size: temp.size,
          width: null,
          height: null,
          checksum: temp.sha256,
          storageKey: keys[0]!,
          thumbnailKey: null,
          thumbnailSize: null,
          durationMs,
          blurhash: null,
          ...NO_EXTRAS,
        };
      }
      this.logger.info(
        {
          kind: data.kind,
          mimeType: data.mimeType,
          receivedBytes: temp.size,
          storedBytes: data.size,
          durationMs: data.durationMs,
          ms: Math.round(performance.now() - started),
        },
        'upload stored',
      );
      return { data, discard };
    } catch (error) {
      await discard();
      throw error;
    } finally {
      await Promise.all(outputs.map((file) => rm(file, { force: true })));
    }
  }
}

/** What only sendAttachments adds (the sender's waveform, a video's poster). */
const NO_EXTRAS = { waveform: null, posterKey: null, posterSize: null, posterMimeType: null } as const;

function fileData(type: DetectedType, mimeType: string, filename: string | undefined) {
  return { kind: type.kind, mimeType, originalName: cleanFileName(filename) };
}

/** Waits for the multipart part of an upload and opens it; the parser's errors become ours. */
async function openUpload(upload: Promise<FileUpload>): Promise<{ filename: string | undefined; stream: UploadStream }> {
  try {
    const file = await upload;
    return { filename: file.filename, stream: file.createReadStream() as unknown as UploadStream };
  } catch (error) {
    throw uploadError(error);
  }
}

/**
 * graphql-upload-minimal reports problems as HTTP errors (`status`): 413 when
 * its limit was hit, 4xx for a broken or interrupted request.
 */
function uploadError(error: unknown): unknown {
  if (error instanceof AppError) return error;
  const status = (error as { status?: unknown } | null)?.status;
  if (status === 413) return payloadTooLarge('The file is too large');
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return new AppError(ErrorCode.BAD_USER_INPUT, 'The upload was incomplete or interrupted', { field: 'file' });
  }
  return error;
}

async function sha256File(file: string): Promise<string> {
  return (await hashFile(file)).sha256;
}

async function hashFile(file: string): Promise<{ size: number; sha256: string }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(file)) {
    size += (chunk as Buffer).byteLength;
    hash.update(chunk as Buffer);
  }
  return { size, sha256: hash.digest('hex') };
}
