import type { PrismaClient } from '../../generated/prisma/client.js';
import { badInput } from '../../lib/errors.js';
import type { Logger } from '../../lib/logger.js';
import type { Viewer } from '../../lib/viewer.js';
import { PresenceTracker } from '../../realtime/presence.js';
import type { PubSub } from '../../realtime/pubsub.js';
import { Topic, type PresencePayload } from '../../realtime/topics.js';

const MAX_WATCHED = 1024;

/**
 * Online/offline across a user's devices: ONLINE at the first connection,
 * OFFLINE (with lastSeenAt) when the last one closes. Only people who share a
 * chat with the user are told.
 */
export class PresenceService {
  readonly tracker = new PresenceTracker();

  constructor(
    private readonly prisma: PrismaClient,
    private readonly pubsub: PubSub,
    private readonly logger: Logger,
  ) {}

  isOnline(userId: string): boolean {
    return this.tracker.isOnline(userId);
  }

  connected(userId: string): void {
    if (!this.tracker.connect(userId)) return;
    this.announce({ userId, status: 'ONLINE', lastSeenAt: null }).catch((error: unknown) =>
      this.logger.error({ err: error, userId }, 'could not announce presence'),
    );
  }

  disconnected(userId: string): void {
    if (!this.tracker.disconnect(userId)) return;
    const at = new Date();
    (async () => {
      await this.prisma.user.update({ where: { id: userId }, data: { lastSeenAt: at } });
      // Reconnected while we wrote: the ONLINE already went out; do not contradict it.
      if (this.tracker.isOnline(userId)) return;
      await this.announce({ userId, status: 'OFFLINE', lastSeenAt: at.toISOString() });
    })().catch((error: unknown) => this.logger.error({ err: error, userId }, 'could not record going offline'));
  }

  subscribe(viewer: Viewer, userIds?: string[] | null): AsyncIterableIterator<PresencePayload> {
    if (userIds && userIds.length > MAX_WATCHED) throw badInput(`userIds takes at most ${MAX_WATCHED} ids`, 'userIds');
    const source = this.pubsub.subscribe(Topic.Presence, viewer.id);
    if (!userIds) return source;
    const wanted = new Set(userIds);
    return {
      async next() {
        for (;;) {
          const result = await source.next();
          if (result.done || wanted.has(result.value.userId)) return result;
        }
      },
      return: () => source.return!(),
      [Symbol.asyncIterator]() {
        return this;
      },
    };
  }

  private async announce(payload: PresencePayload): Promise<void> {
    const rows = await this.prisma.$queryRaw<{ userId: string }[]>`
      SELECT DISTINCT other."userId"::text AS "userId"
      FROM "ChatMember" mine JOIN "ChatMember" other ON other."chatId" = mine."chatId"
      WHERE mine."userId" = ${payload.userId}::uuid AND other."userId" <> ${payload.userId}::uuid`;
    this.pubsub.publishMany(Topic.Presence, rows.map((r) => r.userId), payload);
  }
}
