/**
 * Account recovery without email or phone: recovery codes, and an admin's
 * temporary password that must be changed at the next sign-in.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { as, createUser, promoteToAdmin, type TestUser } from '../../test/factories.js';
import {
  AdminAuditLogDocument,
  AdminResetPasswordDocument,
  ChangePasswordDocument,
  ChatsDocument,
  CreateRecoveryCodesDocument,
  LoginDocument,
  MeDocument,
  MySessionsDocument,
  RefreshTokenDocument,
  ResetPasswordWithRecoveryCodeDocument,
} from '../../test/generated/graphql.js';
import { expectErrorCode, expectNoErrors, gql, openSocket, overSocket, startTestServer, within, wsClient, type TestServer } from '../../test/server.js';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.close();
});

const NEW_PASSWORD = 'a fresh passphrase 42';
const createCodes = async (account: TestUser) =>
  expectNoErrors(await gql(server, CreateRecoveryCodesDocument, { password: account.password }, as(account))).createRecoveryCodes;
const reset = (s: TestServer, username: string, code: string, newPassword = NEW_PASSWORD) =>
  gql(s, ResetPasswordWithRecoveryCodeDocument, { username, code, newPassword });
const login = (s: TestServer, username: string, password: string) => gql(s, LoginDocument, { input: { username, password } });

describe('recovery codes', () => {
  it('are 10 distinct codes of 80 bits, stored only as hashes', async () => {
    const account = await createUser(server);
    const codes = await createCodes(account);
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    for (const code of codes) expect(code).toMatch(/^[0-9a-hjkmnp-tv-z]{4}(-[0-9a-hjkmnp-tv-z]{4}){3}$/);
    const rows = await server.database.prisma.recoveryCode.findMany({ where: { userId: account.user.id } });
    expect(rows).toHaveLength(10);
    const stored = JSON.stringify(rows);
    for (const code of codes) expect(stored).not.toContain(code.replaceAll('-', ''));
  });

  it('refuse a wrong password as changePassword does, and make nothing', async () => {
    const account = await createUser(server);
    const error = expectErrorCode(await gql(server, CreateRecoveryCodesDocument, { password: 'not my password' }, as(account)), 'BAD_USER_INPUT');
    expect(error.extensions?.['field']).toBe('password');
    expect(await server.database.prisma.recoveryCode.count({ where: { userId: account.user.id } })).toBe(0);
  });

  it('work once: the password changes, every session ends, and the same code is refused after', async () => {
    const account = await createUser(server);
    const [code] = await createCodes(account);
    const { closed } = await openSocket(server, account.accessToken);
    expect(expectNoErrors(await reset(server, account.username, code!)).resetPasswordWithRecoveryCode).toBe(true);
    expect(await within(closed, 2000, 'the socket')).toEqual({ code: 4403, reason: 'SESSION_REVOKED' });
    expect(expectErrorCode(await gql(server, MeDocument, {}, as(account)), 'UNAUTHENTICATED').extensions?.['reason']).toBe('SESSION_REVOKED');
    expectErrorCode(await gql(server, RefreshTokenDocument, { refreshToken: account.refreshToken }), 'UNAUTHENTICATED');
    expectErrorCode(await login(server, account.username, account.password), 'UNAUTHENTICATED');
    const { login: signedIn } = expectNoErrors(await login(server, account.username, NEW_PASSWORD));
    expect(signedIn.mustChangePassword).toBe(false);

    const again = expectErrorCode(await reset(server, account.username, code!, 'yet another passphrase'), 'UNAUTHENTICATED');
    expect(again.extensions?.['reason']).toBe('INVALID_CREDENTIALS');
    expectNoErrors(await login(server, account.username, NEW_PASSWORD));
  });

  it('read back whatever the case, dashes and look-alike letters', async () => {
    const account = await createUser(server);
    const [code] = await createCodes(account);
    const typed = code!.replaceAll('-', ' ').toUpperCase().replaceAll('0', 'O').replaceAll('1', 'L');
    expectNoErrors(await reset(server, account.username, typed));
  });

  it('are replaced by a new set', async () => {
    const account = await createUser(server);
    const [old] = await createCodes(account);
    const [fresh] = await createCodes(account);
    expect(expectErrorCode(await reset(server, account.username, old!), 'UNAUTHENTICATED').extensions?.['reason']).toBe('INVALID_CREDENTIALS');
    expectNoErrors(await reset(server, account.username, fresh!));
  });

  it("answer a wrong username like a wrong code, and another account's code like none", async () => {
    const [alice, bob] = await Promise.all([createUser(server), createUser(server)]);
    const [aliceCode] = await createCodes(alice);
    const wrongName = expectErrorCode(await reset(server, 'no_such_user', aliceCode!), 'UNAUTHENTICATED');
    const wrongCode = expectErrorCode(await reset(server, bob.username, aliceCode!), 'UNAUTHENTICATED');
    expect(wrongName.message).toBe(wrongCode.message);
    for (const code of ['', 'x'.repeat(65), 'not-a-code-at-all', '🙂'.repeat(16)]) expectErrorCode(await reset(server, bob.username, code), 'UNAUTHENTICATED');
    // Alice's code is still hers to use.
    expectNoErrors(await reset(server, alice.username, aliceCode!));
  });

  it('take a new password by register’s rules, without using the code on a refusal', async () => {
    const account = await createUser(server);
    const [code] = await createCodes(account);
    for (const newPassword of ['short', 'x'.repeat(129)]) {
      expect(expectErrorCode(await reset(server, account.username, code!, newPassword), 'BAD_USER_INPUT').extensions?.['field']).toBe('newPassword');
    }
    expectNoErrors(await reset(server, account.username, code!));
  });

  it('are limited like sign-in: per address, and wrong codes lock the account', async () => {
    const limited = await startTestServer({ RATE_LIMIT_AUTH: '8/60' });
    try {
      const account = await createUser(limited);
      // 1 of 8: asking for codes checks the password, which spends the sign-in budget too.
      const codes = expectNoErrors(await gql(limited, CreateRecoveryCodesDocument, { password: account.password }, as(account))).createRecoveryCodes;
      for (let i = 0; i < 5; i++) expectErrorCode(await reset(limited, account.username, `0000-0000-0000-000${i}`), 'UNAUTHENTICATED');
      // Five wrong codes lock the account as five wrong passwords do: even a right code waits.
      expect(expectErrorCode(await reset(limited, account.username, codes[0]!), 'RATE_LIMITED').extensions?.['policy']).toBe('LOGIN_LOCKOUT');
      expectErrorCode(await reset(limited, 'someone_else', codes[0]!), 'UNAUTHENTICATED'); // 8 of 8
      expect(expectErrorCode(await reset(limited, 'someone_else', codes[0]!), 'RATE_LIMITED').extensions?.['policy']).toBe('AUTH');
    } finally {
      await limited.close();
    }
  });
});

describe('adminResetPassword', () => {
  let admin: TestUser;
  beforeAll(async () => {
    admin = await createUser(server);
    await promoteToAdmin(server, admin.user.id);
  });

  it('is for admins only', async () => {
    const [plain, target] = await Promise.all([createUser(server), createUser(server)]);
    expectErrorCode(await gql(server, AdminResetPasswordDocument, { userId: target.user.id }, as(plain)), 'FORBIDDEN');
    expectNoErrors(await login(server, target.username, target.password));
  });

  it('returns a temporary password once, audits it, ends every session, and forces a change at the next sign-in', async () => {
    const target = await createUser(server);
    await createCodes(target);
    const { closed } = await openSocket(server, target.accessToken);
    const temporary = expectNoErrors(await gql(server, AdminResetPasswordDocument, { userId: target.user.id }, as(admin))).adminResetPassword;
    expect(temporary).toMatch(/^[A-Za-z2-9]{16}$/);
    expect(await within(closed, 2000, 'the socket')).toEqual({ code: 4403, reason: 'SESSION_REVOKED' });
    expectErrorCode(await gql(server, MeDocument, {}, as(target)), 'UNAUTHENTICATED');
    expectErrorCode(await gql(server, RefreshTokenDocument, { refreshToken: target.refreshToken }), 'UNAUTHENTICATED');
    expectErrorCode(await login(server, target.username, target.password), 'UNAUTHENTICATED');
    // Its owner lost control of it: the recovery codes end too.
    expect(await server.database.prisma.recoveryCode.count({ where: { userId: target.user.id } })).toBe(0);

    const { adminAuditLog } = expectNoErrors(await gql(server, AdminAuditLogDocument, { first: 5 }, as(admin)));
    const entry = adminAuditLog.edges.map((e) => e.node).find((n) => n.action === 'RESET_PASSWORD' && n.targetId === target.user.id);
    expect(entry).toMatchObject({ targetType: 'User', details: '{}' });
    expect(JSON.stringify(adminAuditLog)).not.toContain(temporary);

    const { login: pending } = expectNoErrors(await login(server, target.username, temporary));
    expect(pending.mustChangePassword).toBe(true);
    // Until changed: me, and changePassword; every other operation is FORBIDDEN with the reason, on both transports.
    expect(expectNoErrors(await gql(server, MeDocument, {}, as(pending))).me.id).toBe(target.user.id);
    for (const answer of [
      await gql(server, ChatsDocument, {}, as(pending)),
      await gql(server, MySessionsDocument, {}, as(pending)),
      await gql(server, CreateRecoveryCodesDocument, { password: temporary }, as(pending)),
    ]) {
      expect(expectErrorCode(answer, 'FORBIDDEN').extensions?.['reason']).toBe('PASSWORD_CHANGE_REQUIRED');
    }
    const client = wsClient(server, pending.accessToken);
    try {
      expect((await overSocket(client, '{ me { id } }')).data).toEqual({ me: { id: target.user.id } });
      const overWs = await overSocket(client, '{ chats { totalCount } }');
      expect(overWs.errors?.map((e) => e.extensions?.['reason'])).toEqual(['PASSWORD_CHANGE_REQUIRED']);
    } finally {
      await client.dispose();
    }
    // A refresh keeps saying so.
    const refreshed = expectNoErrors(await gql(server, RefreshTokenDocument, { refreshToken: pending.refreshToken })).refreshToken;
    expect(refreshed.mustChangePassword).toBe(true);

    expectNoErrors(await gql(server, ChangePasswordDocument, { currentPassword: temporary, newPassword: NEW_PASSWORD }, as(refreshed)));
    expectNoErrors(await gql(server, ChatsDocument, {}, as(refreshed)));
    expect(expectNoErrors(await login(server, target.username, NEW_PASSWORD)).login.mustChangePassword).toBe(false);
    expectErrorCode(await login(server, target.username, temporary), 'UNAUTHENTICATED');
  });

  it('refuses the admin’s own account and a deleted one, and is NOT_FOUND for no account', async () => {
    const deleted = await createUser(server);
    await server.database.prisma.user.update({ where: { id: deleted.user.id }, data: { deletedAt: new Date(), active: false } });
    for (const userId of [admin.user.id, deleted.user.id]) {
      expect(expectErrorCode(await gql(server, AdminResetPasswordDocument, { userId }, as(admin)), 'BAD_USER_INPUT').extensions?.['field']).toBe('userId');
    }
    for (const userId of ['00000000-0000-4000-8000-000000000000', 'nope']) {
      expectErrorCode(await gql(server, AdminResetPasswordDocument, { userId }, as(admin)), 'NOT_FOUND');
    }
  });
});
