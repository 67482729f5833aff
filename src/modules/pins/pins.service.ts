import { forbidden, notFound } from '../../lib/errors.js';
import { isUuid } from '../../lib/text.js';
import type { Viewer } from '../../lib/viewer.js';
import type { PubSub } from '../../realtime/pubsub.js';
import { ChatTopic, canEditChatInfo, requireMembership, type ChatLoaders, type ChatRecord, type MemberRecord } from '../chats/index.js';
import { MESSAGE_SELECT, type ChatChange, type MessageLoaders, type MessageLog, type MessageRecord } from '../messages/index.js';
import type { PinLoaders } from './pins.loaders.js';

/** Pinned messages per chat; pinning one more unpins the oldest pin (as WhatsApp does). */
export const MAX_PINNED = 3;

type Loaders = ChatLoaders & MessageLoaders & PinLoaders;

/**
 * Who may pin and unpin ({@link canEditChatInfo}): both people of a private
 * chat; in a group, those who may edit its info (its admins, or every member
 * while onlyAdminsCanEditInfo is off). Checked before the chat's lock (for
 * the answer) and again under it.
 */
function requireMayPin(chat: Pick<ChatRecord, 'kind' | 'onlyAdminsCanEditInfo'>, member: Pick<MemberRecord, 'isAdmin'>): void {
  if (!canEditChatInfo(chat, member)) throw forbidden('Only group admins can pin or unpin messages');
}

/**
 * Pins: Message.pinnedAt, at most {@link MAX_PINNED} per chat. Each pin and
 * unpin is a change to the message (one rev, a messageUpdated event), made
 * under the chat's lock (MessageLog.change), so the limit holds under races.
 */
export class PinsService {
  constructor(
    private readonly log: MessageLog,
    private readonly pubsub: PubSub,
  ) {}

  /**
   * Pins a message; a fourth pin unpins the oldest. Posts "Alice pinned a
   * message". Pinning a pinned message changes nothing.
   */
  async pin(viewer: Viewer, loaders: Loaders, messageId: string): Promise<ChatRecord> {
    const found = await this.#allowedMessage(viewer, loaders, messageId);
    const audience = await this.log.change(found.chatId, async (change) => {
      await this.#requireMayPinLocked(change, viewer, found.chatId);
      const message = await this.#lockedMessage(change, found.id);
      if (message.kind === 'SYSTEM') throw forbidden('SYSTEM messages cannot be pinned');
      if (message.deletedAt !== null) throw forbidden('A deleted message cannot be pinned');
      const hidden = await change.tx.messageHidden.findUnique({
        where: { userId_messageId: { userId: viewer.id, messageId: message.id } },
        select: { rev: true },
      });
      if (hidden) throw forbidden('A deleted message cannot be pinned');
      if (message.pinnedAt !== null) return null;

      const { tx } = change;
      const pinned = await tx.message.findMany({
        where: { chatId: message.chatId, pinnedAt: { not: null } },
        orderBy: [{ pinnedAt: 'asc' }, { id: 'asc' }],
        select: { id: true, pinnedAt: true },
      });
      for (const oldest of pinned.slice(0, Math.max(0, pinned.length - (MAX_PINNED - 1)))) {
        await tx.message.update({ where: { id: oldest.id }, data: { pinnedAt: null }, select: { id: true } });
        await change.stamp(oldest.id);
      }
      // Strictly after the newest pin, so "newest first" and "the oldest pin" never depend on a tie within a millisecond.
      const newest = pinned.at(-1)?.pinnedAt?.getTime() ?? 0;
      const pinnedAt = new Date(Math.max(Date.now(), newest + 1));
      await tx.message.update({ where: { id: message.id }, data: { pinnedAt }, select: { id: true } });
      await change.stamp(message.id);
      const actor = await tx.user.findUniqueOrThrow({ where: { id: viewer.id }, select: { displayName: true } });
      await change.append({ chatId: message.chatId, senderId: null, kind: 'SYSTEM', text: `${actor.displayName} pinned a message`, readBy: viewer.id });
      return change.memberIds;
    });
    this.#announce(found.chatId, audience);
    return this.#chatAfter(viewer, loaders, found.chatId);
  }

  /** Unpins a message, silently (no SYSTEM message, as in WhatsApp). Unpinning one that is not pinned changes nothing. */
  async unpin(viewer: Viewer, loaders: Loaders, messageId: string): Promise<ChatRecord> {
    const found = await this.#allowedMessage(viewer, loaders, messageId);
    const audience = await this.log.change(found.chatId, async (change) => {
      await this.#requireMayPinLocked(change, viewer, found.chatId);
      // The pin is the chat's, not the viewer's: one they deleted for themself can still be unpinned.
      const message = await this.#lockedMessage(change, found.id);
      if (message.pinnedAt === null) return null;
      await change.tx.message.update({ where: { id: message.id }, data: { pinnedAt: null }, select: { id: true } });
      await change.stamp(message.id);
      return change.memberIds;
    });
    this.#announce(found.chatId, audience);
    return this.#chatAfter(viewer, loaders, found.chatId);
  }

  /** A message of a chat the viewer is in (NOT_FOUND otherwise) whose pins they may change (FORBIDDEN otherwise). */
  async #allowedMessage(viewer: Viewer, loaders: Loaders, messageId: string): Promise<MessageRecord> {
    const message = isUuid(messageId) ? await loaders.messageById.load(messageId) : null;
    if (!message) throw notFound('Message');
    const { chat, member } = await requireMembership(loaders, viewer, message.chatId);
    requireMayPin(chat, member);
    return message;
  }

  /** The membership and the role read again under the chat's lock: a removal or a demotion may have committed meanwhile. */
  async #requireMayPinLocked(change: ChatChange, viewer: Viewer, chatId: string): Promise<void> {
    const chat = await change.tx.chat.findUnique({ where: { id: chatId }, select: { kind: true, onlyAdminsCanEditInfo: true } });
    const member = await change.tx.chatMember.findUnique({ where: { chatId_userId: { chatId, userId: viewer.id } }, select: { isAdmin: true } });
    if (!chat || !member) throw notFound('Chat');
    requireMayPin(chat, member);
  }

  /** chatUpdated for the members at commit: the chat's pinnedMessages changed (the contract: chatUpdated covers pins). */
  #announce(chatId: string, memberIds: string[] | null): void {
    if (memberIds) this.pubsub.publishMany(ChatTopic.ChatUpdated, memberIds, { chatId });
  }

  async #lockedMessage(change: ChatChange, messageId: string): Promise<MessageRecord> {
    const message = await change.tx.message.findUnique({ where: { id: messageId }, select: MESSAGE_SELECT });
    if (!message) throw notFound('Message');
    return message;
  }

  /** The chat as it is now: its rev, pins, last message and my read position moved. */
  async #chatAfter(viewer: Viewer, loaders: Loaders, chatId: string): Promise<ChatRecord> {
    loaders.chatById.clear(chatId);
    loaders.memberOf.clearAll();
    loaders.membersByChat.clear(chatId);
    loaders.messageById.clearAll();
    loaders.messageByChatSeq.clearAll();
    loaders.pinnedByChat.clear(chatId);
    return (await requireMembership(loaders, viewer, chatId)).chat;
  }
}
