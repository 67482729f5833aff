import { forbidden, notFound } from '../../lib/errors.js';
import { decodeTimeCursor, encodeTimeCursor, pageSize, toPage } from '../../lib/pagination.js';
import { toConnection, type Connection } from '../../lib/relay.js';
import { isUuid } from '../../lib/text.js';
import type { Viewer } from '../../lib/viewer.js';
import { requireMembership, type ChatEvents, type ChatLoaders } from '../chats/index.js';
import { MESSAGE_COLUMNS, viewOf, type ChatChange, type MessageLoaders, type MessageLog, type MessageRecord } from '../messages/index.js';
import type { UserLoaders, UserRecord } from '../users/index.js';
import type { ReactionGroupRecord } from './reaction.types.js';
import { cleanEmoji } from './reactions.inputs.js';
import { reactionKey, type ReactionLoaders } from './reactions.loaders.js';

type Loaders = ChatLoaders & MessageLoaders & ReactionLoaders;

interface LockedRow extends MessageRecord {
  hiddenByMe: boolean;
}

/** ReactionGroup.users' cursors name this list. */
const REACTORS = 'reactors';

/**
 * Reactions: one per member per message, a single emoji (docs/api-contract.md).
 * Each change takes the chat's next rev under its lock (MessageLog.change) and
 * reaches members as messageUpdated; what each member sees of it (myReaction,
 * reactedByMe) is rendered per viewer from the tables, never from the event.
 */
export class ReactionsService {
  constructor(
    private readonly log: MessageLog,
    private readonly events: ChatEvents,
  ) {}

  /** Sets my reaction, replacing the one I had; the same emoji again changes nothing (no new rev). */
  async set(viewer: Viewer, loaders: Loaders, messageId: string, rawEmoji: string): Promise<MessageRecord> {
    const found = await this.#visibleMessage(viewer, loaders, messageId);
    const emoji = cleanEmoji(rawEmoji);
    let changed = false;
    const message = await this.log.change(found.chatId, async (change) => {
      const message = await this.#reactable(change, viewer, found);
      // clock_timestamp(), not now(): taken under the chat's lock, so reactions are timed in the order they took their revs.
      const written = await change.tx.$executeRaw`
        INSERT INTO "MessageReaction" ("messageId", "userId", "emoji", "createdAt")
        VALUES (${message.id}::uuid, ${viewer.id}::uuid, ${emoji}, clock_timestamp())
        ON CONFLICT ("messageId", "userId") DO UPDATE SET "emoji" = EXCLUDED."emoji", "createdAt" = EXCLUDED."createdAt"
        WHERE "MessageReaction"."emoji" <> EXCLUDED."emoji"`;
      if (written === 0) return message;
      changed = true;
      return change.stamp(message.id);
    });
    this.#forget(loaders, viewer, message.id);
    if (changed && message.senderId !== null && message.senderId !== viewer.id) {
      this.events.emit('reactionSet', { chatId: message.chatId, messageId: message.id, messageSenderId: message.senderId, userId: viewer.id, emoji });
    }
    return message;
  }

  /** Takes my reaction back; none is no change (no new rev). */
  async remove(viewer: Viewer, loaders: Loaders, messageId: string): Promise<MessageRecord> {
    const found = await this.#visibleMessage(viewer, loaders, messageId);
    const message = await this.log.change(found.chatId, async (change) => {
      const message = await this.#reactable(change, viewer, found);
      const { count } = await change.tx.messageReaction.deleteMany({ where: { messageId: message.id, userId: viewer.id } });
      return count === 0 ? message : change.stamp(message.id);
    });
    this.#forget(loaders, viewer, message.id);
    return message;
  }

  /** The message's reactions by emoji as the viewer sees them; none on a tombstone (deleted for everyone, or for me). */
  async groups(viewer: Viewer | null, loaders: MessageLoaders & ReactionLoaders, message: MessageRecord): Promise<ReactionGroupRecord[]> {
    if (message.deletedAt !== null || viewer === null) return [];
    // In parallel, so a page of messages takes one statement per loader whatever its length.
    const [view, counts, mine] = await Promise.all([
      viewOf(loaders, viewer, message),
      loaders.reactionCounts.load(message.id),
      loaders.reactionOf.load(reactionKey(viewer.id, message.id)),
    ]);
    if (view.deletedAt !== null) return [];
    return counts.map(({ emoji, count }) => ({ messageId: message.id, emoji, count, reactedByMe: emoji === mine }));
  }

  /** The viewer's own emoji on the message; null on a tombstone. */
  async mine(viewer: Viewer | null, loaders: MessageLoaders & ReactionLoaders, message: MessageRecord): Promise<string | null> {
    if (message.deletedAt !== null || viewer === null) return null;
    const [view, mine] = await Promise.all([viewOf(loaders, viewer, message), loaders.reactionOf.load(reactionKey(viewer.id, message.id))]);
    return view.deletedAt === null ? mine : null;
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

  /** A message of a chat the viewer is a member of; NOT_FOUND otherwise, as for one that does not exist. */
  async #visibleMessage(viewer: Viewer, loaders: Loaders, messageId: string): Promise<MessageRecord> {
    const message = isUuid(messageId) ? await loaders.messageById.load(messageId) : null;
    if (!message) throw notFound('Message');
    await requireMembership(loaders, viewer, message.chatId);
    return message;
  }

  /** The message read again under the chat's lock, with the rules checked against it. */
  async #reactable(change: ChatChange, viewer: Viewer, found: MessageRecord): Promise<MessageRecord> {
    // Removed from the chat since the first look: as if it never was theirs.
    if (!change.memberIds.includes(viewer.id)) throw notFound('Message');
    const [row] = await change.tx.$queryRaw<LockedRow[]>`
      SELECT ${MESSAGE_COLUMNS},
        EXISTS (SELECT 1 FROM "MessageHidden" h WHERE h."messageId" = m."id" AND h."userId" = ${viewer.id}::uuid) AS "hiddenByMe"
      FROM "Message" m WHERE m."id" = ${found.id}::uuid AND m."chatId" = ${found.chatId}::uuid`;
    if (!row) throw notFound('Message');
    const { hiddenByMe, ...message } = row;
    if (message.deletedAt !== null || hiddenByMe) throw forbidden('A deleted message cannot be reacted to');
    if (message.kind === 'SYSTEM') throw forbidden('SYSTEM messages cannot be reacted to');
    return message;
  }

  #forget(loaders: Loaders, viewer: Viewer, messageId: string): void {
    loaders.messageById.clear(messageId);
    loaders.reactionCounts.clear(messageId);
    loaders.reactionOf.clear(reactionKey(viewer.id, messageId));
    loaders.reactors.clearAll();
  }
}
