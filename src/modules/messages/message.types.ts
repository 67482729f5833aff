import { Ctx, Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { MessageKind } from '../../generated/prisma/enums.js';
import type { Context } from '../../graphql/context.js';
import { notFound } from '../../lib/errors.js';
import { encodeCursor } from '../../lib/pagination.js';
import { connectionTypes } from '../../lib/relay.js';
import { User, type UserRecord } from '../users/index.js';
import type { MessageRecord } from './message.record.js';
import { SameForEveryViewer } from '../../graphql/event-fields.js';

export { MessageKind };
registerEnumType(MessageKind, { name: 'MessageKind' });

export const MessageStatus = { SENT: 'SENT', DELIVERED: 'DELIVERED', READ: 'READ' } as const;
export type MessageStatus = (typeof MessageStatus)[keyof typeof MessageStatus];
registerEnumType(MessageStatus, { name: 'MessageStatus' });

/**
 * A message's position in `messages(chatId)`: the cursor of its edge there, so
 * `after: cursor` continues below it. Message.cursor is the same string, which
 * lets a client insert a live message into a paged list it holds.
 */
export const messageCursor = (message: { chatId: string; seq: number }): string => encodeCursor('message', [message.chatId, message.seq]);

/**
 * The user an event names, from this event's loaders (a subscription's are
 * renewed per event). Events carry the entity beside its id so that
 * normalised client caches (Apollo, urql Graphcache, Relay) update the User.
 */
async function eventUser(ctx: Context, userId: string): Promise<UserRecord> {
  const user = await ctx.loaders.userById.load(userId);
  if (!user) throw notFound('User');
  return user;
}

// chat, sender, replyTo, status and cursor are field resolvers (messages.resolver.ts).
@ObjectType('Message')
export class Message {
  @SameForEveryViewer()
  @Field(() => ID)
  id!: string;

  @SameForEveryViewer()
  @Field(() => ID, { description: 'Same as chat.id, without resolving the chat.' })
  chatId!: string;

  @SameForEveryViewer()
  @Field(() => Int, { description: 'Per chat: gapless and increasing, 1, 2, 3, …' })
  seq!: number;

  @SameForEveryViewer()
  @Field(() => ID, { nullable: true, description: 'Same as sender.id; null for SYSTEM messages.' })
  senderId!: string | null;

  @SameForEveryViewer()
  @Field(() => MessageKind)
  kind!: MessageKind;

  @SameForEveryViewer()
  @Field(() => String, { nullable: true, description: 'The body, or the caption of a media message.' })
  text!: string | null;

  @SameForEveryViewer()
  @Field(() => String, { nullable: true, description: "The sender's idempotency key, echoed back." })
  clientId!: string | null;

  @SameForEveryViewer()
  @Field(() => Date)
  createdAt!: Date;

  @SameForEveryViewer()
  @Field(() => Int, {
    description: "Per chat: the change feed position of this message's latest change (sent, edited, deleted, reacted to, pinned). See messageChanges.",
  })
  rev!: number;

  @SameForEveryViewer()
  @Field(() => Date, { nullable: true, description: 'When the text was last edited; null if never.' })
  editedAt!: Date | null;

  @SameForEveryViewer()
  @Field(() => Date, { nullable: true, description: 'When it was deleted (for everyone, or for me); null while it is not.' })
  deletedAt!: Date | null;

  @SameForEveryViewer()
  @Field(() => Int, { description: 'How many forwarding hops led to this copy; 0 for an original.' })
  forwardCount!: number;

  @SameForEveryViewer()
  @Field(() => Date, {
    nullable: true,
    description:
      "Disappearing messages: sent while the chat's messageTimer was on, it is deleted for everyone at this time (within about a minute); " +
      'hide it yourself from then on. Null for other messages and SYSTEM messages.',
  })
  expiresAt!: Date | null;
}

@ObjectType('MessageEdit', { description: 'A previous text of an edited message.' })
export class MessageEdit {
  @Field(() => String, { nullable: true })
  text!: string | null;

  @Field(() => Date, { description: 'When this text was replaced by an edit.' })
  editedAt!: Date;
}

export const MessageEditConnection = connectionTypes('MessageEdit', MessageEdit, { totalCount: false });

export const MessageConnection = connectionTypes('Message', Message, { totalCount: false });

@InputType('ChatRevInput')
export class ChatRevInput {
  @Field(() => ID)
  chatId!: string;

  @Field(() => Int, { description: 'The highest rev of this chat I applied.' })
  afterRev!: number;
}

@ObjectType('ChatMessageChanges')
export class ChatMessageChanges {
  @Field(() => ID)
  chatId!: string;

  @Field(() => [Message], { description: 'As messageChanges: changed after afterRev, each once, oldest change first.' })
  messages!: MessageRecord[];

  @Field(() => Boolean, { description: "More wait: ask again from the last message's rev." })
  hasMore!: boolean;
}

@ObjectType('MessageStatusEvent')
export class MessageStatusEvent {
  @SameForEveryViewer()
  @Field(() => ID)
  chatId!: string;

  @SameForEveryViewer()
  @Field(() => ID, { description: 'The newest message the change covers.' })
  messageId!: string;

  @SameForEveryViewer()
  @Field(() => Int, { description: 'Seq of that message: everything up to it is covered.' })
  seq!: number;

  @SameForEveryViewer()
  @Field(() => ID, { description: 'Who received or read.' })
  userId!: string;

  @SameForEveryViewer()
  @Field(() => MessageStatus)
  status!: MessageStatus;

  @SameForEveryViewer()
  @Field(() => Date)
  at!: Date;

  // Resolved here rather than in messages.resolver.ts: a resolver class for
  // this type would have to join the schema's list in server/services.ts.
  @Field(() => User, { description: 'Who received or read (the user of userId).' })
  user(@Ctx() ctx: Context): Promise<UserRecord> {
    return eventUser(ctx, this.userId);
  }
}

@ObjectType('TypingEvent')
export class TypingEvent {
  @SameForEveryViewer()
  @Field(() => ID)
  chatId!: string;

  @SameForEveryViewer()
  @Field(() => ID)
  userId!: string;

  @SameForEveryViewer()
  @Field(() => Boolean)
  typing!: boolean;

  @Field(() => User, { description: 'Who starts or stops typing (the user of userId).' })
  user(@Ctx() ctx: Context): Promise<UserRecord> {
    return eventUser(ctx, this.userId);
  }
}
