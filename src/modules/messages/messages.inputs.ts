import { Field, ID, InputType } from 'type-graphql';
import { badInput } from '../../lib/errors.js';
import { cleanText } from '../../lib/text.js';

@InputType()
export class SendMessageInput {
  @Field(() => ID)
  chatId!: string;

  @Field(() => String, { description: '1–65,536 characters after trimming; newlines and tabs allowed, other control characters not.' })
  text!: string;

  @Field(() => String, {
    nullable: true,
    description: 'Your idempotency key (≤ 64 characters): sending again with the same one returns the first message.',
  })
  clientId?: string | null;

  @Field(() => ID, { nullable: true, description: 'A message of the same chat this one answers.' })
  replyToId?: string | null;

  @Field(() => Boolean, {
    nullable: true,
    defaultValue: true,
    description: 'Fetch a preview of the first http(s) link in the text (Message.linkPreview, arriving later by messageUpdated); default true.',
  })
  linkPreview?: boolean | null;
}

export const MAX_TEXT = 65_536;

export const cleanMessageText = (text: string) => cleanText(text, { field: 'text', min: 1, max: MAX_TEXT, multiline: true });

export function cleanClientId(clientId: string | null | undefined): string | null {
  if (clientId === null || clientId === undefined) return null;
  if (clientId.length < 1 || clientId.length > 64 || !/^[\x21-\x7E]+$/.test(clientId)) {
    throw badInput('clientId must be 1–64 printable ASCII characters without spaces', 'clientId');
  }
  return clientId;
}
