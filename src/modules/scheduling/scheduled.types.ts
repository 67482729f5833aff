import { Field, ID, ObjectType, registerEnumType } from 'type-graphql';
import { ScheduledStatus } from '../../generated/prisma/enums.js';
import { connectionTypes } from '../../lib/relay.js';

export { ScheduledStatus };
registerEnumType(ScheduledStatus, {
  name: 'ScheduledStatus',
  description: 'SCHEDULED until sendAt; then SENT (see `message`) or FAILED (see `failureReason`); CANCELLED by cancelScheduledMessage.',
});

/** A ScheduledMessage row as services and resolvers pass it around. */
export interface ScheduledRecord {
  id: string;
  chatId: string;
  senderId: string;
  text: string;
  replyToId: string | null;
  clientId: string | null;
  sendAt: Date;
  status: ScheduledStatus;
  messageId: string | null;
  failureReason: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export const SCHEDULED_SELECT = {
  id: true,
  chatId: true,
  senderId: true,
  text: true,
  replyToId: true,
  clientId: true,
  sendAt: true,
  status: true,
  messageId: true,
  failureReason: true,
  createdAt: true,
  updatedAt: true,
} as const;

// chat, replyTo and message are field resolvers (scheduled.resolver.ts).
@ObjectType('ScheduledMessage', { description: 'A message of mine that the server sends at sendAt; only I see it until then.' })
export class ScheduledMessage {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  text!: string;

  @Field(() => Date, { description: 'When it is sent (within about a second).' })
  sendAt!: Date;

  @Field(() => ScheduledStatus)
  status!: ScheduledStatus;

  @Field(() => String, {
    nullable: true,
    description: 'The idempotency key given to scheduleMessage. The sent message carries clientId "scheduled:<id>" instead.',
  })
  clientId!: string | null;

  @Field(() => String, { nullable: true, description: 'Why it could not be sent (FAILED only), e.g. "You are no longer a member of this chat".' })
  failureReason!: string | null;

  @Field(() => Date)
  createdAt!: Date;

  @Field(() => Date)
  updatedAt!: Date;
}

export const ScheduledMessageConnection = connectionTypes('ScheduledMessage', ScheduledMessage, { totalCount: false });
