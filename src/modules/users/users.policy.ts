import { isAdmin, type Viewer } from '../../lib/viewer.js';
import { shareKey, type UserLoaders } from './users.loaders.js';

/**
 * What the viewer is to a user, which decides what of the profile they see
 * (security audit, finding 4):
 *
 * | field | self | admin | contact | stranger | blocked |
 * | --- | --- | --- | --- | --- | --- |
 * | id, username, displayName, createdAt | ✓ | ✓ | ✓ | ✓ | ✓ |
 * | avatar | ✓ | ✓ | ✓ | ✓ | `null` |
 * | online, lastSeenAt | ✓ | ✓ | ✓ | `false`, `null` | `false`, `null` |
 * | about | ✓ | ✓ | ✓ | `null` | `null` |
 * | role | ✓ | ✓ | `null` | `null` | `null` |
 *
 * A contact is someone with whom the viewer shares a chat today (a ChatMember
 * row of each in one chat). Admins see everything because `adminUsers` already
 * lists every account to them. Blocked: the user blocked the viewer
 * (modules/blocking), whether or not they share a chat; the viewer is not
 * told, so what is hidden looks simply absent.
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

const sees = (relation: Relation): boolean => relation !== 'stranger' && relation !== 'blocked';
export const seesPresence = sees;
export const seesAbout = sees;

/** The avatar is everyone's to see but for someone the user blocked; the same look-up as {@link relationTo}'s, so both cost one. */
export async function seesAvatar(viewer: Viewer | null, userId: string, loaders: Pick<UserLoaders, 'ties'>): Promise<boolean> {
  if (!viewer || viewer.id === userId || isAdmin(viewer)) return true;
  return !(await loaders.ties.load(shareKey(viewer.id, userId))).blockedViewer;
}
export const seesRole = (relation: Relation): boolean => relation === 'self' || relation === 'admin';
