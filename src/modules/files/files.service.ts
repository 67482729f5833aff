import type { FileUpload } from 'graphql-upload-minimal';
import { Prisma, type PrismaClient } from '../../generated/prisma/client.js';
import type { MessageKind } from '../../generated/prisma/enums.js';
import { badInput, isUniqueViolation, notFound } from '../../lib/errors.js';
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
import { announceMentions, recordMentions, replyElsewhere, type LinkPreviewPort, type MessageLog, type MessageRecord } from '../messages/index.js';
import { cleanClientId } from '../messages/index.js';
import { USER_SELECT, type UserRecord } from '../users/index.js';
import { FileDownloads, type DownloadResult } from './files.download.js';
import {
  checkAttachments,
  cleanCaption,
  type AttachmentInput,
  type CreateUploadInput,
  type SendAttachmentsInput,
  type SendMediaMessageInput,
} from './files.inputs.js';
import { unlimitedUploads, type UploadLimiter } from './files.limiter.js';
import { requireOwnFile, requireViewableFile, viewableFiles, type FileViewLoaders } from './files.policy.js';
import { StorageQuota } from './files.quota.js';
import { UploadReceiver, type StoredUpload } from './files.receive.js';
import { ResumableUploads, type CompletionOutcome, type CreatedUpload, type ResumableUploadOptions, type UploadSessionRecord } from './files.uploads.js';
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
  /** Resumable uploads (createUpload, tus); without them, createUpload is refused. */
  resumable?: ResumableUploadOptions;
  /** Told of each media message sent, for a preview of its caption's first link (modules/link-previews); without it, none. */
  linkPreviews?: LinkPreviewPort;
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
  readonly #resumable: ResumableUploads | undefined;
  readonly #linkPreviews: LinkPreviewPort | undefined;
  readonly #expiries = new WeakMap<object, number>();

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
    this.#linkPreviews = options.linkPreviews;
    const resumable = options.resumable;
    this.#resumable = resumable
      ? new ResumableUploads(prisma, resumable.store, this.#receiver, this.#quota, this.#limiter, this.#mediaBytes, logger, resumable)
      : undefined;
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
   * Up to {@link MAX_FILES_AT_ONCE} files by id, in the order asked: each one
   * the viewer may see (files.policy.ts), null for the rest, a stranger's file
   * exactly as a missing one. Batched through the loaders, so the statements
   * are the same in number for 1 id as for 100.
   */
  files(viewer: Viewer, loaders: FileViewLoaders, ids: readonly string[]): Promise<(FileRecord | null)[]> {
    if (ids.length > MAX_FILES_AT_ONCE) throw badInput(`ids holds at most ${MAX_FILES_AT_ONCE} file ids`, 'ids');
    return viewableFiles(loaders, viewer, ids);
  }

  /**
   * A fresh signed URL for a file the caller has already shown the viewer may
   * see. Absolute: PUBLIC_URL, else the origin of the viewer's request. The
   * URLs of one record expire together, at {@link urlExpiresAt}.
   */
  url(file: Pick<FileRecord, 'id' | 'thumbnailKey'> & Partial<Pick<FileRecord, 'posterKey'>>, variant: FileVariant, origin: string | null): string | null {
    if (variant === 'thumbnail' && file.thumbnailKey === null) return null;
    if (variant === 'poster' && (file.posterKey ?? null) === null) return null;
    return `${this.#publicUrl ?? origin ?? ''}${this.#signer.path(file.id, variant, this.#expiryOf(file))}`;
  }

  /** When the file's signed URLs (url, thumbnailUrl, posterUrl) stop working: the `exp` they are signed with. */
  urlExpiresAt(file: Pick<FileRecord, 'id'>): Date {
    return new Date(this.#expiryOf(file) * 1000);
  }

  /**
   * One expiry per record: the fields of a File are resolved one after the
   * other, and a bucket boundary between them would give its URLs and its
   * urlExpiresAt different ones. Records are made per request (and per
   * subscription event: the loaders are renewed), so none keeps an old one.
   */
  #expiryOf(file: object): number {
    let exp = this.#expiries.get(file);
    if (exp === undefined) {
      exp = this.#signer.expiry();
      this.#expiries.set(file, exp);
    }
    return exp;
  }

  /**
   * Sends a file as a message (kind from the detected type, caption as its
   * text). Everything that can be checked without the file is checked before
   * reading it: a retry with a known clientId returns the first message and
   * stores nothing; a stranger to the chat is refused.
   */
  async sendMediaMessage(viewer: Viewer, loaders: ChatLoaders, input: SendMediaMessageInput): Promise<MessageRecord> {
    return this.#send(viewer, loaders, input, async () => {
      await this.#limiter.consume(viewer.id);
      const room = await this.#quota.room(viewer.id, { exceptAvatar: false });
      const stored = await this.#receiver.receive(input.file, { maxBytes: this.#mediaBytes, avatar: false, ownerId: viewer.id, room });
      return {
        write: async (tx) => {
          await this.#requireRoom(tx, viewer.id, stored);
          const file = await tx.file.create({ data: { ...stored.data, ownerId: viewer.id, chatId: input.chatId }, select: { id: true } });
          return { kind: stored.data.kind, fileIds: [file.id] };
        },
        discard: () => stored.discard(),
      };
    });
  }

  /**
   * An album: 1–10 finished uploads of the viewer's (or files of theirs not
   * sent anywhere yet) in one message, in order, through the same send path
   * as {@link sendMediaMessage}: membership, a retried clientId, blocks, an
   * announcement group, the reply, then one transaction that attaches the
   * files to the chat and appends the message. Someone else's upload, or an
   * unknown id, is NOT_FOUND; an unfinished or already sent one BAD_USER_INPUT.
   */
  async sendAttachments(viewer: Viewer, loaders: ChatLoaders, input: SendAttachmentsInput): Promise<MessageRecord> {
    const ids = checkAttachments(input.attachments);
    return this.#send(viewer, loaders, input, async () => ({
      album: true,
      write: async (tx) => {
        const attached = await this.#attach(tx, viewer.id, input.chatId, ids);
        const posters = await this.#takePosters(tx, viewer.id, input.attachments);
        for (const attachment of input.attachments) await this.#describe(tx, attachment, attached.get(attachment.uploadId)!, posters);
        await tx.uploadSession.deleteMany({ where: { id: { in: [...ids, ...posters.keys()] } } });
        return { kind: attached.get(ids[0]!)!.kind, fileIds: ids };
      },
      discard: async () => undefined,
    }));
  }

  /**
   * What the sender says of one attachment, written in the send's
   * transaction (a refusal rolls the whole album back): the length, only
   * when the container gave none (a client's clock is not the file's); the
   * waveform of a voice note; a video's poster, whose bytes (already an image
   * processed as any: EXIF gone, re-encoded, with a thumbnail and a BlurHash)
   * become the video's posterUrl, thumbnailUrl and blurhash.
   */
  async #describe(tx: SendTx, attachment: AttachmentInput, file: AttachedFile, posters: Map<string, PosterRecord>): Promise<void> {
    const { durationMs, waveform, posterUploadId } = attachment;
    const timed = file.kind === 'AUDIO' || file.kind === 'VIDEO';
    if (durationMs !== null && durationMs !== undefined && !timed) {
      throw badInput('durationMs is for audio and video attachments', 'durationMs');
    }
    if (waveform !== null && waveform !== undefined && file.kind !== 'AUDIO') throw badInput('waveform is for audio attachments (voice notes)', 'waveform');
    const poster = posterUploadId === null || posterUploadId === undefined ? null : posters.get(posterUploadId)!;
    if (poster && file.kind !== 'VIDEO') throw badInput('posterUploadId is for video attachments', 'posterUploadId');
    const data = {
      ...(file.durationMs === null && durationMs !== null && durationMs !== undefined ? { durationMs } : {}),
      ...(waveform !== null && waveform !== undefined ? { waveform: Uint8Array.from(waveform) } : {}),
      ...(poster
        ? {
            posterKey: poster.storageKey,
            posterSize: poster.size,
            posterMimeType: poster.mimeType,
            thumbnailKey: poster.thumbnailKey,
            thumbnailSize: poster.thumbnailSize,
            blurhash: poster.blurhash,
          }
        : {}),
    };
    if (Object.keys(data).length > 0) await tx.file.update({ where: { id: file.id }, data, select: { id: true } });
  }

  /**
   * The posters of an album's videos: finished uploads (or files not sent) of
   * the sender's, as attachments are, that are images. Their File rows go in
   * the send's transaction, their bytes stay: the video's row names them from
   * then on, so the quota counts them once, on the video. Someone else's, or
   * an unknown id, is NOT_FOUND; an unfinished or sent one, or one that is not
   * an image, BAD_USER_INPUT with field posterUploadId.
   */
  async #takePosters(tx: SendTx, ownerId: string, attachments: readonly AttachmentInput[]): Promise<Map<string, PosterRecord>> {
    const ids = attachments.flatMap(({ posterUploadId }) => (posterUploadId === null || posterUploadId === undefined ? [] : [posterUploadId]));
    if (ids.length === 0) return new Map();
    const valid = ids.filter(isUuid);
    const rows = await tx.$queryRaw<(PosterRecord & { id: string; kind: MessageKind })[]>`
      DELETE FROM "File" f
      WHERE f."id" = ANY(${valid}::uuid[]) AND f."ownerId" = ${ownerId}::uuid AND f."chatId" IS NULL
        AND NOT EXISTS (SELECT 1 FROM "User" u WHERE u."avatarId" = f."id")
      RETURNING f."id"::text AS "id", f."kind"::text AS "kind", f."mimeType", f."size", f."storageKey", f."thumbnailKey", f."thumbnailSize", f."blurhash"`;
    const taken = new Map(rows.map((row) => [row.id, row]));
    if (rows.some((row) => row.kind !== 'IMAGE')) throw badInput('A poster must be an image (JPEG, PNG, GIF or WebP)', 'posterUploadId');
    if (taken.size === ids.length) return taken;
    return this.#refuseUntaken(tx, ownerId, ids, taken, {
      field: 'posterUploadId',
      unfinished: 'A poster upload is not finished yet: send the rest of its bytes (tus PATCH), then send it',
      sent: 'A poster was already sent, or is a profile picture',
    });
  }

  /**
   * The send path of media messages: the cheap checks, then `prepare` (which
   * may read an upload), then one transaction in which `write` creates or
   * attaches the files, the message is appended with the first as its file,
   * an album's order is written and the caption's mentions are recorded.
   */
  async #send(
    viewer: Viewer,
    loaders: ChatLoaders,
    input: { chatId: string; caption?: string | null; clientId?: string | null; replyToId?: string | null },
    prepare: () => Promise<PreparedFiles>,
  ): Promise<MessageRecord> {
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
    const prepared = await prepare();
    let mentioned: string[] = [];
    let message: MessageRecord;
    try {
      ({ message } = await this.log.transaction(
        async (tx, append) => {
          const { kind, fileIds } = await prepared.write(tx);
          const appended = await append({
            chatId,
            senderId: viewer.id,
            kind,
            text: caption,
            replyToId,
            clientId,
            fileId: fileIds[0]!,
            requireMember: viewer.id,
            readBy: viewer.id,
          });
          if (fileIds.length > 1 || prepared.album) {
            await tx.messageAttachment.createMany({ data: fileIds.map((fileId, position) => ({ messageId: appended.message.id, position, fileId })) });
          }
          mentioned = await recordMentions(tx, appended.message);
          return appended;
        },
        ({ message }) => announceMentions(this.events, message, mentioned),
      ));
    } catch (error) {
      await prepared.discard();
      if (clientId && isUniqueViolation(error)) {
        // A concurrent retry won the race: its message (and file) is the one.
        const first = await this.log.firstByClientId(viewer.id, clientId, chatId);
        if (first) return first;
      }
      throw error;
    }
    // Committed: whatever happens to the preview, the files are the message's now.
    await this.#linkPreviews?.requested(message);
    return message;
  }

  /**
   * Attaches files of the viewer's that nothing shows yet (finished uploads:
   * no chat, nobody's avatar) to the chat, locking their rows until commit,
   * so two sends racing for one upload cannot both take it. Returns each
   * one's kind and container length; explains what is wrong with any it could not take.
   */
  async #attach(tx: SendTx, ownerId: string, chatId: string, ids: readonly string[]): Promise<Map<string, AttachedFile>> {
    const valid = ids.filter(isUuid);
    const rows = await tx.$queryRaw<AttachedFile[]>`
      UPDATE "File" f SET "chatId" = ${chatId}::uuid
      WHERE f."id" = ANY(${valid}::uuid[]) AND f."ownerId" = ${ownerId}::uuid AND f."chatId" IS NULL
        AND NOT EXISTS (SELECT 1 FROM "User" u WHERE u."avatarId" = f."id")
      RETURNING f."id"::text AS "id", f."kind"::text AS "kind", f."durationMs"`;
    const attached = new Map(rows.map((row) => [row.id, row]));
    if (attached.size === ids.length) return attached;
    return this.#refuseUntaken(tx, ownerId, ids, attached, {
      field: 'attachments',
      unfinished: 'An upload is not finished yet: send the rest of its bytes (tus PATCH), then send it',
      sent: 'A file of attachments was already sent, or is a profile picture',
    });
  }

  /**
   * Why some of `ids` could not be taken for a send: an upload not finished, a file of the caller's already sent
   * (or their profile picture), or else one that is not theirs at all (NOT_FOUND, so strangers learn nothing).
   */
  async #refuseUntaken(
    tx: SendTx,
    ownerId: string,
    ids: readonly string[],
    taken: ReadonlyMap<string, unknown>,
    refusal: { field: string; unfinished: string; sent: string },
  ): Promise<never> {
    const missing = ids.filter((id) => !taken.has(id) && isUuid(id));
    const [sessions, files] = await Promise.all([
      tx.uploadSession.findMany({ where: { id: { in: missing }, ownerId }, select: { id: true, status: true } }),
      tx.file.findMany({ where: { id: { in: missing }, ownerId }, select: { id: true } }),
    ]);
    if (sessions.some((session) => session.status !== 'COMPLETE')) throw badInput(refusal.unfinished, refusal.field);
    if (files.length === missing.length && missing.length === ids.length - taken.size) throw badInput(refusal.sent, refusal.field);
    throw notFound('Upload');
  }

  async #requireRoom(tx: Pick<Tx, '$queryRaw'>, userId: string, stored: StoredUpload): Promise<void> {
    if (this.#quota.bytes === 0) return;
    // The user's row lock serialises their commits, so two uploads racing cannot both fit in the same room.
    // FOR NO KEY UPDATE, not FOR UPDATE: foreign-key checks on the user (a message they send elsewhere, their
    // being added to a chat) take KEY SHARE, which it leaves free; so a transaction holding a chat lock never
    // waits for this one, which is about to wait for that chat's lock in append.
    await tx.$queryRaw`SELECT 1 FROM "User" WHERE "id" = ${userId}::uuid FOR NO KEY UPDATE`;
    await this.#quota.requireRoom(tx, userId, stored, { exceptAvatar: false });
  }

  /** createUpload: a resumable upload of the viewer's (see {@link ResumableUploads.create}); `url` is where its tus resource is. */
  async createUpload(viewer: Viewer, input: CreateUploadInput, origin: string | null): Promise<CreatedUpload & { url: string }> {
    const created = await this.#requireResumable().create(viewer, input);
    return { ...created, url: `${this.#publicUrl ?? origin ?? ''}${UPLOADS_PATH}/${created.id}` };
  }

  /** The tus routes: the viewer's own upload, or null (a stranger's is as unknown as a missing one). */
  uploadOf(ownerId: string, id: string): Promise<UploadSessionRecord | null> {
    return this.#requireResumable().ofOwner(ownerId, id);
  }

  /** The tus routes: every byte of the upload arrived (see {@link ResumableUploads.complete}). */
  completeUpload(id: string): Promise<CompletionOutcome> {
    return this.#requireResumable().complete(id, async (tx, { ownerId, data }) => {
      await this.#requireRoom(tx, ownerId, { data, discard: async () => undefined });
      // chatId null: the owner's alone until sendAttachments attaches it (files.policy.ts).
      await tx.file.create({ data: { ...data, id, ownerId, chatId: null }, select: { id: true } });
    });
  }

  /** The tus routes: DELETE of an unfinished upload. */
  cancelUpload(ownerId: string, id: string): Promise<boolean> {
    return this.#requireResumable().cancel(ownerId, id);
  }

  /**
   * The sweep of the expire_uploads job: uploads past their expiresAt go
   * with their bytes, and a finished one never sent takes its File row along.
   * Returns how many went.
   */
  async expireUploads(now: Date, limit?: number): Promise<number> {
    if (!this.#resumable) return 0;
    const { count, completed } = await this.#resumable.expireDue(now, limit);
    if (completed.length > 0) {
      const rows = await this.prisma.$queryRaw<StoredBytes[]>`
        DELETE FROM "File" f WHERE f."id" = ANY(${completed}::uuid[]) AND f."chatId" IS NULL
          AND NOT EXISTS (SELECT 1 FROM "User" u WHERE u."avatarId" = f."id")
        RETURNING f."id"::text AS "id", f."storageKey", f."thumbnailKey", f."posterKey"`;
      for (const row of rows) await this.#removeBytes(row);
    }
    return count;
  }

  /** Where the tus server keeps the bytes while they arrive; for the tus routes. */
  get resumableStore(): ResumableUploads['store'] | undefined {
    return this.#resumable?.store;
  }

  #requireResumable(): ResumableUploads {
    if (!this.#resumable) throw new Error('FilesService: resumable uploads need options.resumable');
    return this.#resumable;
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
    // Uploads first: one finishing meanwhile writes its File row under the row it no longer finds, and fails.
    await this.#resumable?.removeAllOf(userId);
    let deleted = 0;
    for (;;) {
      const rows = await this.prisma.$queryRaw<StoredBytes[]>`
        DELETE FROM "File" WHERE "id" IN (
          SELECT f."id" FROM "File" f
          WHERE f."ownerId" = ${userId}::uuid AND NOT EXISTS (SELECT 1 FROM "Chat" c WHERE c."avatarId" = f."id")
          LIMIT 100)
        RETURNING "id"::text AS "id", "storageKey", "thumbnailKey", "posterKey"`;
      if (rows.length === 0) break;
      for (const row of rows) await this.#removeBytes(row);
      deleted += rows.length;
    }
    if (deleted > 0) this.logger.info({ userId, files: deleted }, "deleted account's files removed");
    return deleted;
  }

  /** For `GET /files/:id[/thumbnail|/poster]`: see {@link FileDownloads.download}. */
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
      SELECT ${SHARED_COLUMNS} FROM "File" WHERE "id" = ${fileId}::uuid FOR SHARE`;
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
      SELECT "ownerId"::text AS "ownerId", "chatId"::text AS "chatId", ${SHARED_COLUMNS}
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
    const keys = [file.storageKey, file.thumbnailKey, file.posterKey].filter((key): key is string => key !== null);
    // A video's poster was an upload of its own: its bytes are named by posterKey and thumbnailKey.
    const naming = { OR: keys.flatMap((key) => [{ storageKey: key }, { thumbnailKey: key }, { posterKey: key }]) };
    const select = { storageKey: true, thumbnailKey: true, posterKey: true } as const;
    const shared = await this.prisma.file.findMany({ where: naming, select });
    const stillUsed = new Set(shared.flatMap((row) => [row.storageKey, row.thumbnailKey, row.posterKey]));
    if (keys.some((key) => !stillUsed.has(key))) {
      for (const row of await this.prisma.fileHold.findMany({ where: naming, select })) stillUsed.add(row.storageKey).add(row.thumbnailKey).add(row.posterKey);
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

/** Where the tus resources of createUpload are served (server/tus-routes.ts). */
export const UPLOADS_PATH = '/uploads/tus';

/** What a send's `prepare` made ready: how to write (or attach) the files in the send's transaction, and how to undo what it stored. */
type SendTx = Parameters<Parameters<MessageLog['transaction']>[0]>[0];

interface PreparedFiles {
  write(tx: SendTx): Promise<{ kind: MessageKind; fileIds: string[] }>;
  discard(): Promise<void>;
  /** Record the order even of one file (sendAttachments): Message.files then reads it. */
  album?: boolean;
}

/** Where a File row's bytes are: what removing them needs. */
type StoredBytes = Pick<FileRecord, 'id' | 'storageKey' | 'thumbnailKey' | 'posterKey'>;

/** What a forwarded copy's File row shares with its source: the stored bytes and what describes them. */
type SharedBytes = Omit<FileRecord, 'id' | 'ownerId' | 'chatId' | 'createdAt'>;

/** The columns of {@link SharedBytes}, for the copies' and holds' SELECT. */
const SHARED_COLUMNS = Prisma.raw(
  Object.keys(FILE_SELECT)
    .filter((column) => !['id', 'ownerId', 'chatId', 'createdAt'].includes(column))
    .map((column) => (column === 'kind' ? '"kind"::text AS "kind"' : `"${column}"`))
    .join(', '),
);

/** The most ids Query.files takes at once. */
export const MAX_FILES_AT_ONCE = 100;

/** A file sendAttachments attached: what describing it needs. */
interface AttachedFile {
  id: string;
  kind: MessageKind;
  durationMs: number | null;
}

/** A poster's File row, taken by sendAttachments: its bytes move to the video's row. */
type PosterRecord = Pick<FileRecord, 'mimeType' | 'size' | 'storageKey' | 'thumbnailKey' | 'thumbnailSize' | 'blurhash'>;
