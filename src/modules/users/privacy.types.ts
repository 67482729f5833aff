import { Field, ObjectType, registerEnumType } from 'type-graphql';
import { Visibility } from '../../generated/prisma/enums.js';
import type { UserRecord } from './user.types.js';

export { Visibility };
registerEnumType(Visibility, {
  name: 'Visibility',
  description: 'Who sees a profile field or may act on me: every signed-in user, people who share a chat with me, or nobody.',
});

/** My privacy settings (User.privacy, only on me); the defaults keep the rules from before they existed. */
@ObjectType('Privacy')
export class Privacy {
  @Field(() => Visibility, {
    description:
      'Who sees my online state and last seen: CHATS (people who share a chat with me, the default) or NOBODY. ' +
      'Reciprocal: with NOBODY I see no one’s either, and no presence event about me is sent.',
  })
  lastSeen!: Visibility;

  @Field(() => Visibility, { description: 'Who sees my avatar: EVERYONE (every signed-in user, the default), CHATS or NOBODY.' })
  profilePhoto!: Visibility;

  @Field(() => Visibility, { description: 'Who sees my about: CHATS (the default), EVERYONE or NOBODY.' })
  about!: Visibility;

  @Field(() => Visibility, { description: 'Who may add me to groups: EVERYONE (the default), CHATS or NOBODY.' })
  groupAdds!: Visibility;

  @Field(() => Boolean, {
    description:
      'Whether my reads show as READ in private chats (default true). Reciprocal: with false I see no READ on my messages in private chats ' +
      'either. Groups always show read receipts.',
  })
  readReceipts!: boolean;
}

export const privacyOf = (user: UserRecord): Privacy => ({
  lastSeen: user.lastSeenVisibility,
  profilePhoto: user.profilePhotoVisibility,
  about: user.aboutVisibility,
  groupAdds: user.groupAddsVisibility,
  readReceipts: user.readReceipts,
});
