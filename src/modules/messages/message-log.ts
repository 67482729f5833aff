import type { Sql } from '../../db/sql.js';
import { Prisma, type PrismaClient } from '../../generated/prisma/client.js';
import type { MessageKind } from '../../generated/prisma/enums.js';
import { badInput, conflict, forbidden, notFound } from '../../lib/errors.js';
import type { PubSub } from '../../realtime/pubsub.js';
import { ADMINS_ONLY_SEND, type ChatEvents, type Tx } from '../chats/index.js';
import { cannotMessage } from '../blocking/index.js';
import { PublishQueue, type Ticket } from './publish-queue.js';
import { type MessagePayload, MessageTopic } from './message.topics.js';
import { MESSAGE_SELECT, NO_PREVIEW, type MessageRecord } from './message.record.js';

export { MESSAGE_SELECT, type MessageRecord } from './message.record.js';

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
  /** Forwarding hops that led to this copy (forwardMessage); 0 for an original. */
  forwardCount?: number;
}

export interface Appended {
  message: MessageRecord;
  /** Members when the message was committed: exactly who must receive it. */
  memberIds: string[];
}

/** The same answer whether the replied message does not exist or is in another chat: nothing to learn by probing. */
export const replyElsewhere = () => badInput('replyToId must name a message of the same chat', 'replyToId');
/** A sender's clientId names one message, in one chat. */
export const clientIdElsewhere = () => conflict('clientId was already used for a message in another chat', 'clientId');

type AppendOutcome = 'appended' | 'existing' | 'not_member' | 'bad_reply' | 'blocked' | 'admins_only';

/** payamak_append_message returns its own columns: a link preview comes later (modules/link-previews), so an appended row has none. */
interface AppendRow extends Omit<MessageRecord, 'kind' | keyof typeof NO_PREVIEW> {
  outcome: AppendOutcome;
  kind: MessageKind;
  memberIds: string[] | null;
}

/** Outside a transaction (a text send) through pg itself; inside one, on the transaction's connection. */
type RunAppend = (text: string, values: unknown[]) => Promise<AppendRow[]>;
const inTransaction =
  (tx: Tx): RunAppend =>
  (text, values) =>
    tx.$queryRawUnsafe<AppendRow[]>(text, ...values);

const APPEND_SQL = `SELECT * FROM "payamak_append_message"($1::uuid, $2::uuid, $3::"MessageKind", $4, $5::uuid, $6::varchar, $7::uuid,
  $8::uuid, $9::uuid, $10, $11::integer)`;

/**
 * Runs `payamak_append_message` (migration 20261201130608_user_blocks; since
 * 20261201174748_message_timers it also fixes expiresAt from the chat's timer):
 * takes the chat row's lock, the next seq and the next rev, inserts the message
 * and moves the reader's watermarks, in one statement. Membership is read again after the lock is
 * granted, so a member removed a moment ago can neither send nor be listed
 * as a recipient. In a transaction, the lock is held until it ends.
 */
async function callAppend(run: RunAppend, input: AppendInput, returnExisting: boolean): Promise<AppendRow> {
  const values = [
    input.chatId,
    input.senderId,
    input.kind,
    input.text,
    input.replyToId ?? null,
    input.clientId ?? null,
    input.fileId ?? null,
    input.requireMember ?? null,
    input.readBy ?? null,
    returnExisting,
    input.forwardCount ?? 0,
  ];
  const rows = await run(APPEND_SQL, values);
  const row = rows[0]!;
  if (row.outcome === 'not_member') throw notFound('Chat');
  if (row.outcome === 'bad_reply') throw replyElsewhere();
  // A private chat with a block between its members (migration 20261201130608): checked under the lock, at no cost to groups.
  if (row.outcome === 'blocked') throw cannotMessage();
  // An announcement group's plain member: every route that sends (text, media, forwards) ends here, under the lock.
  if (row.outcome === 'admins_only') throw forbidden(ADMINS_ONLY_SEND);
  return row;
}

function toAppended(row: AppendRow): Appended {
  const { outcome: _outcome, memberIds, ...message } = row;
  return { message: { ...message, ...NO_PREVIEW }, memberIds: memberIds ?? [] };
}

/** Appends a message to a chat's log inside the caller's transaction (see {@link callAppend}). */
export async function appendMessage(tx: Tx, input: AppendInput): Promise<Appended> {
  return toAppended(await callAppend(inTransaction(tx), input, false));
}

const isoOrNull = (date: Date | null): string | null => date?.toISOString() ?? null;
const dateOrNull = (iso: string | null): Date | null => (iso === null ? null : new Date(iso));

export function toMessagePayload(message: MessageRecord): MessagePayload {
  return {
    ...message,
    createdAt: message.createdAt.toISOString(),
    editedAt: isoOrNull(message.editedAt),
    deletedAt: isoOrNull(message.deletedAt),
    pinnedAt: isoOrNull(message.pinnedAt),
    expiresAt: isoOrNull(message.expiresAt),
  };
}

export function fromMessagePayload(payload: MessagePayload): MessageRecord {
  return {
    ...payload,
    createdAt: new Date(payload.createdAt),
    editedAt: dateOrNull(payload.editedAt),
    deletedAt: dateOrNull(payload.deletedAt),
    pinnedAt: dateOrNull(payload.pinnedAt),
    expiresAt: dateOrNull(payload.expiresAt),
  };
}

type Append = (input: AppendInput) => Promise<Appended>;

/** The columns of {@link MESSAGE_SELECT}, for statements that return a message. */
export const MESSAGE_COLUMNS = Prisma.raw(
  Object.keys(MESSAGE_SELECT)
    .map((column) => (column === 'kind' ? 'm."kind"::text AS "kind"' : `m."${column}"`))
    .join(', '),
);

/** What a change to a chat's messages may do, under the chat's lock (see {@link MessageLog.change}). */
export interface ChatChange {
  tx: Tx;
  /** The chat's members when the lock was granted. */
  memberIds: string[];
  /**
   * Gives the message the chat's next rev (and the chat a new changeStamp)
   * after the caller has written its new state, and returns that state. After
   * commit it is published as messageUpdated, in rev order with everything
   * else of the chat: by default to the members who have not deleted it for
   * themselves.
   */
  stamp(messageId: string): Promise<MessageRecord>;
  /**
   * {@link stamp} for several messages in one statement (a batch of
   * deletions): each takes the next rev in the order given. NOT_FOUND, and
   * nothing stamped, unless every one is a message of the chat.
   */
  stampEach(messageIds: readonly string[]): Promise<MessageRecord[]>;
  /**
   * Takes the chat's next rev for a change only `audience` sees (a deletion
   * for me), without stamping the message for everyone; `write` records it
   * (with that rev) and returns what `audience` receives after commit.
   */
  privately(audience: string[], write: (rev: number) => Promise<MessageRecord>): Promise<MessageRecord>;
  /** Appends a message (a SYSTEM one announcing the change) in the same transaction. */
  append: Append;
}

interface StampRow extends MessageRecord {
  audience: string[];
}

/**
 * Prisma's defaults (2 s to get a connection, 5 s in all) are shorter than a
 * membership change can wait for the chat's lock behind another under load: an
 * add of 1,000 members racing one of 100 then failed as INTERNAL_SERVER_ERROR
 * instead of the member cap's BAD_USER_INPUT. Shutdown's drain bounds these anyway.
 */
const TRANSACTION_LIMITS = { maxWait: 10_000, timeout: 20_000 };

/**
 * Writes to chats' logs and publishes what was written. Each message appended in
 * {@link MessageLog.transaction} is published to its chat's members after the
 * transaction commits, never before, and in seq order per chat even when
 * transactions finish out of order (see {@link PublishQueue}).
 */
export class MessageLog {
  readonly #queue = new PublishQueue();

  constructor(
    private readonly prisma: PrismaClient,
    /** A text send's one statement (src/db/sql.ts). */
    private readonly sql: Sql,
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
      result = await this.prisma.$transaction(
        (tx) =>
          work(tx, async (input) => {
            const appended = await appendMessage(tx, input);
            // Still inside the transaction, so the chat's lock is held: no later rev can be taken yet.
            tickets.push(this.#queue.reserve(input.chatId, appended.message.rev));
            appendedList.push(appended);
            return appended;
          }),
        TRANSACTION_LIMITS,
      );
    } catch (error) {
      for (const ticket of tickets) ticket.cancel();
      throw error;
    }
    tickets.forEach((ticket, i) => {
      const appended = appendedList[i]!;
      ticket.ready(() => this.#publish(appended, beforePublish));
    });
    return result;
  }

  /**
   * Appends one message in one round trip, its own transaction. With
   * `returnExisting`, a clientId the sender already used returns that first
   * message (`existing: true`, in whatever chat it is) and writes nothing.
   */
  async append(input: AppendInput, options: { returnExisting?: boolean } = {}): Promise<Appended & { existing: boolean }> {
    const flight = this.#queue.depart(input.chatId);
    let row: AppendRow;
    try {
      row = await callAppend((text, values) => this.sql.query<AppendRow>(text, values, 'payamak_append'), input, options.returnExisting ?? false);
    } catch (error) {
      flight.cancel();
      throw error;
    }
    const appended = toAppended(row);
    if (row.outcome === 'existing') {
      flight.cancel();
      // The function's row has no link preview; the first message may have gained one since, at a later rev.
      const first = await this.prisma.message.findUnique({ where: { id: appended.message.id }, select: MESSAGE_SELECT });
      return { ...appended, message: first ?? appended.message, existing: true };
    }
    flight.land(appended.message.rev, () => this.#publish(appended));
    return { ...appended, existing: false };
  }

  /**
   * Changes messages of one chat (edit, delete, react, pin) in one
   * transaction. The chat's lock is taken first, so the rules `work` checks
   * (windows, the pin limit, a tombstone) hold until commit, and the members
   * are read after it is granted. NOT_FOUND when the chat does not exist.
   */
  async change<T>(chatId: string, work: (change: ChatChange) => Promise<T>): Promise<T> {
    const tickets: { ticket: Ticket; publish: () => void }[] = [];
    let result: T;
    try {
      result = await this.prisma.$transaction(async (tx) => {
        const locked = await tx.$queryRaw<unknown[]>`SELECT 1 FROM "Chat" WHERE "id" = ${chatId}::uuid FOR NO KEY UPDATE`;
        if (locked.length === 0) throw notFound('Chat');
        // A statement of its own: its snapshot is taken after the lock was granted.
        const members = await tx.$queryRaw<{ userId: string }[]>`SELECT "userId"::text AS "userId" FROM "ChatMember" WHERE "chatId" = ${chatId}::uuid`;
        const stampEach = async (messageIds: readonly string[]): Promise<MessageRecord[]> => {
          if (messageIds.length === 0) return [];
          // The chat's counter moves by the number of messages, and each takes the next rev in the order given.
          const rows = await tx.$queryRaw<StampRow[]>`
            WITH next AS (
              UPDATE "Chat" c SET "rev" = c."rev" + ${messageIds.length}::integer, "changeStamp" = pg_current_xact_id()::text::bigint
              WHERE c."id" = ${chatId}::uuid RETURNING c."rev" - ${messageIds.length}::integer AS "base"
            )
            UPDATE "Message" m SET "rev" = next."base" + t."ord"::integer
            FROM next, unnest(${messageIds}::uuid[]) WITH ORDINALITY AS t("id", "ord")
            WHERE m."id" = t."id" AND m."chatId" = ${chatId}::uuid
            RETURNING ${MESSAGE_COLUMNS}, ARRAY(
              SELECT cm."userId"::text FROM "ChatMember" cm
              WHERE cm."chatId" = m."chatId"
                AND NOT EXISTS (SELECT 1 FROM "MessageHidden" h WHERE h."messageId" = m."id" AND h."userId" = cm."userId")
            ) AS "audience"`;
          // Thrown, the transaction rolls back: no rev is skipped.
          if (rows.length !== messageIds.length) throw notFound('Message');
          return rows
            .sort((a, b) => a.rev - b.rev)
            .map(({ audience, ...message }) => {
              tickets.push({
                ticket: this.#queue.reserve(chatId, message.rev),
                publish: () => this.pubsub.publishMany(MessageTopic.MessageUpdated, audience, toMessagePayload(message)),
              });
              return message;
            });
        };
        const change: ChatChange = {
          tx,
          memberIds: members.map((member) => member.userId),
          stamp: async (messageId) => (await stampEach([messageId]))[0]!,
          stampEach,
          privately: async (audience, write) => {
            const [next] = await tx.$queryRaw<{ rev: number }[]>`
              UPDATE "Chat" SET "rev" = "rev" + 1 WHERE "id" = ${chatId}::uuid RETURNING "rev"`;
            const message = await write(next!.rev);
            tickets.push({
              ticket: this.#queue.reserve(chatId, next!.rev),
              publish: () => this.pubsub.publishMany(MessageTopic.MessageUpdated, audience, toMessagePayload(message)),
            });
            return message;
          },
          append: async (input) => {
            const appended = await appendMessage(tx, input);
            tickets.push({ ticket: this.#queue.reserve(input.chatId, appended.message.rev), publish: () => this.#publish(appended) });
            return appended;
          },
        };
        return work(change);
      });
    } catch (error) {
      for (const { ticket } of tickets) ticket.cancel();
      throw error;
    }
    for (const { ticket, publish } of tickets) ticket.ready(publish);
    return result;
  }

  /**
   * The first message of a retried send (text or media), for a sender who is
   * still a member of the chat: a removed one learns nothing (NOT_FOUND). A
   * clientId names one message in one chat (CONFLICT otherwise).
   */
  async firstByClientId(senderId: string, clientId: string, chatId: string): Promise<MessageRecord | null> {
    const [member, first] = await Promise.all([
      this.prisma.chatMember.findUnique({ where: { chatId_userId: { chatId, userId: senderId } }, select: { userId: true } }),
      this.prisma.message.findUnique({ where: { senderId_clientId: { senderId, clientId } }, select: MESSAGE_SELECT }),
    ]);
    if (!member) throw notFound('Chat');
    if (first && first.chatId !== chatId) throw clientIdElsewhere();
    return first;
  }

  #publish(appended: Appended, beforePublish?: (appended: Appended) => void): void {
    beforePublish?.(appended);
    this.pubsub.publishMany(MessageTopic.NewMessage, appended.memberIds, toMessagePayload(appended.message));
    this.events?.emit('messageAppended', appended);
  }
}
