import DataLoader from 'dataloader';
import type { PrismaClient } from '../../generated/prisma/client.js';
import type { ReactionCount, ReactionSnapshots } from './reaction-snapshots.js';

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
  /**
   * Key: `${messageId}:${rev}` (snapshotKey): the message's reactions by emoji
   * as of that rev, most used first (ties: the earliest first reaction first).
   * The same for every viewer (see ReactionSnapshots); whose they are tells
   * each viewer which is theirs. One statement for a page of messages.
   */
  reactionsAt: DataLoader<string, ReactionCount[]>;
  /** Pages of reactors, for ReactionGroup.users; every page asked for in a tick in one statement. */
  reactors: DataLoader<ReactorsKey, Reactor[], string>;
}

export const snapshotKey = (message: { id: string; rev: number }) => `${message.id}:${message.rev}`;

export function createReactionLoaders(prisma: PrismaClient, snapshots: ReactionSnapshots, options?: { maxBatchSize?: number }): ReactionLoaders {
  return {
    reactionsAt: new DataLoader((keys) => {
      const missing = keys.filter((key) => snapshots.get(key) === undefined);
      if (missing.length > 0) {
        const read = readCounts(
          prisma,
          missing.map((key) => key.split(':')[0]!),
        );
        for (const key of missing)
          snapshots.set(
            key,
            read.then((byMessage) => byMessage.get(key.split(':')[0]!) ?? []),
          );
      }
      return Promise.all(keys.map((key) => snapshots.get(key) ?? Promise.resolve([])));
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

async function readCounts(prisma: PrismaClient, messageIds: string[]): Promise<Map<string, ReactionCount[]>> {
  const rows = await prisma.$queryRaw<{ messageId: string; emoji: string; count: number; firstAt: Date; userIds: string[] }[]>`
    SELECT "messageId"::text AS "messageId", "emoji", count(*)::int AS "count", min("createdAt") AS "firstAt",
           array_agg("userId"::text) AS "userIds"
    FROM "MessageReaction" WHERE "messageId" = ANY(${messageIds}::uuid[])
    GROUP BY "messageId", "emoji"
    ORDER BY count(*) DESC, min("createdAt"), "emoji"`;
  const byMessage = new Map<string, ReactionCount[]>();
  for (const { messageId, userIds, ...count } of rows) {
    const list = byMessage.get(messageId) ?? [];
    list.push({ ...count, userIds: new Set(userIds) });
    byMessage.set(messageId, list);
  }
  return byMessage;
}
