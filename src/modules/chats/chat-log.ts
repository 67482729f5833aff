import type { PrismaClient } from '../../generated/prisma/client.js';
import type { MessageKind } from '../../generated/prisma/enums.js';
import { notFound } from '../../lib/errors.js';
import type { PubSub } from '../../realtime/pubsub.js';
import { Topic, type MessagePayload } from '../../realtime/topics.js';
import type { ChatEvents } from './chat-events.js';

/** A Message row as resolvers pass it around. */
export interface MessageRecord {
  id: string;
  chatId: string;
  seq: number;
  senderId: string | null;
  kind: MessageKind;
  text: string | null;
  replyToId: string | null;
  clientId: string | null;
  /** Media messages: the attachment (null once the file is deleted). */
  fileId: string | null;
  createdAt: Date;
}

export const MESSAGE_SELECT = {
  id: true,
  chatId: true,
  seq: true,
  senderId: true,
  kind: true,
  text: true,
  replyToId: true,
  clientId: true,
  fileId: true,
  createdAt: true,
} as const;

export interface AppendInput {
  chatId: string;
  /** Null for SYSTEM messages. */
  senderId: string | null;
  kind: MessageKind;
  text: string | null;
  replyToId?: string | null;
  clientId?: string | null;
  /** Media messages: a File row written in the same transaction. */
  fileId?: string | null;
  /** Refuse (NOT_FOUND, nothing written) unless this user is a member when the lock is held. */
  requireMember?: string;
  /** This member has seen everything up to the new message: the sender, or the actor of a SYSTEM message. */
  readBy?: string | null;
}

export interface Appended {
  message: MessageRecord;
  /** Members when the message was committed: exactly who must receive it. */
  memberIds: string[];
}

type Tx = Omit<PrismaClient, '$connect' | '$disconnect' | '$on' | '$transaction' | '$extends'>;

/**
 * Appends a message to a chat's log inside the caller's transaction.
 *
 * The first statement takes the chat row's lock and the next seq, so seq is
 * gapless and in commit order per chat. The second runs with a snapshot taken
 * after the lock was granted (READ COMMITTED), so a member removed a moment ago
 * is seen as removed: they can neither send nor be listed as a recipient.
 */
export async function appendMessage(tx: Tx, input: AppendInput, onSeq?: (seq: number) => void): Promise<Appended> {
  const locked = await tx.$queryRaw<{ lastSeq: number }[]>`
    UPDATE "Chat" SET "lastSeq" = "lastSeq" + 1, "updatedAt" = now()
    WHERE "id" = ${input.chatId}::uuid
    RETURNING "lastSeq"`;
  const seq = locked[0]?.lastSeq;
  if (seq === undefined) throw notFound('Chat');
  onSeq?.(seq);

  const rows = await tx.$queryRaw<(MessageRecord & { memberIds: string[] })[]>`
    WITH allowed AS (
      SELECT 1 WHERE ${input.requireMember ?? null}::uuid IS NULL
         OR EXISTS (SELECT 1 FROM "ChatMember" WHERE "chatId" = ${input.chatId}::uuid AND "userId" = ${input.requireMember ?? null}::uuid)
    ), inserted AS (
      INSERT INTO "Message" ("id", "chatId", "seq", "senderId", "kind", "text", "replyToId", "clientId", "fileId", "createdAt")
      SELECT gen_random_uuid(), ${input.chatId}::uuid, ${seq}, ${input.senderId}::uuid, ${input.kind}::"MessageKind",
             ${input.text}, ${input.replyToId ?? null}::uuid, ${input.clientId ?? null}, ${input.fileId ?? null}::uuid, now()
      FROM allowed
      RETURNING *
    ), reader AS (
      UPDATE "ChatMember" SET "readSeq" = ${seq}, "deliveredSeq" = ${seq}
      WHERE "chatId" = ${input.chatId}::uuid AND "userId" = ${input.readBy ?? null}::uuid AND EXISTS (SELECT 1 FROM inserted)
    )
    SELECT i."id", i."chatId", i."seq", i."senderId", i."kind"::text AS "kind", i."text", i."replyToId", i."clientId", i."fileId", i."createdAt",
           ARRAY(SELECT "userId"::text FROM "ChatMember" WHERE "chatId" = ${input.chatId}::uuid) AS "memberIds"
    FROM inserted i`;
  const row = rows[0];
  // Thrown inside the transaction, so the seq taken above is rolled back with it.
  if (!row) throw notFound('Chat');
  const { memberIds, ...message } = row;
  return { message, memberIds };
}

export function toMessagePayload(message: MessageRecord): MessagePayload {
  return { ...message, createdAt: message.createdAt.toISOString() };
}

export function fromMessagePayload(payload: MessagePayload): MessageRecord {
  return { ...payload, createdAt: new Date(payload.createdAt) };
}

type Append = (input: AppendInput) => Promise<Appended>;

/**
 * Writes to chats' logs and publishes what was written. Each message appended in
 * {@link ChatLog.transaction} is published to its chat's members after the
 * transaction commits, never before, and in seq order per chat even when
 * transactions finish out of order (see {@link PublishQueue}).
 */
export class ChatLog {
  readonly #queue = new PublishQueue();

  constructor(
    private readonly prisma: PrismaClient,
    private readonly pubsub: PubSub,
    private readonly events?: ChatEvents,
  ) {}

  /**
   * Runs `work` in one transaction. `beforePublish` runs in the message's ordered
   * slot just before it is published (e.g. to announce who joined or left).
   */
  async transaction<T>(work: (tx: Tx, append: Append) => Promise<T>, beforePublish?: (appended: Appended) => void): Promise<T> {
    const tickets: Ticket[] = [];
    const appendedList: Appended[] = [];
    let result: T;
    try {
      result = await this.prisma.$transaction((tx) =>
        work(tx, async (input) => {
          const appended = await appendMessage(tx, input, (seq) => tickets.push(this.#queue.reserve(input.chatId, seq)));
          appendedList.push(appended);
          return appended;
        }),
      );
    } catch (error) {
      for (const ticket of tickets) ticket.cancel();
      throw error;
    }
    tickets.forEach((ticket, i) => {
      const appended = appendedList[i]!;
      ticket.ready(() => {
        beforePublish?.(appended);
        this.pubsub.publishMany(Topic.NewMessage, appended.memberIds, toMessagePayload(appended.message));
        this.events?.emit('messageAppended', appended);
      });
    });
    return result;
  }

  /** Appends one message in its own transaction. */
  append(input: AppendInput): Promise<Appended> {
    return this.transaction((_tx, append) => append(input));
  }
}

interface Ticket {
  ready(publish: () => void): void;
  cancel(): void;
}

interface Slot {
  seq: number;
  publish?: () => void;
  cancelled?: boolean;
}

/**
 * Releases publications per chat in seq order. Seqs are reserved in order (the
 * chat row lock hands them out one transaction at a time), but commits are
 * acknowledged on different connections and may reach us out of order; a slot
 * is released only when every earlier slot of its chat is published or
 * cancelled (rolled back).
 */
export class PublishQueue {
  readonly #chats = new Map<string, Slot[]>();

  reserve(chatId: string, seq: number): Ticket {
    const slot: Slot = { seq };
    let slots = this.#chats.get(chatId);
    if (!slots) this.#chats.set(chatId, (slots = []));
    slots.push(slot);
    return {
      ready: (publish) => {
        slot.publish = publish;
        this.#flush(chatId);
      },
      cancel: () => {
        slot.cancelled = true;
        this.#flush(chatId);
      },
    };
  }

  #flush(chatId: string): void {
    const slots = this.#chats.get(chatId);
    if (!slots) return;
    while (slots.length > 0 && (slots[0]!.publish || slots[0]!.cancelled)) {
      const slot = slots.shift()!;
      try {
        slot.publish?.();
      } catch {
        // A failed publish must not hold back the chat's later messages; the
        // pub/sub reports its own failures, and clients catch up with afterSeq.
      }
    }
    if (slots.length === 0) this.#chats.delete(chatId);
  }
}
