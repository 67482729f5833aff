import DataLoader from 'dataloader';
import type { PrismaClient } from '../../generated/prisma/client.js';
import { MESSAGE_SELECT, type MessageRecord } from './message-log.js';
import type { Hidden } from './message.record.js';

export interface MessageLoaders {
  messageById: DataLoader<string, MessageRecord | null>;
  /** Key: `${chatId}:${seq}`; used for a chat's last message (seq = lastSeq). */
  messageByChatSeq: DataLoader<string, MessageRecord | null>;
  /** Key: `${userId}:${messageId}` (hiddenKey): that user's deletion of the message for themself; null if they did not. */
  hiddenFor: DataLoader<string, Hidden | null>;
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
    hiddenFor: new DataLoader(async (keys) => {
      const pairs = keys.map((key) => {
        const [userId, messageId] = key.split(':');
        return { userId: userId!, messageId: messageId! };
      });
      const rows = await prisma.messageHidden.findMany({ where: { OR: pairs }, select: { userId: true, messageId: true, createdAt: true, rev: true } });
      const byKey = new Map(rows.map((row) => [`${row.userId}:${row.messageId}`, { at: row.createdAt, rev: row.rev }]));
      return keys.map((key) => byKey.get(key) ?? null);
    }, options),
  };
}
