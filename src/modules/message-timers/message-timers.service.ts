import type { PrismaClient } from '../../generated/prisma/client.js';
import { AppError, ErrorCode, badInput, forbidden, notFound } from '../../lib/errors.js';
import type { Logger } from '../../lib/logger.js';
import type { Viewer } from '../../lib/viewer.js';
import type { PubSub } from '../../realtime/pubsub.js';
import { ChatTopic, canEditChatInfo, requireMembership, type ChatKind, type ChatLoaders, type ChatRecord } from '../chats/index.js';
import type { MessageChangesService, MessageLog } from '../messages/index.js';
import { cleanMessageTimer, describeTimerChange } from './message-timers.inputs.js';

/** What a plain member of a group is told where only admins may set the timer. */
export const ADMINS_ONLY_TIMER = 'Only group admins can change disappearing messages in this group';

/**
 * Due messages one {@link MessageTimersService.expireDue} deletes at most, by
 * default: the sweep runs every minute, and this many take a few seconds here.
 */
export const DEFAULT_EXPIRY_LIMIT = 5000;

/**
 * Due messages read per statement, and so at most deleted in one transaction
 * (one chat's share of them): bounds how long the sweep holds a chat's lock,
 * which that chat's sends wait for.
 */
export const EXPIRY_BATCH = 100;

/** The chat under its row's lock, the viewer's role in it (null: not a member) and their name. */
interface LockedChat {
  kind: ChatKind;
  onlyAdminsCanEditInfo: boolean;
  messageTimer: number | null;
  isAdmin: boolean | null;
  actor: string;
}

/**
 * Disappearing messages. The timer is a chat's (Chat.messageTimer); a message
 * sent while it is on gets expiresAt = createdAt + timer inside
 * payamak_append_message, under the chat's lock (migration
 * 20261201174748_message_timers), so every route that sends is covered.
 * {@link expireDue} deletes the due ones for everyone; the job queue calls it.
 */
export class MessageTimersService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly log: MessageLog,
    private readonly messageChanges: MessageChangesService,
    private readonly pubsub: PubSub,
    private readonly logger: Logger,
  ) {}

  /**
   * Sets a chat's timer (null or 0: off). Who may: both people of a private
   * chat; in a group, its admins, or every member while onlyAdminsCanEditInfo
   * is off ({@link canEditChatInfo}), checked again under the chat's lock. A
   * change posts a SYSTEM message (which stamps the chat for the account feed)
   * and tells every member with chatUpdated; the value it already has changes
   * nothing. It applies to messages sent from then on, never to earlier ones.
   */
  async set(viewer: Viewer, loaders: ChatLoaders, chatId: string, seconds: number | null | undefined): Promise<ChatRecord> {
    const { chat, member } = await requireMembership(loaders, viewer, chatId);
    if (!canEditChatInfo(chat, member)) throw forbidden(ADMINS_ONLY_TIMER);
    const timer = cleanMessageTimer(seconds);
    const memberIds = await this.log.transaction(async (tx, append) => {
      const [locked] = await tx.$queryRaw<LockedChat[]>`
        SELECT c."kind"::text AS "kind", c."onlyAdminsCanEditInfo", c."messageTimer", m."isAdmin",
               (SELECT u."displayName" FROM "User" u WHERE u."id" = ${viewer.id}::uuid) AS "actor"
        FROM "Chat" c LEFT JOIN "ChatMember" m ON m."chatId" = c."id" AND m."userId" = ${viewer.id}::uuid
        WHERE c."id" = ${chatId}::uuid
        FOR NO KEY UPDATE OF c`;
      // Read again under the lock: a removal, a demotion or the flag may have committed meanwhile.
      if (!locked || locked.isAdmin === null) throw notFound('Chat');
      if (!canEditChatInfo(locked, { isAdmin: locked.isAdmin })) throw forbidden(ADMINS_ONLY_TIMER);
      if (locked.messageTimer === timer) return null;
      await tx.chat.update({ where: { id: chatId }, data: { messageTimer: timer }, select: { id: true } });
      const text = describeTimerChange(locked.actor, locked.messageTimer, timer);
      const logged = await append({ chatId, senderId: null, kind: 'SYSTEM', text, requireMember: viewer.id, readBy: viewer.id });
      return logged.memberIds;
    });
    if (!memberIds) return chat;
    this.pubsub.publishMany(ChatTopic.ChatUpdated, memberIds, { chatId });
    loaders.chatById.clear(chatId);
    loaders.memberOf.clearAll();
    return (await requireMembership(loaders, viewer, chatId)).chat;
  }

  /**
   * Deletes for everyone every message whose expiresAt is at or before `now`
   * and that is not deleted yet, at most `limit` of them; returns how many it
   * deleted (`limit`: more may be due, call again). Each goes the way of
   * deleteMessage(forEveryone) (MessageChangesService.expire): a tombstone
   * with a new rev, messageUpdated, the change feed, its file's bytes removed;
   * notifications pointing at it are removed after commit.
   *
   * The job queue calls it every minute with `new Date()`. `now` is only
   * compared with expiresAt, so a test passes a later one (a "fast clock",
   * e.g. 24 hours and a second ahead) instead of waiting; the tombstones'
   * deletedAt is the real time of the deletion.
   *
   * Safe to run from several instances at once: each message is read again
   * under its chat's lock and skipped when it is a tombstone already, so it
   * is deleted once, by whichever got the lock first. A chat whose deletions
   * fail is left for the next run and the others go on; the first failure is
   * thrown at the end, so the job is seen to fail.
   */
  async expireDue(now: Date, limit: number = DEFAULT_EXPIRY_LIMIT): Promise<number> {
    if (Number.isNaN(now.getTime())) throw badInput('now must be a valid date', 'now');
    if (!Number.isSafeInteger(limit) || limit < 1) throw badInput('limit must be a positive integer', 'limit');
    const failedChats: string[] = [];
    let failure: unknown;
    let read = 0;
    let deleted = 0;
    while (read < limit) {
      const take = Math.min(EXPIRY_BATCH, limit - read);
      // The partial index Message_expiresAt_idx, in expiresAt order: the most overdue first.
      const due = await this.prisma.$queryRaw<{ id: string; chatId: string }[]>`
        SELECT m."id"::text AS "id", m."chatId"::text AS "chatId" FROM "Message" m
        WHERE m."expiresAt" IS NOT NULL AND m."deletedAt" IS NULL AND m."expiresAt" <= ${now}
          AND m."chatId" <> ALL(${failedChats}::uuid[])
        ORDER BY m."expiresAt"
        LIMIT ${take}`;
      read += due.length;
      for (const [chatId, messageIds] of groupByChat(due)) {
        try {
          deleted += (await this.messageChanges.expire(chatId, messageIds, now)).length;
        } catch (error) {
          // A chat deleted meanwhile has no messages left to expire; anything else waits for the next run.
          if (error instanceof AppError && error.code === ErrorCode.NOT_FOUND) continue;
          this.logger.error({ err: error, chatId }, 'could not expire messages');
          failedChats.push(chatId);
          failure ??= error;
        }
      }
      if (due.length < take) break;
    }
    if (failure !== undefined) throw failure;
    return deleted;
  }
}

function groupByChat(rows: readonly { id: string; chatId: string }[]): Map<string, string[]> {
  const byChat = new Map<string, string[]>();
  for (const { id, chatId } of rows) {
    const ids = byChat.get(chatId) ?? [];
    ids.push(id);
    byChat.set(chatId, ids);
  }
  return byChat;
}
