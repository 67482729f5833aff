import { randomBytes } from 'node:crypto';
import { hashPassword } from '../modules/auth/index.js';
import { USER_SELECT } from '../modules/users/index.js';
import { RegisterDocument, type UserFieldsFragment } from './generated/graphql.js';
import { expectNoErrors, gql, type TestServer } from './server.js';

export interface TestUser {
  user: UserFieldsFragment;
  username: string;
  password: string;
  accessToken: string;
  refreshToken: string;
}

let counter = 0;

/** A unique, valid username: tests in one file never collide. */
export function uniqueUsername(prefix = 'user'): string {
  counter += 1;
  return `${prefix}_${counter}_${randomBytes(3).toString('hex')}`.slice(0, 32);
}

/**
 * Registers a user through the API, as a client would: for tests of sign-up
 * itself and of the auth budget (RATE_LIMIT_AUTH counts it), or against a
 * server that is only a URL (a spawned process). argon2 and HTTP, ~50 ms.
 */
export async function registerUser(
  server: Pick<TestServer, 'graphqlUrl'>,
  overrides: { username?: string; password?: string; displayName?: string } = {},
): Promise<TestUser> {
  const username = overrides.username ?? uniqueUsername();
  const password = overrides.password ?? DEFAULT_PASSWORD;
  const result = await gql(server, RegisterDocument, {
    input: { username, password, displayName: overrides.displayName ?? `User ${username}` },
  });
  const { register } = expectNoErrors(result);
  return { user: register.user, username, password, accessToken: register.accessToken, refreshToken: register.refreshToken };
}

const DEFAULT_PASSWORD = 'correct horse battery';
/** One argon2 hash per password per test file: hashing is most of what signing up costs. */
const hashes = new Map<string, Promise<string>>();

/**
 * A signed-in user, written straight to the database with a session from the
 * server's own AuthService: the same rows and tokens `register` makes, without
 * hashing a password per user or a round trip. Sign-up itself is tested with
 * {@link registerUser}. Unlike `register`, it spends nothing of the auth budget
 * (RATE_LIMIT_AUTH) and does not check or clean its input.
 */
export async function createUser(server: TestServer, overrides: { username?: string; password?: string; displayName?: string } = {}): Promise<TestUser> {
  const username = (overrides.username ?? uniqueUsername()).toLowerCase();
  const password = overrides.password ?? DEFAULT_PASSWORD;
  let hash = hashes.get(password);
  if (!hash) hashes.set(password, (hash = hashPassword(password)));
  const row = await server.database.prisma.user.create({
    data: { username, displayName: overrides.displayName ?? `User ${username}`, passwordHash: await hash },
    select: USER_SELECT,
  });
  const session = await server.services.auth.startSession(row);
  const user: UserFieldsFragment = {
    id: row.id,
    username: row.username,
    displayName: row.displayName,
    about: row.about,
    role: row.role as UserFieldsFragment['role'],
    online: false,
    lastSeenAt: row.lastSeenAt?.toISOString() ?? null,
    createdAt: row.createdAt.toISOString(),
  };
  return { user, username, password, accessToken: session.accessToken, refreshToken: session.refreshToken };
}

/** Request options that sign a request in as `user`: `gql(server, Document, variables, as(alice))`. */
export const as = (user: Pick<TestUser, 'accessToken'>): { token: string } => ({ token: user.accessToken });

/** Makes an existing user an admin directly in the database (there is no API for the first admin). */
export async function promoteToAdmin(server: TestServer, userId: string): Promise<void> {
  await server.database.prisma.user.update({ where: { id: userId }, data: { role: 'ADMIN' } });
}
