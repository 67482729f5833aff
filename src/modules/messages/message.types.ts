import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { MessageKind } from '../../generated/prisma/enums.js';
import { connectionTypes } from '../../lib/relay.js';

export { MessageKind };
registerEnumType(MessageKind, { name: 'MessageKind' });

export const MessageStatus = { SENT: 'SENT', DELIVERED: 'DELIVERED', READ: 'READ' } as const;
export type MessageStatus = (typeof MessageStatus)[keyof typeof MessageStatus];
registerEnumType(MessageStatus, { name: 'MessageStatus' });

// chat, sender, replyTo and status are field resolvers (messages.resolver.ts).
@ObjectType('Message')
export class Message {
  @Field(() => ID)
  id!: string;

  @Field(() => ID, { description: 'Same as chat.id, without resolving the chat.' })
  chatId!: string;

  @Field(() => Int, { description: 'Per chat: gapless and increasing, 1, 2, 3, …' })
  seq!: number;

  @Field(() => ID, { nullable: true, description: 'Same as sender.id; null for SYSTEM messages.' })
  senderId!: string | null;

  @Field(() => MessageKind)
  kind!: MessageKind;

  @Field(() => String, { nullable: true, description: 'The body, or the caption of a media message.' })
  text!: string | null;

  @Field(() => String, { nullable: true, description: "The sender's idempotency key, echoed back." })
  clientId!: string | null;

  @Field(() => Date)
  createdAt!: Date;
}

export const MessageConnection = connectionTypes('Message', Message, { totalCount: false });

@ObjectType('MessageStatusEvent')
export class MessageStatusEvent {
  @Field(() => ID)
  chatId!: string;

  @Field(() => ID, { description: 'The newest message the change covers.' })
  messageId!: string;

  @Field(() => Int, { description: 'Seq of that message: everything up to it is covered.' })
  seq!: number;

  @Field(() => ID, { description: 'Who received or read.' })
  userId!: string;

  @Field(() => MessageStatus)
  status!: MessageStatus;

  @Field(() => Date)
  at!: Date;
}

@ObjectType('TypingEvent')
export class TypingEvent {
  @Field(() => ID)
  chatId!: string;

  @Field(() => ID)
  userId!: string;

  @Field(() => Boolean)
  typing!: boolean;
}
