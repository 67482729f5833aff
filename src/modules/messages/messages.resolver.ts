import { Arg, Args, Authorized, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root, Subscription } from 'type-graphql';
import type { Context } from '../../graphql/context.js';
import { CurrentViewer } from '../../graphql/current-viewer.js';
import { unauthenticated } from '../../lib/errors.js';
import type { Viewer } from '../../lib/viewer.js';
import { Chat, requireVisibleChat, type ChatRecord, type TypingPayload } from '../chats/index.js';
import { fromMessagePayload, type MessageRecord } from './message-log.js';
import { User, type UserRecord } from '../users/index.js';
import { Message, MessageConnection, MessageStatus, MessageStatusEvent, TypingEvent, messageCursor } from './message.types.js';
import { SendMessageInput } from './messages.inputs.js';
import { MessagesService } from './messages.service.js';
import { type MessagePayload, type MessageStatusPayload } from './message.topics.js';
import { PageArgs } from '../../graphql/page-args.js';
import { SameForEveryViewer } from '../../graphql/event-fields.js';

interface SubscriptionData {
  args: Record<string, unknown>;
  context: Context;
}

/** Subscriptions run over graphql-ws only, where onConnect guarantees a viewer; HTTP gets a clear error. */
function subscriber(context: Context): Viewer {
  if (!context.viewer) throw unauthenticated('Subscriptions need a signed-in WebSocket connection');
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
  @Subscription(() => Message, {
    description: 'New messages in all my chats, or in one.',
    subscribe: ({ args, context }: SubscriptionData) =>
      context.services.messages.subscribeMessages(subscriber(context), context.loaders, args['chatId'] as string | null),
  })
  newMessage(@Root() payload: MessagePayload, @Arg('chatId', () => ID, { nullable: true }) _chatId: string | null): MessageRecord {
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

  @FieldResolver(() => Chat)
  chat(@Root() message: MessageRecord, @Ctx() ctx: Context): Promise<ChatRecord> {
    return requireVisibleChat(ctx.loaders, ctx.viewer, message.chatId);
  }

  @FieldResolver(() => User, { nullable: true, description: 'Null for SYSTEM messages.' })
  sender(@Root() message: MessageRecord, @Ctx() ctx: Context): Promise<UserRecord | null> | null {
    return message.senderId ? ctx.loaders.userById.load(message.senderId) : null;
  }

  @FieldResolver(() => Message, { nullable: true })
  replyTo(@Root() message: MessageRecord, @Ctx() ctx: Context): Promise<MessageRecord | null> | null {
    return message.replyToId ? ctx.loaders.messageById.load(message.replyToId) : null;
  }

  @FieldResolver(() => MessageStatus, {
    description: 'READ when every other member read it, DELIVERED when every other member received it, else SENT.',
  })
  async status(@Root() message: MessageRecord, @Ctx() ctx: Context): Promise<MessageStatus> {
    return MessagesService.statusOf(message, await ctx.loaders.membersByChat.load(message.chatId));
  }
}

@Resolver(() => Chat)
export class ChatLastMessageResolver {
  @FieldResolver(() => Message, { nullable: true })
  lastMessage(@Root() chat: ChatRecord, @Ctx() ctx: Context): Promise<MessageRecord | null> | null {
    return chat.lastSeq > 0 ? ctx.loaders.messageByChatSeq.load(`${chat.id}:${chat.lastSeq}`) : null;
  }
}
