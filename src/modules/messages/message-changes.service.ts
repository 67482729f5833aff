import { Prisma, type PrismaClient } from '../../generated/prisma/client.js';
import { badInput, forbidden, notFound } from '../../lib/errors.js';
import { pageSize, toPage } from '../../lib/pagination.js';
import { newestFirst, toConnection, type Connection } from '../../lib/relay.js';
import { isUuid } from '../../lib/text.js';
import type { Viewer } from '../../lib/viewer.js';
import type { PubSub } from '../../realtime/pubsub.js';
import { guardByMembership, requireMembership, requireReader, type ChatEvents, type ChatLoaders, type SeqRange, type Tx } from '../chats/index.js';
import { MESSAGE_COLUMNS, type ChatChange, type MessageLog } from './message-log.js';
import { MESSAGE_SELECT, NO_PREVIEW, tombstoneOf, type MessageRecord } from './message.record.js';
import { firstLink } from '../../lib/links.js';
import { type MessagePayload, MessageTopic } from './message.topics.js';
import { messageCursor } from './message.types.js';
import { cleanMessageText } from './messages.inputs.js';
import type { MessageLoaders } from './messages.loaders.js';
import { hiddenKey, historySql, viewOf } from './message-views.js';

/** Deletions for everyone written under the chat's lock, and what they leave to do after commit. */
interface Erasure {
  /** In rev order. */
  tombstones: MessageRecord[];
  /** Each removes a detached file's bytes that no other row names. */
  removals: (() => Promise<void>)[];
  afterCommits: AfterCommit[];
}

interface ChangeRow extends MessageRecord {
  hiddenAt: Date | null;
  hiddenRev: number | null;
}

/** How long senders may edit, and delete for everyone (MESSAGE_EDIT_WINDOW, MESSAGE_DELETE_WINDOW). */
export interface MessageWindows {
  editSeconds: number;
  deleteSeconds: number;
}

export const DEFAULT_MESSAGE_WINDOWS: MessageWindows = { editSeconds: 15 * 60, deleteSeconds: 48 * 3600 };

/**
 * What deleting a message for everyone does to its attachment. modules/files
 * implements it and server/services.ts hands it in (files imports messages,
 * so messages cannot import files).
 */
export interface AttachmentsPort {
  /** Deletes the message's File row in the deletion's transaction; the returned function removes bytes no other File row uses, after commit. */
  detach(tx: Tx, fileId: string): Promise<() => Promise<void>>;
}

/** Text a message had, and when it was replaced. */
export interface MessageEditRecord {
  id: string;
  text: string | null;
  editedAt: Date;
}

/** What a hook does once the change has committed (e.g. tells listeners). */
export type AfterCommit = () => void;

/** Hooks other features run inside an edit or a deletion (mentions are resolved again on edit). */
export interface MessageTextHooks {
  /**
   * The message's text changed (edited, or null: deleted for everyone), in the
   * change's transaction; what it returns runs after the commit.
   */
  textChanged?(tx: Tx, message: MessageRecord): Promise<AfterCommit | undefined>;
}

const describeWindow = (seconds: number): string =>
  seconds % 3600 === 0 ? `${seconds / 3600} hour${seconds === 3600 ? '' : 's'}` : seconds % 60 === 0 ? `${seconds / 60} minutes` : `${seconds} seconds`;

/**
 * Edits and deletions, and the change feed that carries every change to a
 * chat's messages (docs/architecture.md, "The change feeds"). Each change
 * takes the chat's next rev under the chat's lock (MessageLog.change) and is
 * published as messageUpdated after commit, in rev order.
 */
export class MessageChangesService {
  #hooks: MessageTextHooks = {};
  #attachments: AttachmentsPort | undefined;

  constructor(
    private readonly prisma: PrismaClient,
    private readonly log: MessageLog,
    private readonly pubsub: PubSub,
    private readonly events: ChatEvents,
    private readonly windows: MessageWindows = DEFAULT_MESSAGE_WINDOWS,
  ) {}

  /** Set once by server/services.ts, when the features that provide them exist. */
  connect(parts: { attachments?: AttachmentsPort; hooks?: MessageTextHooks }): void {
    if (parts.attachments) this.#attachments = parts.attachments;
    if (parts.hooks) this.#hooks = parts.hooks;
  }

  /** The sender edits a message's text (a media message's caption) within the edit window. */
  async edit(viewer: Viewer, loaders: ChatLoaders & MessageLoaders, messageId: string, rawText: string): Promise<MessageRecord> {
    const found = await this.#visibleMessage(viewer, loaders, messageId);
    const text = cleanMessageText(rawText);
    let afterCommit: AfterCommit | undefined;
    let removePreviewImage: (() => Promise<void>) | undefined;
    let changed = false;
    const edited = await this.log.change(found.chatId, async (change) => {
      const message = await this.#lockedMessage(change, found.id);
      if (message.senderId !== viewer.id) throw forbidden('Only the sender can edit a message');
      if (message.kind === 'SYSTEM') throw forbidden('SYSTEM messages cannot be edited');
      if (message.deletedAt !== null) throw forbidden('A deleted message cannot be edited');
      if (!this.#within(message, this.windows.editSeconds)) {
        throw forbidden(`A message can only be edited within ${describeWindow(this.windows.editSeconds)} of sending it`);
      }
      if (message.text === text) return message;
      const now = new Date();
      // A preview is of the link the text was sent with: an edit that changes the first link takes it away (no new one is fetched).
      const stalePreview = message.previewUrl !== null && firstLink(text) !== message.previewUrl;
      if (stalePreview && message.previewImageId !== null && this.#attachments) {
        removePreviewImage = await this.#attachments.detach(change.tx, message.previewImageId);
      }
      await change.tx.messageEdit.create({ data: { messageId: message.id, text: message.text, editedAt: now } });
      await change.tx.message.update({
        where: { id: message.id },
        data: { text, editedAt: now, ...(stalePreview ? NO_PREVIEW : {}) },
        select: { id: true },
      });
      const stamped = await change.stamp(message.id);
      afterCommit = await this.#hooks.textChanged?.(change.tx, stamped);
      changed = true;
      return stamped;
    });
    loaders.messageById.clear(edited.id);
    await removePreviewImage?.();
    if (changed) this.events.emit('messageEdited', edited);
    afterCommit?.();
    return edited;
  }

  /**
   * For everyone: the sender within the delete window, or a group admin at any
   * time; the row stays as a tombstone. For me: any member, any message; a
   * tombstone in my view only (my other devices learn it from the feed).
   */
  async delete(viewer: Viewer, loaders: ChatLoaders & MessageLoaders, messageId: string, forEveryone: boolean): Promise<MessageRecord> {
    const found = await this.#visibleMessage(viewer, loaders, messageId);
    return forEveryone ? this.#deleteForEveryone(viewer, loaders, found) : this.#deleteForMe(viewer, loaders, found);
  }

  async #deleteForEveryone(viewer: Viewer, loaders: ChatLoaders & MessageLoaders, found: MessageRecord): Promise<MessageRecord> {
    const { chat, member } = await requireMembership(loaders, viewer, found.chatId);
    const deleted = await this.#erase(found, (message) => {
      const groupAdmin = chat.kind === 'GROUP' && member.isAdmin;
      if (groupAdmin) return;
      if (message.senderId !== viewer.id) throw forbidden('Only the sender or a group admin can delete a message for everyone');
      if (!this.#within(message, this.windows.deleteSeconds)) {
        throw forbidden(`A message can only be deleted for everyone within ${describeWindow(this.windows.deleteSeconds)} of sending it`);
      }
    });
    loaders.messageById.clear(deleted.id);
    return deleted;
  }

  /**
   * A moderator's deletion for everyone (modules/reports, with an admin's
   * rights already checked): the same path as the sender's, with no window and
   * no membership; the members hear of it by messageUpdated and the change
   * feed. A tombstone stays a tombstone; NOT_FOUND when the message is gone.
   */
  async deleteAsModerator(messageId: string): Promise<MessageRecord> {
    const found = isUuid(messageId) ? await this.prisma.message.findUnique({ where: { id: messageId }, select: MESSAGE_SELECT }) : null;
    if (!found) throw notFound('Message');
    return this.#erase(found, () => undefined);
  }

  /**
   * Disappearing messages (modules/message-timers' sweep): deletes for
   * everyone those of `messageIds`, all of chat `chatId`, whose expiresAt is
   * at or before `now`, under one hold of the chat's lock and by the path of
   * every deletion for everyone ({@link #eraseLocked}: a tombstone with a new
   * rev, messageUpdated, the change feed). Each is read again under the lock:
   * one that is a tombstone already (another instance's sweep got there first,
   * or its sender deleted it) or not yet due is left alone, so sweeps running
   * at once delete each message once. Returns the tombstones it made; the
   * listeners hear `messagesExpired` (not `messageDeleted`) once, after commit.
   */
  async expire(chatId: string, messageIds: readonly string[], now: Date): Promise<MessageRecord[]> {
    const erasure = await this.log.change(chatId, async (change) => {
      const locked = await change.tx.message.findMany({ where: { id: { in: [...messageIds] }, chatId }, select: MESSAGE_SELECT, orderBy: { seq: 'asc' } });
      const due = locked.filter((message) => message.expiresAt !== null && message.expiresAt <= now && message.deletedAt === null && message.kind !== 'SYSTEM');
      return this.#eraseLocked(change, due);
    });
    const { tombstones } = erasure;
    await this.#afterCommit(erasure, () => {
      if (tombstones.length > 0) this.events.emit('messagesExpired', { chatId, messageIds: tombstones.map((message) => message.id) });
    });
    return tombstones;
  }

  /** Deletes a message for everyone under its chat's lock, once `authorize` accepted the locked message. */
  async #erase(found: MessageRecord, authorize: (message: MessageRecord) => void): Promise<MessageRecord> {
    const outcome = await this.log.change(found.chatId, async (change) => {
      const message = await this.#lockedMessage(change, found.id);
      if (message.kind === 'SYSTEM') throw forbidden('SYSTEM messages cannot be deleted for everyone');
      if (message.deletedAt !== null) return { message, erasure: null };
      authorize(message);
      const erasure = await this.#eraseLocked(change, [message]);
      return { message: erasure.tombstones[0]!, erasure };
    });
    const { message, erasure } = outcome;
    if (erasure) await this.#afterCommit(erasure, () => this.events.emit('messageDeleted', message));
    return message;
  }

  /**
   * What a deletion for everyone writes, with the chat's lock held and the
   * locked messages (of that chat) found deletable: their edits, reactions and
   * mentions go, their files are detached, the rows become tombstones and take
   * the next revs. A statement each for all of them, so the sweep's batches
   * hold the lock briefly. What must wait for the commit (bytes, hooks) is returned.
   */
  async #eraseLocked(change: ChatChange, messages: readonly MessageRecord[]): Promise<Erasure> {
    if (messages.length === 0) return { tombstones: [], removals: [], afterCommits: [] };
    const { tx } = change;
    const ids = messages.map((message) => message.id);
    await tx.messageEdit.deleteMany({ where: { messageId: { in: ids } } });
    await tx.messageReaction.deleteMany({ where: { messageId: { in: ids } } });
    await tx.messageMention.deleteMany({ where: { messageId: { in: ids } } });
    const removals: (() => Promise<void>)[] = [];
    if (this.#attachments) {
      // An album's files (MessageAttachment, in sendAttachments' order) go with the first, Message.fileId.
      const album = messages.some((message) => message.kind !== 'TEXT' && message.kind !== 'SYSTEM')
        ? await tx.messageAttachment.findMany({ where: { messageId: { in: ids } }, select: { fileId: true } })
        : [];
      const fileIds = new Set([
        ...messages.flatMap(({ fileId, previewImageId }) => [fileId, previewImageId].filter((id): id is string => id !== null)),
        ...album.map(({ fileId }) => fileId),
      ]);
      for (const fileId of fileIds) removals.push(await this.#attachments.detach(tx, fileId));
    }
    await tx.message.updateMany({
      where: { id: { in: ids } },
      data: { text: null, fileId: null, editedAt: null, pinnedAt: null, deletedAt: new Date(), ...NO_PREVIEW },
    });
    const tombstones = await change.stampEach(ids);
    const afterCommits: AfterCommit[] = [];
    for (const tombstone of tombstones) {
      const afterCommit = await this.#hooks.textChanged?.(tx, tombstone);
      if (afterCommit) afterCommits.push(afterCommit);
    }
    return { tombstones, removals, afterCommits };
  }

  /** After the erasure committed: the bytes are removed, the listeners told (`announce`), then the hooks' work runs. */
  async #afterCommit(erasure: Erasure, announce: () => void): Promise<void> {
    for (const remove of erasure.removals) await remove();
    announce();
    for (const afterCommit of erasure.afterCommits) afterCommit();
  }

  async #deleteForMe(viewer: Viewer, loaders: ChatLoaders & MessageLoaders, found: MessageRecord): Promise<MessageRecord> {
    const key = hiddenKey(viewer.id, found.id);
    const hidden = await this.log.change(found.chatId, async (change) => {
      const message = await this.#lockedMessage(change, found.id);
      const existing = await change.tx.messageHidden.findUnique({ where: { userId_messageId: { userId: viewer.id, messageId: found.id } } });
      if (existing) return tombstoneOf(message, { at: existing.createdAt, rev: existing.rev });
      return change.privately([viewer.id], async (rev) => {
        const row = await change.tx.messageHidden.create({ data: { userId: viewer.id, messageId: found.id, chatId: found.chatId, rev } });
        // Only this member's view changed: the account feed learns it from their membership's stamp.
        await change.tx.$executeRaw`
          UPDATE "ChatMember" SET "changeStamp" = pg_current_xact_id()::text::bigint
          WHERE "chatId" = ${found.chatId}::uuid AND "userId" = ${viewer.id}::uuid`;
        return tombstoneOf(message, { at: row.createdAt, rev });
      });
    });
    loaders.messageById.clear(hidden.id);
    loaders.hiddenFor.clear(key);
    return hidden;
  }

  /** A message's previous texts, newest first; none for a tombstone. */
  async edits(viewer: Viewer | null, loaders: MessageLoaders, message: MessageRecord, args: { first?: number | null; after?: string | null }) {
    const page = newestFirst('messageEdit', 'editedAt', args);
    if (message.deletedAt !== null || message.editedAt === null || viewer === null) return page.connection<MessageEditRecord>([]);
    if ((await viewOf(loaders, viewer, message)).deletedAt !== null) return page.connection<MessageEditRecord>([]);
    // The first page comes through a loader, so a page of messages asks once for all their edits.
    const rows =
      args.after === null || args.after === undefined
        ? await loaders.newestEdits.load(`${message.id}:${page.take}`)
        : await this.prisma.messageEdit.findMany({
            where: { messageId: message.id, ...page.where },
            orderBy: page.orderBy,
            take: page.take,
            select: { id: true, text: true, editedAt: true },
          });
    return page.connection(rows);
  }

  /**
   * The chat's messages changed after `afterRev` (new, edited, deleted,
   * reacted to, pinned), each once in its current state for the viewer,
   * oldest change first. Page on with `afterRev` = the last node's rev.
   */
  async changes(
    viewer: Viewer,
    loaders: ChatLoaders & MessageLoaders,
    chatId: string,
    afterRev: number,
    first?: number | null,
  ): Promise<Connection<MessageRecord>> {
    checkRev(afterRev);
    const size = pageSize(first);
    const { ranges } = await requireReader(loaders, viewer, chatId);
    const rows = await this.prisma.$queryRaw<ChangeRow[]>`${changesOfChat(viewer.id, chatId, afterRev, size + 1, ranges)}`;
    return toConnection(toPage(rows.map(asSeen), size, afterRev > 0), messageCursor);
  }

  /**
   * messageChanges for many chats in one request: the chats are checked
   * through the loaders (a few statements for all of them) and their changes
   * read in one statement, so the cost in statements does not grow with them.
   */
  async changesBatch(
    viewer: Viewer,
    loaders: ChatLoaders & MessageLoaders,
    after: readonly { chatId: string; afterRev: number }[],
    firstPerChat?: number | null,
  ): Promise<{ chatId: string; messages: MessageRecord[]; hasMore: boolean }[]> {
    if (after.length > MAX_BATCH_CHATS) throw badInput(`after names at most ${MAX_BATCH_CHATS} chats per request`, 'after');
    if (new Set(after.map((entry) => entry.chatId)).size !== after.length) throw badInput('after names a chat more than once', 'after');
    for (const entry of after) checkRev(entry.afterRev);
    const size = pageSize(firstPerChat);
    if (after.length === 0) return [];
    const readers = await Promise.all(after.map((entry) => requireReader(loaders, viewer, entry.chatId)));
    const parts = after.map((entry, i) => Prisma.sql`(${changesOfChat(viewer.id, entry.chatId, entry.afterRev, size + 1, readers[i]!.ranges)})`);
    const rows = await this.prisma.$queryRaw<ChangeRow[]>`${Prisma.join(parts, ' UNION ALL ')}`;
    const byChat = new Map(after.map((entry) => [entry.chatId, [] as MessageRecord[]]));
    for (const row of rows) byChat.get(row.chatId)?.push(asSeen(row));
    return after.map(({ chatId }) => {
      const messages = byChat.get(chatId)!;
      return { chatId, messages: messages.slice(0, size), hasMore: messages.length > size };
    });
  }

  async subscribeUpdates(viewer: Viewer, loaders: ChatLoaders, chatId?: string | null): Promise<AsyncIterableIterator<MessagePayload>> {
    if (chatId) await requireMembership(loaders, viewer, chatId);
    return guardByMembership(this.pubsub, viewer.id, MessageTopic.MessageUpdated, chatId ?? undefined);
  }

  /** A message of a chat the viewer is a member of; NOT_FOUND otherwise. */
  async #visibleMessage(viewer: Viewer, loaders: ChatLoaders & MessageLoaders, messageId: string): Promise<MessageRecord> {
    const message = isUuid(messageId) ? await loaders.messageById.load(messageId) : null;
    if (!message) throw notFound('Message');
    await requireMembership(loaders, viewer, message.chatId);
    return message;
  }

  /** The message read again under the chat's lock: what the rules are checked against. */
  async #lockedMessage(change: ChatChange, messageId: string): Promise<MessageRecord> {
    const message = await change.tx.message.findUnique({ where: { id: messageId }, select: MESSAGE_SELECT });
    if (!message) throw notFound('Message');
    return message;
  }

  #within(message: MessageRecord, seconds: number): boolean {
    return Date.now() - message.createdAt.getTime() < seconds * 1000;
  }
}

/** Chats one messageChangesBatch may name. */
export const MAX_BATCH_CHATS = 100;

function checkRev(afterRev: number): void {
  if (!Number.isSafeInteger(afterRev) || afterRev < 0) throw badInput('afterRev must be a non-negative integer', 'afterRev');
}

/**
 * One chat's changed messages for one viewer, by rev in their view: two index
 * walks, the changes everyone saw (minus messages the viewer deleted for
 * themself) and the viewer's own deletions, each at the larger of its revs;
 * both within the viewer's history (former members, rejoined members).
 */
function changesOfChat(viewerId: string, chatId: string, afterRev: number, limit: number, ranges: readonly SeqRange[] | null): Prisma.Sql {
  const inHistory = historySql(ranges);
  return Prisma.sql`
    WITH changed AS (
      (SELECT m."id", m."rev" AS "viewRev" FROM "Message" m
       WHERE m."chatId" = ${chatId}::uuid AND m."rev" > ${afterRev}
         AND NOT EXISTS (SELECT 1 FROM "MessageHidden" h WHERE h."messageId" = m."id" AND h."userId" = ${viewerId}::uuid)
         ${inHistory}
       ORDER BY m."rev" LIMIT ${limit})
      UNION ALL
      (SELECT m."id", GREATEST(m."rev", h."rev") AS "viewRev" FROM "MessageHidden" h JOIN "Message" m ON m."id" = h."messageId"
       WHERE h."userId" = ${viewerId}::uuid AND h."chatId" = ${chatId}::uuid AND GREATEST(m."rev", h."rev") > ${afterRev}
         ${inHistory}
       ORDER BY 2 LIMIT ${limit})
    )
    SELECT ${MESSAGE_COLUMNS}, h."createdAt" AS "hiddenAt", h."rev" AS "hiddenRev"
    FROM changed JOIN "Message" m ON m."id" = changed."id"
    LEFT JOIN "MessageHidden" h ON h."messageId" = m."id" AND h."userId" = ${viewerId}::uuid
    ORDER BY changed."viewRev" LIMIT ${limit}`;
}

const asSeen = ({ hiddenAt, hiddenRev, ...message }: ChangeRow): MessageRecord =>
  hiddenAt === null || hiddenRev === null ? message : tombstoneOf(message, { at: hiddenAt, rev: hiddenRev });
