import { Ctx, Field, ID, ObjectType, registerEnumType } from 'type-graphql';
import { Role, type Visibility } from '../../generated/prisma/enums.js';
import type { Context } from '../../graphql/context.js';
import { notFound } from '../../lib/errors.js';
import { connectionTypes } from '../../lib/relay.js';
import { SameForEveryViewer } from '../../graphql/event-fields.js';

export { Role };
registerEnumType(Role, { name: 'Role' });

/** The row shape resolvers hand to the User type (a Prisma User without secrets needed). */
export interface UserRecord {
  id: string;
  username: string;
  displayName: string;
  about: string | null;
  role: Role;
  active: boolean;
  lastSeenAt: Date | null;
  /** The profile picture's File id (User.avatar resolves it, in the files module). */
  avatarId: string | null;
  createdAt: Date;
  /** deleteAccount: when the account was deleted (the row stays as "Deleted account"); null otherwise. */
  deletedAt: Date | null;
  /** Privacy (User.privacy, updatePrivacy): who sees what, applied by users.policy.ts. */
  lastSeenVisibility: Visibility;
  profilePhotoVisibility: Visibility;
  aboutVisibility: Visibility;
  /** Stored and shown here; who may add me to groups is enforced where groups are joined. */
  groupAddsVisibility: Visibility;
  readReceipts: boolean;
}

/** The privacy columns of {@link UserRecord}. */
export type PrivacyColumns = 'lastSeenVisibility' | 'profilePhotoVisibility' | 'aboutVisibility' | 'groupAddsVisibility' | 'readReceipts';

/**
 * A user as others see them. What depends on who is looking (online,
 * lastSeenAt, about, role: see users.policy.ts) is resolved in users.resolver.ts.
 */
@ObjectType('User')
export class User implements Omit<UserRecord, 'active' | 'avatarId' | 'about' | 'role' | 'lastSeenAt' | 'deletedAt' | PrivacyColumns> {
  // These four are the same for everyone who may see the user; what privacy settings decide is not (resolvers elsewhere).
  @SameForEveryViewer()
  @Field(() => ID)
  id!: string;

  @SameForEveryViewer()
  @Field(() => String, { description: 'Lower-case, unique, 3–32 characters of a–z, 0–9, _ and .' })
  username!: string;

  @SameForEveryViewer()
  @Field(() => String, { description: 'Seen by every signed-in user.' })
  displayName!: string;

  @SameForEveryViewer()
  @Field(() => Date)
  createdAt!: Date;
}

export const UserConnection = connectionTypes('User', User, { totalCount: false });

/** Columns read for a User everywhere, so no query fetches the password hash by accident. */
export const USER_SELECT = {
  id: true,
  username: true,
  displayName: true,
  about: true,
  role: true,
  active: true,
  lastSeenAt: true,
  avatarId: true,
  createdAt: true,
  deletedAt: true,
  // Read with every user: what others see of them depends on these, and loaders then need no second look-up.
  lastSeenVisibility: true,
  profilePhotoVisibility: true,
  aboutVisibility: true,
  groupAddsVisibility: true,
  readReceipts: true,
} as const;

export const PresenceStatus = { ONLINE: 'ONLINE', OFFLINE: 'OFFLINE' } as const;
export type PresenceStatus = (typeof PresenceStatus)[keyof typeof PresenceStatus];
registerEnumType(PresenceStatus, { name: 'PresenceStatus' });

/**
 * A user as a presence event describes them. `User.online` (users.resolver.ts)
 * answers from {@link asOfEvent} instead of the presence store, and after an
 * OFFLINE event `User.lastSeenAt` is the event's, so the user inside an event
 * always agrees with the event, even when presence changed between publish
 * and resolve (a reconnect, another device, another instance).
 */
export interface UserAsOfEvent extends UserRecord {
  asOfEvent: { status: PresenceStatus; lastSeenAt: Date | null };
}

export const isUserAsOfEvent = (user: UserRecord): user is UserAsOfEvent => 'asOfEvent' in user;

@ObjectType('PresenceEvent')
export class PresenceEvent {
  // Privacy (last seen, reciprocity) decides who receives an event, at publish (presence.service.ts), never what it
  // says: so these stay the same for everyone who receives it and may be rendered once for all of them.
  @SameForEveryViewer()
  @Field(() => ID)
  userId!: string;

  @SameForEveryViewer()
  @Field(() => PresenceStatus)
  status!: PresenceStatus;

  @SameForEveryViewer()
  @Field(() => Date, {
    nullable: true,
    description: 'Set when going OFFLINE; null with OFFLINE when the user just hid their last seen (Privacy.lastSeen NOBODY).',
  })
  lastSeenAt!: Date | null;

  // Resolved here rather than in users.resolver.ts: a resolver class for this
  // type would have to join the schema's list in server/services.ts.
  @Field(() => User, {
    description:
      'The user (of userId), so a normalised client cache updates User.online. Its online and lastSeenAt are those of this event ' +
      '(ONLINE: online, lastSeenAt as a query shows it; OFFLINE: offline since this lastSeenAt), whatever presence says by the time it is read.',
  })
  async user(@Ctx() ctx: Context): Promise<UserAsOfEvent> {
    const user = await ctx.loaders.userById.load(this.userId);
    if (!user) throw notFound('User');
    // A copy: the loader's record may serve other fields of this event.
    return { ...user, asOfEvent: { status: this.status, lastSeenAt: this.lastSeenAt } };
  }
}
