import type { PrismaClient } from '../../generated/prisma/client.js';
import { badInput } from '../../lib/errors.js';
import type { Logger } from '../../lib/logger.js';
import type { Viewer } from '../../lib/viewer.js';
import type { PresenceStore } from '../../realtime/presence.js';
import type { PubSub } from '../../realtime/pubsub.js';
import { Topic, type PresencePayload } from '../../realtime/topics.js';

const MAX_WATCHED = 1024;

/**
 * Online/offline across a user's devices: ONLINE at the first connection,
 * OFFLINE (with lastSeenAt) when the last one closes. Only people who share a
 * chat with the user are told.
 */
export class PresenceService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly pubsub: PubSub,
    readonly store: PresenceStore,
    private readonly logger: Logger,
  ) {}

  async isOnline(userId: string): Promise<boolean> {
    return (await this.store.online([userId])).has(userId);
  }

  /** Which of these users are connected anywhere. */
  online(userIds: readonly string[]): Promise<Set<string>> {
    return this.store.online(userIds);
  }

  connected(userId: string, connectionId: string): void {
    (async () => {
      if (!(await this.store.connect(userId, connectionId))) return;
      await this.announce({ userId, status: 'ONLINE', lastSeenAt: null });
    })().catch((error: unknown) => this.logger.error({ err: error, userId }, 'could not announce presence'));
  }

  disconnected(userId: string, connectionId: string): void {
    (async () => {
      if (!(await this.store.disconnect(userId, connectionId))) return;
      const at = new Date();
      await this.prisma.user.update({ where: { id: userId }, data: { lastSeenAt: at } });
      // Reconnected while we wrote: the ONLINE already went out; do not contradict it.
      if (await this.isOnline(userId)) return;
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
