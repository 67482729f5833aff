import type { PrismaClient } from '../../generated/prisma/client.js';
import { notFound } from '../../lib/errors.js';
import { decodeCursor, encodeCursor, pageSize, toPage } from '../../lib/pagination.js';
import { toConnection, type Connection } from '../../lib/relay.js';
import { isUuid } from '../../lib/text.js';
import type { Viewer } from '../../lib/viewer.js';
import { cleanAbout, cleanDisplayName, type UpdateProfileInput } from './users.inputs.js';
import { USER_SELECT, type UserRecord } from './user.types.js';

const SEARCH_MAX = 64;

export interface UserSearch {
  search?: string | null;
  first?: number | null;
  after?: string | null;
  /** null: everyone; true/false: only active or deactivated accounts. */
  active?: boolean | null;
}

export class UsersService {
  constructor(private readonly prisma: PrismaClient) {}

  async me(viewer: Viewer): Promise<UserRecord> {
    const user = await this.prisma.user.findUnique({ where: { id: viewer.id }, select: USER_SELECT });
    if (!user) throw notFound('User');
    return user;
  }

  /** Malformed ids cannot name a user, so they are simply not found. */
  async byId(id: string): Promise<UserRecord | null> {
    if (!isUuid(id)) return null;
    return this.prisma.user.findUnique({ where: { id }, select: USER_SELECT });
  }

  /**
   * Prefix search on username or display name, ordered by username (unique, so it
   * is also the cursor). Empty search lists everyone.
   */
  async search(args: UserSearch): Promise<Connection<UserRecord>> {
    const size = pageSize(args.first);
    const term = (args.search ?? '').trim().slice(0, SEARCH_MAX);
    const after = args.after ? String(decodeCursor('user', args.after, 1)[0]) : undefined;
    const rows = await this.prisma.user.findMany({
      where: {
        ...(args.active === null || args.active === undefined ? {} : { active: args.active }),
        ...(term === ''
          ? {}
          : {
              OR: [
                { username: { startsWith: term.toLowerCase() } },
                { displayName: { startsWith: term, mode: 'insensitive' } },
              ],
            }),
        ...(after === undefined ? {} : { username: { gt: after } }),
      },
      orderBy: { username: 'asc' },
      take: size + 1,
      select: USER_SELECT,
    });
    return toConnection(toPage(rows, size, after !== undefined), (user) => encodeCursor('user', [user.username]));
  }

  async updateProfile(viewer: Viewer, input: UpdateProfileInput): Promise<UserRecord> {
    const data: { displayName?: string; about?: string | null } = {};
    if (input.displayName !== undefined && input.displayName !== null) data.displayName = cleanDisplayName(input.displayName);
    if (input.about !== undefined) data.about = input.about === null ? null : cleanAbout(input.about);
    return this.prisma.user.update({ where: { id: viewer.id }, data, select: USER_SELECT });
  }
}
