import jwt from 'jsonwebtoken';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser, registerUser, uniqueUsername } from '../../test/factories.js';
import { ChangePasswordDocument, LoginDocument, LogoutDocument, MeDocument, RefreshTokenDocument, RegisterDocument } from '../../test/generated/graphql.js';
import { expectErrorCode, expectNoErrors, gql, startTestServer, type TestServer } from '../../test/server.js';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.close();
});

const register = (username: string, password = 'correct horse battery', displayName = 'Someone') =>
  gql(server, RegisterDocument, { input: { username, password, displayName } });

describe('register', () => {
  it('creates the account, lower-cases the username and signs it in', async () => {
    const name = uniqueUsername('Alice');
    const { register: payload } = expectNoErrors(await register(name, 'correct horse battery', '  Alice Smith  '));
    expect(payload.user.username).toBe(name.toLowerCase());
    expect(payload.user.displayName).toBe('Alice Smith');
    expect(payload.user.role).toBe('USER');
    expect(payload.user.online).toBe(false);
    expect(payload.expiresIn).toBe(900);
    expect(payload.refreshToken).toMatch(/^[\w-]{43}$/);
    const claims = jwt.decode(payload.accessToken, { complete: true });
    expect(claims?.header.alg).toBe('HS256');
    expect(claims?.payload).toMatchObject({ sub: payload.user.id, iss: 'payamak', aud: 'payamak-api' });

    const { me } = expectNoErrors(await gql(server, MeDocument, {}, { token: payload.accessToken }));
    expect(me.id).toBe(payload.user.id);
  });

  it('stores the password as an argon2id hash, never as sent', async () => {
    const { user } = await registerUser(server, { password: 'a very secret phrase' });
    const row = await server.database.prisma.user.findUniqueOrThrow({ where: { id: user.id } });
    expect(row.passwordHash).toMatch(/^\$argon2id\$v=19\$m=19456,p=1,t=2\$/);
    expect(row.passwordHash).not.toContain('a very secret phrase');
  });

  it('refuses a taken username whatever its case', async () => {
    const name = uniqueUsername('bob');
    expectNoErrors(await register(name));
    const error = expectErrorCode(await register(name.toUpperCase()), 'CONFLICT');
    expect(error.extensions?.['field']).toBe('username');
    expect(await server.database.prisma.user.count({ where: { username: name } })).toBe(1);
  });

  it.each([
    ['too short', 'ab', 'username'],
    ['too long', 'a'.repeat(33), 'username'],
    ['with a space', 'bad name', 'username'],
    ['with a dash', 'bad-name', 'username'],
    ['non-ASCII', 'añdré', 'username'],
  ])('refuses a username %s', async (_case, username, field) => {
    const error = expectErrorCode(await register(username), 'BAD_USER_INPUT');
    expect(error.extensions?.['field']).toBe(field);
  });

  it.each([
    ['9 characters', 'x'.repeat(9)],
    ['129 characters', 'x'.repeat(129)],
  ])('refuses a password of %s', async (_case, password) => {
    const error = expectErrorCode(await register(uniqueUsername(), password), 'BAD_USER_INPUT');
    expect(error.extensions?.['field']).toBe('password');
  });

  it('accepts passwords of exactly 10 and 128 characters', async () => {
    expectNoErrors(await register(uniqueUsername(), 'x'.repeat(10)));
    expectNoErrors(await register(uniqueUsername(), 'x'.repeat(128)));
  });

  it.each([
    ['empty', '   '],
    ['65 characters', 'd'.repeat(65)],
    ['a control character', 'Eve\u0007'],
    ['a newline', 'Eve\nAdmin'],
  ])('refuses a display name that is %s', async (_case, displayName) => {
    const username = uniqueUsername();
    const error = expectErrorCode(await register(username, 'correct horse battery', displayName), 'BAD_USER_INPUT');
    expect(error.extensions?.['field']).toBe('displayName');
    expect(await server.database.prisma.user.count({ where: { username } })).toBe(0);
  });

  it('refuses a missing field before running anything', async () => {
    const result = await gql(server, 'mutation { register(input: { username: "x" }) { accessToken } }');
    expect(result.status).toBe(400);
    expect(result.errors?.map((e) => e.extensions?.['code'])).toEqual(['BAD_USER_INPUT', 'BAD_USER_INPUT']);
    expect(result.errors?.map((e) => e.message).join(' ')).toMatch(/password.*displayName/);
  });
});

describe('login', () => {
  it('signs in with the right password, any username case', async () => {
    const { username, password, user } = await createUser(server);
    const { login } = expectNoErrors(await gql(server, LoginDocument, { input: { username: username.toUpperCase(), password } }));
    expect(login.user.id).toBe(user.id);
    expect(expectNoErrors(await gql(server, MeDocument, {}, { token: login.accessToken })).me.id).toBe(user.id);
  });

  it('says the same thing for a wrong password and an unknown user', async () => {
    const { username } = await createUser(server);
    const wrong = expectErrorCode(await gql(server, LoginDocument, { input: { username, password: 'not the password' } }), 'UNAUTHENTICATED');
    const unknown = expectErrorCode(await gql(server, LoginDocument, { input: { username: 'nobody_here', password: 'not the password' } }), 'UNAUTHENTICATED');
    expect(wrong.message).toBe(unknown.message);
  });

  it('refuses a deactivated account, and its tokens stop working at once', async () => {
    const account = await createUser(server);
    await server.database.prisma.user.update({ where: { id: account.user.id }, data: { active: false } });
    const login = await gql(server, LoginDocument, { input: { username: account.username, password: account.password } });
    expect(expectErrorCode(login, 'FORBIDDEN').extensions?.['reason']).toBe('ACCOUNT_DEACTIVATED');
    const me = expectErrorCode(await gql(server, MeDocument, {}, { token: account.accessToken }), 'UNAUTHENTICATED');
    expect(me.message).toMatch(/deactivated/);
    expect(me.extensions?.['reason']).toBe('ACCOUNT_DEACTIVATED');
    // A token, unlike a password, is no proof of who asks: UNAUTHENTICATED, as for the access token.
    const refresh = expectErrorCode(await gql(server, RefreshTokenDocument, { refreshToken: account.refreshToken }), 'UNAUTHENTICATED');
    expect(refresh.extensions?.['reason']).toBe('ACCOUNT_DEACTIVATED');
  });
});

describe('refresh tokens', () => {
  it('rotate: the new pair works, the old refresh token does not', async () => {
    const account = await createUser(server);
    const { refreshToken: next } = expectNoErrors(await gql(server, RefreshTokenDocument, { refreshToken: account.refreshToken }));
    expect(next.user.id).toBe(account.user.id);
    expect(next.refreshToken).not.toBe(account.refreshToken);
    expectNoErrors(await gql(server, MeDocument, {}, { token: next.accessToken }));
    // A second, legitimate rotation from the new token works too.
    expectNoErrors(await gql(server, RefreshTokenDocument, { refreshToken: next.refreshToken }));
  });

  it('answers two concurrent refreshes with one token within the grace, leaving one live token', async () => {
    const account = await createUser(server);
    const results = await Promise.all([
      gql(server, RefreshTokenDocument, { refreshToken: account.refreshToken }),
      gql(server, RefreshTokenDocument, { refreshToken: account.refreshToken }),
    ]);
    const tokens = results.map((r) => expectNoErrors(r).refreshToken.refreshToken);
    expect(new Set(tokens).size).toBe(2);
    // One ran after the other (the session's row lock): the second discarded the first's token.
    const live = await server.database.prisma.refreshToken.count({ where: { session: { userId: account.user.id }, rotatedAt: null, discardedAt: null } });
    expect(live).toBe(1);
  });

  it('refuses unknown and expired tokens', async () => {
    expectErrorCode(await gql(server, RefreshTokenDocument, { refreshToken: 'made-up' }), 'UNAUTHENTICATED');
    const account = await createUser(server);
    await server.database.prisma.refreshToken.updateMany({
      where: { session: { userId: account.user.id } },
      data: { expiresAt: new Date(Date.now() - 1000) },
    });
    const expired = await gql(server, RefreshTokenDocument, { refreshToken: account.refreshToken });
    expect(expectErrorCode(expired, 'UNAUTHENTICATED').message).toMatch(/expired/);
  });
});

describe('logout', () => {
  it('ends the session: refresh and access tokens both stop working', async () => {
    const account = await createUser(server);
    expect(expectNoErrors(await gql(server, LogoutDocument, { refreshToken: account.refreshToken })).logout).toBe(true);
    expect(expectNoErrors(await gql(server, LogoutDocument, { refreshToken: account.refreshToken })).logout).toBe(false);
    expectErrorCode(await gql(server, RefreshTokenDocument, { refreshToken: account.refreshToken }), 'UNAUTHENTICATED');
    const me = await gql(server, MeDocument, {}, { token: account.accessToken });
    expect(expectErrorCode(me, 'UNAUTHENTICATED').message).toMatch(/session has ended/);
  });

  it("leaves the account's other sessions alone", async () => {
    const account = await createUser(server);
    const { login: other } = expectNoErrors(await gql(server, LoginDocument, { input: { username: account.username, password: account.password } }));
    expectNoErrors(await gql(server, LogoutDocument, { refreshToken: account.refreshToken }));
    expectNoErrors(await gql(server, MeDocument, {}, { token: other.accessToken }));
  });
});

describe('changePassword', () => {
  it('changes the password and ends every other session, keeping this one', async () => {
    const account = await createUser(server);
    const { login: other } = expectNoErrors(await gql(server, LoginDocument, { input: { username: account.username, password: account.password } }));
    const result = await gql(
      server,
      ChangePasswordDocument,
      { currentPassword: account.password, newPassword: 'a brand new passphrase' },
      { token: account.accessToken },
    );
    expect(expectNoErrors(result).changePassword).toBe(true);
    expectNoErrors(await gql(server, MeDocument, {}, { token: account.accessToken }));
    expectErrorCode(await gql(server, MeDocument, {}, { token: other.accessToken }), 'UNAUTHENTICATED');
    expectErrorCode(await gql(server, RefreshTokenDocument, { refreshToken: other.refreshToken }), 'UNAUTHENTICATED');
    expectErrorCode(await gql(server, LoginDocument, { input: { username: account.username, password: account.password } }), 'UNAUTHENTICATED');
    expectNoErrors(await gql(server, LoginDocument, { input: { username: account.username, password: 'a brand new passphrase' } }));
  });

  it('refuses a wrong current password, a short new one, and signed-out callers', async () => {
    const account = await createUser(server);
    const call = (currentPassword: string, newPassword: string, token?: string) =>
      gql(server, ChangePasswordDocument, { currentPassword, newPassword }, { token });
    expect(expectErrorCode(await call('wrong password!', 'another passphrase', account.accessToken), 'BAD_USER_INPUT').extensions?.['field']).toBe(
      'currentPassword',
    );
    expect(expectErrorCode(await call(account.password, 'short', account.accessToken), 'BAD_USER_INPUT').extensions?.['field']).toBe('newPassword');
    expect(expectErrorCode(await call(account.password, account.password, account.accessToken), 'BAD_USER_INPUT').extensions?.['field']).toBe('newPassword');
    expectErrorCode(await call(account.password, 'another passphrase'), 'UNAUTHENTICATED');
    // Nothing changed: the old password still works.
    expectNoErrors(await gql(server, LoginDocument, { input: { username: account.username, password: account.password } }));
  });
});
