import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser, promoteToAdmin, uniqueUsername, type TestUser } from '../../test/factories.js';
import { createGroup } from '../../test/chats.js';
import {
  AdminUsersDocument,
  ChatMembersPresenceDocument,
  CreatePrivateChatDocument,
  LeaveChatDocument,
  MeDocument,
  UpdateProfileDocument,
  UserByIdDocument,
  UserPrivacyDocument,
  UsersDocument,
  type UsersQuery,
} from '../../test/generated/graphql.js';
import { expectErrorCode, expectNoErrors, gql, startTestServer, wsClient, openSockets, type GraphQLResponse, type TestServer } from '../../test/server.js';

let server: TestServer;
let viewer: TestUser;

beforeAll(async () => {
  server = await startTestServer();
  viewer = await createUser(server);
});
afterAll(async () => {
  await server?.close();
});

describe('user', () => {
  it('finds a user by id', async () => {
    const other = await createUser(server, { displayName: 'Other Person' });
    const { user } = expectNoErrors(await gql(server, UserByIdDocument, { id: other.user.id }, { token: viewer.accessToken }));
    expect(user).toMatchObject({ id: other.user.id, displayName: 'Other Person', online: false, lastSeenAt: null });
  });

  it('returns null for unknown and malformed ids, without a database error', async () => {
    for (const id of ['00000000-0000-4000-8000-000000000000', 'not-a-uuid', "' OR 1=1 --"]) {
      const result = await gql(server, UserByIdDocument, { id }, { token: viewer.accessToken });
      expect(expectNoErrors(result).user, id).toBeNull();
    }
  });

  it('needs a signed-in viewer', async () => {
    expectErrorCode(await gql(server, UserByIdDocument, { id: viewer.user.id }), 'UNAUTHENTICATED');
  });
});

describe('users', () => {
  it('finds usernames by prefix among everyone, display names only among people I share a chat with, in pages', async () => {
    const prefix = `zq${Date.now().toString(36)}`.slice(0, 10);
    const created: TestUser[] = [];
    for (let i = 0; i < 5; i++) created.push(await createUser(server, { username: `${prefix}_${i}` }));
    const contact = await createUser(server, { username: uniqueUsername('other'), displayName: `Dr ${prefix.toUpperCase()} Display` });
    await createGroup(server, viewer, [contact]);
    const stranger = await createUser(server, { username: uniqueUsername('other'), displayName: `${prefix} Stranger` });
    const deactivated = await createUser(server, { username: `${prefix}_gone` });
    await server.database.prisma.user.update({ where: { id: deactivated.user.id }, data: { active: false } });

    const seen: string[] = [];
    let after: string | null | undefined = null;
    let pages = 0;
    for (;;) {
      const result: GraphQLResponse<UsersQuery> = await gql(
        server,
        UsersDocument,
        { search: prefix.toUpperCase(), first: 2, after },
        { token: viewer.accessToken },
      );
      const users = expectNoErrors(result).users;
      seen.push(...users.edges.map((e) => e.node.id));
      pages += 1;
      expect(users.pageInfo.hasPreviousPage).toBe(after !== null);
      if (!users.pageInfo.hasNextPage) break;
      after = users.pageInfo.endCursor;
    }
    expect(pages).toBe(3);
    expect(new Set(seen)).toEqual(new Set([...created.map((u) => u.user.id), contact.user.id]));
    expect(seen).not.toContain(stranger.user.id);
    expect(seen).not.toContain(deactivated.user.id);

    // The stranger's username still finds them; a chat in common makes the display name count too.
    expect(await searchIds(viewer, stranger.username.slice(0, 12))).toContain(stranger.user.id);
    await createGroup(server, viewer, [stranger]);
    expect(await searchIds(viewer, `${prefix} stran`)).toEqual([stranger.user.id]);
  });

  it('needs a search of 3 to 64 characters, without control characters', async () => {
    const refuse = async (variables: { search?: string | null }, why: string) => {
      const result = await gql(server, UsersDocument, variables, { token: viewer.accessToken });
      expect(expectErrorCode(result, 'BAD_USER_INPUT').extensions?.['field'], why).toBe('search');
    };
    await refuse({}, 'omitted');
    await refuse({ search: null }, 'null');
    await refuse({ search: '' }, 'empty');
    await refuse({ search: 'ab' }, 'two characters');
    await refuse({ search: '  ab  ' }, 'two characters after trimming');
    await refuse({ search: 'a'.repeat(65) }, '65 characters');
    await refuse({ search: 'abc\u0000' }, 'NUL');
    await refuse({ search: 'ab\nc' }, 'newline');
    expectNoErrors(await gql(server, UsersDocument, { search: ' abc ' }, { token: viewer.accessToken }));
  });

  it('takes %, _ and \\ literally, in usernames and display names', async () => {
    const p = `lk${randomBytes(3).toString('hex')}`;
    const underscored = await createUser(server, { username: `${p}_x` });
    const plain = await createUser(server, { username: `${p}ax` });
    const leading = await createUser(server, { username: `___${randomBytes(3).toString('hex')}` });
    const percent = await createUser(server, { displayName: `50%off ${p}` });
    const similar = await createUser(server, { displayName: `50xoff ${p}` });
    await createGroup(server, viewer, [percent]);
    await createGroup(server, viewer, [similar]);

    expect(await searchIds(viewer, `${p}_`)).toEqual([underscored.user.id]);
    expect(await searchIds(viewer, `${p}a`)).toEqual([plain.user.id]);
    expect(await searchIds(viewer, '___')).toEqual([leading.user.id]);
    expect(await searchIds(viewer, `${p}%`)).toEqual([]);
    expect(await searchIds(viewer, '%%%')).toEqual([]);
    expect(await searchIds(viewer, '%a%')).toEqual([]);
    expect(await searchIds(viewer, `${p}\\`)).toEqual([]);
    expect(await searchIds(viewer, '0%o')).toEqual([percent.user.id]);
    expect(await searchIds(viewer, '_____')).toEqual([]);
  });

  it('adminUsers takes wildcards literally too and refuses a NUL', async () => {
    const admin = await createUser(server);
    await promoteToAdmin(server, admin.user.id);
    const leading = await createUser(server, { username: `_${randomBytes(4).toString('hex')}` });
    const found = expectNoErrors(await gql(server, AdminUsersDocument, { search: '_', first: 100 }, { token: admin.accessToken })).adminUsers;
    expect(found.edges.length).toBeGreaterThan(0);
    expect(found.edges.map((e) => e.node.username).every((name) => name.startsWith('_'))).toBe(true);
    expect(found.edges.map((e) => e.node.id)).toContain(leading.user.id);
    expect(expectNoErrors(await gql(server, AdminUsersDocument, { search: '%' }, { token: admin.accessToken })).adminUsers.edges).toEqual([]);
    const nul = await gql(server, AdminUsersDocument, { search: 'a\u0000' }, { token: admin.accessToken });
    expect(expectErrorCode(nul, 'BAD_USER_INPUT').extensions?.['field']).toBe('search');
    // With no search an admin still lists everyone.
    expect(expectNoErrors(await gql(server, AdminUsersDocument, {}, { token: admin.accessToken })).adminUsers.edges.length).toBeGreaterThan(1);
  });

  it('defaults to 20 a page and caps first at 100', async () => {
    const prefix = `pg${randomBytes(3).toString('hex')}`;
    for (let i = 0; i < 21; i++) await createUser(server, { username: `${prefix}_${i}` });
    const page = expectNoErrors(await gql(server, UsersDocument, { search: prefix }, { token: viewer.accessToken })).users;
    expect(page.edges).toHaveLength(20);
    expect(page.pageInfo.hasNextPage).toBe(true);
    const big = expectNoErrors(await gql(server, UsersDocument, { search: prefix, first: 1000 }, { token: viewer.accessToken })).users;
    expect(big.edges).toHaveLength(21);
    expect(big.pageInfo.hasNextPage).toBe(false);
  });

  it('refuses a negative first and a forged cursor', async () => {
    const search = 'abc';
    expect(
      expectErrorCode(await gql(server, UsersDocument, { search, first: -1 }, { token: viewer.accessToken }), 'BAD_USER_INPUT').extensions?.['field'],
    ).toBe('first');
    const forged = ['garbage!', Buffer.from('["chat","x"]').toString('base64url'), 'x'.repeat(600), Buffer.from('["user","a\\u0000"]').toString('base64url')];
    for (const after of forged) {
      const result = await gql(server, UsersDocument, { search, after }, { token: viewer.accessToken });
      expect(expectErrorCode(result, 'BAD_USER_INPUT').extensions?.['field'], after).toBe('after');
    }
  });

  it('is rate limited per user (RATE_LIMIT_USER_SEARCH)', async () => {
    const limited = await startTestServer({ RATE_LIMIT_USER_SEARCH: '2/60' });
    try {
      const [one, two] = await Promise.all([createUser(limited), createUser(limited)]);
      for (let i = 0; i < 2; i++) expectNoErrors(await gql(limited, UsersDocument, { search: 'abc' }, { token: one.accessToken }));
      const refused = expectErrorCode(await gql(limited, UsersDocument, { search: 'abc' }, { token: one.accessToken }), 'RATE_LIMITED');
      expect(refused.extensions?.['retryAfterSeconds']).toBeGreaterThan(0);
      // Another user's budget is their own.
      expectNoErrors(await gql(limited, UsersDocument, { search: 'abc' }, { token: two.accessToken }));
    } finally {
      await limited.close();
    }
  });
});

describe('who sees presence, about and role', () => {
  it('strangers see none of them; people who share a chat see presence and about; self and admins see all', async () => {
    const subject = await createUser(server, { displayName: 'Subject' });
    expect(subject.user.role).toBe('USER'); // AuthPayload.user is the account itself
    expectNoErrors(await gql(server, UpdateProfileDocument, { input: { about: 'Hello there' } }, { token: subject.accessToken }));
    const lastSeenAt = '2026-01-02T03:04:05.000Z';
    await server.database.prisma.user.update({ where: { id: subject.user.id }, data: { lastSeenAt: new Date(lastSeenAt) } });
    const [contact, stranger, admin] = await Promise.all([createUser(server), createUser(server), createUser(server)]);
    await promoteToAdmin(server, admin.user.id);
    const group = await createGroup(server, contact, [subject]);

    const socket = wsClient(server, subject.accessToken, { lazy: false });
    try {
      await waitFor(socket, 'connected');
      const read = async (as: TestUser) => expectNoErrors(await gql(server, UserPrivacyDocument, { id: subject.user.id }, { token: as.accessToken })).user;
      await expect.poll(async () => (await read(contact))?.online, { timeout: 5000 }).toBe(true);

      const id = subject.user.id;
      const hidden = { id, online: false, lastSeenAt: null, about: null, role: null };
      expect(await read(stranger)).toEqual(hidden);
      expect(await read(contact)).toEqual({ id, online: true, lastSeenAt, about: 'Hello there', role: null });
      expect(await read(admin)).toEqual({ id, online: true, lastSeenAt, about: 'Hello there', role: 'USER' });
      expect(await read(subject)).toEqual({ id, online: true, lastSeenAt, about: 'Hello there', role: 'USER' });
      expect(expectNoErrors(await gql(server, MeDocument, {}, { token: subject.accessToken })).me).toMatchObject({ role: 'USER', about: 'Hello there' });
      // Others' roles stay hidden from a plain user, the admin's too.
      expect((await gql(server, UserPrivacyDocument, { id: admin.user.id }, { token: contact.accessToken })).data?.user?.role).toBeNull();

      // The same rules wherever a User appears: here, in a search result and among a chat's members.
      const found = await gql<{ users: { edges: { node: Record<string, unknown> }[] } }, unknown>(
        server,
        '{ users(search: "' + subject.username + '") { edges { node { id online lastSeenAt about role } } } }',
        undefined,
        { token: stranger.accessToken },
      );
      expect(expectNoErrors(found).users.edges.map((e) => e.node)).toEqual([hidden]);
      const members = expectNoErrors(await gql(server, ChatMembersPresenceDocument, { first: 10 }, { token: contact.accessToken })).chats.edges;
      const seen = members.find((e) => e.node.id === group)!.node.members.find((m) => m.user.id === id)!.user;
      expect(seen).toEqual({ id, online: true, lastSeenAt, about: 'Hello there', role: null });

      // Only a current membership counts: after leaving, the contact is a stranger again.
      expectNoErrors(await gql(server, LeaveChatDocument, { chatId: group }, { token: contact.accessToken }));
      expect(await read(contact)).toEqual(hidden);
    } finally {
      await socket.dispose();
    }
  });

  it('chat lists that show members’ presence run the same number of statements for 5 chats as for 30', async () => {
    const me = await createUser(server);
    const others = await Promise.all(Array.from({ length: 30 }, () => createUser(server)));
    for (const other of others) expectNoErrors(await gql(server, CreatePrivateChatDocument, { userId: other.user.id }, { token: me.accessToken }));
    // Sockets of earlier tests go offline in the background (after the presence grace: a lastSeenAt write and an
    // announcement query). Nothing marks the end of all that, so count once the server has been quiet for 200 ms.
    await expect.poll(() => server.countStatements(() => new Promise((resolve) => setTimeout(resolve, 200))), { timeout: 10_000 }).toBe(0);
    const count = (first: number) =>
      server.countStatements(
        async () => {
          const result = await gql(server, ChatMembersPresenceDocument, { first }, { token: me.accessToken });
          expect(expectNoErrors(result).chats.edges).toHaveLength(first);
        },
        { runs: 3 },
      );
    const forFive = await count(5);
    const forThirty = await count(30);
    const withoutPresence = await server.countStatements(() =>
      gql(server, '{ chats(first: 30) { edges { node { id members { user { id } } } } } }', undefined, { token: me.accessToken }),
    );
    expect(forThirty).toBe(forFive);
    expect(forThirty).toBeLessThanOrEqual(withoutPresence + 1); // one "shares a chat" statement for all of them
  });
});

describe('updateProfile', () => {
  it('updates display name and about, and clears about with an empty string', async () => {
    const account = await createUser(server);
    const update = (input: { displayName?: string; about?: string | null }) => gql(server, UpdateProfileDocument, { input }, { token: account.accessToken });
    const first = expectNoErrors(await update({ displayName: '  New Name ', about: 'Line one\nLine two 👋' })).updateProfile;
    expect(first).toMatchObject({ displayName: 'New Name', about: 'Line one\nLine two 👋' });
    const second = expectNoErrors(await update({ about: '' })).updateProfile;
    expect(second).toMatchObject({ displayName: 'New Name', about: null });
    const { me } = expectNoErrors(await gql(server, MeDocument, {}, { token: account.accessToken }));
    expect(me.displayName).toBe('New Name');
  });

  it('refuses bad values and writes nothing', async () => {
    const account = await createUser(server, { displayName: 'Before' });
    const update = (input: { displayName?: string; about?: string }) => gql(server, UpdateProfileDocument, { input }, { token: account.accessToken });
    expect(expectErrorCode(await update({ displayName: '' }), 'BAD_USER_INPUT').extensions?.['field']).toBe('displayName');
    expect(expectErrorCode(await update({ about: 'a'.repeat(501) }), 'BAD_USER_INPUT').extensions?.['field']).toBe('about');
    expect(expectErrorCode(await update({ displayName: 'Fine', about: 'bell\u0007' }), 'BAD_USER_INPUT').extensions?.['field']).toBe('about');
    const { me } = expectNoErrors(await gql(server, MeDocument, {}, { token: account.accessToken }));
    expect(me).toMatchObject({ displayName: 'Before', about: null });
  });

  it('stores text as sent, without HTML escaping', async () => {
    const account = await createUser(server);
    const about = '<b>bold</b> & "quotes"';
    expect(expectNoErrors(await gql(server, UpdateProfileDocument, { input: { about } }, { token: account.accessToken })).updateProfile.about).toBe(about);
  });
});

describe('online and lastSeenAt', () => {
  it('are online while any socket is open, then offline with lastSeenAt', async () => {
    const account = await createUser(server);
    await createGroup(server, viewer, [account]); // presence is for people who share a chat
    const read = async () => expectNoErrors(await gql(server, UserByIdDocument, { id: account.user.id }, { token: viewer.accessToken })).user!;
    const phone = wsClient(server, account.accessToken, { lazy: false });
    const laptop = wsClient(server, account.accessToken, { lazy: false });
    await Promise.all([waitFor(phone, 'connected'), waitFor(laptop, 'connected')]);
    expect((await read()).online).toBe(true);

    const both = await openSockets(server);
    await phone.dispose();
    // The server has handled the phone's close (presence included) once it counts one socket fewer.
    await expect.poll(() => openSockets(server)).toBe(both - 1);
    expect((await read()).online).toBe(true);

    const before = Date.now();
    await laptop.dispose();
    await expect.poll(async () => (await read()).online, { timeout: 5000 }).toBe(false);
    await expect.poll(async () => (await read()).lastSeenAt, { timeout: 5000 }).not.toBeNull();
    const seen = Date.parse((await read()).lastSeenAt!);
    expect(seen).toBeGreaterThanOrEqual(before - 1000);
    expect(seen).toBeLessThanOrEqual(Date.now());
  });
});

function waitFor(client: ReturnType<typeof wsClient>, event: 'connected'): Promise<void> {
  return new Promise((resolve) => {
    const off = client.on(event, () => {
      off();
      resolve();
    });
  });
}

async function searchIds(as: TestUser, search: string): Promise<string[]> {
  const { users } = expectNoErrors(await gql(server, UsersDocument, { search, first: 100 }, { token: as.accessToken }));
  return users.edges.map((e) => e.node.id);
}
