import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { as, createUser, type TestUser } from '../../test/factories.js';
import { LoginDocument, MeDocument, MySessionsDocument, RefreshTokenDocument, RevokeSessionDocument } from '../../test/generated/graphql.js';
import { expectErrorCode, expectNoErrors, gql, openSocket, startTestServer, within, type TestServer } from '../../test/server.js';
import { USER_SELECT } from '../users/index.js';
import { MAX_SESSIONS_PER_USER } from './index.js';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.close();
});

const PHONE = 'Payamak/2.1 (iPhone; iOS 18.1)';
const LAPTOP = 'Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0';

const login = async (account: TestUser, userAgent: string) => {
  const result = await gql(
    server,
    LoginDocument,
    { input: { username: account.username, password: account.password } },
    { headers: { 'user-agent': userAgent } },
  );
  return expectNoErrors(result).login;
};

describe('mySessions', () => {
  it('lists the live sessions newest first, with the current flag, user agent and address', async () => {
    const account = await createUser(server);
    const phone = await login(account, PHONE);
    const laptop = await login(account, LAPTOP);
    const { mySessions } = expectNoErrors(await gql(server, MySessionsDocument, {}, { token: phone.accessToken }));
    // The factory's session (no request behind it) is the oldest.
    expect(mySessions.map((s) => [s.userAgent, s.ip, s.current])).toEqual([
      [LAPTOP, '127.0.0.1', false],
      [PHONE, '127.0.0.1', true],
      [null, null, false],
    ]);
    const [newest, middle] = mySessions;
    expect(Date.parse(newest!.createdAt)).toBeGreaterThanOrEqual(Date.parse(middle!.createdAt));
    expect(newest!.lastUsedAt).not.toBeNull();
    const fromLaptop = expectNoErrors(await gql(server, MySessionsDocument, {}, { token: laptop.accessToken })).mySessions;
    expect(fromLaptop.filter((s) => s.current).map((s) => s.userAgent)).toEqual([LAPTOP]);
  });

  it('leaves out ended and expired sessions', async () => {
    const account = await createUser(server);
    const phone = await login(account, PHONE);
    const laptop = await login(account, LAPTOP);
    expectNoErrors(await gql(server, 'mutation ($t: String!) { logout(refreshToken: $t) }', { t: laptop.refreshToken }));
    await server.database.prisma.session.updateMany({
      where: { userId: account.user.id, userAgent: null },
      data: { expiresAt: new Date(Date.now() - 1000) },
    });
    const { mySessions } = expectNoErrors(await gql(server, MySessionsDocument, {}, { token: phone.accessToken }));
    expect(mySessions.map((s) => s.userAgent)).toEqual([PHONE]);
  });

  it('keeps a bounded user agent without control characters', async () => {
    const account = await createUser(server);
    const phone = await login(account, `Agent\t/1 ${'x'.repeat(400)}`);
    const [current] = expectNoErrors(await gql(server, MySessionsDocument, {}, { token: phone.accessToken })).mySessions;
    expect(current!.userAgent).toHaveLength(256);
    expect(current!.userAgent).toMatch(/^Agent\/1 x+$/);
  });

  it(`caps live sessions at ${MAX_SESSIONS_PER_USER}: a new sign-in ends the one unused the longest, and its socket`, async () => {
    const account = await createUser(server);
    const stalest = await server.database.prisma.session.findFirstOrThrow({ where: { userId: account.user.id } });
    await server.database.prisma.session.update({ where: { id: stalest.id }, data: { lastUsedAt: new Date(Date.now() - 86_400_000) } });
    const { closed } = await openSocket(server, account.accessToken);
    const user = await server.database.prisma.user.findUniqueOrThrow({ where: { id: account.user.id }, select: USER_SELECT });
    for (let i = 1; i < MAX_SESSIONS_PER_USER; i++) await server.services.auth.startSession(user);
    expect(await server.database.prisma.session.count({ where: { userId: account.user.id, revokedAt: null } })).toBe(MAX_SESSIONS_PER_USER);
    const newest = await login(account, PHONE);
    expect(await within(closed, 2000, 'the stalest session’s socket')).toEqual({ code: 4403, reason: 'SESSION_REVOKED' });
    expect(await server.database.prisma.session.findUniqueOrThrow({ where: { id: stalest.id } })).toMatchObject({ revokedAt: expect.any(Date) });
    const { mySessions } = expectNoErrors(await gql(server, MySessionsDocument, {}, { token: newest.accessToken }));
    expect(mySessions).toHaveLength(MAX_SESSIONS_PER_USER);
    expect(mySessions[0]).toMatchObject({ current: true, userAgent: PHONE });
    expectErrorCode(await gql(server, RefreshTokenDocument, { refreshToken: account.refreshToken }), 'UNAUTHENTICATED');
  });
});

describe('revokeSession', () => {
  it('ends another session at once: its socket closes, its refresh and access tokens fail; mine goes on', async () => {
    const account = await createUser(server);
    const phone = await login(account, PHONE);
    const laptop = await login(account, LAPTOP);
    const [phoneSocket, laptopSocket] = await Promise.all([openSocket(server, phone.accessToken), openSocket(server, laptop.accessToken)]);
    const phoneId = expectNoErrors(await gql(server, MySessionsDocument, {}, as(laptop))).mySessions.find((s) => s.userAgent === PHONE)!.id;

    expect(expectNoErrors(await gql(server, RevokeSessionDocument, { id: phoneId }, as(laptop))).revokeSession).toBe(true);
    expect(await within(phoneSocket.closed, 2000, 'the phone’s socket')).toEqual({ code: 4403, reason: 'SESSION_REVOKED' });
    const refresh = expectErrorCode(await gql(server, RefreshTokenDocument, { refreshToken: phone.refreshToken }), 'UNAUTHENTICATED');
    expect(refresh.extensions?.['reason']).toBe('SESSION_REVOKED');
    expect(expectErrorCode(await gql(server, MeDocument, {}, as(phone)), 'UNAUTHENTICATED').extensions?.['reason']).toBe('SESSION_REVOKED');

    expect(laptopSocket.socket.readyState).toBe(laptopSocket.socket.OPEN);
    expectNoErrors(await gql(server, MeDocument, {}, as(laptop)));
    expect(expectNoErrors(await gql(server, MySessionsDocument, {}, as(laptop))).mySessions.map((s) => s.id)).not.toContain(phoneId);
    // Already ended: nothing to do.
    expect(expectNoErrors(await gql(server, RevokeSessionDocument, { id: phoneId }, as(laptop))).revokeSession).toBe(false);
    laptopSocket.socket.close();
  });

  it('ends the current session as logout does', async () => {
    const account = await createUser(server);
    const phone = await login(account, PHONE);
    const { closed } = await openSocket(server, phone.accessToken);
    const current = expectNoErrors(await gql(server, MySessionsDocument, {}, as(phone))).mySessions.find((s) => s.current)!;
    expect(expectNoErrors(await gql(server, RevokeSessionDocument, { id: current.id }, as(phone))).revokeSession).toBe(true);
    expect(await within(closed, 2000, 'own socket')).toEqual({ code: 4403, reason: 'SESSION_REVOKED' });
    expectErrorCode(await gql(server, MeDocument, {}, as(phone)), 'UNAUTHENTICATED');
    expectErrorCode(await gql(server, RefreshTokenDocument, { refreshToken: phone.refreshToken }), 'UNAUTHENTICATED');
    // The account's other session is untouched.
    expectNoErrors(await gql(server, MeDocument, {}, as(account)));
  });

  it("answers NOT_FOUND for another user's session and for ids that are none, and leaves it open", async () => {
    const [alice, mallory] = await Promise.all([createUser(server), createUser(server)]);
    const aliceSession = (await server.database.prisma.session.findFirstOrThrow({ where: { userId: alice.user.id } })).id;
    for (const id of [aliceSession, 'not-a-uuid', '00000000-0000-4000-8000-000000000000']) {
      expectErrorCode(await gql(server, RevokeSessionDocument, { id }, as(mallory)), 'NOT_FOUND');
    }
    expectNoErrors(await gql(server, MeDocument, {}, as(alice)));
    expectNoErrors(await gql(server, RefreshTokenDocument, { refreshToken: alice.refreshToken }));
  });
});

describe('the client address behind a proxy', () => {
  it('is the one TRUST_PROXY believes', async () => {
    const proxied = await startTestServer({ TRUST_PROXY: '1' });
    try {
      const account = await createUser(proxied);
      const { login: phone } = expectNoErrors(
        await gql(
          proxied,
          LoginDocument,
          { input: { username: account.username, password: account.password } },
          { headers: { 'x-forwarded-for': '198.51.100.7, 203.0.113.9', 'user-agent': PHONE } },
        ),
      );
      const [current] = expectNoErrors(await gql(proxied, MySessionsDocument, {}, as(phone))).mySessions;
      expect(current).toMatchObject({ ip: '203.0.113.9', userAgent: PHONE, current: true });
    } finally {
      await proxied.close();
    }
  });
});

describe('the session check', () => {
  const sessionIdOf = (token: string) => (JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as { sid: string }).sid;

  // A reconnect storm (every socket of an instance that restarted) or a burst of requests: one round trip.
  it('checks the sessions asked for in one turn in one statement, each with its own answer', async () => {
    const users = await Promise.all(Array.from({ length: 8 }, () => createUser(server)));
    const revoked = users[3]!;
    await server.database.prisma.session.update({ where: { id: sessionIdOf(revoked.accessToken) }, data: { revokedAt: new Date() } });
    let answers: PromiseSettledResult<{ id: string }>[] = [];
    const statements = await server.countStatements(async () => {
      answers = await Promise.allSettled(users.map((user) => server.services.auth.authenticate(user.accessToken)));
    });
    expect(statements).toBe(1);
    expect(answers.map((answer) => (answer.status === 'fulfilled' ? answer.value.id : `refused: ${(answer.reason as { failure?: string }).failure}`))).toEqual(
      users.map((user) => (user === revoked ? 'refused: revoked' : user.user.id)),
    );
  });
});
