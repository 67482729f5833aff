import DataLoader from 'dataloader';
import type { PrismaClient } from '../../generated/prisma/client.js';
import { UNREAD_COUNT_SQL } from './chat-unread.js';
import { CHAT_SELECT, MEMBER_SELECT, PERIOD_SELECT, type ChatRecord, type MemberRecord, type PeriodRecord } from './chat.types.js';

export interface ChatLoaders {
  chatById: DataLoader<string, ChatRecord | null>;
  /** Members of a chat, oldest first. */
  membersByChat: DataLoader<string, MemberRecord[]>;
  /** One membership, keyed by {@link memberKey}: cheap where a big group's member list is not needed. */
  memberOf: DataLoader<string, MemberRecord | null>;
  /** How many members a chat has, without loading them. */
  memberCountByChat: DataLoader<string, number>;
  /** A user's earlier memberships of a chat, keyed by {@link memberKey}, oldest first; none once they deleted the chat. */
  periodsOf: DataLoader<string, PeriodRecord[]>;
  /** A member's unread count (chat-unread.ts), keyed by {@link memberKey}; 0 for someone not a member. */
  unreadCountOf: DataLoader<string, number>;
}

export const memberKey = (chatId: string, userId: string) => `${chatId}:${userId}`;

export function createChatLoaders(prisma: PrismaClient, options?: { maxBatchSize?: number }): ChatLoaders {
  return {
    chatById: new DataLoader(async (ids) => {
      const rows = await prisma.chat.findMany({ where: { id: { in: [...ids] } }, select: CHAT_SELECT });
      const byId = new Map(rows.map((row) => [row.id, row]));
      return ids.map((id) => byId.get(id) ?? null);
    }, options),
    membersByChat: new DataLoader(async (chatIds) => {
      const rows = await prisma.chatMember.findMany({
        where: { chatId: { in: [...chatIds] } },
        select: MEMBER_SELECT,
        orderBy: [{ joinedAt: 'asc' }, { userId: 'asc' }],
      });
      const byChat = new Map<string, MemberRecord[]>(chatIds.map((id) => [id, []]));
      for (const row of rows) byChat.get(row.chatId)!.push(row);
      return chatIds.map((id) => byChat.get(id)!);
    }, options),
    memberOf: new DataLoader(async (keys) => {
      const pairs = keys.map((key) => {
        const [chatId, userId] = key.split(':');
        return { chatId: chatId!, userId: userId! };
      });
      const rows = await prisma.chatMember.findMany({ where: { OR: pairs }, select: MEMBER_SELECT });
      const byKey = new Map(rows.map((row) => [memberKey(row.chatId, row.userId), row]));
      return keys.map((key) => byKey.get(key) ?? null);
    }, options),
    memberCountByChat: new DataLoader(async (chatIds) => {
      const rows = await prisma.chatMember.groupBy({ by: ['chatId'], where: { chatId: { in: [...chatIds] } }, _count: { _all: true } });
      const byChat = new Map(rows.map((row) => [row.chatId, row._count._all]));
      return chatIds.map((id) => byChat.get(id) ?? 0);
    }, options),
    periodsOf: new DataLoader(async (keys) => {
      const pairs = keys.map((key) => {
        const [chatId, userId] = key.split(':');
        return { chatId: chatId!, userId: userId! };
      });
      // A chat deleted for me (deleteChat) is read through none of its periods; they stay only to mark a return.
      const rows = await prisma.chatMembershipPeriod.findMany({
        where: { OR: pairs, deletedAt: null },
        select: PERIOD_SELECT,
        orderBy: { toSeq: 'asc' },
      });
      const byKey = new Map<string, PeriodRecord[]>(keys.map((key) => [key, []]));
      for (const row of rows) byKey.get(memberKey(row.chatId, row.userId))?.push(row);
      return keys.map((key) => byKey.get(key)!);
    }, options),
    unreadCountOf: new DataLoader(async (keys) => {
      const pairs = keys.map((key) => key.split(':') as [string, string]);
      const rows = await prisma.$queryRaw<{ chatId: string; userId: string; count: number }[]>`
        SELECT m."chatId"::text AS "chatId", m."userId"::text AS "userId", ${UNREAD_COUNT_SQL} AS "count"
        FROM unnest(${pairs.map(([chatId]) => chatId)}::uuid[], ${pairs.map(([, userId]) => userId)}::uuid[]) AS k("chatId", "userId")
        JOIN "ChatMember" m ON m."chatId" = k."chatId" AND m."userId" = k."userId"
        JOIN "Chat" c ON c."id" = m."chatId"`;
      const byKey = new Map(rows.map((row) => [memberKey(row.chatId, row.userId), row.count]));
      return keys.map((key) => byKey.get(key) ?? 0);
    }, options),
  };
}
