import { Field, InputType } from 'type-graphql';
import { Visibility } from '../../generated/prisma/enums.js';
import { badInput } from '../../lib/errors.js';
import type { PrivacyColumns, UserRecord } from './user.types.js';

@InputType('PrivacyInput', { description: 'Only the settings given change; one left out or null stays as it is.' })
export class PrivacyInput {
  @Field(() => Visibility, { nullable: true, description: 'CHATS or NOBODY; EVERYONE is refused (BAD_USER_INPUT).' })
  lastSeen?: Visibility | null;

  @Field(() => Visibility, { nullable: true })
  profilePhoto?: Visibility | null;

  @Field(() => Visibility, { nullable: true })
  about?: Visibility | null;

  @Field(() => Visibility, { nullable: true })
  groupAdds?: Visibility | null;

  @Field(() => Boolean, { nullable: true })
  readReceipts?: boolean | null;
}

export type PrivacyChanges = Partial<Pick<UserRecord, PrivacyColumns>>;

/** The columns to write; lastSeen takes no EVERYONE: presence goes only to people who share a chat. */
export function privacyChanges(input: PrivacyInput): PrivacyChanges {
  if (input.lastSeen === Visibility.EVERYONE) throw badInput('lastSeen takes CHATS or NOBODY', 'lastSeen');
  const changes: PrivacyChanges = {};
  if (input.lastSeen != null) changes.lastSeenVisibility = input.lastSeen;
  if (input.profilePhoto != null) changes.profilePhotoVisibility = input.profilePhoto;
  if (input.about != null) changes.aboutVisibility = input.about;
  if (input.groupAdds != null) changes.groupAddsVisibility = input.groupAdds;
  if (input.readReceipts != null) changes.readReceipts = input.readReceipts;
  return changes;
}
