import type { PrismaClient } from '../../generated/prisma/client.js';
import { payloadTooLarge } from '../../media/media-errors.js';
import type { UploadStream } from '../../media/temp-file.js';
import type { FileRecord } from './files.types.js';

/** What was left of a user's quota before an upload; null: no quota. */
export type Room = { quota: number; used: number } | null;

/** Where stored bytes are summed: the client, or a transaction holding the user's row lock. */
type Db = Pick<PrismaClient, '$queryRaw'>;

/**
 * `USER_STORAGE_QUOTA`: bytes one user's uploads may hold in all (originals
 * and thumbnails, the avatar included). Checked twice: before an upload is
 * read ({@link room}), and before its row commits ({@link requireRoom}).
 */
export class StorageQuota {
  constructor(
    private readonly prisma: PrismaClient,
    /** 0: no quota. */
    readonly bytes: number,
  ) {}

  /** Bytes the user's uploads hold, whether or not there is a quota. */
  used(userId: string, options: { exceptAvatar: boolean }): Promise<number> {
    return storedBytes(this.prisma, userId, options);
  }

  /**
   * Before reading an upload: what is left of the user's quota (none: refused
   * now, before a byte is read). Null when there is no quota.
   */
  async room(userId: string, options: { exceptAvatar: boolean }): Promise<Room> {
    if (this.bytes === 0) return null;
    const used = await storedBytes(this.prisma, userId, options);
    if (used >= this.bytes) throw quotaUsedUp(this.bytes, used);
    return { quota: this.bytes, used };
  }

  /** Before committing, under the user's row lock: what was stored must fit beside everything else of theirs. */
  async requireRoom(tx: Db, userId: string, stored: { data: Pick<FileRecord, 'size' | 'thumbnailSize'> }, options: { exceptAvatar: boolean }): Promise<void> {
    if (this.bytes === 0) return;
    const used = await storedBytes(tx, userId, options);
    const size = stored.data.size + (stored.data.thumbnailSize ?? 0);
    if (used + size > this.bytes) throw quotaUsedUp(this.bytes, used, `${size} bytes`);
  }
}

/**
 * Counts an upload against the room left in its uploader's quota as it
 * arrives, so one upload cannot overshoot it by more than a chunk: the
 * received bytes must fit (the stored ones are checked again before commit;
 * a re-encoded image may differ a little).
 */
export function withinRoom(source: UploadStream, room: Room): UploadStream {
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

const quotaUsedUp = (quota: number, used: number, needed?: string) =>
  payloadTooLarge(
    `Storage quota of ${quota} bytes used up: ${used} bytes are stored${needed ? ` and this file needs ${needed}` : ''}; delete some files to make room`,
  );

/**
 * Bytes a user's File rows hold: originals, thumbnails and posters, the avatar included
 * unless `exceptAvatar`. Stored bytes count once, for the oldest row naming
 * them: a forwarded copy is a File row of the forwarder's over its source's
 * bytes, so it costs nothing while the source is there, and the forwarder
 * takes the bytes over if the source is deleted first. The (ownerId,
 * createdAt) index finds the rows, the storageKey index their elders.
 */
async function storedBytes(db: Db, userId: string, options: { exceptAvatar: boolean }): Promise<number> {
  // float8: a sum of int4 is int8, which would arrive as a string or BigInt; bytes fit a double exactly far beyond any disk.
  const rows = await db.$queryRaw<{ used: number }[]>`
    SELECT COALESCE(SUM(f."size"::int8 + COALESCE(f."thumbnailSize", 0) + COALESCE(f."posterSize", 0)), 0)::float8 AS "used"
    FROM "File" f
    WHERE f."ownerId" = ${userId}::uuid
      AND (NOT ${options.exceptAvatar}::boolean OR f."id" IS DISTINCT FROM (SELECT "avatarId" FROM "User" WHERE "id" = ${userId}::uuid))
      AND NOT EXISTS (
        SELECT 1 FROM "File" elder
        WHERE elder."storageKey" = f."storageKey" AND (elder."createdAt", elder."id") < (f."createdAt", f."id")
      )`;
  return rows[0]!.used;
}
