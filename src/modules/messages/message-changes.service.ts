import type { PrismaClient } from '../../generated/prisma/client.js';
import { badInput, forbidden, notFound } from '../../lib/errors.js';
import { pageSize, toPage } from '../../lib/pagination.js';
import { newestFirst, toConnection, type Connection } from '../../lib/relay.js';
import { isUuid } from '../../lib/text.js';
import type { Viewer } from '../../lib/viewer.js';
import type { PubSub } from '../../realtime/pubsub.js';
import { guardByMembership, requireMembership, type ChatEvents, type ChatLoaders, type Tx } from '../chats/index.js';
import { MESSAGE_COLUMNS, type ChatChange, type MessageLog } from './message-log.js';
import { MESSAGE_SELECT, tombstoneOf, type MessageRecord } from './message.record.js';
import { type MessagePayload, MessageTopic } from './message.topics.js';
import { messageCursor } from './message.types.js';
import { cleanMessageText } from './messages.inputs.js';
import type { MessageLoaders } from './messages.loaders.js';
import { hiddenKey, viewOf } from './message-views.js';

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
      await change.tx.messageEdit.create({ data: { messageId: message.id, text: message.text, editedAt: now } });
      await change.tx.message.update({ where: { id: message.id }, data: { text, editedAt: now }, select: { id: true } });
      const stamped = await change.stamp(message.id);
      afterCommit = await this.#hooks.textChanged?.(change.tx, stamped);
      return stamped;
    });
    loaders.messageById.clear(edited.id);
    if (edited.editedAt !== found.editedAt) this.events.emit('messageEdited', edited);
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
    let removeBytes: (() => Promise<void>) | undefined;
    let afterCommit: AfterCommit | undefined;
    const deleted = await this.log.change(found.chatId, async (change) => {
      const message = await this.#lockedMessage(change, found.id);
      if (message.kind === 'SYSTEM') throw forbidden('SYSTEM messages cannot be deleted for everyone');
      if (message.deletedAt !== null) return message;
      const groupAdmin = chat.kind === 'GROUP' && member.isAdmin;
      if (!groupAdmin) {
        if (message.senderId !== viewer.id) throw forbidden('Only the sender or a group admin can delete a message for everyone');
        if (!this.#within(message, this.windows.deleteSeconds)) {
          throw forbidden(`A message can only be deleted for everyone within ${describeWindow(this.windows.deleteSeconds)} of sending it`);
        }
      }
      const { tx } = change;
      await tx.messageEdit.deleteMany({ where: { messageId: message.id } });
      await tx.messageReaction.deleteMany({ where: { messageId: message.id } });
      await tx.messageMention.deleteMany({ where: { messageId: message.id } });
      if (message.fileId !== null && this.#attachments) removeBytes = await this.#attachments.detach(tx, message.fileId);
      await tx.message.update({
        where: { id: message.id },
        data: { text: null, fileId: null, editedAt: null, pinnedAt: null, deletedAt: new Date() },
        select: { id: true },
      });
      const stamped = await change.stamp(message.id);
      afterCommit = await this.#hooks.textChanged?.(tx, stamped);
      return stamped;
    });
    loaders.messageById.clear(deleted.id);
    await removeBytes?.();
    if (found.deletedAt === null) this.events.emit('messageDeleted', deleted);
    afterCommit?.();
    return deleted;
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
          UPDATE "ChatMember" SET "changeStamp" = nextval('payamak_change_stamp')
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
    const rows = await this.prisma.messageEdit.findMany({
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
    if (!Number.isSafeInteger(afterRev) || afterRev < 0) throw badInput('afterRev must be a non-negative integer', 'afterRev');
    const size = pageSize(first);
    await requireMembership(loaders, viewer, chatId);
    // Two index walks: the changes everyone saw (minus messages I deleted for
    // myself), and my own deletions, each at its rev in my view (the larger).
    const rows = await this.prisma.$queryRaw<ChangeRow[]>`
      WITH changed AS (
        (SELECT m."id", m."rev" AS "viewRev" FROM "Message" m
         WHERE m."chatId" = ${chatId}::uuid AND m."rev" > ${afterRev}
           AND NOT EXISTS (SELECT 1 FROM "MessageHidden" h WHERE h."messageId" = m."id" AND h."userId" = ${viewer.id}::uuid)
         ORDER BY m."rev" LIMIT ${size + 1})
        UNION ALL
        (SELECT m."id", GREATEST(m."rev", h."rev") AS "viewRev" FROM "MessageHidden" h JOIN "Message" m ON m."id" = h."messageId"
         WHERE h."userId" = ${viewer.id}::uuid AND h."chatId" = ${chatId}::uuid AND GREATEST(m."rev", h."rev") > ${afterRev}
         ORDER BY 2 LIMIT ${size + 1})
      )
      SELECT ${MESSAGE_COLUMNS}, h."createdAt" AS "hiddenAt", h."rev" AS "hiddenRev"
      FROM changed JOIN "Message" m ON m."id" = changed."id"
      LEFT JOIN "MessageHidden" h ON h."messageId" = m."id" AND h."userId" = ${viewer.id}::uuid
      ORDER BY changed."viewRev" LIMIT ${size + 1}`;
    const messages = rows.map(({ hiddenAt, hiddenRev, ...message }) =>
      hiddenAt === null || hiddenRev === null ? message : tombstoneOf(message, { at: hiddenAt, rev: hiddenRev }),
    );
    return toConnection(toPage(messages, size, afterRev > 0), messageCursor);
  }

  async subscribeUpdates(viewer: Viewer, loaders: ChatLoaders, chatId?: string | null): Promise<AsyncIterableIterator<MessagePayload>> {
    if (chatId) await requireMembership(loaders, viewer, chatId);
    return guardByMembership(this.pubsub, viewer.id, this.pubsub.subscribe(MessageTopic.MessageUpdated, viewer.id), chatId ?? undefined);
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
