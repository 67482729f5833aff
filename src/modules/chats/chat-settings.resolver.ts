import { Arg, Authorized, Ctx, FieldResolver, ID, Mutation, Resolver, Root, Subscription } from 'type-graphql';
import type { Context } from '../../graphql/context.js';
import { CurrentViewer } from '../../graphql/current-viewer.js';
import { AuthReason, unauthenticated } from '../../lib/errors.js';
import type { Viewer } from '../../lib/viewer.js';
import { isMuted } from './chat-settings.service.js';
import { ChatSettingsInput } from './chat-settings.inputs.js';
import type { ChatUpdatedPayload } from './chat.topics.js';
import { Chat, NotifyLevel, type ChatRecord, type MemberRecord } from './chat.types.js';
import { memberKey } from './chats.loaders.js';
import { requireReader } from './chats.policy.js';

/** My membership of a chat, for my settings; null for a former member (who has none) or signed out. */
async function mine(ctx: Context, chat: ChatRecord): Promise<MemberRecord | null> {
  return ctx.viewer ? ctx.loaders.memberOf.load(memberKey(chat.id, ctx.viewer.id)) : null;
}

@Resolver(() => Chat)
export class ChatSettingsResolver {
  @Authorized()
  @Mutation(() => Chat, {
    description: 'My settings for a chat of mine (muted, archived, pinned, notifyLevel, markedUnread); my other devices get chatUpdated.',
  })
  updateChatSettings(
    @Arg('chatId', () => ID) chatId: string,
    @Arg('input', () => ChatSettingsInput) input: ChatSettingsInput,
    @CurrentViewer() viewer: Viewer,
    @Ctx() ctx: Context,
  ) {
    return ctx.services.chatSettings.update(viewer, ctx.loaders, chatId, input);
  }

  @Authorized()
  @Subscription(() => Chat, {
    description:
      'A chat of mine changed: its title, description, photo, permissions, members, admins, pins or message timer, or my own settings for it (from another device). ' +
      'The chat in its new state for me.',
    subscribe: ({ args, context }: { args: Record<string, unknown>; context: Context }) => {
      if (!context.viewer) throw unauthenticated(AuthReason.TOKEN_INVALID, 'Subscriptions need a signed-in WebSocket connection');
      return context.services.chatSettings.subscribeUpdates(context.viewer, context.loaders, args['chatId'] as string | null);
    },
  })
  async chatUpdated(
    @Root() payload: ChatUpdatedPayload,
    @Arg('chatId', () => ID, { nullable: true }) _chatId: string | null,
    @Ctx() ctx: Context,
  ): Promise<ChatRecord> {
    if (!ctx.viewer) throw unauthenticated(AuthReason.TOKEN_INVALID);
    return (await requireReader(ctx.loaders, ctx.viewer, payload.chatId)).chat;
  }

  @FieldResolver(() => Boolean, { description: 'Muted for me now (a mute with mutedUntil ends by itself).' })
  async muted(@Root() chat: ChatRecord, @Ctx() ctx: Context): Promise<boolean> {
    const member = await mine(ctx, chat);
    return member !== null && isMuted(member);
  }

  @FieldResolver(() => Date, { nullable: true, description: 'When my mute ends; null when not muted, or muted for ever.' })
  async mutedUntil(@Root() chat: ChatRecord, @Ctx() ctx: Context): Promise<Date | null> {
    const member = await mine(ctx, chat);
    return member !== null && isMuted(member) ? member.mutedUntil : null;
  }

  @FieldResolver(() => Boolean, { description: 'Archived by me: out of my main list until I unarchive it.' })
  async archived(@Root() chat: ChatRecord, @Ctx() ctx: Context): Promise<boolean> {
    return (await mine(ctx, chat))?.archived ?? false;
  }

  @FieldResolver(() => Boolean, { description: 'Pinned by me (at most 5).' })
  async pinned(@Root() chat: ChatRecord, @Ctx() ctx: Context): Promise<boolean> {
    return ((await mine(ctx, chat))?.pinnedAt ?? null) !== null;
  }

  @FieldResolver(() => Date, { nullable: true, description: 'When I pinned it; null when not pinned.' })
  async pinnedAt(@Root() chat: ChatRecord, @Ctx() ctx: Context): Promise<Date | null> {
    return (await mine(ctx, chat))?.pinnedAt ?? null;
  }

  @FieldResolver(() => NotifyLevel, { description: 'What this chat notifies me of (ALL by default).' })
  async notifyLevel(@Root() chat: ChatRecord, @Ctx() ctx: Context): Promise<NotifyLevel> {
    return (await mine(ctx, chat))?.notifyLevel ?? NotifyLevel.ALL;
  }

  @FieldResolver(() => Boolean, { description: 'Marked unread by me: unreadCount is at least 1 until I read the chat.' })
  async markedUnread(@Root() chat: ChatRecord, @Ctx() ctx: Context): Promise<boolean> {
    return (await mine(ctx, chat))?.markedUnread ?? false;
  }
}
