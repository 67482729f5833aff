import type { FileUpload } from 'graphql-upload-minimal';
import type { PrismaClient } from '../../generated/prisma/client.js';
import { isUniqueViolation, notFound } from '../../lib/errors.js';
import type { Logger } from '../../lib/logger.js';
import { isUuid } from '../../lib/text.js';
import type { Viewer } from '../../lib/viewer.js';
import type { FileStore } from '../../media/file-store.js';
import { ImageProcessor } from '../../media/image.js';
import { MediaLimits } from '../../media/limits.js';
import type { FileVariant, UrlSigner } from '../../media/signed-urls.js';
import type { TempDir } from '../../media/temp-file.js';
import { requireNotBlocked } from '../blocking/index.js';
import {
  requireInfoEditor,
  requireMaySend,
  requireMembership,
  type ChatEvents,
  type ChatLoaders,
  type ChatRecord,
  type GroupsService,
} from '../chats/index.js';
import { announceMentions, recordMentions, replyElsewhere, type MessageLog, type MessageRecord } from '../messages/index.js';
import { cleanClientId } from '../messages/index.js';
import { USER_SELECT, type UserRecord } from '../users/index.js';
import { FileDownloads, type DownloadResult } from './files.download.js';
import { cleanCaption, type SendMediaMessageInput } from './files.inputs.js';
import { unlimitedUploads, type UploadLimiter } from './files.limiter.js';
import { requireOwnFile, requireViewableFile, type FileViewLoaders } from './files.policy.js';
import { StorageQuota } from './files.quota.js';
import { UploadReceiver } from './files.receive.js';
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
  /** Group photos (uploadGroupAvatar) are set through chats' group administration; without it, they are refused. */
  groups?: GroupsService;
}

/**
 * Uploads (profile pictures, media messages) and access to them. Receiving
 * an upload is {@link UploadReceiver}'s job, the quota {@link StorageQuota}'s,
 * serving bytes {@link FileDownloads}'; this composes them with the rows.
 */
export class FilesService {
  readonly #store: FileStore;
  readonly #signer: UrlSigner;
  readonly #limiter: UploadLimiter;
  readonly #publicUrl: string | undefined;
  readonly #avatarBytes: number;
  readonly #mediaBytes: number;
  readonly #quota: StorageQuota;
  readonly #receiver: UploadReceiver;
  readonly #downloads: FileDownloads;
  readonly #groups: GroupsService | undefined;

  constructor(
    private readonly prisma: PrismaClient,
    private readonly log: MessageLog,
    private readonly logger: Logger,
    options: FilesServiceOptions,
    /** Told who a caption mentions; without it, mentions are stored but nobody is notified. */
    private readonly events?: ChatEvents,
  ) {
    this.#store = options.store;
    this.#signer = options.signer;
    this.#limiter = options.uploadLimiter ?? unlimitedUploads;
    this.#publicUrl = options.publicUrl?.replace(/\/+$/, '');
    this.#avatarBytes = options.limits?.avatarBytes ?? MediaLimits.avatarBytes;
    this.#mediaBytes = options.limits?.mediaBytes ?? MediaLimits.mediaBytes;
    this.#quota = new StorageQuota(prisma, options.storageQuota ?? 0);
    this.#receiver = new UploadReceiver(options.store, options.temp, options.images ?? new ImageProcessor(), logger);
    this.#downloads = new FileDownloads(prisma, options.signer, options.store);
    this.#groups = options.groups;
  }

  /** The largest upload any operation takes: the multipart parser's own limit. */
  get maxUploadBytes(): number {
    return Math.max(this.#avatarBytes, this.#mediaBytes);
  }

  /** Bytes the user's uploads hold; for the user themself only (null for anyone else). */
  async storageUsed(viewer: Viewer | null, userId: string): Promise<number | null> {
    return viewer?.id === userId ? this.#quota.used(userId, { exceptAvatar: false }) : null;
  }

  /** The storage quota in bytes, shown to the user themself only; null for anyone else, and when there is none. */
  storageQuota(viewer: Viewer | null, userId: string): number | null {
    return viewer?.id === userId && this.#quota.bytes > 0 ? this.#quota.bytes : null;
  }

  /** A file the viewer may see; NOT_FOUND otherwise. */
  file(viewer: Viewer, loaders: FileViewLoaders, id: string): Promise<FileRecord> {
    return requireViewableFile(loaders, viewer, id);
  }

  /**
   * A fresh signed URL for a file the caller has already shown the viewer may
   * see. Absolute: PUBLIC_URL, else the origin of the viewer's request.
   */
  url(file: Pick<FileRecord, 'id' | 'thumbnailKey'>, variant: FileVariant, origin: string | null): string | null {
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
    const { chat, member } = await requireMembership(loaders, viewer, chatId);
    if (clientId) {
      const first = await this.log.firstByClientId(viewer.id, clientId, chatId);
      if (first) return first;
    }
    // Before the upload is read, so a blocked sender is not made to send the bytes first; append checks again under the lock.
    if (chat.kind === 'PRIVATE') await requireNotBlocked(this.prisma, chatId, viewer.id);
    // Likewise an announcement group's plain member; append refuses it again under the lock.
    requireMaySend(chat, member);
    const replyToId = await this.#checkReply(chatId, input.replyToId);
    await this.#limiter.consume(viewer.id);
    const room = await this.#quota.room(viewer.id, { exceptAvatar: false });

    const stored = await this.#receiver.receive(input.file, { maxBytes: this.#mediaBytes, avatar: false, ownerId: viewer.id, room });
    let mentioned: string[] = [];
    try {
      const { message } = await this.log.transaction(
        async (tx, append) => {
          if (this.#quota.bytes > 0) {
            // The user's row lock serialises their commits, so two uploads racing cannot both fit in the same room.
            // FOR NO KEY UPDATE, not FOR UPDATE: foreign-key checks on the user (a message they send elsewhere, their
            // being added to a chat) take KEY SHARE, which it leaves free; so a transaction holding a chat lock never
            // waits for this one, which is about to wait for that chat's lock in append.
            await tx.$queryRaw`SELECT 1 FROM "User" WHERE "id" = ${viewer.id}::uuid FOR NO KEY UPDATE`;
            await this.#quota.requireRoom(tx, viewer.id, stored, { exceptAvatar: false });
          }
          const file = await tx.file.create({ data: { ...stored.data, ownerId: viewer.id, chatId }, select: { id: true } });
          const appended = await append({
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
          mentioned = await recordMentions(tx, appended.message);
          return appended;
        },
        ({ message }) => announceMentions(this.events, message, mentioned),
      );
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
    const room = await this.#quota.room(viewer.id, { exceptAvatar: true });
    const stored = await this.#receiver.receive(upload, { maxBytes: this.#avatarBytes, avatar: true, ownerId: viewer.id, room });
    let previous: FileRecord | null;
    try {
      previous = await this.#setAvatar(viewer.id, async (tx) => {
        // The user's row is locked by #setAvatar: nothing of theirs commits meanwhile.
        await this.#quota.requireRoom(tx, viewer.id, stored, { exceptAvatar: true });
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

  /**
   * Replaces a group's photo: the same pipeline as a profile picture (type
   * from the bytes, EXIF gone, re-encoded square with a thumbnail), counted
   * against the uploader's quota. Who may is checked before the upload is
   * read, and again under the chat's lock (GroupsService.setAvatar), which
   * posts "Alice changed the group photo"; the previous photo's bytes go.
   */
  async uploadGroupAvatar(viewer: Viewer, loaders: ChatLoaders, chatId: string, upload: Promise<FileUpload>): Promise<ChatRecord> {
    const groups = this.#requireGroups();
    await requireInfoEditor(loaders, viewer, chatId);
    await this.#limiter.consume(viewer.id);
    const room = await this.#quota.room(viewer.id, { exceptAvatar: false });
    const stored = await this.#receiver.receive(upload, { maxBytes: this.#avatarBytes, avatar: true, ownerId: viewer.id, room });
    return groups.setAvatar(viewer, loaders, chatId, {
      create: async (tx) => {
        if (this.#quota.bytes > 0) {
          // The uploader's row first, as sendMediaMessage takes it (see there): then the chat's lock.
          await tx.$queryRaw`SELECT 1 FROM "User" WHERE "id" = ${viewer.id}::uuid FOR NO KEY UPDATE`;
          await this.#quota.requireRoom(tx, viewer.id, stored, { exceptAvatar: false });
        }
        // chatId: the photo belongs to the group, so it goes with the group, and its members may fetch it (files.policy.ts).
        const file = await tx.file.create({ data: { ...stored.data, ownerId: viewer.id, chatId }, select: { id: true } });
        return file.id;
      },
      detach: (tx, fileId) => this.detach(tx, fileId),
      discard: () => stored.discard(),
    });
  }

  /** Clears a group's photo and removes its bytes; who may: as {@link uploadGroupAvatar}. No photo: no change. */
  async removeGroupAvatar(viewer: Viewer, loaders: ChatLoaders, chatId: string): Promise<ChatRecord> {
    return this.#requireGroups().setAvatar(viewer, loaders, chatId, {
      create: async () => null,
      detach: (tx, fileId) => this.detach(tx, fileId),
      discard: async () => undefined,
    });
  }

  #requireGroups(): GroupsService {
    if (!this.#groups) throw new Error('FilesService: group photos need options.groups');
    return this.#groups;
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
  async deleteFile(viewer: Viewer, loaders: FileViewLoaders, id: string): Promise<boolean> {
    const file = await requireOwnFile(loaders, viewer, id);
    const { count } = await this.prisma.file.deleteMany({ where: { id: file.id, ownerId: viewer.id } });
    if (count === 0) throw notFound('File'); // deleted meanwhile
    loaders.fileById.clear(file.id);
    await this.#removeBytes(file);
    this.logger.info({ fileId: file.id, userId: viewer.id }, 'file deleted');
    return true;
  }

  /**
   * deleteAccount: every file the user uploaded goes, the rows first (their
   * messages keep their text and lose their `file`; the avatar is cleared),
   * then the bytes no other File row (someone's forwarded copy) or report hold
   * still names. A group's photo they set stays: it is the group's. In pages,
   * so memory does not grow with the files. Returns how many went.
   */
  async deleteEverythingOf(userId: string): Promise<number> {
    let deleted = 0;
    for (;;) {
      const rows = await this.prisma.$queryRaw<StoredBytes[]>`
        DELETE FROM "File" WHERE "id" IN (
          SELECT f."id" FROM "File" f
          WHERE f."ownerId" = ${userId}::uuid AND NOT EXISTS (SELECT 1 FROM "Chat" c WHERE c."avatarId" = f."id")
          LIMIT 100)
        RETURNING "id"::text AS "id", "storageKey", "thumbnailKey"`;
      if (rows.length === 0) break;
      for (const row of rows) await this.#removeBytes(row);
      deleted += rows.length;
    }
    if (deleted > 0) this.logger.info({ userId, files: deleted }, "deleted account's files removed");
    return deleted;
  }

  /** For `GET /files/:id[/thumbnail]`: see {@link FileDownloads.download}. */
  download(id: string, variant: FileVariant, exp: unknown, sig: unknown): Promise<DownloadResult> {
    return this.#downloads.download(id, variant, exp, sig);
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

  /**
   * For a message deleted for everyone (AttachmentsPort of modules/messages):
   * its File row goes in the deletion's transaction, its bytes after commit.
   */
  async detach(tx: Pick<Tx, 'file'>, fileId: string): Promise<() => Promise<void>> {
    const file = await tx.file.delete({ where: { id: fileId }, select: FILE_SELECT }).catch(() => null);
    return file ? () => this.#removeBytes(file) : async () => undefined;
  }

  /**
   * For forwardMessage: a File row of its own for a forwarded copy, over the
   * same stored bytes, in the target chat (so access follows the copy's chat)
   * and owned by the forwarder. The source row is locked FOR SHARE until the
   * caller's transaction ends: a deletion of it waits, and then sees the copy
   * and keeps the bytes ({@link #removeBytes}); one that committed first leaves
   * no row to copy (null). Lock the target chats first: a deletion for
   * everyone holds its chat's lock when it deletes the File row.
   */
  async copyForForward(tx: Pick<Tx, '$queryRaw' | 'file'>, fileId: string, copy: { chatId: string; ownerId: string }): Promise<string | null> {
    const [source] = await tx.$queryRaw<SharedBytes[]>`
      SELECT "kind"::text AS "kind", "mimeType", "size", "width", "height", "checksum", "originalName", "storageKey", "thumbnailKey", "thumbnailSize"
      FROM "File" WHERE "id" = ${fileId}::uuid FOR SHARE`;
    if (!source) return null;
    const created = await tx.file.create({ data: { ...source, chatId: copy.chatId, ownerId: copy.ownerId }, select: { id: true } });
    return created.id;
  }

  /**
   * A hold on a file's stored bytes (for a report's snapshot): a FileHold row
   * describing them, which keeps them after every File row naming them is
   * deleted, until {@link release}. Like {@link copyForForward}, the source row
   * is locked FOR SHARE until the caller's transaction ends, so a deletion of it
   * waits and then sees the hold; one that committed first leaves nothing to
   * hold (null). Lock the File row before the message naming it: deleting a
   * File row locks it and then updates that message (ON DELETE SET NULL). The hold's id serves the bytes at `/files/<holdId>` with a
   * URL signed for it ({@link url}), never through the File's own URLs.
   */
  async hold(tx: Pick<Tx, '$queryRaw' | 'fileHold'>, fileId: string): Promise<FileRecord | null> {
    const [source] = await tx.$queryRaw<(SharedBytes & Pick<FileRecord, 'ownerId' | 'chatId'>)[]>`
      SELECT "ownerId"::text AS "ownerId", "chatId"::text AS "chatId", "kind"::text AS "kind", "mimeType", "size", "width", "height", "checksum",
             "originalName", "storageKey", "thumbnailKey", "thumbnailSize"
      FROM "File" WHERE "id" = ${fileId}::uuid FOR SHARE`;
    if (!source) return null;
    return tx.fileHold.create({ data: source, select: FILE_SELECT });
  }

  /** Ends a hold in the caller's transaction; the returned function removes bytes nothing else names, after commit. */
  async release(tx: Pick<Tx, 'fileHold'>, holdId: string): Promise<() => Promise<void>> {
    const hold = await tx.fileHold.delete({ where: { id: holdId }, select: FILE_SELECT }).catch(() => null);
    return hold ? () => this.#removeBytes(hold) : async () => undefined;
  }

  /**
   * Removes a deleted File (or FileHold) row's bytes, unless another File row
   * (a forwarded copy) or a hold still names them. File rows are read first:
   * a hold is only ever made from a File row, so once none is left, holds only
   * go, and the second statement sees every one still standing.
   */
  async #removeBytes(file: StoredBytes): Promise<void> {
    const keys = [file.storageKey, file.thumbnailKey].filter((key): key is string => key !== null);
    const naming = { OR: keys.flatMap((key) => [{ storageKey: key }, { thumbnailKey: key }]) };
    const select = { storageKey: true, thumbnailKey: true } as const;
    const shared = await this.prisma.file.findMany({ where: naming, select });
    const stillUsed = new Set(shared.flatMap((row) => [row.storageKey, row.thumbnailKey]));
    if (keys.some((key) => !stillUsed.has(key))) {
      for (const row of await this.prisma.fileHold.findMany({ where: naming, select })) stillUsed.add(row.storageKey).add(row.thumbnailKey);
    }
    for (const key of keys) {
      if (stillUsed.has(key)) continue;
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

/** Where a File row's bytes are: what removing them needs. */
type StoredBytes = Pick<FileRecord, 'id' | 'storageKey' | 'thumbnailKey'>;

/** What a forwarded copy's File row shares with its source: the stored bytes and what describes them. */
type SharedBytes = Omit<FileRecord, 'id' | 'ownerId' | 'chatId' | 'createdAt'>;
