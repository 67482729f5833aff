import { Prisma, type PrismaClient } from '../../generated/prisma/client.js';
import { forbidden, notFound } from '../../lib/errors.js';
import { decodeTimeCursor, encodeTimeCursor, pageSize, toPage } from '../../lib/pagination.js';
import { toConnection, type Connection } from '../../lib/relay.js';
import { isUuid } from '../../lib/text.js';
import type { Viewer } from '../../lib/viewer.js';
import { blockedInChat, cannotMessage } from '../blocking/index.js';
import type { ChatEvents } from '../chats/index.js';
import { MESSAGE_COLUMNS, isAsAppended, type MessageLoaders, type MessageLog, type MessageRecord } from '../messages/index.js';
import type { UserLoaders, UserRecord } from '../users/index.js';
import { ReactionSnapshots } from './reaction-snapshots.js';
import type { ReactionGroupRecord } from './reaction.types.js';
import { cleanEmoji } from './reactions.inputs.js';
import { snapshotKey, type ReactionLoaders } from './reactions.loaders.js';

interface TargetRow extends MessageRecord {
  hiddenByMe: boolean;
  /** A private chat with a block between its members (blocking.policy.ts). */
  blocked: boolean;
  /** Reaction rows written (set) or deleted (remove): 0 when nothing changed, or the rules refused. */
  written: number;
}

/** ReactionGroup.users' cursors name this list. */
const REACTORS = 'reactors';

/**
 * Reactions: one per member per message, a single emoji (docs/api-contract.md).
 * Each change takes the chat's next rev under its lock (MessageLog.change) and
 * reaches members as messageUpdated; what each member sees of it (myReaction,
 * reactedByMe) is rendered per viewer, from a snapshot of the message's
 * reactions at that rev that every viewer shares (ReactionSnapshots).
 */
export class ReactionsService {
  readonly snapshots = new ReactionSnapshots();

  constructor(
    private readonly prisma: PrismaClient,
    private readonly log: MessageLog,
    private readonly events: ChatEvents,
  ) {}

  /** Sets my reaction, replacing the one I had; the same emoji again changes nothing (no new rev). */
  async set(viewer: Viewer, loaders: MessageLoaders & ReactionLoaders, messageId: string, rawEmoji: string): Promise<MessageRecord> {
    const chatId = await this.#chatOf(viewer, messageId);
    const emoji = cleanEmoji(rawEmoji);
    let changed = false;
    const message = await this.log.change(chatId, async (change) => {
      if (!change.memberIds.includes(viewer.id)) throw notFound('Message');
      // clock_timestamp(), not now(): taken under the chat's lock, so reactions are timed in the order they took their revs.
      const { message, written } = await this.#checked(
        change.tx.$queryRaw<TargetRow[]>`
          WITH target AS (${this.#target(viewer, messageId, chatId)}),
          written AS (
            INSERT INTO "MessageReaction" ("messageId", "userId", "emoji", "createdAt")
            SELECT t."id", ${viewer.id}::uuid, ${emoji}, clock_timestamp() FROM target t
            WHERE t."deletedAt" IS NULL AND NOT t."hiddenByMe" AND t."kind" <> 'SYSTEM' AND NOT t."blocked"
            ON CONFLICT ("messageId", "userId") DO UPDATE SET "emoji" = EXCLUDED."emoji", "createdAt" = EXCLUDED."createdAt"
            WHERE "MessageReaction"."emoji" <> EXCLUDED."emoji"
            RETURNING 1
          )
          SELECT target.*, (SELECT count(*) FROM written)::int AS "written" FROM target`,
        { refuseBlocked: true },
      );
      if (written === 0) return message;
      changed = true;
      return change.stamp(messageId);
    });
    loaders.messageById.clear(message.id);
    loaders.reactors.clearAll();
    if (changed && message.senderId !== null && message.senderId !== viewer.id) {
      this.events.emit('reactionSet', { chatId, messageId: message.id, messageSenderId: message.senderId, userId: viewer.id, emoji });
    }
    return message;
  }

  /** Takes my reaction back; none is no change (no new rev). */
  async remove(viewer: Viewer, loaders: MessageLoaders & ReactionLoaders, messageId: string): Promise<MessageRecord> {
    const chatId = await this.#chatOf(viewer, messageId);
    const message = await this.log.change(chatId, async (change) => {
      if (!change.memberIds.includes(viewer.id)) throw notFound('Message');
      const { message, written } = await this.#checked(
        change.tx.$queryRaw<TargetRow[]>`
          WITH target AS (${this.#target(viewer, messageId, chatId)}),
          written AS (
            DELETE FROM "MessageReaction" r USING target t
            WHERE r."messageId" = t."id" AND r."userId" = ${viewer.id}::uuid
              AND t."deletedAt" IS NULL AND NOT t."hiddenByMe" AND t."kind" <> 'SYSTEM'
            RETURNING 1
          )
          SELECT target.*, (SELECT count(*) FROM written)::int AS "written" FROM target`,
      );
      return written === 0 ? message : change.stamp(messageId);
    });
    loaders.messageById.clear(message.id);
    loaders.reactors.clearAll();
    return message;
  }

  /**
   * The message's reactions by emoji as the viewer sees them; none on a
   * tombstone. Queries hand over messages as the viewer sees them (viewOf), and
   * events are not published to a member who deleted the message for themself.
   */
  async groups(viewer: Viewer | null, loaders: ReactionLoaders, message: MessageRecord): Promise<ReactionGroupRecord[]> {
    if (message.deletedAt !== null || viewer === null || isAsAppended(message)) return [];
    const counts = await loaders.reactionsAt.load(snapshotKey(message));
    return counts.map(({ emoji, count, userIds }) => ({ messageId: message.id, emoji, count, reactedByMe: userIds.has(viewer.id) }));
  }

  /** The viewer's own emoji on the message; null on a tombstone. */
  async mine(viewer: Viewer | null, loaders: ReactionLoaders, message: MessageRecord): Promise<string | null> {
    if (message.deletedAt !== null || viewer === null || isAsAppended(message)) return null;
    const counts = await loaders.reactionsAt.load(snapshotKey(message));
    return counts.find(({ userIds }) => userIds.has(viewer.id))?.emoji ?? null;
  }

  /** Who reacted with the group's emoji, newest first; a group is only ever handed out to whoever may see it. */
  async users(
    loaders: ReactionLoaders & UserLoaders,
    group: ReactionGroupRecord,
    args: { first?: number | null; after?: string | null },
  ): Promise<Connection<UserRecord>> {
    const size = pageSize(args.first);
    const position = decodeTimeCursor(REACTORS, args.after);
    const after = position ? { at: position.at, userId: position.id } : null;
    const rows = await loaders.reactors.load({ messageId: group.messageId, emoji: group.emoji, after, take: size + 1 });
    const page = toPage(rows, size, position !== undefined);
    const users = await loaders.userById.loadMany(page.nodes.map((row) => row.userId));
    const nodes = page.nodes.flatMap((row, i) => {
      const user = users[i];
      return user && !(user instanceof Error) ? [{ user, at: row.createdAt }] : [];
    });
    const connection = toConnection({ ...page, nodes }, ({ user, at }) => encodeTimeCursor(REACTORS, at, user.id));
    return { ...connection, edges: connection.edges.map(({ cursor, node }) => ({ cursor, node: node.user })) };
  }

  /**
   * The chat of a message the viewer is a member of, in one statement; NOT_FOUND
   * otherwise, as for one that does not exist. Membership is checked again under the lock.
   */
  async #chatOf(viewer: Viewer, messageId: string): Promise<string> {
    const [row] = isUuid(messageId)
      ? await this.prisma.$queryRaw<{ chatId: string }[]>`
          SELECT m."chatId"::text AS "chatId" FROM "Message" m
          JOIN "ChatMember" cm ON cm."chatId" = m."chatId" AND cm."userId" = ${viewer.id}::uuid
          WHERE m."id" = ${messageId}::uuid`
      : [];
    if (!row) throw notFound('Message');
    return row.chatId;
  }

  /** The message as it is under the chat's lock, and whether the viewer deleted it for themself. */
  #target(viewer: Viewer, messageId: string, chatId: string): Prisma.Sql {
    return Prisma.sql`
      SELECT ${MESSAGE_COLUMNS},
        EXISTS (SELECT 1 FROM "MessageHidden" h WHERE h."messageId" = m."id" AND h."userId" = ${viewer.id}::uuid) AS "hiddenByMe",
        ${blockedInChat(Prisma.sql`m."chatId"`, Prisma.sql`${viewer.id}::uuid`)} AS "blocked"
      FROM "Message" m WHERE m."id" = ${messageId}::uuid AND m."chatId" = ${chatId}::uuid`;
  }

  /**
   * Runs a change's one statement (the message under the lock, and the write,
   * which its WHERE lets happen only when the rules allow), then says why not.
   */
  async #checked(statement: Promise<TargetRow[]>, options: { refuseBlocked?: boolean } = {}): Promise<{ message: MessageRecord; written: number }> {
    const [row] = await statement;
    if (!row) throw notFound('Message');
    const { hiddenByMe, blocked, written, ...message } = row;
    // Taking one's reaction back reaches no one, so only setting one is refused across a block.
    if (options.refuseBlocked && blocked) throw cannotMessage();
    if (message.deletedAt !== null || hiddenByMe) throw forbidden('A deleted message cannot be reacted to');
    if (message.kind === 'SYSTEM') throw forbidden('SYSTEM messages cannot be reacted to');
    return { message, written };
  }
}
