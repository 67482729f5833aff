import type { PrismaClient } from '../../generated/prisma/client.js';
import type { Logger } from '../../lib/logger.js';
import type { Viewer } from '../../lib/viewer.js';
import type { PubSub } from '../../realtime/pubsub.js';
import { ChatTopic, MUTED_NOW_SQL, UNREAD_COUNT_SQL } from '../chats/index.js';
import { MessageTopic, UNREAD_MENTIONS_SQL, type MessagesService } from '../messages/index.js';
import { CoalescedTotals } from './unread-stream.js';
import type { UnreadTotals } from './unread.types.js';

/** Options for {@link UnreadService}. */
export interface UnreadServiceOptions {
  /** unreadChanged sends each subscriber at most one event per this many ms; default 2,000. */
  windowMs?: number;
}

/**
 * My unread totals (`me.unread`), kept by the server so an app's icon badge
 * and a tab title agree on every device: read in one statement, whatever the
 * number of chats; told live through `unreadChanged`, coalesced per
 * subscriber (unread-stream.ts); and `markAllChatsRead`.
 */
export class UnreadService {
  readonly #windowMs: number;
  /** Per user: their subscriptions on this instance that have read their starting totals. */
  readonly #listening = new Map<string, number>();

  constructor(
    private readonly prisma: PrismaClient,
    private readonly pubsub: PubSub,
    private readonly receipts: Pick<MessagesService, 'markAllRead'>,
    private readonly logger: Logger,
    options: UnreadServiceOptions = {},
  ) {
    this.#windowMs = options.windowMs ?? 2000;
  }

  /**
   * One statement over the user's memberships (ChatMember's userId index):
   * each chat's unread count and unread mentions are the same SQL as
   * `Chat.unreadCount` and `Chat.unreadMentionCount`, so the badge always
   * agrees with the list. Archived chats count nothing; a muted one counts
   * only its mentions, and only at notifyLevel MENTIONS (the level that still
   * notifies of them). A chat marked unread counts as 1 message, like its
   * unreadCount.
   */
  async totals(userId: string): Promise<UnreadTotals> {
    const [row] = await this.prisma.$queryRaw<UnreadTotals[]>`
      SELECT coalesce(sum(u."unread"), 0)::int AS "messages",
             (count(*) FILTER (WHERE u."unread" > 0))::int AS "chats",
             coalesce(sum(u."mentions"), 0)::int AS "mentions"
      FROM (
        SELECT CASE WHEN ${MUTED_NOW_SQL} THEN 0 ELSE ${UNREAD_COUNT_SQL} END AS "unread",
               CASE WHEN ${MUTED_NOW_SQL} AND m."notifyLevel" <> 'MENTIONS' THEN 0 ELSE ${UNREAD_MENTIONS_SQL} END AS "mentions"
        FROM "ChatMember" m JOIN "Chat" c ON c."id" = m."chatId"
        WHERE m."userId" = ${userId}::uuid AND NOT m."archived"
      ) u`;
    return row ?? { messages: 0, chats: 0, mentions: 0 };
  }

  /** `User.unread`: the viewer's own totals; null on anyone else. */
  async of(viewer: Viewer | null, userId: string): Promise<UnreadTotals | null> {
    return viewer?.id === userId ? this.totals(userId) : null;
  }

  /** Reads every chat of mine up to its last message (see MessagesService.markAllRead); the totals after it. */
  async markAllChatsRead(viewer: Viewer, loaders: Parameters<MessagesService['markAllRead']>[1]): Promise<UnreadTotals> {
    await this.receipts.markAllRead(viewer, loaders);
    return this.totals(viewer.id);
  }

  /**
   * The viewer's totals each time they change. What may change them reaches
   * the viewer's own topics already, on whichever instance it happened (Redis
   * carries it): a message in a chat of theirs (not a SYSTEM one), their own
   * reads on any device, an edit or deletion that may add or drop a mention,
   * their settings (mute, archive, marked unread), joining and leaving.
   * A mute that ends by itself (mutedUntil) changes the totals with no event;
   * the next change brings them.
   */
  async subscribe(viewer: Viewer): Promise<AsyncIterableIterator<UnreadTotals>> {
    const userId = viewer.id;
    let started = false;
    const stream = new CoalescedTotals({
      onEnd: () => started && this.#count(userId, -1),
      read: () => this.totals(userId),
      windowMs: this.#windowMs,
      onReadError: (error) => this.logger.error({ err: error, userId }, 'could not read unread totals'),
      watch: (changed, failed) => [
        this.pubsub.listen(MessageTopic.NewMessage, userId, (message) => message.kind !== 'SYSTEM' && changed(), failed),
        this.pubsub.listen(MessageTopic.MessageStatus, userId, (receipt) => receipt.userId === userId && receipt.status === 'READ' && changed(), failed),
        // A deletion (for everyone, or for me) may take a mention away, an edit add or drop one.
        this.pubsub.listen(MessageTopic.MessageUpdated, userId, (message) => (message.deletedAt !== null || message.text?.includes('@')) && changed(), failed),
        this.pubsub.listen(ChatTopic.ChatUpdated, userId, changed, failed),
        this.pubsub.listen(ChatTopic.Membership, userId, changed, failed),
      ],
    });
    await stream.start();
    started = true;
    this.#count(userId, 1);
    return stream;
  }

  /** unreadChanged subscriptions of this user on this instance, from when they have their starting totals (tests wait on it). */
  listening(userId: string): number {
    return this.#listening.get(userId) ?? 0;
  }

  #count(userId: string, by: 1 | -1): void {
    const count = (this.#listening.get(userId) ?? 0) + by;
    if (count > 0) this.#listening.set(userId, count);
    else this.#listening.delete(userId);
  }
}
