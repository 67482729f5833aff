import DataLoader from 'dataloader';
import type { PrismaClient } from '../../generated/prisma/client.js';
import type { PresenceStore } from '../../realtime/presence.js';
import { USER_SELECT, type UserRecord } from './user.types.js';

export interface UserLoaders {
  userById: DataLoader<string, UserRecord | null>;
  /** Presence of many users in one look-up (one Redis round trip when shared). */
  onlineById: DataLoader<string, boolean>;
}

export function createUserLoaders(
  prisma: PrismaClient,
  presence: Pick<PresenceStore, 'online'>,
  options?: { maxBatchSize?: number },
): UserLoaders {
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
  };
}
