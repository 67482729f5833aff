import type { GraphQLResolveInfo } from 'graphql';
import type { Visibility } from '../../generated/prisma/enums.js';
import type { Context } from '../../graphql/context.js';
import { isAdmin, type Viewer } from '../../lib/viewer.js';
import type { UserRecord } from './user.types.js';
import { shareKey, type UserLoaders } from './users.loaders.js';

/**
 * What the viewer is to a user, which, with the user's privacy settings
 * (User.privacy), decides what of the profile they see (security audit,
 * finding 4):
 *
 * | field | self | admin | contact | stranger | blocked |
 * | --- | --- | --- | --- | --- | --- |
 * | id, username, displayName, createdAt | ✓ | ✓ | ✓ | ✓ | ✓ |
 * | avatar (profilePhoto: EVERYONE, CHATS, NOBODY) | ✓ | ✓ | ✓, ✓, `null` | ✓, `null`, `null` | `null` |
 * | online, lastSeenAt (lastSeen: CHATS, NOBODY) | ✓ | ✓ | ✓ if mine is CHATS too, `false`/`null` | `false`, `null` | `false`, `null` |
 * | about (about: EVERYONE, CHATS, NOBODY) | ✓ | ✓ | ✓, ✓, `null` | ✓, `null`, `null` | `null` |
 * | role | ✓ | ✓ | `null` | `null` | `null` |
 * | privacy | ✓ | `null` | `null` | `null` | `null` |
 *
 * The defaults (profilePhoto EVERYONE, lastSeen CHATS, about CHATS) are the
 * rules from before the settings existed. A contact is someone with whom the
 * viewer shares a chat today (a ChatMember row of each in one chat). Admins
 * see everything because `adminUsers` already lists every account to them
 * and they moderate what users show. Blocked: the user blocked the viewer
 * (modules/blocking), whether or not they share a chat; the viewer is not
 * told, so what is hidden looks simply absent. Last seen is reciprocal, as
 * in WhatsApp: a viewer who hides their own sees no one else's.
 */
export type Relation = 'self' | 'admin' | 'contact' | 'stranger' | 'blocked';

export function relationTo(viewer: Viewer | null, userId: string, loaders: Pick<UserLoaders, 'ties'>): Relation | Promise<Relation> {
  if (!viewer) return 'stranger';
  if (viewer.id === userId) return 'self';
  if (isAdmin(viewer)) return 'admin';
  return loaders.ties
    .load(shareKey(viewer.id, userId))
    .then(({ sharesChat, blockedViewer }) => (blockedViewer ? 'blocked' : sharesChat ? 'contact' : 'stranger'));
}

/**
 * The viewer's relation to a user being resolved. `AuthPayload.user` is always
 * the account just signed in (register, login, refreshToken run without a viewer): self.
 */
export function relationOf(user: UserRecord, ctx: Context, info: GraphQLResolveInfo): Relation | Promise<Relation> {
  if (info.path.prev?.typename === 'AuthPayload') return 'self';
  return relationTo(ctx.viewer, user.id, ctx.loaders);
}

/** Whether a field the user shows to `visibility` reaches a viewer of this relation. */
export function visibleTo(visibility: Visibility, relation: Relation): boolean {
  switch (relation) {
    case 'self':
    case 'admin':
      return true;
    case 'blocked':
      return false;
    case 'contact':
      return visibility !== 'NOBODY';
    case 'stranger':
      return visibility === 'EVERYONE';
  }
}

/**
 * online and lastSeenAt: the user's lastSeen setting, and the viewer's own
 * (reciprocity). The viewer's record comes from `userById`, fresh per request
 * and per subscription event, so a change of mine applies at once.
 */
export async function seesPresence(
  viewer: Viewer | null,
  user: Pick<UserRecord, 'lastSeenVisibility'>,
  relation: Relation,
  loaders: Pick<UserLoaders, 'userById'>,
): Promise<boolean> {
  if (!visibleTo(user.lastSeenVisibility, relation)) return false;
  if (relation === 'self' || relation === 'admin' || !viewer) return true;
  return (await loaders.userById.load(viewer.id))?.lastSeenVisibility !== 'NOBODY';
}

export const seesAbout = (relation: Relation, user: Pick<UserRecord, 'aboutVisibility'>): boolean => visibleTo(user.aboutVisibility, relation);

/**
 * The avatar, by the user's profilePhoto setting; the same look-up as
 * {@link relationTo}'s, so both cost one. No viewer: `AuthPayload.user`, the
 * account itself.
 */
export async function seesAvatar(
  viewer: Viewer | null,
  user: Pick<UserRecord, 'id' | 'profilePhotoVisibility'>,
  loaders: Pick<UserLoaders, 'ties'>,
): Promise<boolean> {
  if (!viewer) return true;
  return visibleTo(user.profilePhotoVisibility, await relationTo(viewer, user.id, loaders));
}

export const seesRole = (relation: Relation): boolean => relation === 'self' || relation === 'admin';

/**
 * Whether reads among these users may show as READ: none of them turned read
 * receipts off. Reciprocal: one who hides their reads sees no one's. Callers
 * apply it to private chats only (groups always show receipts: chats module,
 * receipts.policy.ts).
 */
export async function readReceiptsShown(loaders: Pick<UserLoaders, 'userById'>, userIds: readonly string[]): Promise<boolean> {
  for (const user of await loaders.userById.loadMany(userIds)) {
    if (user instanceof Error) throw user;
    if (user && !user.readReceipts) return false;
  }
  return true;
}
