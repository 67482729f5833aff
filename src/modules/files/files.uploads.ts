import type { PrismaClient } from '../../generated/prisma/client.js';
import { badInput, rateLimited } from '../../lib/errors.js';
import type { Logger } from '../../lib/logger.js';
import { isUuid } from '../../lib/text.js';
import type { Viewer } from '../../lib/viewer.js';
import { formatBytes, payloadTooLarge } from '../../media/media-errors.js';
import type { ResumableStore } from '../../media/resumable-store.js';
import { cleanFileName } from './files.inputs.js';
import type { UploadLimiter } from './files.limiter.js';
import type { StorageQuota } from './files.quota.js';
import type { StoredUpload, UploadReceiver } from './files.receive.js';

/** Options for resumable uploads (createUpload and the tus routes). */
export interface ResumableUploadOptions {
  /** Where the bytes collect while they arrive (`UPLOAD_DIR/.tus`), shared by every instance. */
  store: ResumableStore;
  /** `MAX_UNFINISHED_UPLOADS`: unfinished uploads one user may have at once. Default 5; 0 is no cap. */
  maxUnfinished?: number;
  /** `MAX_UNFINISHED_UPLOAD_BYTES`: bytes one user's unfinished uploads may declare in all. Default 500 MB; 0 is no cap. */
  maxUnfinishedBytes?: number;
}

/** How long an upload waits for its bytes, and then for sendAttachments, before the sweep removes it. */
export const UPLOAD_LIFETIME_MS = 24 * 3600 * 1000;

export type UploadStatus = 'PENDING' | 'PROCESSING' | 'COMPLETE';

/** An UploadSession row as the service and the tus routes use it. */
export interface UploadSessionRecord {
  id: string;
  ownerId: string;
  size: number;
  status: UploadStatus;
  fileName: string | null;
  expiresAt: Date;
}

/** What createUpload returns (UploadSession in the schema); `url` is added by the resolver's origin. */
export interface CreatedUpload {
  id: string;
  offset: number;
  size: number;
  expiresAt: Date;
}

/** What went wrong with a finished upload's bytes, for the tus response: the AppError's code decides the status. */
export type CompletionOutcome = { ok: true } | { ok: false; error: unknown };

type Tx = Parameters<Parameters<PrismaClient['$transaction']>[0]>[0];

const MIME = /^[\w.+-]{1,63}\/[\w.+-]{1,63}$/;

/**
 * Resumable uploads (tus 1.0): createUpload writes the UploadSession row and
 * the empty tus upload, the tus server (server/tus-routes.ts) takes the
 * bytes, and {@link complete} turns them into a File row with the upload's id
 * (chatId null: only the owner sees it until sendAttachments attaches it).
 * The row and the bytes go when it is sent, cancelled, failed, or expired.
 */
export class ResumableUploads {
  readonly #maxUnfinished: number;
  readonly #maxUnfinishedBytes: number;

  constructor(
    private readonly prisma: PrismaClient,
    readonly store: ResumableStore,
    private readonly receiver: UploadReceiver,
    private readonly quota: StorageQuota,
    private readonly limiter: UploadLimiter,
    private readonly mediaBytes: number,
    private readonly logger: Logger,
    options: Pick<ResumableUploadOptions, 'maxUnfinished' | 'maxUnfinishedBytes'>,
  ) {
    this.#maxUnfinished = options.maxUnfinished ?? 5;
    this.#maxUnfinishedBytes = options.maxUnfinishedBytes ?? 500_000_000;
  }

  /**
   * A new upload of `size` bytes. Refused before anything is written: a size
   * outside 1 byte … the media limit (BAD_USER_INPUT), the upload budget
   * (RATE_LIMITED, RATE_LIMIT_UPLOADS), a storage quota it cannot fit in
   * (PAYLOAD_TOO_LARGE), and the cap on unfinished uploads (RATE_LIMITED,
   * policy unfinishedUploads), checked under the user's row lock so two
   * concurrent calls cannot both take the last place.
   */
  async create(viewer: Viewer, input: { size: number; mimeType?: string | null; fileName?: string | null }): Promise<CreatedUpload> {
    const { size } = input;
    if (!Number.isSafeInteger(size) || size < 1 || size > this.mediaBytes) {
      throw badInput(`size must be 1 to ${this.mediaBytes} bytes (${formatBytes(this.mediaBytes)})`, 'size');
    }
    const mimeType = cleanMimeType(input.mimeType);
    const fileName = cleanFileName(input.fileName);
    await this.limiter.consume(viewer.id);
    const room = await this.quota.room(viewer.id, { exceptAvatar: false });
    if (room && room.used + size > room.quota) {
      throw payloadTooLarge(`Storage quota of ${room.quota} bytes: ${room.used} bytes are stored and this file needs ${size}; delete some files to make room`);
    }
    const now = Date.now();
    const session = await this.prisma.$transaction(async (tx) => {
      // FOR NO KEY UPDATE, as the quota's checks take it: uploads of one user are counted one at a time.
      await tx.$queryRaw`SELECT 1 FROM "User" WHERE "id" = ${viewer.id}::uuid FOR NO KEY UPDATE`;
      const [open] = await tx.$queryRaw<{ count: number; bytes: number; oldest: Date | null }[]>`
        SELECT COUNT(*)::int AS "count", COALESCE(SUM("size"::int8), 0)::float8 AS "bytes", MIN("expiresAt") AS "oldest"
        FROM "UploadSession"
        WHERE "ownerId" = ${viewer.id}::uuid AND "status" IN ('PENDING', 'PROCESSING') AND "expiresAt" > now()`;
      const retryAfter = Math.max(1, Math.ceil(((open!.oldest?.getTime() ?? now) - now) / 1000));
      if (this.#maxUnfinished > 0 && open!.count >= this.#maxUnfinished) {
        throw rateLimited(
          retryAfter,
          'unfinishedUploads',
          `You have ${open!.count} unfinished uploads (at most ${this.#maxUnfinished}): finish or cancel one first`,
        );
      }
      if (this.#maxUnfinishedBytes > 0 && open!.bytes + size > this.#maxUnfinishedBytes) {
        throw rateLimited(
          retryAfter,
          'unfinishedUploads',
          `Your unfinished uploads would come to ${open!.bytes + size} bytes (at most ${this.#maxUnfinishedBytes}): finish or cancel one first`,
        );
      }
      return tx.uploadSession.create({
        data: { ownerId: viewer.id, size, mimeType, fileName, expiresAt: new Date(now + UPLOAD_LIFETIME_MS) },
        select: { id: true, size: true, expiresAt: true },
      });
    });
    try {
      await this.store.create(session.id, size);
    } catch (error) {
      await this.prisma.uploadSession.deleteMany({ where: { id: session.id } });
      await this.store.remove(session.id);
      throw error;
    }
    this.logger.info({ uploadId: session.id, userId: viewer.id, size }, 'resumable upload created');
    return { id: session.id, offset: 0, size: session.size, expiresAt: session.expiresAt };
  }

  /** The viewer's own upload (the tus routes' check); null for anyone else's, an unknown id, and one past its expiry. */
  async ofOwner(ownerId: string, id: string): Promise<UploadSessionRecord | null> {
    if (!isUuid(id)) return null;
    const row = await this.prisma.uploadSession.findUnique({
      where: { id },
      select: { id: true, ownerId: true, size: true, status: true, fileName: true, expiresAt: true },
    });
    if (!row || row.ownerId !== ownerId || row.expiresAt.getTime() <= Date.now()) return null;
    return row;
  }

  /**
   * Every byte arrived: the type is decided from the bytes and images are
   * processed, as for a multipart upload, and the File row is written with
   * the upload's id. One caller wins (PENDING → PROCESSING); the rest return
   * at once. Whatever happens, the tus file and its description are removed;
   * on failure the row goes too (nothing of it is left in UPLOAD_DIR), and the
   * error (415, 413 …) is returned for the PATCH that finished it.
   */
  async complete(id: string, store: (tx: Tx, session: { ownerId: string; data: StoredUpload['data'] }) => Promise<void>): Promise<CompletionOutcome> {
    const [claimed] = await this.prisma.$queryRaw<{ ownerId: string; fileName: string | null }[]>`
      UPDATE "UploadSession" SET "status" = 'PROCESSING'
      WHERE "id" = ${id}::uuid AND "status" = 'PENDING'
      RETURNING "ownerId"::text AS "ownerId", "fileName"`;
    if (!claimed) return { ok: true };
    const { ownerId, fileName } = claimed;
    try {
      const room = await this.quota.room(ownerId, { exceptAvatar: false });
      const stored = await this.receiver.receiveFile(this.store.path(id), fileName, { maxBytes: this.mediaBytes, avatar: false, ownerId, room });
      try {
        await this.prisma.$transaction(async (tx) => {
          await store(tx, { ownerId, data: stored.data });
          await tx.uploadSession.update({ where: { id }, data: { status: 'COMPLETE', expiresAt: new Date(Date.now() + UPLOAD_LIFETIME_MS) } });
        });
      } catch (error) {
        await stored.discard();
        throw error;
      }
      this.logger.info({ uploadId: id, userId: ownerId }, 'resumable upload complete');
      return { ok: true };
    } catch (error) {
      await this.prisma.uploadSession.deleteMany({ where: { id } });
      this.logger.info({ uploadId: id, userId: ownerId, err: error }, 'resumable upload refused');
      return { ok: false, error };
    } finally {
      await this.store.remove(id);
    }
  }

  /** The owner gives up on an unfinished upload (tus DELETE): its row and bytes go. False when there was none to cancel. */
  async cancel(ownerId: string, id: string): Promise<boolean> {
    const { count } = await this.prisma.uploadSession.deleteMany({ where: { id, ownerId, status: 'PENDING' } });
    if (count > 0) await this.store.remove(id);
    return count > 0;
  }

  /**
   * The sweep (the expire_uploads job): uploads past expiresAt, at most
   * `limit`, lose their row and their bytes. Returns the ids of those that had
   * completed, whose File rows the caller removes if they were never sent.
   */
  async expireDue(now: Date, limit = 100): Promise<{ count: number; completed: string[] }> {
    const rows = await this.prisma.$queryRaw<{ id: string; status: UploadStatus }[]>`
      DELETE FROM "UploadSession" WHERE "id" IN (
        SELECT "id" FROM "UploadSession" WHERE "expiresAt" <= ${now} ORDER BY "expiresAt" LIMIT ${limit}::int)
      RETURNING "id"::text AS "id", "status"::text AS "status"`;
    for (const row of rows) await this.store.remove(row.id);
    if (rows.length > 0) this.logger.info({ count: rows.length }, 'expired uploads removed');
    return { count: rows.length, completed: rows.filter((row) => row.status === 'COMPLETE').map((row) => row.id) };
  }

  /** deleteAccount: the user's uploads, rows and bytes. */
  async removeAllOf(ownerId: string): Promise<void> {
    const rows = await this.prisma.$queryRaw<{ id: string }[]>`DELETE FROM "UploadSession" WHERE "ownerId" = ${ownerId}::uuid RETURNING "id"::text AS "id"`;
    for (const row of rows) await this.store.remove(row.id);
  }
}

/** The client's idea of the type, kept for the log only: the type is decided from the bytes. */
function cleanMimeType(raw: string | null | undefined): string | null {
  if (raw === null || raw === undefined || raw.trim() === '') return null;
  const mime = raw.trim().toLowerCase();
  if (!MIME.test(mime)) throw badInput('mimeType must look like type/subtype, e.g. video/mp4', 'mimeType');
  return mime;
}
