/** Users and chats for the benchmark: through the API where it matters, with SQL where only volume does. */
import type pg from 'pg';
import { TokenIssuer } from '../../src/modules/auth/auth.tokens.js';
import type { Member } from './delivery.js';
import { graphql } from './http.js';

const PASSWORD = 'benchmark password 1';

/** Registers users through the `register` mutation (argon2 and all): real accounts with real access tokens. */
export async function registerUsers(url: string, count: number, prefix: string, concurrency = 4): Promise<Member[]> {
  const members: Member[] = new Array(count);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      const data = await graphql<{ register: { accessToken: string; user: { id: string } } }>(
        url,
        'mutation Register($input: RegisterInput!) { register(input: $input) { accessToken user { id } } }',
        { input: { username: `${prefix}${i}`, password: PASSWORD, displayName: `Bench ${prefix}${i}` } },
      );
      members[i] = { userId: data.register.user.id, token: data.register.accessToken };
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return members;
}

/** A group created by `creator` through `createGroupChat`. */
export async function createGroup(url: string, creator: Member, others: Member[], title: string): Promise<string> {
  const data = await graphql<{ createGroupChat: { id: string } }>(
    url,
    'mutation Create($input: CreateGroupChatInput!) { createGroupChat(input: $input) { id } }',
    { input: { title, memberIds: others.map((m) => m.userId) } },
    creator.token,
  );
  return data.createGroupChat.id;
}

/** Plain user rows (no usable password), `count` of them, in one statement. */
export async function insertUsers(pool: pg.Pool, count: number, prefix: string): Promise<string[]> {
  const { rows } = await pool.query<{ id: string }>(
    `INSERT INTO "User" ("id", "username", "displayName", "passwordHash", "updatedAt")
     SELECT gen_random_uuid(), $1 || g, 'Bench ' || $1 || g, 'not-a-password-hash', now()
     FROM generate_series(1, $2::int) AS g
     RETURNING "id"::text AS "id"`,
    [prefix, count],
  );
  return rows.map((r) => r.id);
}

/** Group chat rows without members (the floor keeps membership in memory). */
export async function insertChats(pool: pg.Pool, count: number, title: string): Promise<string[]> {
  const { rows } = await pool.query<{ id: string }>(
    `INSERT INTO "Chat" ("id", "kind", "title")
     SELECT gen_random_uuid(), 'GROUP', $1 || g FROM generate_series(1, $2::int) AS g
     RETURNING "id"::text AS "id"`,
    [title, count],
  );
  return rows.map((r) => r.id);
}

/**
 * Signed-in sessions for users made with {@link insertUsers}: a Session row
 * each, and an access token signed with the server's JWT secret by the
 * server's own TokenIssuer: to the server, the same as a token from `login`.
 */
export async function sessionsFor(pool: pg.Pool, userIds: string[], jwtSecret: string): Promise<Member[]> {
  const { rows } = await pool.query<{ id: string; userId: string }>(
    `INSERT INTO "Session" ("id", "userId", "expiresAt")
     SELECT gen_random_uuid(), u, now() + interval '1 day' FROM unnest($1::uuid[]) AS u
     RETURNING "id"::text AS "id", "userId"::text AS "userId"`,
    [userIds],
  );
  const issuer = new TokenIssuer({ secret: jwtSecret });
  return rows.map((row) => ({ userId: row.userId, token: issuer.signAccess({ sub: row.userId, sid: row.id }) }));
}
