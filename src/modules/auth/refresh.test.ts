/**
 * Refresh on flaky networks: a retry within REFRESH_GRACE_SECONDS of a refresh
 * whose answer was lost gets a working pair of the same session; reuse after
 * it ends the session. And refreshes spend their session's budget.
 */
import jwt from 'jsonwebtoken';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { as, createUser } from '../../test/factories.js';
import { LoginDocument, MeDocument, RefreshTokenDocument } from '../../test/generated/graphql.js';
import { expectErrorCode, expectNoErrors, gql, openSocket, startTestServer, within, type TestServer } from '../../test/server.js';

/** Small, so the test after the grace waits little; the rest run on the default 30 s, so a slow machine stays within it. */
const SHORT_GRACE_SECONDS = 1;
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.close();
});

const refresh = (s: TestServer, refreshToken: string) => gql(s, RefreshTokenDocument, { refreshToken });
const sessionOf = (accessToken: string) => (jwt.decode(accessToken) as { sid: string }).sid;
const reasonOf = (result: Awaited<ReturnType<typeof refresh>>) => expectErrorCode(result, 'UNAUTHENTICATED').extensions?.['reason'];

describe('a refresh whose answer was lost', () => {
  it('retried within the grace, gets a working pair of the same session', async () => {
    const account = await createUser(server);
    const { socket } = await openSocket(server, account.accessToken);
    expectNoErrors(await refresh(server, account.refreshToken)); // the answer that never arrived
    const retried = expectNoErrors(await refresh(server, account.refreshToken)).refreshToken;
    expect(sessionOf(retried.accessToken)).toBe(sessionOf(account.accessToken));
    expect(expectNoErrors(await gql(server, MeDocument, {}, as(retried))).me.id).toBe(account.user.id);
    // The session goes on as usual: the new token rotates, and the socket stayed open.
    const next = expectNoErrors(await refresh(server, retried.refreshToken)).refreshToken;
    expectNoErrors(await gql(server, MeDocument, {}, as(next)));
    expect(socket.readyState).toBe(socket.OPEN);
    socket.close();
  });

  it("ends the lost pair's refresh token: presenting it afterwards is reuse", async () => {
    const account = await createUser(server);
    const lost = expectNoErrors(await refresh(server, account.refreshToken)).refreshToken;
    const retried = expectNoErrors(await refresh(server, account.refreshToken)).refreshToken;
    expect(reasonOf(await refresh(server, lost.refreshToken))).toBe('REFRESH_REUSED');
    expect(reasonOf(await refresh(server, retried.refreshToken))).toBe('SESSION_REVOKED');
  });

  it('is reuse once the new pair was used, even within the grace', async () => {
    const account = await createUser(server);
    const next = expectNoErrors(await refresh(server, account.refreshToken)).refreshToken;
    const after = expectNoErrors(await refresh(server, next.refreshToken)).refreshToken;
    expect(reasonOf(await refresh(server, account.refreshToken))).toBe('REFRESH_REUSED');
    expect(reasonOf(await refresh(server, after.refreshToken))).toBe('SESSION_REVOKED');
  });

  it('retried after the grace, ends the session and closes its sockets', async () => {
    const short = await startTestServer({ REFRESH_GRACE_SECONDS: String(SHORT_GRACE_SECONDS) });
    try {
      const account = await createUser(short);
      const { closed } = await openSocket(short, account.accessToken);
      const next = expectNoErrors(await refresh(short, account.refreshToken)).refreshToken;
      // The grace is counted on the server's clock from the rotation: wait it out.
      await new Promise((resolve) => setTimeout(resolve, SHORT_GRACE_SECONDS * 1000 + 200));
      const reuse = expectErrorCode(await refresh(short, account.refreshToken), 'UNAUTHENTICATED');
      expect(reuse.extensions?.['reason']).toBe('REFRESH_REUSED');
      expect(await within(closed, 2000, 'the socket of the ended session')).toEqual({ code: 4403, reason: 'SESSION_REVOKED' });
      expect(reasonOf(await refresh(short, next.refreshToken))).toBe('SESSION_REVOKED');
      expect(expectErrorCode(await gql(short, MeDocument, {}, as(next)), 'UNAUTHENTICATED').extensions?.['reason']).toBe('SESSION_REVOKED');
    } finally {
      await short.close();
    }
  });

  it('counts the grace from the first rotation, so retries do not stretch it', async () => {
    const account = await createUser(server);
    expectNoErrors(await refresh(server, account.refreshToken));
    const rotated = await server.database.prisma.refreshToken.findFirstOrThrow({ where: { session: { userId: account.user.id }, rotatedAt: { not: null } } });
    expectNoErrors(await refresh(server, account.refreshToken));
    const again = await server.database.prisma.refreshToken.findUniqueOrThrow({ where: { id: rotated.id } });
    expect(again.rotatedAt).toEqual(rotated.rotatedAt);
  });
});

describe('without a grace (REFRESH_GRACE_SECONDS=0), and the budgets of refreshes', () => {
  let strict: TestServer;
  beforeAll(async () => {
    strict = await startTestServer({ REFRESH_GRACE_SECONDS: '0', RATE_LIMIT_REFRESH: '3/60', RATE_LIMIT_AUTH: '3/60' });
  });
  afterAll(async () => {
    await strict?.close();
  });

  it('lets exactly one of two concurrent refreshes with one token win; the other is reuse', async () => {
    const account = await createUser(strict);
    const results = await Promise.all([refresh(strict, account.refreshToken), refresh(strict, account.refreshToken)]);
    expect(results.filter((r) => r.data?.refreshToken).length).toBe(1);
    expect(results.filter((r) => r.errors?.[0]?.extensions?.['reason'] === 'REFRESH_REUSED').length).toBe(1);
  });

  it('spends the session’s own budget, not the address’s sign-in budget', async () => {
    const [phone, other] = await Promise.all([createUser(strict), createUser(strict)]);
    let token = phone.refreshToken;
    for (let i = 0; i < 3; i++) token = expectNoErrors(await refresh(strict, token)).refreshToken.refreshToken;
    const refused = expectErrorCode(await refresh(strict, token), 'RATE_LIMITED');
    expect(refused.extensions?.['policy']).toBe('REFRESH');
    expect(refused.extensions?.['retryAfterSeconds']).toBeGreaterThan(0);
    // Another session behind the same address is not held back, and sign-in still has its budget.
    expectNoErrors(await refresh(strict, other.refreshToken));
    expectNoErrors(await gql(strict, LoginDocument, { input: { username: other.username, password: other.password } }));
  });

  it('spends the address’s sign-in budget with tokens it does not know', async () => {
    const limited = await startTestServer({ RATE_LIMIT_AUTH: '2/60' });
    try {
      const account = await createUser(limited);
      for (const token of ['made-up-1', 'x'.repeat(5000)]) expect(reasonOf(await refresh(limited, token))).toBe('TOKEN_INVALID');
      expect(expectErrorCode(await refresh(limited, 'made-up-3'), 'RATE_LIMITED').extensions?.['policy']).toBe('AUTH');
      expectNoErrors(await refresh(limited, account.refreshToken));
    } finally {
      await limited.close();
    }
  });
});
