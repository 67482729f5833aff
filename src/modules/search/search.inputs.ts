import { ArgsType, Field, ID } from 'type-graphql';
import { badInput } from '../../lib/errors.js';
import { PageArgs } from '../../graphql/page-args.js';
import { isUuid } from '../../lib/text.js';

/** searchMessages' arguments (docs/api-contract.md, Wave 2). */
@ArgsType()
export class SearchMessagesArgs extends PageArgs {
  @Field(() => String, { description: 'Plain words (README, "Search"): 2 to 200 characters, at most 10 words.' })
  query!: string;

  @Field(() => ID, { nullable: true, description: 'Only this chat; NOT_FOUND unless I read it.' })
  chatId?: string | null;

  @Field(() => ID, { nullable: true, description: "Only this user's messages." })
  senderId?: string | null;
}

/** senderId names a user or nobody: an id that cannot exist is a mistake, not an empty result. */
export function cleanSenderId(senderId: string | null | undefined): string | null {
  if (senderId === null || senderId === undefined) return null;
  if (!isUuid(senderId)) throw badInput('senderId is not a valid id', 'senderId');
  return senderId;
}
