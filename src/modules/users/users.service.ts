import type { Prisma, PrismaClient } from '../../generated/prisma/client.js';
import { badInput, notFound } from '../../lib/errors.js';
import { decodeCursor, encodeCursor, pageSize, toPage } from '../../lib/pagination.js';
import type { RateLimits } from '../../lib/rate-limits.js';
import { toConnection, type Connection } from '../../lib/relay.js';
import { cleanText, escapeLike, isUuid } from '../../lib/text.js';
import type { Viewer } from '../../lib/viewer.js';
import { USERNAME, cleanAbout, cleanDisplayName, type UpdateProfileInput } from './users.inputs.js';
import { USER_SELECT, type UserRecord } from './user.types.js';

/** A display name is at most 64 characters, so a longer search finds nothing. */
const SEARCH_MAX = 64;
/** `users(search:)` needs this much, so it cannot page through everyone one letter at a time. */
const SEARCH_MIN = 3;

export interface UserSearch {
  search?: string | null;
  first?: number | null;
  after?: string | null;
  /** null: everyone; true/false: only active or deactivated accounts. */
  active?: boolean | null;
}

export class UsersService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly limits: Pick<RateLimits, 'userSearch'>,
  ) {}

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
   * `users(search:)`, the same rules for every role (admins list everyone with
   * adminUsers): active users whose username starts with the search (usernames
   * are stored lower-case), or, among people who share a chat with the viewer,
   * whose display name contains it, any case. Not a directory: the search is
   * required, at least 3 characters, and counted by RATE_LIMIT_USER_SEARCH.
   */
  async find(viewer: Viewer, args: Omit<UserSearch, 'active'>): Promise<Connection<UserRecord>> {
    const term = cleanText(args.search ?? '', { field: 'search', min: SEARCH_MIN, max: SEARCH_MAX });
    const size = pageSize(args.first);
    const after = afterUsername(args.after);
    await this.limits.userSearch.consume(viewer.id);
    return this.#page(
      {
        active: true,
        OR: [
          { username: { startsWith: escapeLike(term.toLowerCase()) } },
          {
            displayName: { contains: escapeLike(term), mode: 'insensitive' },
            memberships: { some: { chat: { members: { some: { userId: viewer.id } } } } },
          },
        ],
      },
      size,
      after,
    );
  }

  /**
   * adminUsers: every account (or only active or deactivated ones) whose
   * username or display name starts with the search, any case; no search
   * lists everyone. Ordered by username (unique, so it is also the cursor).
   */
  async search(args: UserSearch): Promise<Connection<UserRecord>> {
    const term = cleanText(args.search ?? '', { field: 'search', min: 0, max: SEARCH_MAX });
    const size = pageSize(args.first);
    const after = afterUsername(args.after);
    return this.#page(
      {
        ...(args.active === null || args.active === undefined ? {} : { active: args.active }),
        ...(term === ''
          ? {}
          : {
              OR: [{ username: { startsWith: escapeLike(term.toLowerCase()) } }, { displayName: { startsWith: escapeLike(term), mode: 'insensitive' } }],
            }),
      },
      size,
      after,
    );
  }

  async #page(where: Prisma.UserWhereInput, size: number, after: string | undefined): Promise<Connection<UserRecord>> {
    const rows = await this.prisma.user.findMany({
      where: after === undefined ? where : { AND: [where, { username: { gt: after } }] },
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

/** A forged cursor could carry any text (a NUL makes PostgreSQL fail): only a username is a position. */
function afterUsername(after: string | null | undefined): string | undefined {
  if (!after) return undefined;
  const [username] = decodeCursor('user', after, 1);
  if (typeof username !== 'string' || !USERNAME.test(username)) throw badInput('after is not a valid cursor for this list', 'after');
  return username;
}
