import DataLoader from 'dataloader';
import { Prisma, type PrismaClient } from '../../generated/prisma/client.js';
import { USER_SELECT, type UserRecord } from '../users/index.js';
import { MAX_INVITED_LISTED, MAX_INVITE_LINKS } from './invites.inputs.js';
import type { InviteRecord } from './invites.types.js';

export interface InviteLoaders {
  /** A group's links (personal invitations left out): usable ones first, newest first, at most MAX_INVITE_LINKS. */
  inviteLinksByChat: DataLoader<string, InviteRecord[]>;
  /** Users with a pending personal invitation to a group who are not in it, newest invitation first, at most MAX_INVITED_LISTED. */
  invitedUsersByChat: DataLoader<string, UserRecord[]>;
}

export function createInviteLoaders(prisma: PrismaClient, options?: { maxBatchSize?: number }): InviteLoaders {
  return {
    inviteLinksByChat: new DataLoader(async (chatIds) => {
      // The newest links of each chat, usable ones first: one statement for every chat of the response.
      const rows = await prisma.$queryRaw<InviteRecord[]>`
        SELECT ranked."id"::text AS "id", ranked."chatId"::text AS "chatId", ranked."code", ranked."createdById"::text AS "createdById",
               ranked."inviteeId"::text AS "inviteeId", ranked."expiresAt", ranked."maxUses", ranked."uses", ranked."requiresApproval",
               ranked."revokedAt", ranked."createdAt"
        FROM (
          SELECT i.*, row_number() OVER (PARTITION BY i."chatId" ORDER BY ${USABLE} DESC, i."createdAt" DESC, i."id" DESC) AS "rank"
          FROM "ChatInvite" i WHERE i."chatId" = ANY(${[...chatIds]}::uuid[]) AND i."inviteeId" IS NULL
        ) ranked
        WHERE ranked."rank" <= ${MAX_INVITE_LINKS}
        ORDER BY ranked."rank"`;
      const byChat = new Map<string, InviteRecord[]>(chatIds.map((id) => [id, []]));
      for (const row of rows) byChat.get(row.chatId)?.push(row);
      return chatIds.map((id) => byChat.get(id)!);
    }, options),
    invitedUsersByChat: new DataLoader(async (chatIds) => {
      const invited = await prisma.$queryRaw<{ chatId: string; userId: string }[]>`
        SELECT ranked."chatId", ranked."userId"
        FROM (
          SELECT i."chatId"::text AS "chatId", i."inviteeId"::text AS "userId",
                 row_number() OVER (PARTITION BY i."chatId" ORDER BY i."createdAt" DESC, i."id" DESC) AS "rank"
          FROM "ChatInvite" i
          WHERE i."chatId" = ANY(${[...chatIds]}::uuid[]) AND i."inviteeId" IS NOT NULL AND ${USABLE}
            AND NOT EXISTS (SELECT 1 FROM "ChatMember" m WHERE m."chatId" = i."chatId" AND m."userId" = i."inviteeId")
        ) ranked
        WHERE ranked."rank" <= ${MAX_INVITED_LISTED}
        ORDER BY ranked."rank"`;
      const users = invited.length === 0 ? [] : await prisma.user.findMany({ where: { id: { in: invited.map((row) => row.userId) } }, select: USER_SELECT });
      const byId = new Map(users.map((user) => [user.id, user]));
      const byChat = new Map<string, UserRecord[]>(chatIds.map((id) => [id, []]));
      for (const row of invited) {
        const user = byId.get(row.userId);
        if (user) byChat.get(row.chatId)?.push(user);
      }
      return chatIds.map((id) => byChat.get(id)!);
    }, options),
  };
}

/** On a ChatInvite row `i`: it still lets someone in (isUsable in invites.types.ts, in SQL). */
export const USABLE = Prisma.sql`(i."revokedAt" IS NULL AND (i."expiresAt" IS NULL OR i."expiresAt" > now()) AND (i."maxUses" IS NULL OR i."uses" < i."maxUses"))`;
