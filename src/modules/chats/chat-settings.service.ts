import type { PrismaClient } from '../../generated/prisma/client.js';
import { badInput } from '../../lib/errors.js';
import type { Viewer } from '../../lib/viewer.js';
import type { PubSub } from '../../realtime/pubsub.js';
import { guardByMembership } from './chats.guard.js';
import { memberKey, type ChatLoaders } from './chats.loaders.js';
import { requireMembership } from './chats.policy.js';
import type { ChatSettingsInput } from './chat-settings.inputs.js';
import { type ChatUpdatedPayload, ChatTopic } from './chat.topics.js';
import type { ChatRecord, MemberRecord } from './chat.types.js';

/** Chats one member may pin (the contract: 5). */
export const MAX_PINNED_CHATS = 5;
const MAX_MUTE_MS = 366 * 24 * 3600 * 1000;

/** Whether a member's mute holds at `now`. */
export const isMuted = (member: Pick<MemberRecord, 'muted' | 'mutedUntil'>, now = new Date()): boolean =>
  member.muted && (member.mutedUntil === null || member.mutedUntil > now);

/**
 * A member's own settings for a chat: muting, archiving, pinning, how much it
 * notifies, "marked unread". They are the member's alone: they change neither
 * what the other members see nor what newMessage delivers, and they reach the
 * member's other devices through chatUpdated and the account feed.
 */
export class ChatSettingsService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly pubsub: PubSub,
  ) {}

  async update(viewer: Viewer, loaders: ChatLoaders, chatId: string, input: ChatSettingsInput): Promise<ChatRecord> {
    const { chat, member } = await requireMembership(loaders, viewer, chatId);
    const now = new Date();
    const data: Partial<Pick<MemberRecord, 'muted' | 'mutedUntil' | 'archived' | 'pinnedAt' | 'notifyLevel' | 'markedUnread'>> = {};
    if (input.mutedUntil !== null && input.mutedUntil !== undefined) {
      const until = input.mutedUntil;
      if (Number.isNaN(until.getTime()) || until <= now || until.getTime() - now.getTime() > MAX_MUTE_MS) {
        throw badInput('mutedUntil must be a time in the coming year', 'mutedUntil');
      }
      if (input.muted === false) throw badInput('mutedUntil goes with muted: true (or without muted)', 'mutedUntil');
      Object.assign(data, { muted: true, mutedUntil: until });
    } else if (input.muted !== null && input.muted !== undefined) {
      Object.assign(data, { muted: input.muted, mutedUntil: null });
    }
    if (input.archived !== null && input.archived !== undefined) data.archived = input.archived;
    if (input.notifyLevel !== null && input.notifyLevel !== undefined) data.notifyLevel = input.notifyLevel;
    if (input.markedUnread !== null && input.markedUnread !== undefined) data.markedUnread = input.markedUnread;
    const pin = input.pinned === true && member.pinnedAt === null;
    if (input.pinned === false) data.pinnedAt = null;
    if (pin) data.pinnedAt = now;

    await this.prisma.$transaction(async (tx) => {
      if (pin) {
        // Under the member's own rows' locks: two pins at once cannot both be the fifth.
        const pinned = await tx.$queryRaw<{ chatId: string }[]>`
          SELECT "chatId"::text AS "chatId" FROM "ChatMember" WHERE "userId" = ${viewer.id}::uuid AND "pinnedAt" IS NOT NULL FOR UPDATE`;
        if (pinned.filter((row) => row.chatId !== chatId).length >= MAX_PINNED_CHATS) {
          throw badInput(`At most ${MAX_PINNED_CHATS} chats can be pinned; unpin one first`, 'pinned');
        }
      }
      await tx.chatMember.update({ where: { chatId_userId: { chatId, userId: viewer.id } }, data, select: { chatId: true } });
      // The account feed: a change for this member alone.
      await tx.$executeRaw`
        UPDATE "ChatMember" SET "changeStamp" = pg_current_xact_id()::text::bigint
        WHERE "chatId" = ${chatId}::uuid AND "userId" = ${viewer.id}::uuid`;
    });
    loaders.memberOf.clear(memberKey(chatId, viewer.id));
    loaders.membersByChat.clear(chatId);
    this.pubsub.publish(ChatTopic.ChatUpdated, viewer.id, { chatId });
    return chat;
  }

  async subscribeUpdates(viewer: Viewer, loaders: ChatLoaders, chatId?: string | null): Promise<AsyncIterableIterator<ChatUpdatedPayload>> {
    if (chatId) await requireMembership(loaders, viewer, chatId);
    return guardByMembership(this.pubsub, viewer.id, ChatTopic.ChatUpdated, chatId ?? undefined);
  }
}
