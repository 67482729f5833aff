import { randomBytes } from 'node:crypto';
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

/** Registers a user through the API, as a client would. */
export async function createUser(
  server: TestServer,
  overrides: { username?: string; password?: string; displayName?: string } = {},
): Promise<TestUser> {
  const username = overrides.username ?? uniqueUsername();
  const password = overrides.password ?? 'correct horse battery';
  const result = await gql(server, RegisterDocument, {
    input: { username, password, displayName: overrides.displayName ?? `User ${username}` },
  });
  const { register } = expectNoErrors(result);
  return { user: register.user, username, password, accessToken: register.accessToken, refreshToken: register.refreshToken };
}

/** Makes an existing user an admin directly in the database (there is no API for the first admin). */
export async function promoteToAdmin(server: TestServer, userId: string): Promise<void> {
  await server.database.prisma.user.update({ where: { id: userId }, data: { role: 'ADMIN' } });
}
