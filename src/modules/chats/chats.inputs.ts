import { Field, ID, InputType } from 'type-graphql';
import { cleanText } from '../../lib/text.js';

/** MAX_GROUP_MEMBERS' default: members of one group, the creator included (WhatsApp's figure). */
export const DEFAULT_MAX_GROUP_MEMBERS = 1024;

@InputType()
export class CreateGroupChatInput {
  @Field(() => String, { description: '1–100 characters.' })
  title!: string;

  @Field(() => [ID], { description: 'Other members; with you, from 2 up to the member cap (MAX_GROUP_MEMBERS, 1024 by default) in all. You become its admin.' })
  memberIds!: string[];
}

export const cleanTitle = (value: string) => cleanText(value, { field: 'title', min: 1, max: 100 });
