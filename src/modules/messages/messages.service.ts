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
  type TypingPayload,
} from '../chats/index.js';
import { MESSAGE_SELECT, clientIdElsewhere, replyElsewhere, type MessageLog, type MessageRecord } from './message-log.js';
import { appendedMessage } from './message.record.js';
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

/** A member's watermark moved in one chat, from `previous` up to the message `messageId` at `seq`. */
interface ReceiptMove {
  chatId: string;
  messageId: string;
  seq: number;
  previous: number;
  /** Their deliveredSeq before the move: a sender whose messages it newly covers learns they arrived. */
  deliveredBefore: number;
}

/**
 * Told of each message sent with its link preview wanted (modules/link-previews
 * implements it; server/services.ts connects it), after the send committed.
 * It never rejects: a preview that cannot be had is no failure of the send.
 */
export interface LinkPreviewPort {
  requested(message: MessageRecord): Promise<void>;
}

export class MessagesService {
  #linkPreviews: LinkPreviewPort | undefined;

  constructor(
    private readonly prisma: PrismaClient,
    private readonly log: MessageLog,
    private readonly pubsub: PubSub,
    private readonly events: ChatEvents,
    private readonly limits: RateLimits,
  ) {}

  /** Set once by server/services.ts, when link previews exist. */
  connect(parts: { linkPreviews?: LinkPreviewPort }): void {
    if (parts.linkPreviews) this.#linkPreviews = parts.linkPreviews;
  }

  /**
   * Sends a text message. With a clientId, a retry (even a concurrent one)
   * returns the message the first attempt stored; there is never a second.
   * `budget: false` for a send whose budget was spent earlier (a scheduled
   * message, when it was scheduled). Unless `linkPreview` is false, a new
   * message's first link is handed to link previews after commit.
   */
  async send(viewer: Viewer, input: SendMessageInput, options: { budget?: boolean } = {}): Promise<MessageRecord> {
    const sent = await this.#send(viewer, input, options);
    if (!sent.fresh) return sent.message;
    if (input.linkPreview !== false) await this.#linkPreviews?.requested(sent.message);
    return appendedMessage(sent.message);
  }

  /** {@link send}'s work; `fresh` when this call stored the message (not a retry answered from the first). */
  async #send(viewer: Viewer, input: SendMessageInput, options: { budget?: boolean }): Promise<{ message: MessageRecord; fresh: boolean }> {
    const text = cleanMessageText(input.text);
    const clientId = cleanClientId(input.clientId);
    const { chatId } = input;
    if (!isUuid(chatId)) throw notFound('Chat');
    const replyToId = input.replyToId ?? null;
    if (replyToId !== null && !isUuid(replyToId)) throw replyElsewhere();
    const budgeted = options.budget !== false;
    try {
      if (budgeted) await this.limits.messages.consume(viewer.id);
    } catch (error) {
      // A retry of a stored send is answered even over the limit.
      const first = clientId ? await this.log.firstByClientId(viewer.id, clientId, chatId) : null;
      if (first) return { message: first, fresh: false };
      throw error;
    }
    const names = mentionedNames(text);
    if (names.length > 0) return this.#sendMentioning(viewer, { chatId, text, replyToId, clientId }, names, budgeted);
    try {
      // One round trip: a retry is answered from the first message, a stranger refused, the reply checked.
      const { message, existing } = await this.log.append(
        { chatId, senderId: viewer.id, kind: 'TEXT', text, replyToId, clientId, requireMember: viewer.id, readBy: viewer.id },
        { returnExisting: true },
      );
      if (existing) {
        if (budgeted) await this.limits.messages.refund(viewer.id); // a retry costs nothing from the budget
        if (message.chatId !== chatId) throw clientIdElsewhere();
      }
      return { message, fresh: !existing };
    } catch (error) {
      if (clientId && isUniqueViolation(error)) {
        // A concurrent retry committed first.
        const first = await this.log.firstByClientId(viewer.id, clientId, chatId);
        if (first) return { message: first, fresh: false };
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
    budgeted: boolean,
  ): Promise<{ message: MessageRecord; fresh: boolean }> {
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
      return { message, fresh: true };
    } catch (error) {
      if (clientId && isUniqueViolation(error)) {
        if (budgeted) await this.limits.messages.refund(viewer.id); // a retry costs nothing from the budget
        const first = await this.log.firstByClientId(viewer.id, clientId, chatId);
        if (first) return { message: first, fresh: false };
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
    await this.#announceReceipts(viewer, loaders, [{ chatId, messageId: target.id, seq: target.seq, previous, deliveredBefore }], status);
    if (status === 'READ') this.events.emit('chatRead', { chatId, userId: viewer.id, sessionId: viewer.sessionId });
    return true;
  }

  /**
   * markRead on every chat of the viewer's, up to each one's last message, in
   * two statements however many chats there are: one moves the watermarks (and
   * ends "marked unread", and stamps the account feed), one finds whom the
   * receipts go to. Returns how many chats changed.
   */
  async markAllRead(viewer: Viewer, loaders: ReceiptLoaders): Promise<number> {
    // The member rows are locked in one order, so two devices doing this at once wait for each other instead of deadlocking.
    const moved = await this.prisma.$queryRaw<{ chatId: string; previous: number; deliveredBefore: number; seq: number; messageId: string | null }[]>`
      WITH mine AS (
        SELECT m."chatId", m."readSeq", m."deliveredSeq", c."lastSeq"
        FROM "ChatMember" m JOIN "Chat" c ON c."id" = m."chatId"
        WHERE m."userId" = ${viewer.id}::uuid AND (m."readSeq" < c."lastSeq" OR m."markedUnread")
        ORDER BY m."chatId"
        FOR UPDATE OF m
      )
      UPDATE "ChatMember" m
      SET "readSeq" = GREATEST(m."readSeq", mine."lastSeq"),
          "deliveredSeq" = GREATEST(m."deliveredSeq", mine."lastSeq"),
          "markedUnread" = false,
          "changeStamp" = pg_current_xact_id()::text::bigint
      FROM mine
      WHERE m."chatId" = mine."chatId" AND m."userId" = ${viewer.id}::uuid
      RETURNING m."chatId"::text AS "chatId", mine."readSeq" AS "previous", mine."deliveredSeq" AS "deliveredBefore", m."readSeq" AS "seq",
        (SELECT t."id"::text FROM "Message" t WHERE t."chatId" = m."chatId" AND t."seq" = m."readSeq") AS "messageId"`;
    if (moved.length === 0) return 0;
    loaders.memberOf.clearAll();
    loaders.membersByChat.clearAll();
    const receipts = moved.filter((move): move is typeof move & { messageId: string } => move.messageId !== null);
    await this.#announceReceipts(viewer, loaders, receipts, 'READ');
    // A chat without messages that was only marked unread has no receipt to send: my devices learn it from chatUpdated.
    const unmarked = moved.filter((move) => move.messageId === null);
    for (const { chatId } of unmarked) this.pubsub.publish(ChatTopic.ChatUpdated, viewer.id, { chatId });
    this.events.emit('chatsRead', { chatIds: moved.map((move) => move.chatId), userId: viewer.id, sessionId: viewer.sessionId });
    return moved.length;
  }

  /**
   * messageStatus for watermark moves: to those whose messages a move covers,
   * and to the viewer's other devices. One statement for any number of chats,
   * and, for READ, the batched loaders that say whose reads are hidden.
   */
  async #announceReceipts(viewer: Viewer, loaders: ReceiptLoaders, moves: ReceiptMove[], status: Receipt): Promise<void> {
    if (moves.length === 0) return;
    const senders = await this.prisma.$queryRaw<{ chatId: string; senderId: string; delivers: boolean }[]>`
      SELECT m."chatId"::text AS "chatId", m."senderId"::text AS "senderId", bool_or(m."seq" > k."deliveredBefore") AS "delivers"
      FROM unnest(${moves.map((move) => move.chatId)}::uuid[], ${moves.map((move) => move.previous)}::int[],
                  ${moves.map((move) => move.deliveredBefore)}::int[], ${moves.map((move) => move.seq)}::int[])
        AS k("chatId", "previous", "deliveredBefore", "seq")
      JOIN "Message" m ON m."chatId" = k."chatId" AND m."seq" > k."previous" AND m."seq" <= k."seq"
      WHERE m."senderId" IS NOT NULL AND m."senderId" <> ${viewer.id}::uuid
      GROUP BY m."chatId", m."senderId"`;
    const byChat = new Map(moves.map((move) => [move.chatId, [] as { senderId: string; delivers: boolean }[]]));
    for (const { chatId, ...sender } of senders) byChat.get(chatId)?.push(sender);
    const at = new Date().toISOString();
    const read = status === 'READ';
    // All at once, so the loaders batch: one statement for the chats and one for the users, however many moves.
    const hidden = await Promise.all(
      moves.map((move) => {
        const senderIds = byChat.get(move.chatId)!.map((s) => s.senderId);
        return read && senderIds.length > 0 ? readsHidden(loaders, move.chatId, [viewer.id, ...senderIds]) : false;
      }),
    );
    moves.forEach((move, i) => {
      const payload: MessageStatusPayload = { chatId: move.chatId, messageId: move.messageId, seq: move.seq, userId: viewer.id, status, at };
      const chatSenders = byChat.get(move.chatId)!;
      if (hidden[i]) {
        // Read receipts off on either side of a private chat: the read reaches my own devices only; the sender
        // learns what a read implies and they may know, that the messages arrived (if that is news to them).
        // Decided at publish, so the shared rendering of MessageStatusEvent never mixes the two payloads.
        this.pubsub.publishMany(MessageTopic.MessageStatus, [viewer.id], payload);
        const delivered = chatSenders.filter((s) => s.delivers).map((s) => s.senderId);
        if (delivered.length > 0) this.pubsub.publishMany(MessageTopic.MessageStatus, delivered, { ...payload, status: 'DELIVERED' });
      } else {
        this.pubsub.publishMany(MessageTopic.MessageStatus, [viewer.id, ...chatSenders.map((s) => s.senderId)], payload);
      }
    });
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
  async subscribeMessages(viewer: Viewer, loaders: ChatLoaders, chatId?: string | null): Promise<AsyncIterableIterator<MessagePayload>> {
    if (chatId) await requireMembership(loaders, viewer, chatId);
    return guardByMembership(this.pubsub, viewer.id, MessageTopic.NewMessage, chatId ?? undefined);
  }

  async subscribeStatuses(viewer: Viewer, loaders: ChatLoaders, chatId?: string | null): Promise<AsyncIterableIterator<MessageStatusPayload>> {
    if (chatId) await requireMembership(loaders, viewer, chatId);
    return guardByMembership(this.pubsub, viewer.id, MessageTopic.MessageStatus, chatId ?? undefined);
  }

  async subscribeTyping(viewer: Viewer, loaders: ChatLoaders, chatId: string): Promise<AsyncIterableIterator<TypingPayload>> {
    await requireMembership(loaders, viewer, chatId);
    return guardByMembership(this.pubsub, viewer.id, ChatTopic.Typing, chatId);
  }
}
