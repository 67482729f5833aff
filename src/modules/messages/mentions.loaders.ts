import DataLoader from 'dataloader';
import { Prisma, type PrismaClient } from '../../generated/prisma/client.js';

export interface MentionLoaders {
  /** Key: a message id; the ids of the users it mentions, by username. */
  mentionsByMessage: DataLoader<string, string[]>;
  /** Key: {@link unreadMentionKey}: mentions of that member in that chat above their read watermark. */
  unreadMentionCount: DataLoader<string, number>;
}

/**
 * On a `"ChatMember" m`: the messages mentioning that member above their read
 * watermark, walking MessageMention(userId, chatId, seq) from readSeq up; a
 * message they deleted for themself does not count. `Chat.unreadMentionCount`
 * and `me.unread.mentions` (modules/unread).
 */
export const UNREAD_MENTIONS_SQL = Prisma.sql`(
  SELECT count(*)::integer FROM "MessageMention" mm
  WHERE mm."userId" = m."userId" AND mm."chatId" = m."chatId" AND mm."seq" > m."readSeq"
    AND NOT EXISTS (SELECT 1 FROM "MessageHidden" h WHERE h."userId" = mm."userId" AND h."messageId" = mm."messageId")
)`;

export const unreadMentionKey = (userId: string, chatId: string) => `${userId}:${chatId}`;

/** One statement per batch each, however many messages or chats a page holds. */
export function createMentionLoaders(prisma: PrismaClient, options?: { maxBatchSize?: number }): MentionLoaders {
  return {
    mentionsByMessage: new DataLoader(async (messageIds) => {
      const rows = await prisma.$queryRaw<{ messageId: string; userId: string }[]>`
        SELECT mm."messageId"::text AS "messageId", mm."userId"::text AS "userId"
        FROM "MessageMention" mm JOIN "User" u ON u."id" = mm."userId"
        WHERE mm."messageId" = ANY(${[...messageIds]}::uuid[])
        ORDER BY u."username" COLLATE "C"`;
      const byMessage = new Map<string, string[]>(messageIds.map((id) => [id, []]));
      for (const row of rows) byMessage.get(row.messageId)?.push(row.userId);
      return messageIds.map((id) => byMessage.get(id)!);
    }, options),
    unreadMentionCount: new DataLoader(async (keys) => {
      const pairs = keys.map((key) => key.split(':') as [string, string]);
      const rows = await prisma.$queryRaw<{ userId: string; chatId: string; count: number }[]>`
        SELECT k."userId"::text AS "userId", k."chatId"::text AS "chatId", ${UNREAD_MENTIONS_SQL} AS "count"
        FROM unnest(${pairs.map(([userId]) => userId)}::uuid[], ${pairs.map(([, chatId]) => chatId)}::uuid[]) AS k("userId", "chatId")
        JOIN "ChatMember" m ON m."chatId" = k."chatId" AND m."userId" = k."userId"`;
      const byKey = new Map(rows.map((row) => [unreadMentionKey(row.userId, row.chatId), row.count]));
      return keys.map((key) => byKey.get(key) ?? 0);
    }, options),
  };
}
