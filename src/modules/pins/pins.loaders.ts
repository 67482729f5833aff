import DataLoader from 'dataloader';
import type { PrismaClient } from '../../generated/prisma/client.js';
import { MESSAGE_SELECT, type MessageRecord } from '../messages/index.js';

export interface PinLoaders {
  /** A chat's pinned messages, newest pin first, as everyone sees them (pass each through viewOf). */
  pinnedByChat: DataLoader<string, MessageRecord[]>;
}

export function createPinLoaders(prisma: PrismaClient, options?: { maxBatchSize?: number }): PinLoaders {
  return {
    pinnedByChat: new DataLoader(async (chatIds) => {
      const rows = await prisma.message.findMany({
        where: { chatId: { in: [...chatIds] }, pinnedAt: { not: null } },
        orderBy: [{ pinnedAt: 'desc' }, { id: 'asc' }],
        select: MESSAGE_SELECT,
      });
      const byChat = new Map<string, MessageRecord[]>(chatIds.map((id) => [id, []]));
      for (const row of rows) byChat.get(row.chatId)!.push(row);
      return chatIds.map((id) => byChat.get(id)!);
    }, options),
  };
}
