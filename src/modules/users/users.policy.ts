import { isAdmin, type Viewer } from '../../lib/viewer.js';
import { shareKey, type UserLoaders } from './users.loaders.js';

/**
 * What the viewer is to a user, which decides what of the profile they see
 * (security audit, finding 4):
 *
 * | field | self | admin | contact | stranger |
 * | --- | --- | --- | --- | --- |
 * | id, username, displayName, avatar, createdAt | ✓ | ✓ | ✓ | ✓ |
 * | online, lastSeenAt | ✓ | ✓ | ✓ | `false`, `null` |
 * | about | ✓ | ✓ | ✓ | `null` |
 * | role | ✓ | ✓ | `null` | `null` |
 *
 * A contact is someone with whom the viewer shares a chat today (a ChatMember
 * row of each in one chat). Admins see everything because `adminUsers` already
 * lists every account to them.
 */
export type Relation = 'self' | 'admin' | 'contact' | 'stranger';

export function relationTo(viewer: Viewer | null, userId: string, loaders: Pick<UserLoaders, 'sharesChat'>): Relation | Promise<Relation> {
  if (!viewer) return 'stranger';
  if (viewer.id === userId) return 'self';
  if (isAdmin(viewer)) return 'admin';
  return loaders.sharesChat.load(shareKey(viewer.id, userId)).then((shared) => (shared ? 'contact' : 'stranger'));
}

export const seesPresence = (relation: Relation): boolean => relation !== 'stranger';
export const seesAbout = (relation: Relation): boolean => relation !== 'stranger';
export const seesRole = (relation: Relation): boolean => relation === 'self' || relation === 'admin';
