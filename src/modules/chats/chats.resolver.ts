import { Arg, Args, Authorized, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../../graphql/context.js';
import { CurrentViewer } from '../../graphql/current-viewer.js';
import type { Viewer } from '../../lib/viewer.js';
import { User, type UserRecord } from '../users/index.js';
import { Chat, ChatChanges, ChatConnection, ChatMember, type ChatRecord, type MemberRecord } from './chat.types.js';
import { readsHidden } from './receipts.policy.js';
import { CreateGroupChatInput } from './chats.inputs.js';
import { memberKey } from './chats.loaders.js';
import { ChatFilter } from './chat-settings.inputs.js';
import { PageArgs } from '../../graphql/page-args.js';

@Resolver(() => Chat)
export class ChatsResolver {
  @Authorized()
  @Query(() => ChatConnection, {
    description:
      'My chats, newest activity first; chats I left stay, dated by my leaving (leftAt). Without a filter: those I have not archived. ' +
      'filter: { pinned: true } lists my pinned chats, most recently pinned first.',
  })
  chats(
    @Args(() => PageArgs) { first, after }: PageArgs,
    @Arg('filter', () => ChatFilter, { nullable: true }) filter: ChatFilter | null,
    @Arg('search', () => String, {
      nullable: true,
      description:
        "Only chats whose name has these words: a group's title, a private chat's other member's display name or username; " +
        'every word must match, as a prefix from two letters on (README, "Search"). Null or blank: no filtering; ' +
        'one letter, or more than 200 characters or 10 words: BAD_USER_INPUT. Works with filter and the pages.',
    })
    search: string | null,
    @CurrentViewer() viewer: Viewer,
    @Ctx() ctx: Context,
  ) {
    return ctx.services.chats.list(viewer, { first, after, filter, search });
  }

  @Authorized()
  @Query(() => Chat, {
    nullable: true,
    description: 'NOT_FOUND unless I am, or was, a member; a former member sees the chat as it was when they left (see leftAt).',
  })
  chat(@Arg('id', () => ID) id: string, @CurrentViewer() viewer: Viewer, @Ctx() ctx: Context) {
    return ctx.services.chats.get(viewer, ctx.loaders, id);
  }

  @Authorized()
  @Query(() => ChatChanges, {
    description:
      'The account feed: my chats whose state for me changed after the token (messages, edits, reactions, unread, membership, title), ' +
      'each once, oldest change first. since: null = from the beginning. Then messageChangesBatch for their messages.',
  })
  chatChanges(
    @Arg('since', () => String, { nullable: true }) since: string | null,
    @Arg('first', () => Int, { nullable: true, description: 'Page size: default 20, at most 100.' }) first: number | null,
    @CurrentViewer() viewer: Viewer,
    @Ctx() ctx: Context,
  ) {
    return ctx.services.chats.changes(viewer, since, first);
  }

  @Authorized()
  @Mutation(() => Chat, { description: 'Idempotent: the same chat for the same pair, whoever opens it.' })
  createPrivateChat(@Arg('userId', () => ID) userId: string, @CurrentViewer() viewer: Viewer, @Ctx() ctx: Context) {
    return ctx.services.chats.createPrivate(viewer, userId);
  }

  @Authorized()
  @Mutation(() => Chat)
  createGroupChat(@Arg('input', () => CreateGroupChatInput) input: CreateGroupChatInput, @CurrentViewer() viewer: Viewer, @Ctx() ctx: Context) {
    return ctx.services.chats.createGroup(viewer, input);
  }

  @Authorized()
  @Mutation(() => Chat, { description: 'Group admins only. Users already in the group are skipped.' })
  addGroupMembers(
    @Arg('chatId', () => ID) chatId: string,
    @Arg('userIds', () => [ID]) userIds: string[],
    @CurrentViewer() viewer: Viewer,
    @Ctx() ctx: Context,
  ) {
    return ctx.services.chats.addMembers(viewer, ctx.loaders, chatId, userIds);
  }

  @Authorized()
  @Mutation(() => Chat, { description: 'Group admins only.' })
  removeGroupMember(@Arg('chatId', () => ID) chatId: string, @Arg('userId', () => ID) userId: string, @CurrentViewer() viewer: Viewer, @Ctx() ctx: Context) {
    return ctx.services.chats.removeMember(viewer, ctx.loaders, chatId, userId);
  }

  @Authorized()
  @Mutation(() => Boolean, { description: 'Groups only. If the last admin leaves, the longest-standing member becomes admin.' })
  leaveChat(@Arg('chatId', () => ID) chatId: string, @CurrentViewer() viewer: Viewer, @Ctx() ctx: Context) {
    return ctx.services.chats.leave(viewer, ctx.loaders, chatId);
  }

  @Authorized()
  @Mutation(() => Chat, {
    description: 'Renames a group: its admins, or every member when onlyAdminsCanEditInfo is false. updateGroupSettings(input: { title }) does the same.',
  })
  updateGroup(@Arg('chatId', () => ID) chatId: string, @Arg('title', () => String) title: string, @CurrentViewer() viewer: Viewer, @Ctx() ctx: Context) {
    return ctx.services.groups.update(viewer, ctx.loaders, chatId, { title });
  }

  @Authorized()
  @Mutation(() => Boolean, { description: 'Tells the other members; true lapses after 6 s unless sent again.' })
  setTyping(@Arg('chatId', () => ID) chatId: string, @Arg('typing', () => Boolean) typing: boolean, @CurrentViewer() viewer: Viewer, @Ctx() ctx: Context) {
    return ctx.services.chats.setTyping(viewer, ctx.loaders, chatId, typing);
  }

  @FieldResolver(() => String, { nullable: true, description: "Groups: the title. Private chats: the other member's display name." })
  async title(@Root() chat: ChatRecord, @CurrentViewer() viewer: Viewer, @Ctx() ctx: Context): Promise<string | null> {
    if (chat.kind === 'GROUP') return chat.title;
    const members = await ctx.loaders.membersByChat.load(chat.id);
    const other = members.find((m) => m.userId !== viewer.id);
    return other ? ((await ctx.loaders.userById.load(other.userId))?.displayName ?? null) : null;
  }

  @FieldResolver(() => [ChatMember], {
    description:
      'Oldest member first. `first` takes only that many (a chat list showing a few faces); without it, all of them (up to the member cap, 1,024 by default).',
  })
  members(@Root() chat: ChatRecord, @Arg('first', () => Int, { nullable: true }) first: number | null, @Ctx() ctx: Context): Promise<MemberRecord[]> {
    return ctx.services.chats.members(ctx.loaders, chat.id, first);
  }

  @FieldResolver(() => Int, { description: 'How many members the chat has; cheaper than counting `members`.' })
  memberCount(@Root() chat: ChatRecord, @Ctx() ctx: Context): Promise<number> {
    return ctx.loaders.memberCountByChat.load(chat.id);
  }

  @FieldResolver(() => Date, {
    nullable: true,
    description: 'For a former member: when I left or was removed. I still read the messages up to then, and nothing after. Null while a member.',
  })
  leftAt(@Root() chat: ChatRecord, @Ctx() ctx: Context): Promise<Date | null> {
    return ctx.services.chats.leftAt(ctx.viewer, ctx.loaders, chat);
  }

  @FieldResolver(() => Int, {
    description: 'Messages after my read watermark, not counting SYSTEM messages ("Alice added Bob") or my own; at least 1 while I marked the chat unread.',
  })
  unreadCount(@Root() chat: ChatRecord, @CurrentViewer() viewer: Viewer, @Ctx() ctx: Context): number | Promise<number> {
    // The chat list computed it with the page (chat-unread.ts); a chat reached otherwise asks the batched loader.
    return chat.unreadCount ?? ctx.loaders.unreadCountOf.load(memberKey(chat.id, viewer.id));
  }
}

@Resolver(() => ChatMember)
export class ChatMemberResolver {
  @FieldResolver(() => Int, {
    description:
      'This member read every message up to this seq. In a private chat, 0 to the other member when either of them turned read receipts off ' +
      '(privacy.readReceipts); groups always show it; my own is always real.',
  })
  async readSeq(@Root() member: MemberRecord, @Ctx() ctx: Context): Promise<number> {
    const viewerId = ctx.viewer?.id;
    if (member.readSeq === 0 || member.userId === viewerId) return member.readSeq;
    return (await readsHidden(ctx.loaders, member.chatId, viewerId ? [member.userId, viewerId] : [member.userId])) ? 0 : member.readSeq;
  }

  @FieldResolver(() => User)
  async user(@Root() member: MemberRecord, @Ctx() ctx: Context): Promise<UserRecord> {
    const user = await ctx.loaders.userById.load(member.userId);
    if (!user) throw new Error(`member ${member.userId} has no user row`);
    return user;
  }
}
