import { Field, ID, InputType } from 'type-graphql';
import { badInput } from '../../lib/errors.js';

@InputType()
export class ScheduleMessageInput {
  @Field(() => ID)
  chatId!: string;

  @Field(() => String, { description: 'As sendMessage: 1–65,536 characters after trimming.' })
  text!: string;

  @Field(() => Date, { description: 'At least SCHEDULE_MIN_LEAD_SECONDS (60) and at most 365 days ahead.' })
  sendAt!: Date;

  @Field(() => String, { nullable: true, description: 'Your idempotency key (≤ 64 characters): scheduling again with it returns the first one.' })
  clientId?: string | null;

  @Field(() => ID, { nullable: true, description: 'A message of the same chat this one answers.' })
  replyToId?: string | null;
}

@InputType()
export class UpdateScheduledMessageInput {
  @Field(() => String, { nullable: true })
  text?: string | null;

  @Field(() => Date, { nullable: true, description: 'The same bounds as scheduleMessage.' })
  sendAt?: Date | null;
}

export const MAX_LEAD_MS = 365 * 24 * 3600 * 1000;

/** A sender's messages waiting to be sent, in all chats: beyond it, scheduling is refused until some are sent or cancelled. */
export const MAX_PENDING_PER_USER = 500;

/** sendAt within [now + min lead, now + a year]; BAD_USER_INPUT (field sendAt) otherwise. */
export function checkSendAt(sendAt: Date, minLeadSeconds: number, now = Date.now()): Date {
  const at = sendAt.getTime();
  if (at < now + minLeadSeconds * 1000) {
    throw badInput(`sendAt must be at least ${minLeadSeconds} seconds ahead`, 'sendAt');
  }
  if (at > now + MAX_LEAD_MS) throw badInput('sendAt must be at most a year ahead', 'sendAt');
  return sendAt;
}
