import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import type { FileUpload } from 'graphql-upload-minimal';
import type { PrismaClient } from '../../generated/prisma/client.js';
import { AppError, ErrorCode, badInput, isUniqueViolation, notFound } from '../../lib/errors.js';
import type { Logger } from '../../lib/logger.js';
import { isUuid } from '../../lib/text.js';
import type { Viewer } from '../../lib/viewer.js';
import { detectFileType, extensionOf, type DetectedType } from '../../media/file-type.js';
import type { ByteRange, FileStore } from '../../media/file-store.js';
import { ImageProcessor } from '../../media/image.js';
import { MediaLimits } from '../../media/limits.js';
import { payloadTooLarge, unsupportedMediaType } from '../../media/media-errors.js';
import type { FileVariant, UrlSigner } from '../../media/signed-urls.js';
import type { TempDir, UploadStream } from '../../media/temp-file.js';
import { requireMembership, type ChatLoaders } from '../chats/index.js';
import { replyElsewhere, type MessageLog, type MessageRecord } from '../messages/index.js';
import { cleanClientId } from '../messages/index.js';
import { USER_SELECT, type UserRecord } from '../users/index.js';
import { cleanCaption, cleanFileName, type SendMediaMessageInput } from './files.inputs.js';
import { unlimitedUploads, type UploadLimiter } from './files.limiter.js';
import type { FileLoaders } from './files.loaders.js';
import { requireOwnFile, requireViewableFile } from './files.policy.js';
import { FILE_SELECT, type FileRecord } from './files.types.js';

/** Options for {@link FilesService}. */
export interface FilesServiceOptions {
  store: FileStore;
  signer: UrlSigner;
  /** Where uploads are received before they are inspected; emptied at start-up. */
  temp: TempDir;
  /** Default: an {@link ImageProcessor} with {@link MediaLimits}. */
  images?: ImageProcessor;
  /** Default: {@link unlimitedUploads}. */
  uploadLimiter?: UploadLimiter;
  /** `PUBLIC_URL`: the base of file URLs. Unset: the origin each request came in on. */
  publicUrl?: string;
  /** Byte limits; default {@link MediaLimits} (avatar 5 MiB, media 100 MiB). */
  limits?: { avatarBytes?: number; mediaBytes?: number };
  /**
   * `USER_STORAGE_QUOTA`: bytes one user's uploads may hold in all (originals
   * and thumbnails, the avatar included); more is refused with PAYLOAD_TOO_LARGE.
   * Default 0: no quota.
   */
  storageQuota?: number;
}

/** What the HTTP route needs to serve a file's bytes. */
export interface Download {
  mimeType: string;
  size: number;
  etag: string;
  /** `attachment` for documents (never rendered by a browser), `inline` for the rest. */
  disposition: 'attachment' | 'inline';
  /** Name to save the download under, its extension matching the bytes. */
  fileName: string;
  open(range?: ByteRange): Promise<Readable>;
}

export type DownloadResult = { status: 200; download: Download } | { status: 403 | 404 };

/** An upload processed and stored, before its File row exists. */
interface StoredUpload {
  data: Omit<FileRecord, 'id' | 'ownerId' | 'chatId' | 'createdAt'>;
  /** Removes the stored bytes (the row was never written, or was rolled back). */
  discard(): Promise<void>;
}

const ACCEPTED_LIST = 'JPEG, PNG, GIF or WebP images; MP4, MOV or AVI video; MP3, WAV, OGG, M4A/AAC or WebM audio; PDF, Word (DOC, DOCX) or UTF-8 text';

/**
 * Uploads (profile pictures, media messages) and access to them. An upload is
 * streamed to a temporary file (counted against its limit, hashed), its type is
 * decided from its bytes, images are re-encoded without metadata, and only then
 * is anything stored; the temporary files are removed whatever happens.
 */
export class FilesService {
  readonly #store: FileStore;
  readonly #signer: UrlSigner;
  readonly #temp: TempDir;
  readonly #images: ImageProcessor;
  readonly #limiter: UploadLimiter;
  readonly #publicUrl: string | undefined;
  readonly #avatarBytes: number;
  readonly #mediaBytes: number;
  readonly #quota: number;

  constructor(
    private readonly prisma: PrismaClient,
    private readonly log: MessageLog,
    private readonly logger: Logger,
    options: FilesServiceOptions,
  ) {
    this.#store = options.store;
    this.#signer = options.signer;
    this.#temp = options.temp;
    this.#images = options.images ?? new ImageProcessor();
    this.#limiter = options.uploadLimiter ?? unlimitedUploads;
    this.#publicUrl = options.publicUrl?.replace(/\/+$/, '');
    this.#avatarBytes = options.limits?.avatarBytes ?? MediaLimits.avatarBytes;
    this.#mediaBytes = options.limits?.mediaBytes ?? MediaLimits.mediaBytes;
    this.#quota = options.storageQuota ?? 0;
  }

  /** The largest upload any operation takes: the multipart parser's own limit. */
  get maxUploadBytes(): number {
    return Math.max(this.#avatarBytes, this.#mediaBytes);
  }

  /** Bytes the user's uploads hold; for the user themself only (null for anyone else). */
  async storageUsed(viewer: Viewer | null, userId: string): Promise<number | null> {
    return viewer?.id === userId ? storedBytes(this.prisma, userId, { exceptAvatar: false }) : null;
  }

  /** The storage quota in bytes, shown to the user themself only; null for anyone else, and when there is none. */
  storageQuota(viewer: Viewer | null, userId: string): number | null {
    return viewer?.id === userId && this.#quota > 0 ? this.#quota : null;
  }

  /** A file the viewer may see; NOT_FOUND otherwise. */
  file(viewer: Viewer, loaders: ChatLoaders & FileLoaders, id: string): Promise<FileRecord> {
    return requireViewableFile(loaders, viewer, id);
  }

  /**
   * A fresh signed URL for a file the caller has already shown the viewer may
   * see. Absolute: PUBLIC_URL, else the origin of the viewer's request.
   */
  url(file: FileRecord, variant: FileVariant, origin: string | null): string | null {
    if (variant === 'thumbnail' && file.thumbnailKey === null) return null;
    return `${this.#publicUrl ?? origin ?? ''}${this.#signer.path(file.id, variant)}`;
  }

  /**
   * Sends a file as a message (kind from the detected type, caption as its
   * text). Everything that can be checked without the file is checked before
   * reading it: a retry with a known clientId returns the first message and
   * stores nothing; a stranger to the chat is refused.
   */
  async sendMediaMessage(viewer: Viewer, loaders: ChatLoaders, input: SendMediaMessageInput): Promise<MessageRecord> {
    const caption = cleanCaption(input.caption);
    const clientId = cleanClientId(input.clientId);
    const { chatId } = input;
    // Membership first: a replayed clientId must not hand a former member the chat's message (and through it the chat).
    await requireMembership(loaders, viewer, chatId);
    if (clientId) {
      const first = await this.log.firstByClientId(viewer.id, clientId, chatId);
      if (first) return first;
    }
    const replyToId = await this.#checkReply(chatId, input.replyToId);
    await this.#limiter.consume(viewer.id);
    const room = await this.#room(viewer.id, { exceptAvatar: false });

    const stored = await this.#receive(input.file, { maxBytes: this.#mediaBytes, avatar: false, ownerId: viewer.id, room });
    try {
      const { message } = await this.log.transaction(async (tx, append) => {
        if (this.#quota > 0) {
          // The user's row lock serialises their commits, so two uploads racing cannot both fit in the same room.
          // FOR NO KEY UPDATE, not FOR UPDATE: foreign-key checks on the user (a message they send elsewhere, their
          // being added to a chat) take KEY SHARE, which it leaves free; so a transaction holding a chat lock never
          // waits for this one, which is about to wait for that chat's lock in append.
          await tx.$queryRaw`SELECT 1 FROM "User" WHERE "id" = ${viewer.id}::uuid FOR NO KEY UPDATE`;
          await this.#requireRoom(tx, viewer.id, stored, { exceptAvatar: false });
        }
        const file = await tx.file.create({ data: { ...stored.data, ownerId: viewer.id, chatId }, select: { id: true } });
        return append({
          chatId,
          senderId: viewer.id,
          kind: stored.data.kind,
          text: caption,
          replyToId,
          clientId,
          fileId: file.id,
          requireMember: viewer.id,
          readBy: viewer.id,
        });
      });
      return message;
    } catch (error) {
      await stored.discard();
      if (clientId && isUniqueViolation(error)) {
        // A concurrent retry won the race: its message (and file) is the one.
        const first = await this.log.firstByClientId(viewer.id, clientId, chatId);
        if (first) return first;
      }
      throw error;
    }
  }

  /** Replaces the viewer's profile picture; the previous one's bytes are removed. */
  async uploadAvatar(viewer: Viewer, upload: Promise<FileUpload>): Promise<UserRecord> {
    await this.#limiter.consume(viewer.id);
    // The avatar being replaced leaves with the new one's arrival: its bytes do not count against it.
    const room = await this.#room(viewer.id, { exceptAvatar: true });
    const stored = await this.#receive(upload, { maxBytes: this.#avatarBytes, avatar: true, ownerId: viewer.id, room });
    let previous: FileRecord | null;
    try {
      previous = await this.#setAvatar(viewer.id, async (tx) => {
        // The user's row is locked by #setAvatar: nothing of theirs commits meanwhile.
        await this.#requireRoom(tx, viewer.id, stored, { exceptAvatar: true });
        const file = await tx.file.create({ data: { ...stored.data, ownerId: viewer.id, chatId: null }, select: { id: true } });
        return file.id;
      });
    } catch (error) {
      await stored.discard();
      throw error;
    }
    if (previous) await this.#removeBytes(previous);
    return this.#user(viewer.id);
  }

  /** Clears the viewer's profile picture and removes its bytes. */
  async removeAvatar(viewer: Viewer): Promise<UserRecord> {
    const previous = await this.#setAvatar(viewer.id, async () => null);
    if (previous) await this.#removeBytes(previous);
    return this.#user(viewer.id);
  }

  /**
   * The uploader deletes a file: its row goes (a message keeps its text, and
   * its `file` becomes null; an avatar is cleared), then its bytes.
   */
  async deleteFile(viewer: Viewer, loaders: ChatLoaders & FileLoaders, id: string): Promise<boolean> {
    const file = await requireOwnFile(loaders, viewer, id);
    const { count } = await this.prisma.file.deleteMany({ where: { id: file.id, ownerId: viewer.id } });
    if (count === 0) throw notFound('File'); // deleted meanwhile
    loaders.fileById.clear(file.id);
    await this.#removeBytes(file);
    this.logger.info({ fileId: file.id, userId: viewer.id }, 'file deleted');
    return true;
  }

  /**
   * For `GET /files/:id[/thumbnail]`: the signature is checked first (403 for a
   * missing, forged or expired one, without touching the database), then the
   * file must still exist (404).
   */
  async download(id: string, variant: FileVariant, exp: unknown, sig: unknown): Promise<DownloadResult> {
    if (this.#signer.verify(id, variant, exp, sig) !== 'valid') return { status: 403 };
    if (!isUuid(id)) return { status: 404 };
    const file = await this.prisma.file.findUnique({ where: { id }, select: FILE_SELECT });
    if (!file) return { status: 404 };
    const thumbnail = variant === 'thumbnail';
    const key = thumbnail ? file.thumbnailKey : file.storageKey;
    const size = thumbnail ? file.thumbnailSize : file.size;
    if (key === null || size === null) return { status: 404 };
    return {
      status: 200,
      download: {
        mimeType: thumbnail ? 'image/webp' : file.mimeType,
        size,
        // Stored bytes never change for an id, so the content hash identifies both variants.
        etag: `"${file.checksum}${thumbnail ? '.t' : ''}"`,
        disposition: !thumbnail && file.kind === 'DOCUMENT' ? 'attachment' : 'inline',
        fileName: downloadName(file, thumbnail),
        open: (range) => this.#store.get(key, range),
      },
    };
  }

  /** Receives, inspects, processes and stores one upload; every temporary file is gone when this returns or throws. */
  async #receive(upload: Promise<FileUpload>, options: { maxBytes: number; avatar: boolean; ownerId: string; room: Room }): Promise<StoredUpload> {
    const started = performance.now();
    const { filename, stream } = await openUpload(upload);
    const temp = await this.#temp.receive(withinRoom(stream, options.room), options.maxBytes).catch((error: unknown) => {
      throw uploadError(error);
    });
    const outputs: string[] = [];
    const keys: string[] = [];
    const discard = async () => {
      await Promise.all(
        keys.map((key) => this.#store.delete(key).catch((error: unknown) => this.logger.error({ err: error }, 'could not remove stored bytes'))),
      );
    };
    try {
      if (temp.size === 0) throw badInput('The file is empty', 'file');
      const type = await detectFileType(temp.path);
      if (!type) throw unsupportedMediaType(`This type of file is not accepted. Accepted: ${ACCEPTED_LIST}`);
      if (options.avatar && type.kind !== 'IMAGE') throw unsupportedMediaType('A profile picture must be a JPEG, PNG, GIF or WebP image');

      let data: StoredUpload['data'];
      if (type.kind === 'IMAGE') {
        const out = { main: this.#temp.newPath('.main'), thumbnail: this.#temp.newPath('.thumb') };
        outputs.push(out.main, out.thumbnail);
        const image = options.avatar
          ? await this.#images.avatar(temp.path, type, out, options.ownerId)
          : await this.#images.process(temp.path, type, out, options.ownerId);
        const checksum = await sha256File(image.main.path);
        keys.push(await this.#store.putFile(image.main.path));
        keys.push(await this.#store.putFile(image.thumbnail.path));
        data = {
          ...fileData(type, image.main.mime, filename),
          size: image.main.size,
          width: image.main.width,
          height: image.main.height,
          checksum,
          storageKey: keys[0]!,
          thumbnailKey: keys[1]!,
          thumbnailSize: image.thumbnail.size,
        };
      } else {
        keys.push(await this.#store.putFile(temp.path));
        data = {
          ...fileData(type, type.mime, filename),
          size: temp.size,
          width: null,
          height: null,
          checksum: temp.sha256,
          storageKey: keys[0]!,
          thumbnailKey: null,
          thumbnailSize: null,
        };
      }
      this.logger.info(
        { kind: data.kind, mimeType: data.mimeType, receivedBytes: temp.size, storedBytes: data.size, ms: Math.round(performance.now() - started) },
        'upload stored',
      );
      return { data, discard };
    } catch (error) {
      await discard();
      throw error;
    } finally {
      await temp.dispose();
      await Promise.all(outputs.map((file) => rm(file, { force: true })));
    }
  }

  /**
   * Before reading an upload: what is left of the user's quota (none: refused
   * now, before a byte is read). Null when there is no quota.
   */
  async #room(userId: string, options: { exceptAvatar: boolean }): Promise<Room> {
    if (this.#quota === 0) return null;
    const used = await storedBytes(this.prisma, userId, options);
    if (used >= this.#quota) throw quotaUsedUp(this.#quota, used);
    return { quota: this.#quota, used };
  }

  /** Before committing, under the user's row lock: what was stored must fit beside everything else of theirs. */
  async #requireRoom(tx: Pick<PrismaClient, '$queryRaw'>, userId: string, stored: StoredUpload, options: { exceptAvatar: boolean }): Promise<void> {
    if (this.#quota === 0) return;
    const used = await storedBytes(tx, userId, options);
    const size = stored.data.size + (stored.data.thumbnailSize ?? 0);
    if (used + size > this.#quota) throw quotaUsedUp(this.#quota, used, `${size} bytes`);
  }

  /** Sets (or clears) a user's avatar under the user's row lock; returns the replaced File row, already deleted. */
  async #setAvatar(userId: string, create: (tx: Tx) => Promise<string | null>): Promise<FileRecord | null> {
    return this.prisma.$transaction(async (tx) => {
      const rows = await tx.$queryRaw<{ avatarId: string | null }[]>`
        SELECT "avatarId"::text AS "avatarId" FROM "User" WHERE "id" = ${userId}::uuid FOR UPDATE`;
      if (rows.length === 0) throw notFound('User');
      const avatarId = await create(tx);
      await tx.user.update({ where: { id: userId }, data: { avatarId } });
      const previous = rows[0]!.avatarId;
      return previous ? tx.file.delete({ where: { id: previous }, select: FILE_SELECT }) : null;
    });
  }

  async #removeBytes(file: FileRecord): Promise<void> {
    for (const key of [file.storageKey, file.thumbnailKey]) {
      if (key === null) continue;
      // The row is gone, so the bytes are unreachable either way; a failure only leaves litter.
      await this.#store.delete(key).catch((error: unknown) => this.logger.error({ err: error, fileId: file.id }, 'could not remove file bytes'));
    }
  }

  async #user(id: string): Promise<UserRecord> {
    const user = await this.prisma.user.findUnique({ where: { id }, select: USER_SELECT });
    if (!user) throw notFound('User');
    return user;
  }

  async #checkReply(chatId: string, replyToId: string | null | undefined): Promise<string | null> {
    if (replyToId === null || replyToId === undefined) return null;
    const replied = isUuid(replyToId) ? await this.prisma.message.findUnique({ where: { id: replyToId }, select: { chatId: true } }) : null;
    if (!replied || replied.chatId !== chatId) throw replyElsewhere();
    return replyToId;
  }
}

type Tx = Parameters<Parameters<PrismaClient['$transaction']>[0]>[0];

/** What was left of a user's quota before an upload; null: no quota. */
type Room = { quota: number; used: number } | null;

const quotaUsedUp = (quota: number, used: number, needed?: string) =>
  payloadTooLarge(
    `Storage quota of ${quota} bytes used up: ${used} bytes are stored${needed ? ` and this file needs ${needed}` : ''}; delete some files to make room`,
  );

/**
 * Bytes a user's File rows hold: originals and thumbnails, the avatar included
 * unless `exceptAvatar`. Bytes count for the user who uploaded them; today
 * every File row belongs to one message (or one avatar), so summing rows by
 * uploader counts each stored byte once. The (ownerId, createdAt) index finds the rows.
 */
async function storedBytes(db: Pick<PrismaClient, '$queryRaw'>, userId: string, options: { exceptAvatar: boolean }): Promise<number> {
  // float8: a sum of int4 is int8, which would arrive as a string or BigInt; bytes fit a double exactly far beyond any disk.
  const rows = await db.$queryRaw<{ used: number }[]>`
    SELECT COALESCE(SUM("size"::int8 + COALESCE("thumbnailSize", 0)), 0)::float8 AS "used"
    FROM "File"
    WHERE "ownerId" = ${userId}::uuid
      AND (NOT ${options.exceptAvatar}::boolean OR "id" IS DISTINCT FROM (SELECT "avatarId" FROM "User" WHERE "id" = ${userId}::uuid))`;
  return rows[0]!.used;
}

/**
 * Counts an upload against the room left in its uploader's quota as it
 * arrives, so one upload cannot overshoot it by more than a chunk: the
 * received bytes must fit (the stored ones are checked again before commit;
 * a re-encoded image may differ a little).
 */
function withinRoom(source: UploadStream, room: Room): UploadStream {
  if (room === null) return source;
  const left = room.quota - room.used;
  return {
    get truncated() {
      return source.truncated;
    },
    async *[Symbol.asyncIterator]() {
      let received = 0;
      for await (const chunk of source) {
        received += chunk.byteLength;
        if (received > left) throw quotaUsedUp(room.quota, room.used, `more than the ${left} bytes left`);
        yield chunk;
      }
    },
  };
}

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
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** `holiday.jpg`, with the extension the bytes call for (a text file sent as "x.png" downloads as "x.png.txt"). */
function downloadName(file: FileRecord, thumbnail: boolean): string {
  const ext = thumbnail ? 'webp' : (extensionOf(file.mimeType) ?? 'bin');
  const base = file.originalName ?? 'file';
  const stem = thumbnail ? `${base.replace(/\.[^.]*$/, '') || 'file'}-thumbnail` : base;
  return stem.toLowerCase().endsWith(`.${ext}`) || (ext === 'jpg' && /\.jpe?g$/i.test(stem)) ? stem : `${stem}.${ext}`;
}
