import { Arg, Args, Authorized, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root, Subscription } from 'type-graphql';
import type { Context } from '../../graphql/context.js';
import { CurrentViewer } from '../../graphql/current-viewer.js';
import { AuthReason, unauthenticated } from '../../lib/errors.js';
import type { Viewer } from '../../lib/viewer.js';
import { Chat, clearedSeqOf, readsHidden, requireVisibleChat, type ChatRecord, type TypingPayload } from '../chats/index.js';
import { fromMessagePayload, type MessageRecord } from './message-log.js';
import { appendedMessage, isAsAppended } from './message.record.js';
import { User, type UserRecord } from '../users/index.js';
import {
  ChatMessageChanges,
  ChatRevInput,
  Message,
  MessageConnection,
  MessageEditConnection,
  MessageStatus,
  MessageStatusEvent,
  TypingEvent,
  messageCursor,
} from './message.types.js';
import { viewOf } from './message-views.js';
import { SendMessageInput } from './messages.inputs.js';
import { receiptStatus } from './receipt-floors.js';
import { type MessagePayload, type MessageStatusPayload } from './message.topics.js';
import { PageArgs } from '../../graphql/page-args.js';
import { EventsAsAppended, SameForEveryViewer, SameForEveryViewerAsAppended, SameForEveryViewerWhenNull } from '../../graphql/event-fields.js';

interface SubscriptionData {
  args: Record<string, unknown>;
  context: Context;
}

/** Subscriptions run over graphql-ws only, where onConnect guarantees a viewer; HTTP gets a clear error. */
function subscriber(context: Context): Viewer {
  if (!context.viewer) throw unauthenticated(AuthReason.TOKEN_INVALID, 'Subscriptions need a signed-in WebSocket connection');
  return context.viewer;
}

@Resolver(() => Message)
export class MessagesResolver {
  @Authorized()
  @Query(() => MessageConnection, {
    description: 'Newest first; `after` walks back in time. With `afterSeq`: the messages after that seq, oldest first (catch-up after a reconnect).',
  })
  messages(
    @Arg('chatId', () => ID) chatId: string,
    @Args(() => PageArgs) { first, after }: PageArgs,
    @Arg('afterSeq', () => Int, { nullable: true }) afterSeq: number | null,
    @CurrentViewer() viewer: Viewer,
    @Ctx() ctx: Context,
  ) {
    return ctx.services.messages.list(viewer, ctx.loaders, { chatId, first, after, afterSeq });
  }

  @Authorized()
  @Mutation(() => Message, { description: 'With clientId, a retry returns the first message instead of sending a second.' })
  sendMessage(@Arg('input', () => SendMessageInput) input: SendMessageInput, @CurrentViewer() viewer: Viewer, @Ctx() ctx: Context) {
    return ctx.services.messages.send(viewer, input);
  }

  @Authorized()
  @Query(() => MessageConnection, {
    description:
      'The messages of a chat changed after `afterRev` (new, edited, deleted, reacted to, pinned), each once, in its current state, ' +
      "oldest change first. Keep the highest rev you applied per chat; page on with afterRev = the last node's rev.",
  })
  messageChanges(
    @Arg('chatId', () => ID) chatId: string,
    @Arg('afterRev', () => Int) afterRev: number,
    @Arg('first', () => Int, { nullable: true, description: 'Page size: default 20, at most 100.' }) first: number | null,
    @CurrentViewer() viewer: Viewer,
    @Ctx() ctx: Context,
  ) {
    return ctx.services.messageChanges.changes(viewer, ctx.loaders, chatId, afterRev, first);
  }

  @Authorized()
  @Query(() => [ChatMessageChanges], {
    description:
      'messageChanges for many chats at once (at most 100), in the order given: after chatChanges, fetch the messages of the chats that changed in one request.',
  })
  messageChangesBatch(
    @Arg('after', () => [ChatRevInput]) after: ChatRevInput[],
    @Arg('firstPerChat', () => Int, { nullable: true, description: 'Per chat: default 20, at most 100.' }) firstPerChat: number | null,
    @CurrentViewer() viewer: Viewer,
    @Ctx() ctx: Context,
  ) {
    return ctx.services.messageChanges.changesBatch(viewer, ctx.loaders, after, firstPerChat);
  }

  @Authorized()
  @Mutation(() => Message, {
    description: 'The sender edits the text (or a caption) within MESSAGE_EDIT_WINDOW (15 minutes); the previous text is kept in edits.',
  })
  editMessage(@Arg('messageId', () => ID) messageId: string, @Arg('text', () => String) text: string, @CurrentViewer() viewer: Viewer, @Ctx() ctx: Context) {
    return ctx.services.messageChanges.edit(viewer, ctx.loaders, messageId, text);
  }

  @Authorized()
  @Mutation(() => Message, {
    description:
      'forEveryone: by the sender within MESSAGE_DELETE_WINDOW (48 hours), or by a group admin at any time; the message stays as a tombstone. ' +
      'Otherwise for me only (any message of a chat of mine, no window). Returns the tombstone as I see it.',
  })
  deleteMessage(
    @Arg('messageId', () => ID) messageId: string,
    @Arg('forEveryone', () => Boolean) forEveryone: boolean,
    @CurrentViewer() viewer: Viewer,
    @Ctx() ctx: Context,
  ) {
    return ctx.services.messageChanges.delete(viewer, ctx.loaders, messageId, forEveryone);
  }

  @Authorized()
  @Mutation(() => Boolean, { description: 'Everything up to that message reached me. True when my watermark moved.' })
  markDelivered(
    @Arg('chatId', () => ID) chatId: string,
    @Arg('upToMessageId', () => ID) upToMessageId: string,
    @CurrentViewer() viewer: Viewer,
    @Ctx() ctx: Context,
  ) {
    return ctx.services.messages.markReceipt(viewer, ctx.loaders, chatId, upToMessageId, 'DELIVERED');
  }

  @Authorized()
  @Mutation(() => Boolean, { description: 'I read everything up to that message (implies delivered). True when my watermark moved.' })
  markRead(
    @Arg('chatId', () => ID) chatId: string,
    @Arg('upToMessageId', () => ID) upToMessageId: string,
    @CurrentViewer() viewer: Viewer,
    @Ctx() ctx: Context,
  ) {
    return ctx.services.messages.markReceipt(viewer, ctx.loaders, chatId, upToMessageId, 'READ');
  }

  @Authorized()
  @Mutation(() => Message, { description: 'DELIVERED or READ, by a recipient: moves my watermark up to this message.' })
  updateMessageStatus(
    @Arg('messageId', () => ID) messageId: string,
    @Arg('status', () => MessageStatus) status: MessageStatus,
    @CurrentViewer() viewer: Viewer,
    @Ctx() ctx: Context,
  ) {
    return ctx.services.messages.updateStatus(viewer, ctx.loaders, messageId, status);
  }

  @Authorized()
  @EventsAsAppended()
  @Subscription(() => Message, {
    description: 'New messages in all my chats, or in one.',
    subscribe: ({ args, context }: SubscriptionData) =>
      context.services.messages.subscribeMessages(subscriber(context), context.loaders, args['chatId'] as string | null),
  })
  newMessage(@Root() payload: MessagePayload, @Arg('chatId', () => ID, { nullable: true }) _chatId: string | null): MessageRecord {
    return appendedMessage(fromMessagePayload(payload));
  }

  @Authorized()
  @Subscription(() => Message, {
    description: 'Edits, deletions, reaction changes and pins in all my chats, or in one: the message in its new state, in rev order per chat.',
    subscribe: ({ args, context }: SubscriptionData) =>
      context.services.messageChanges.subscribeUpdates(subscriber(context), context.loaders, args['chatId'] as string | null),
  })
  messageUpdated(@Root() payload: MessagePayload, @Arg('chatId', () => ID, { nullable: true }) _chatId: string | null): MessageRecord {
    return fromMessagePayload(payload);
  }

  @Authorized()
  @Subscription(() => MessageStatusEvent, {
    description: 'Receipts: someone received or read messages of mine (and my own reads, for my other devices).',
    subscribe: ({ args, context }: SubscriptionData) =>
      context.services.messages.subscribeStatuses(subscriber(context), context.loaders, args['chatId'] as string | null),
  })
  messageStatus(@Root() payload: MessageStatusPayload, @Arg('chatId', () => ID, { nullable: true }) _chatId: string | null): Omit<MessageStatusEvent, 'user'> {
    return { ...payload, at: new Date(payload.at) };
  }

  @Authorized()
  @Subscription(() => TypingEvent, {
    description: 'Who starts or stops typing in a chat of mine.',
    subscribe: ({ args, context }: SubscriptionData) =>
      context.services.messages.subscribeTyping(subscriber(context), context.loaders, args['chatId'] as string),
  })
  typing(@Root() payload: TypingPayload, @Arg('chatId', () => ID) _chatId: string): Omit<TypingEvent, 'user'> {
    return payload;
  }

  @SameForEveryViewer()
  @FieldResolver(() => String, {
    description:
      "This message's edge cursor in messages(chatId): pass it as `after` to page on below it, or use it as the edge cursor " +
      'when inserting a live message (newMessage) into a paged list held by a client cache.',
  })
  cursor(@Root() message: MessageRecord): string {
    return messageCursor(message);
  }

  @SameForEveryViewer()
  @FieldResolver(() => Boolean, { description: 'Deleted for everyone, or for me: text, file, edits, reactions and mentions are gone.' })
  deleted(@Root() message: MessageRecord): boolean {
    return message.deletedAt !== null;
  }

  @SameForEveryViewer()
  @FieldResolver(() => Boolean, { description: 'A copy forwarded from another message (forwardCount > 0).' })
  forwarded(@Root() message: MessageRecord): boolean {
    return message.forwardCount > 0;
  }

  @SameForEveryViewer()
  @FieldResolver(() => Boolean, { description: "One of the chat's pinned messages." })
  pinned(@Root() message: MessageRecord): boolean {
    return message.pinnedAt !== null;
  }

  @FieldResolver(() => MessageEditConnection, { description: 'Previous texts, newest first; empty when never edited or deleted.' })
  edits(@Root() message: MessageRecord, @Args(() => PageArgs) { first, after }: PageArgs, @Ctx() ctx: Context) {
    return ctx.services.messageChanges.edits(ctx.viewer, ctx.loaders, message, { first, after });
  }

  @FieldResolver(() => Chat)
  chat(@Root() message: MessageRecord, @Ctx() ctx: Context): Promise<ChatRecord> {
    return requireVisibleChat(ctx.loaders, ctx.viewer, message.chatId);
  }

  // The same row for everyone (User's own fields say which of theirs are the same for every viewer).
  @SameForEveryViewer()
  @FieldResolver(() => User, { nullable: true, description: 'Null for SYSTEM messages.' })
  sender(@Root() message: MessageRecord, @Ctx() ctx: Context): Promise<UserRecord | null> | null {
    return message.senderId ? ctx.loaders.userById.load(message.senderId) : null;
  }

  @SameForEveryViewerWhenNull('replyToId')
  @FieldResolver(() => Message, { nullable: true })
  replyTo(@Root() message: MessageRecord, @Ctx() ctx: Context): Promise<MessageRecord | null> | null {
    return message.replyToId ? this.#seen(ctx, ctx.loaders.messageById.load(message.replyToId)) : null;
  }

  /** A message reached through another object (a reply, a chat's last message), as the viewer sees it. */
  async #seen(ctx: Context, loading: Promise<MessageRecord | null>): Promise<MessageRecord | null> {
    const message = await loading;
    return message && viewOf(ctx.loaders, ctx.viewer, message);
  }

  @SameForEveryViewerAsAppended()
  @FieldResolver(() => MessageStatus, {
    description:
      'READ when every other member read it, DELIVERED when every other member received it, else SENT. In a private chat, never READ ' +
      'while either member has read receipts off (privacy.readReceipts): DELIVERED instead. Groups always show READ.',
  })
  async status(@Root() message: MessageRecord, @Ctx() ctx: Context): Promise<MessageStatus> {
    if (isAsAppended(message)) return MessageStatus.SENT;
    const members = await ctx.loaders.membersByChat.load(message.chatId);
    const status = receiptStatus(message, members);
    // Read receipts (chats' receipts.policy.ts): everyone who read it has received it, so DELIVERED is what is left.
    if (
      status === MessageStatus.READ &&
      (await readsHidden(
        ctx.loaders,
        message.chatId,
        members.map((m) => m.userId),
      ))
    )
      return MessageStatus.DELIVERED;
    return status;
  }
}

@Resolver(() => Chat)
export class ChatLastMessageResolver {
  @FieldResolver(() => Message, { nullable: true, description: 'Null when there is none, or none since I cleared the chat (clearChat).' })
  async lastMessage(@Root() chat: ChatRecord, @Ctx() ctx: Context): Promise<MessageRecord | null> {
    if (chat.lastSeq === 0 || chat.lastSeq <= (await clearedSeqOf(ctx.loaders, ctx.viewer, chat))) return null;
    const message = await ctx.loaders.messageByChatSeq.load(`${chat.id}:${chat.lastSeq}`);
    return message && viewOf(ctx.loaders, ctx.viewer, message);
  }
}
