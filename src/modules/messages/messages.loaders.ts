import DataLoader from 'dataloader';
import type { PrismaClient } from '../../generated/prisma/client.js';
import { MESSAGE_SELECT, type MessageRecord } from './message-log.js';

export interface MessageLoaders {
  messageById: DataLoader<string, MessageRecord | null>;
  /** Key: `${chatId}:${seq}`; used for a chat's last message (seq = lastSeq). */
  messageByChatSeq: DataLoader<string, MessageRecord | null>;
}

export function createMessageLoaders(prisma: PrismaClient, options?: { maxBatchSize?: number }): MessageLoaders {
  return {
    messageById: new DataLoader(async (ids) => {
      const rows = await prisma.message.findMany({ where: { id: { in: [...ids] } }, select: MESSAGE_SELECT });
      const byId = new Map(rows.map((row) => [row.id, row]));
      return ids.map((id) => byId.get(id) ?? null);
    }, options),
    messageByChatSeq: new DataLoader(async (keys) => {
      const pairs = keys.map((key) => {
        const [chatId, seq] = key.split(':');
        return { chatId: chatId!, seq: Number(seq) };
      });
      const rows = await prisma.message.findMany({ where: { OR: pairs }, select: MESSAGE_SELECT });
      const byKey = new Map(rows.map((row) => [`${row.chatId}:${row.seq}`, row]));
      return keys.map((key) => byKey.get(key) ?? null);
    }, options),
  };
}
