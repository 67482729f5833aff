import type { PrismaClient } from '../../generated/prisma/client.js';
import { notFound } from '../../lib/errors.js';
import type { Viewer } from '../../lib/viewer.js';
import type { PubSub } from '../../realtime/pubsub.js';
import { ChatTopic, requireReader, type ChatEvents, type ChatLoaders, type ChatRecord, type ChatsService } from '../chats/index.js';
import type { UserLoaders } from '../users/index.js';
import type { MessageLoaders } from './messages.loaders.js';
import type { MessagesService } from './messages.service.js';

type Loaders = ChatLoaders & MessageLoaders & Pick<UserLoaders, 'userById'>;

/**
 * What one member does to a whole chat, for themself alone: clearing its
 * history (clearChat) and deleting it from their list (deleteChat). Both use
 * the per-viewer reading machinery of chats (requireReader's seq ranges): a
 * clearing is a seq below which nothing is read (`clearedSeq`), kept on the
 * membership and on every earlier period of it, so it costs one row whatever
 * the chat's size; the other members see nothing change.
 */
export class ChatHistoryService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly chats: ChatsService,
    private readonly messages: MessagesService,
    private readonly pubsub: PubSub,
    private readonly events: ChatEvents,
  ) {}

  /**
   * Hides every message of the chat up to now, for me, on all my devices:
   * messages(), messageChanges, pins, files and lastMessage stop at the
   * clearing; what comes after shows as usual. As a member it also reads the
   * chat (unread 0, like markRead up to the last message, so the senders see
   * READ). A former member clears the history they kept, up to their leaving.
   * My other devices get chatUpdated, and the account feed reports the chat.
   */
  async clear(viewer: Viewer, loaders: Loaders, chatId: string): Promise<ChatRecord> {
    const reader = await requireReader(loaders, viewer, chatId);
    if (reader.member) {
      const upTo = await this.prisma.$transaction(async (tx) => {
        // The chat's lastSeq as committed: a message committing after this has a higher seq, and shows.
        const rows = await tx.$queryRaw<{ seq: number }[]>`
          UPDATE "ChatMember" m
          SET "clearedSeq" = GREATEST(m."clearedSeq", c."lastSeq"), "changeStamp" = pg_current_xact_id()::text::bigint
          FROM "Chat" c
          WHERE c."id" = m."chatId" AND m."chatId" = ${chatId}::uuid AND m."userId" = ${viewer.id}::uuid
          RETURNING c."lastSeq" AS "seq"`;
        const seq = rows[0]?.seq;
        if (seq === undefined) throw notFound('Chat'); // left a moment ago
        await tx.$executeRaw`
          UPDATE "ChatMembershipPeriod" SET "clearedSeq" = GREATEST("clearedSeq", ${seq})
          WHERE "chatId" = ${chatId}::uuid AND "userId" = ${viewer.id}::uuid`;
        return seq;
      });
      await this.#readUpTo(viewer, loaders, chatId, upTo);
    } else {
      // A former member's view ends at their leaving; the stamp is the one the account feed reads for them.
      await this.prisma.$executeRaw`
        UPDATE "ChatMembershipPeriod"
        SET "clearedSeq" = GREATEST("clearedSeq", ${reader.chat.lastSeq}), "changeStamp" = pg_current_xact_id()::text::bigint
        WHERE "chatId" = ${chatId}::uuid AND "userId" = ${viewer.id}::uuid AND "deletedAt" IS NULL`;
    }
    this.#forget(loaders, chatId);
    this.pubsub.publish(ChatTopic.ChatUpdated, viewer.id, { chatId });
    return (await requireReader(loaders, viewer, chatId)).chat;
  }

  /**
   * Removes the chat from my list and my feeds. A group I am in, I leave as
   * leaveChat does (the SYSTEM message, admin succession); a group I left is
   * simply forgotten; either way reading it is NOT_FOUND from now on, and
   * being added back starts afresh, from the re-adding. A private chat stays a
   * membership (the other person may still write): it is cleared, my settings
   * for it reset, and it is hidden until a message after the deletion brings
   * it back, empty but for that message; so does createPrivateChat. The
   * account feed reports it in removedChatIds.
   */
  async delete(viewer: Viewer, loaders: Loaders, chatId: string): Promise<boolean> {
    const reader = await requireReader(loaders, viewer, chatId);
    if (reader.chat.kind === 'GROUP') {
      await this.chats.deleteGroupFor(viewer.id, chatId, reader.member !== null);
      this.#forget(loaders, chatId);
      // Its notifications are for a chat that is gone: read, as a read chat's are.
      this.events.emit('chatRead', { chatId, userId: viewer.id, sessionId: viewer.sessionId });
      return true;
    }
    const rows = await this.prisma.$queryRaw<{ seq: number }[]>`
      UPDATE "ChatMember" m
      SET "clearedSeq" = GREATEST(m."clearedSeq", c."lastSeq"), "deletedSeq" = c."lastSeq",
          "muted" = false, "mutedUntil" = NULL, "archived" = false, "pinnedAt" = NULL, "notifyLevel" = 'ALL', "markedUnread" = false,
          "changeStamp" = pg_current_xact_id()::text::bigint
      FROM "Chat" c
      WHERE c."id" = m."chatId" AND m."chatId" = ${chatId}::uuid AND m."userId" = ${viewer.id}::uuid
      RETURNING c."lastSeq" AS "seq"`;
    const seq = rows[0]?.seq;
    if (seq === undefined) throw notFound('Chat');
    // Read, so that what the next message brings back counts from there (unread, mentions).
    await this.#readUpTo(viewer, loaders, chatId, seq);
    this.#forget(loaders, chatId);
    return true;
  }

  /** markRead up to the message of this seq: the watermarks move, the senders and my devices are told, notifications read. */
  async #readUpTo(viewer: Viewer, loaders: Loaders, chatId: string, seq: number): Promise<void> {
    if (seq === 0) return;
    const last = await this.prisma.message.findUnique({ where: { chatId_seq: { chatId, seq } }, select: { id: true } });
    if (last) await this.messages.markReceipt(viewer, loaders, chatId, last.id, 'READ');
  }

  #forget(loaders: Loaders, chatId: string): void {
    loaders.memberOf.clearAll();
    loaders.periodsOf.clearAll();
    loaders.membersByChat.clear(chatId);
    loaders.chatById.clear(chatId);
  }
}
