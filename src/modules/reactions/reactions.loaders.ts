import DataLoader from 'dataloader';
import type { PrismaClient } from '../../generated/prisma/client.js';

/** One emoji's reactions to one message, as everyone sees them. */
export interface ReactionCount {
  emoji: string;
  count: number;
  /** The earliest of these reactions: it breaks ties between groups of equal count. */
  firstAt: Date;
}

/** A page of one group's reactors, newest first: its place after `after` (exclusive) and its size. */
export interface ReactorsKey {
  messageId: string;
  emoji: string;
  after: { at: Date; userId: string } | null;
  take: number;
}

export interface Reactor {
  userId: string;
  createdAt: Date;
}

export interface ReactionLoaders {
  /** A message's reactions by emoji, most used first, ties: the earliest first reaction first. */
  reactionCounts: DataLoader<string, ReactionCount[]>;
  /** Key: `${userId}:${messageId}` (reactionKey): that user's emoji on the message; null if none. */
  reactionOf: DataLoader<string, string | null>;
  /** Pages of reactors, for ReactionGroup.users; every page asked for in a tick in one statement. */
  reactors: DataLoader<ReactorsKey, Reactor[], string>;
}

export const reactionKey = (userId: string, messageId: string) => `${userId}:${messageId}`;

export function createReactionLoaders(prisma: PrismaClient, options?: { maxBatchSize?: number }): ReactionLoaders {
  return {
    reactionCounts: new DataLoader(async (messageIds) => {
      const rows = await prisma.$queryRaw<(ReactionCount & { messageId: string })[]>`
        SELECT "messageId"::text AS "messageId", "emoji", count(*)::int AS "count", min("createdAt") AS "firstAt"
        FROM "MessageReaction" WHERE "messageId" = ANY(${[...messageIds]}::uuid[])
        GROUP BY "messageId", "emoji"
        ORDER BY count(*) DESC, min("createdAt"), "emoji"`;
      const byMessage = new Map<string, ReactionCount[]>();
      for (const { messageId, ...count } of rows) {
        const list = byMessage.get(messageId);
        if (list) list.push(count);
        else byMessage.set(messageId, [count]);
      }
      return messageIds.map((id) => byMessage.get(id) ?? []);
    }, options),
    reactionOf: new DataLoader(async (keys) => {
      const pairs = keys.map((key) => {
        const [userId, messageId] = key.split(':');
        return { userId: userId!, messageId: messageId! };
      });
      const rows = await prisma.messageReaction.findMany({ where: { OR: pairs }, select: { userId: true, messageId: true, emoji: true } });
      const byKey = new Map(rows.map((row) => [reactionKey(row.userId, row.messageId), row.emoji]));
      return keys.map((key) => byKey.get(key) ?? null);
    }, options),
    reactors: new DataLoader(
      async (keys) => {
        // One LATERAL walk of (messageId, emoji, createdAt) per page asked for.
        const rows = await prisma.$queryRaw<(Reactor & { i: number })[]>`
          SELECT k."i"::int AS "i", r."userId"::text AS "userId", r."createdAt"
          FROM unnest(
            ${keys.map((k) => k.messageId)}::uuid[], ${keys.map((k) => k.emoji)}::text[],
            ${keys.map((k) => k.after?.at.toISOString() ?? null)}::timestamptz[], ${keys.map((k) => k.after?.userId ?? null)}::uuid[],
            ${keys.map((k) => k.take)}::int[]
          ) WITH ORDINALITY AS k("messageId", "emoji", "afterAt", "afterUserId", "take", "i")
          CROSS JOIN LATERAL (
            SELECT m."userId", m."createdAt" FROM "MessageReaction" m
            WHERE m."messageId" = k."messageId" AND m."emoji" = k."emoji"
              AND (k."afterAt" IS NULL OR (m."createdAt", m."userId") < (k."afterAt", k."afterUserId"))
            ORDER BY m."createdAt" DESC, m."userId" DESC
            LIMIT k."take"
          ) r
          ORDER BY k."i", r."createdAt" DESC, r."userId" DESC`;
        const pages: Reactor[][] = keys.map(() => []);
        for (const { i, ...reactor } of rows) pages[i - 1]!.push(reactor);
        return pages;
      },
      {
        ...options,
        cacheKeyFn: (key) => JSON.stringify([key.messageId, key.emoji, key.after?.at.getTime() ?? null, key.after?.userId ?? null, key.take]),
      },
    ),
  };
}
