import type { PrismaClient } from '../../generated/prisma/client.js';
import type { ChatInvitationsPort } from '../chats/index.js';
import { NotificationType, type NotificationsService } from '../notifications/index.js';
import { newInviteCode } from './invite-codes.js';

/** How long a personal invitation waits to be accepted. */
export const INVITATION_TTL_MS = 7 * 24 * 3600 * 1000;

/**
 * The groupAdds privacy rule (User.groupAddsVisibility): EVERYONE lets anyone
 * put me into a group; CHATS only people who share a chat with me today;
 * NOBODY nobody. Whoever it keeps out gets a personal invitation instead
 * (a ChatInvite for them alone, once, for 7 days) and a GROUP_INVITATION
 * notification carrying its code; the group's admins see them in
 * Chat.invitedUsers until they accept with joinChatByInvite or it lapses.
 */
export class GroupInvitations implements ChatInvitationsPort {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly notifications: Pick<NotificationsService, 'notify'>,
  ) {}

  async refusingAdds(adderId: string, userIds: readonly string[]): Promise<Set<string>> {
    if (userIds.length === 0) return new Set();
    // One statement: the shared-chat test runs only for those who chose CHATS.
    const rows = await this.prisma.$queryRaw<{ id: string }[]>`
      SELECT u."id"::text AS "id" FROM "User" u
      WHERE u."id" = ANY(${[...userIds]}::uuid[]) AND u."id" <> ${adderId}::uuid
        AND (u."groupAddsVisibility" = 'NOBODY'
             OR (u."groupAddsVisibility" = 'CHATS' AND NOT EXISTS (
                   SELECT 1 FROM "ChatMember" mine JOIN "ChatMember" theirs ON theirs."chatId" = mine."chatId"
                   WHERE mine."userId" = u."id" AND theirs."userId" = ${adderId}::uuid)))`;
    return new Set(rows.map((row) => row.id));
  }

  async invite(chat: { id: string; title: string }, adderId: string, userIds: readonly string[]): Promise<void> {
    if (userIds.length === 0) return;
    const expiresAt = new Date(Date.now() + INVITATION_TTL_MS);
    const codes = userIds.map(() => newInviteCode());
    // Inviting again renews the pending invitation (and keeps its code, so an earlier notification still works).
    const rows = await this.prisma.$queryRaw<{ inviteeId: string; code: string }[]>`
      INSERT INTO "ChatInvite" ("id", "chatId", "code", "createdById", "inviteeId", "expiresAt", "maxUses")
      SELECT gen_random_uuid(), ${chat.id}::uuid, invited."code", ${adderId}::uuid, invited."inviteeId", ${expiresAt}, 1
      FROM unnest(${[...userIds]}::uuid[], ${codes}::text[]) AS invited("inviteeId", "code")
      ON CONFLICT ("chatId", "inviteeId") DO UPDATE
        SET "createdById" = EXCLUDED."createdById", "expiresAt" = EXCLUDED."expiresAt", "uses" = 0, "revokedAt" = NULL, "createdAt" = now()
      RETURNING "inviteeId"::text AS "inviteeId", "code"`;
    const [adder] = await this.prisma.$queryRaw<{ displayName: string }[]>`SELECT "displayName" FROM "User" WHERE "id" = ${adderId}::uuid`;
    for (const row of rows) {
      this.notifications.notify([row.inviteeId], NotificationType.GROUP_INVITATION, {
        title: chat.title,
        body: `${adder?.displayName ?? 'Someone'} invited you to join`,
        data: { chatId: chat.id, code: row.code, inviterId: adderId },
      });
    }
  }
}
