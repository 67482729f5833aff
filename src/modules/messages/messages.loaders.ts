import DataLoader from 'dataloader';
import type { PrismaClient } from '../../generated/prisma/client.js';
import { MESSAGE_SELECT, type MessageRecord } from './message-log.js';
import type { Hidden } from './message.record.js';

export interface EditRow {
  id: string;
  messageId: string;
  text: string | null;
  editedAt: Date;
}

export interface MessageLoaders {
  messageById: DataLoader<string, MessageRecord | null>;
  /** Key: `${chatId}:${seq}`; used for a chat's last message (seq = lastSeq). */
  messageByChatSeq: DataLoader<string, MessageRecord | null>;
  /** Key: `${messageId}:${n}`: the newest n previous texts of a message (the first page of Message.edits). */
  newestEdits: DataLoader<string, EditRow[]>;
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
    newestEdits: new DataLoader(async (keys) => {
      const parsed = keys.map((key) => {
        const [messageId, n] = key.split(':');
        return { messageId: messageId!, n: Number(n) };
      });
      const most = Math.max(...parsed.map((key) => key.n));
      // One statement for a page of messages: each message's newest edits, ranked.
      const rows = await prisma.$queryRaw<EditRow[]>`
        SELECT "id"::text AS "id", "messageId"::text AS "messageId", "text", "editedAt" FROM (
          SELECT e.*, row_number() OVER (PARTITION BY e."messageId" ORDER BY e."editedAt" DESC, e."id" DESC) AS "rank"
          FROM "MessageEdit" e WHERE e."messageId" = ANY(${[...new Set(parsed.map((key) => key.messageId))]}::uuid[])
        ) ranked WHERE "rank" <= ${most}
        ORDER BY "messageId", "editedAt" DESC, "id" DESC`;
      return parsed.map(({ messageId, n }) => rows.filter((row) => row.messageId === messageId).slice(0, n));
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
