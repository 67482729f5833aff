import DataLoader from 'dataloader';
import type { PrismaClient } from '../../generated/prisma/client.js';
import { USER_SELECT, type UserRecord } from './user.types.js';

export interface UserLoaders {
  userById: DataLoader<string, UserRecord | null>;
}

export function createUserLoaders(prisma: PrismaClient, options?: { maxBatchSize?: number }): UserLoaders {
  return {
    userById: new DataLoader(async (ids) => {
      const rows = await prisma.user.findMany({ where: { id: { in: [...ids] } }, select: USER_SELECT });
      const byId = new Map(rows.map((row) => [row.id, row]));
      return ids.map((id) => byId.get(id) ?? null);
    }, options),
  };
}
