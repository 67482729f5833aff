import type { PrismaClient } from '../../generated/prisma/client.js';
import { badInput, forbidden, isUniqueViolation, notFound } from '../../lib/errors.js';
import { decodeCursor, pageSize, toPage } from '../../lib/pagination.js';
import { toConnection, type Connection } from '../../lib/relay.js';
import type { RateLimits } from '../../lib/rate-limits.js';
import { isUuid } from '../../lib/text.js';
import type { Viewer } from '../../lib/viewer.js';
import type { PubSub } from '../../realtime/pubsub.js';
import {
  ChatTopic,
  guardByMembership,
  readsHidden,
  requireMembership,
  requireReader,
  type ChatEvents,
  type ChatLoaders,
  type MemberRecord,
  type TypingPayload,
} from '../chats/index.js';
import { MESSAGE_SELECT, clientIdElsewhere, replyElsewhere, type MessageLog, type MessageRecord } from './message-log.js';
import { MessageStatus, messageCursor } from './message.types.js';
import { cleanClientId, cleanMessageText, type SendMessageInput } from './messages.inputs.js';
import { type MessagePayload, type MessageStatusPayload, MessageTopic } from './message.topics.js';
import { historyWhere, viewsOf } from './message-views.js';
import { announceMentions, mentionedNames, recordMentions, type MentionedName } from './mentions.js';
import type { MessageLoaders } from './messages.loaders.js';
import type { UserLoaders } from '../users/index.js';

export interface MessageListArgs {
  chatId: string;
  first?: number | null;
  after?: string | null;
  afterSeq?: number | null;
}

type Receipt = Exclude<MessageStatus, 'SENT'>;
/** What moving a watermark reads: the membership, and the members' read receipts setting. */
type ReceiptLoaders = ChatLoaders & Pick<UserLoaders, 'userById'>;

export class MessagesService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly log: MessageLog,
    private readonly pubsub: PubSub,
    private readonly events: ChatEvents,
    private readonly limits: RateLimits,
  ) {}

  /**
   * Sends a text message. With a clientId, a retry (even a concurrent one)
   * returns the message the first attempt stored; there is never a second.
   */
  async send(viewer: Viewer, input: SendMessageInput): Promise<MessageRecord> {
    const text = cleanMessageText(input.text);
    const clientId = cleanClientId(input.clientId);
    const { chatId } = input;
    if (!isUuid(chatId)) throw notFound('Chat');
    const replyToId = input.replyToId ?? null;
    if (replyToId !== null && !isUuid(replyToId)) throw replyElsewhere();
    try {
      await this.limits.messages.consume(viewer.id);
    } catch (error) {
      // A retry of a stored send is answered even over the limit.
      const first = clientId ? await this.log.firstByClientId(viewer.id, clientId, chatId) : null;
      if (first) return first;
      throw error;
    }
    const names = mentionedNames(text);
    if (names.length > 0) return this.#sendMentioning(viewer, { chatId, text, replyToId, clientId }, names);
    try {
      // One round trip: a retry is answered from the first message, a stranger refused, the reply checked.
      const { message, existing } = await this.log.append(
        { chatId, senderId: viewer.id, kind: 'TEXT', text, replyToId, clientId, requireMember: viewer.id, readBy: viewer.id },
        { returnExisting: true },
      );
      if (existing) {
        await this.limits.messages.refund(viewer.id); // a retry costs nothing from the budget
        if (message.chatId !== chatId) throw clientIdElsewhere();
      }
      return message;
    } catch (error) {
      if (clientId && isUniqueViolation(error)) {
        // A concurrent retry committed first.
        const first = await this.log.firstByClientId(viewer.id, clientId, chatId);
        if (first) return first;
      }
      throw error;
    }
  }

  /**
   * A text that may mention members: the message and its mentions in one
   * transaction (two statements), with send's answers to a retry. A retried
   * clientId fails the insert on (senderId, clientId), which rolls back
   * everything, seq included; the first message is then the answer, and free.
   */
  async #sendMentioning(
    viewer: Viewer,
    input: { chatId: string; text: string; replyToId: string | null; clientId: string | null },
    names: MentionedName[],
  ): Promise<MessageRecord> {
    const { chatId, clientId } = input;
    let mentioned: string[] = [];
    try {
      const { message } = await this.log.transaction(
        async (tx, append) => {
          const appended = await append({ ...input, senderId: viewer.id, kind: 'TEXT', requireMember: viewer.id, readBy: viewer.id });
          mentioned = await recordMentions(tx, appended.message, names);
          return appended;
        },
        ({ message }) => announceMentions(this.events, message, mentioned),
      );
      return message;
    } catch (error) {
      if (clientId && isUniqueViolation(error)) {
        await this.limits.messages.refund(viewer.id); // a retry costs nothing from the budget
        const first = await this.log.firstByClientId(viewer.id, clientId, chatId);
        if (first) return first;
      }
      throw error;
    }
  }

  /**
   * A chat's messages. Default: newest first, `after` walking back in time.
   * With `afterSeq`: the messages after that seq, oldest first (catch-up).
   */
  async list(viewer: Viewer, loaders: ChatLoaders & MessageLoaders, args: MessageListArgs): Promise<Connection<MessageRecord>> {
    const size = pageSize(args.first);
    const { ranges } = await requireReader(loaders, viewer, args.chatId);
    const catchUp = args.afterSeq !== null && args.afterSeq !== undefined;
    if (catchUp && (!Number.isInteger(args.afterSeq) || args.afterSeq! < 0)) throw badInput('afterSeq must be a non-negative integer', 'afterSeq');
    let from: number | undefined;
    if (args.after) {
      const [chatId, seq] = decodeCursor('message', args.after, 2);
      if (chatId !== args.chatId || typeof seq !== 'number') throw badInput('after is not a valid cursor for this chat', 'after');
      from = seq;
    }
    const rows = await this.prisma.message.findMany({
      where: {
        chatId: args.chatId,
        ...(catchUp ? { seq: { gt: Math.max(args.afterSeq!, from ?? 0) } } : from !== undefined ? { seq: { lt: from } } : {}),
        ...historyWhere(ranges),
      },
      orderBy: { seq: catchUp ? 'asc' : 'desc' },
      take: size + 1,
      select: MESSAGE_SELECT,
    });
    const page = toPage(rows, size, from !== undefined);
    return toConnection({ ...page, nodes: await viewsOf(loaders, viewer, page.nodes) }, messageCursor);
  }

  /**
   * Moves the viewer's watermark in a chat up to a message (never down). READ
   * implies DELIVERED. True when it moved; false when it already covered it.
   */
  async markReceipt(viewer: Viewer, loaders: ReceiptLoaders, chatId: string, upToMessageId: string, status: Receipt): Promise<boolean> {
    await requireMembership(loaders, viewer, chatId);
    const target = isUuid(upToMessageId)
      ? await this.prisma.message.findFirst({ where: { id: upToMessageId, chatId }, select: { id: true, seq: true } })
      : null;
    if (!target) throw notFound('Message');
    // One statement for both receipts: READ moves both watermarks, DELIVERED only deliveredSeq; never down.
    const read = status === 'READ';
    const moved = await this.prisma.$queryRaw<{ previous: number; deliveredBefore: number }[]>`
      UPDATE "ChatMember" m
      SET "readSeq" = CASE WHEN ${read} THEN GREATEST(m."readSeq", ${target.seq}) ELSE m."readSeq" END,
          "deliveredSeq" = GREATEST(m."deliveredSeq", ${target.seq}),
          -- Reading the chat ends "marked unread".
          "markedUnread" = CASE WHEN ${read} THEN false ELSE m."markedUnread" END,
          -- My read state changed for me alone: the account feed learns it from my membership's stamp.
          "changeStamp" = pg_current_xact_id()::text::bigint
      FROM "ChatMember" old
      WHERE m."chatId" = ${chatId}::uuid AND m."userId" = ${viewer.id}::uuid
        AND ((CASE WHEN ${read} THEN m."readSeq" ELSE m."deliveredSeq" END) < ${target.seq} OR (${read} AND m."markedUnread"))
        AND old."chatId" = m."chatId" AND old."userId" = m."userId"
      RETURNING (CASE WHEN ${read} THEN old."readSeq" ELSE old."deliveredSeq" END) AS "previous", old."deliveredSeq" AS "deliveredBefore"`;
    const previous = moved[0]?.previous;
    if (previous === undefined) return false;
    const deliveredBefore = moved[0]!.deliveredBefore;
    loaders.memberOf.clearAll();
    loaders.membersByChat.clear(chatId);

    // Those whose messages the change covers learn of it, and the viewer's other devices.
    const senders = await this.prisma.$queryRaw<{ senderId: string; delivers: boolean }[]>`
      SELECT "senderId"::text AS "senderId", bool_or("seq" > ${deliveredBefore}) AS "delivers" FROM "Message"
      WHERE "chatId" = ${chatId}::uuid AND "seq" > ${previous} AND "seq" <= ${target.seq}
        AND "senderId" IS NOT NULL AND "senderId" <> ${viewer.id}::uuid
      GROUP BY "senderId"`;
    const payload: MessageStatusPayload = {
      chatId,
      messageId: target.id,
      seq: target.seq,
      userId: viewer.id,
      status,
      at: new Date().toISOString(),
    };
    const senderIds = senders.map((s) => s.senderId);
    if (read && senderIds.length > 0 && (await readsHidden(loaders, chatId, [viewer.id, ...senderIds]))) {
      // Read receipts off on either side of a private chat: the read reaches my own devices only; the sender
      // learns what a read implies and they may know, that the messages arrived (if that is news to them).
      // Decided at publish, so the shared rendering of MessageStatusEvent never mixes the two payloads.
      this.pubsub.publishMany(MessageTopic.MessageStatus, [viewer.id], payload);
      const delivered = senders.filter((s) => s.delivers).map((s) => s.senderId);
      if (delivered.length > 0) this.pubsub.publishMany(MessageTopic.MessageStatus, delivered, { ...payload, status: 'DELIVERED' });
    } else {
      this.pubsub.publishMany(MessageTopic.MessageStatus, [viewer.id, ...senderIds], payload);
    }
    if (status === 'READ') this.events.emit('chatRead', { chatId, userId: viewer.id });
    return true;
  }

  /** The per-message form: moves the viewer's watermark up to this message. Recipients only. */
  async updateStatus(viewer: Viewer, loaders: ReceiptLoaders, messageId: string, status: MessageStatus): Promise<MessageRecord> {
    if (status === 'SENT') throw badInput('status must be DELIVERED or READ', 'status');
    const message = isUuid(messageId) ? await this.prisma.message.findUnique({ where: { id: messageId }, select: MESSAGE_SELECT }) : null;
    if (!message) throw notFound('Message');
    await requireMembership(loaders, viewer, message.chatId);
    if (message.senderId === viewer.id) throw forbidden('Only recipients can mark a message delivered or read');
    await this.markReceipt(viewer, loaders, message.chatId, message.id, status);
    return message;
  }

  /**
   * The sender's view of a message: READ when every other member has read it,
   * DELIVERED when every other member has received it, else SENT.
   */
  static statusOf(message: MessageRecord, members: MemberRecord[]): MessageStatus {
    const others = members.filter((m) => m.userId !== message.senderId);
    if (others.length === 0) return MessageStatus.SENT;
    if (others.every((m) => m.readSeq >= message.seq)) return MessageStatus.READ;
    if (others.every((m) => m.deliveredSeq >= message.seq)) return MessageStatus.DELIVERED;
    return MessageStatus.SENT;
  }

  async subscribeMessages(viewer: Viewer, loaders: ChatLoaders, chatId?: string | null): Promise<AsyncIterableIterator<MessagePayload>> {
    if (chatId) await requireMembership(loaders, viewer, chatId);
    return guardByMembership(this.pubsub, viewer.id, this.pubsub.subscribe(MessageTopic.NewMessage, viewer.id), chatId ?? undefined);
  }

  async subscribeStatuses(viewer: Viewer, loaders: ChatLoaders, chatId?: string | null): Promise<AsyncIterableIterator<MessageStatusPayload>> {
    if (chatId) await requireMembership(loaders, viewer, chatId);
    return guardByMembership(this.pubsub, viewer.id, this.pubsub.subscribe(MessageTopic.MessageStatus, viewer.id), chatId ?? undefined);
  }

  async subscribeTyping(viewer: Viewer, loaders: ChatLoaders, chatId: string): Promise<AsyncIterableIterator<TypingPayload>> {
    await requireMembership(loaders, viewer, chatId);
    return guardByMembership(this.pubsub, viewer.id, this.pubsub.subscribe(ChatTopic.Typing, viewer.id), chatId);
  }
}
