import DataLoader from 'dataloader';
import type { Sql } from '../../db/sql.js';
import type { PrismaClient } from '../../generated/prisma/client.js';
import type { PresenceStore } from '../../realtime/presence.js';
import { USER_SELECT, type UserRecord } from './user.types.js';

export interface UserLoaders {
  userById: DataLoader<string, UserRecord | null>;
  /** Presence of many users in one look-up (one Redis round trip when shared). */
  onlineById: DataLoader<string, boolean>;
  /**
   * What ties the user to the viewer, keyed by {@link shareKey}`(viewerId,
   * userId)`: loaders are made before anyone asks who the viewer is, so the
   * viewer travels in the key. One statement per viewer per batch (in
   * practice one per request tick) answers both.
   */
  ties: DataLoader<string, Ties>;
}

export interface Ties {
  /** The viewer and the user are members of a common chat. */
  sharesChat: boolean;
  /** The user blocked the viewer (modules/blocking). */
  blockedViewer: boolean;
}

/** Key of {@link UserLoaders.ties}. */
export const shareKey = (viewerId: string, userId: string): string => `${viewerId}:${userId}`;

function groupByViewer(keys: readonly string[]): Map<string, string[]> {
  const byViewer = new Map<string, string[]>();
  for (const key of keys) {
    const [viewerId, userId] = key.split(':') as [string, string];
    byViewer.set(viewerId, [...(byViewer.get(viewerId) ?? []), userId]);
  }
  return byViewer;
}

/** USER_SELECT's columns of the users `$1` names (pg hands enums out as their text, as Prisma does). */
const USERS_BY_ID = `SELECT ${Object.keys(USER_SELECT)
  .map((column) => `"${column}"`)
  .join(', ')} FROM "User" WHERE "id" = ANY($1::uuid[])`;

export function createUserLoaders(prisma: PrismaClient, sql: Sql, presence: Pick<PresenceStore, 'online'>, options?: { maxBatchSize?: number }): UserLoaders {
  return {
    onlineById: new DataLoader(async (ids) => {
      const online = await presence.online(ids);
      return ids.map((id) => online.has(id));
    }, options),
    userById: new DataLoader(async (ids) => {
      // The sender of every message event and every member of a chat list: through pg itself (src/db/sql.ts).
      const rows = await sql.query<UserRecord>(USERS_BY_ID, [ids], 'payamak_users_by_id');
      const byId = new Map(rows.map((row) => [row.id, row]));
      return ids.map((id) => byId.get(id) ?? null);
    }, options),
    ties: new DataLoader(async (keys) => {
      const byViewer = groupByViewer(keys);
      const shared = new Set<string>();
      const blocked = new Set<string>();
      // (userId) on ChatMember finds the viewer's chats, the (chatId, userId) key then answers each of them;
      // UserBlock's (blockedId) index finds who blocked the viewer.
      await Promise.all(
        [...byViewer].map(async ([viewerId, userIds]) => {
          const rows = await prisma.$queryRaw<{ userId: string; blocked: boolean }[]>`
            (SELECT DISTINCT b."userId"::text AS "userId", false AS "blocked"
             FROM "ChatMember" a JOIN "ChatMember" b ON b."chatId" = a."chatId"
             WHERE a."userId" = ${viewerId}::uuid AND b."userId" = ANY(${userIds}::uuid[]))
            UNION ALL
            SELECT x."blockerId"::text, true FROM "UserBlock" x
            WHERE x."blockedId" = ${viewerId}::uuid AND x."blockerId" = ANY(${userIds}::uuid[])`;
          for (const row of rows) (row.blocked ? blocked : shared).add(shareKey(viewerId, row.userId));
        }),
      );
      return keys.map((key) => ({ sharesChat: shared.has(key), blockedViewer: blocked.has(key) }));
    }, options),
  };
}
