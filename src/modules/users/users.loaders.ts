import DataLoader from 'dataloader';
import type { PrismaClient } from '../../generated/prisma/client.js';
import type { PresenceStore } from '../../realtime/presence.js';
import { USER_SELECT, type UserRecord } from './user.types.js';

export interface UserLoaders {
  userById: DataLoader<string, UserRecord | null>;
  /** Presence of many users in one look-up (one Redis round trip when shared). */
  onlineById: DataLoader<string, boolean>;
  /**
   * Whether the viewer and the user are members of a common chat, keyed by
   * {@link shareKey}`(viewerId, userId)`: loaders are made before anyone asks
   * who the viewer is, so the viewer travels in the key. One statement per
   * viewer per batch (in practice one per request tick).
   */
  sharesChat: DataLoader<string, boolean>;
  /**
   * Whether the user blocked the viewer, keyed by {@link shareKey}`(viewerId,
   * userId)`: one look-up by UserBlock's (blockedId) index per viewer per batch.
   */
  blockedBy: DataLoader<string, boolean>;
}

/** Key of {@link UserLoaders.sharesChat}. */
export const shareKey = (viewerId: string, userId: string): string => `${viewerId}:${userId}`;

function groupByViewer(keys: readonly string[]): Map<string, string[]> {
  const byViewer = new Map<string, string[]>();
  for (const key of keys) {
    const [viewerId, userId] = key.split(':') as [string, string];
    byViewer.set(viewerId, [...(byViewer.get(viewerId) ?? []), userId]);
  }
  return byViewer;
}

export function createUserLoaders(prisma: PrismaClient, presence: Pick<PresenceStore, 'online'>, options?: { maxBatchSize?: number }): UserLoaders {
  return {
    onlineById: new DataLoader(async (ids) => {
      const online = await presence.online(ids);
      return ids.map((id) => online.has(id));
    }, options),
    userById: new DataLoader(async (ids) => {
      const rows = await prisma.user.findMany({ where: { id: { in: [...ids] } }, select: USER_SELECT });
      const byId = new Map(rows.map((row) => [row.id, row]));
      return ids.map((id) => byId.get(id) ?? null);
    }, options),
    sharesChat: new DataLoader(async (keys) => {
      const byViewer = groupByViewer(keys);
      const shared = new Set<string>();
      // (userId) on ChatMember finds the viewer's chats; the (chatId, userId) key then answers each of them.
      await Promise.all(
        [...byViewer].map(async ([viewerId, userIds]) => {
          const rows = await prisma.$queryRaw<{ userId: string }[]>`
            SELECT DISTINCT b."userId"::text AS "userId"
            FROM "ChatMember" a JOIN "ChatMember" b ON b."chatId" = a."chatId"
            WHERE a."userId" = ${viewerId}::uuid AND b."userId" = ANY(${userIds}::uuid[])`;
          for (const row of rows) shared.add(shareKey(viewerId, row.userId));
        }),
      );
      return keys.map((key) => shared.has(key));
    }, options),
    blockedBy: new DataLoader(async (keys) => {
      const byViewer = groupByViewer(keys);
      const blocked = new Set<string>();
      await Promise.all(
        [...byViewer].map(async ([viewerId, userIds]) => {
          const rows = await prisma.userBlock.findMany({ where: { blockedId: viewerId, blockerId: { in: userIds } }, select: { blockerId: true } });
          for (const row of rows) blocked.add(shareKey(viewerId, row.blockerId));
        }),
      );
      return keys.map((key) => blocked.has(key));
    }, options),
  };
}
