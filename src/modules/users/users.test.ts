import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser, uniqueUsername, type TestUser } from '../../test/factories.js';
import { MeDocument, UpdateProfileDocument, UserByIdDocument, UsersDocument, type UsersQuery } from '../../test/generated/graphql.js';
import { expectErrorCode, expectNoErrors, gql, startTestServer, wsClient, type GraphQLResponse, type TestServer } from '../../test/server.js';

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
  it('searches by username or display name prefix, case-insensitively, in pages', async () => {
    const prefix = `zq${Date.now().toString(36)}`.slice(0, 10);
    const created: TestUser[] = [];
    for (let i = 0; i < 5; i++) created.push(await createUser(server, { username: `${prefix}_${i}` }));
    const byName = await createUser(server, { username: uniqueUsername('other'), displayName: `${prefix.toUpperCase()} Display` });
    const deactivated = await createUser(server, { username: `${prefix}_gone` });
    await server.database.prisma.user.update({ where: { id: deactivated.user.id }, data: { active: false } });

    const seen: string[] = [];
    let after: string | null | undefined = null;
    let pages = 0;
    for (;;) {
      const result: GraphQLResponse<UsersQuery> = await gql(server, UsersDocument, { search: prefix.toUpperCase(), first: 2, after }, { token: viewer.accessToken });
      const users = expectNoErrors(result).users;
      seen.push(...users.edges.map((e) => e.node.id));
      pages += 1;
      expect(users.pageInfo.hasPreviousPage).toBe(after !== null);
      if (!users.pageInfo.hasNextPage) break;
      after = users.pageInfo.endCursor;
    }
    expect(pages).toBe(3);
    expect(new Set(seen)).toEqual(new Set([...created.map((u) => u.user.id), byName.user.id]));
    expect(seen).not.toContain(deactivated.user.id);
  });

  it('defaults to 20 a page and caps first at 100', async () => {
    for (let i = 0; i < 21; i++) await createUser(server);
    const page = expectNoErrors(await gql(server, UsersDocument, {}, { token: viewer.accessToken })).users;
    expect(page.edges).toHaveLength(20);
    expect(page.pageInfo.hasNextPage).toBe(true);
    const big = expectNoErrors(await gql(server, UsersDocument, { first: 1000 }, { token: viewer.accessToken })).users;
    expect(big.edges.length).toBeLessThanOrEqual(100);
    expect(big.edges.length).toBeGreaterThan(20);
  });

  it('refuses a negative first and a forged cursor', async () => {
    expect(expectErrorCode(await gql(server, UsersDocument, { first: -1 }, { token: viewer.accessToken }), 'BAD_USER_INPUT').extensions?.['field']).toBe(
      'first',
    );
    for (const after of ['garbage!', Buffer.from('["chat","x"]').toString('base64url'), 'x'.repeat(600)]) {
      const result = await gql(server, UsersDocument, { after }, { token: viewer.accessToken });
      expect(expectErrorCode(result, 'BAD_USER_INPUT').extensions?.['field']).toBe('after');
    }
  });
});

describe('updateProfile', () => {
  it('updates display name and about, and clears about with an empty string', async () => {
    const account = await createUser(server);
    const update = (input: { displayName?: string; about?: string | null }) =>
      gql(server, UpdateProfileDocument, { input }, { token: account.accessToken });
    const first = expectNoErrors(await update({ displayName: '  New Name ', about: 'Line one\nLine two 👋' })).updateProfile;
    expect(first).toMatchObject({ displayName: 'New Name', about: 'Line one\nLine two 👋' });
    const second = expectNoErrors(await update({ about: '' })).updateProfile;
    expect(second).toMatchObject({ displayName: 'New Name', about: null });
    const { me } = expectNoErrors(await gql(server, MeDocument, {}, { token: account.accessToken }));
    expect(me.displayName).toBe('New Name');
  });

  it('refuses bad values and writes nothing', async () => {
    const account = await createUser(server, { displayName: 'Before' });
    const update = (input: { displayName?: string; about?: string }) =>
      gql(server, UpdateProfileDocument, { input }, { token: account.accessToken });
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
    const read = async () => expectNoErrors(await gql(server, UserByIdDocument, { id: account.user.id }, { token: viewer.accessToken })).user!;
    const phone = wsClient(server, account.accessToken, { lazy: false });
    const laptop = wsClient(server, account.accessToken, { lazy: false });
    await Promise.all([waitFor(phone, 'connected'), waitFor(laptop, 'connected')]);
    expect((await read()).online).toBe(true);

    await phone.dispose();
    await new Promise((resolve) => setTimeout(resolve, 100));
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
