import jwt from 'jsonwebtoken';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser } from '../test/factories.js';
import { LoginDocument, MeDocument, RefreshTokenDocument } from '../test/generated/graphql.js';
import { expectErrorCode, expectNoErrors, gql, startTestServer, type TestServer } from '../test/server.js';

const SECRET = 'test-secret-that-is-at-least-32-bytes-long';
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.close();
});

describe('access tokens', () => {
  const forge = (payload: object, secret: string, options: jwt.SignOptions) => jwt.sign(payload, secret, options);

  it('rejects forged and stale tokens with UNAUTHENTICATED', async () => {
    const { user, accessToken } = await createUser(server);
    const sid = (jwt.decode(accessToken) as { sid: string }).sid;
    const good = { issuer: 'payamak', audience: 'payamak-api', subject: user.id } as const;
    const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
    const body = Buffer.from(JSON.stringify({ sub: user.id, sid, iss: 'payamak', aud: 'payamak-api', exp: 2e9 })).toString('base64url');
    const cases: Record<string, string> = {
      'alg none': `${header}.${body}.`,
      'another key': forge({ sid }, 'another-secret-that-is-32-bytes-long!!', { ...good, algorithm: 'HS256' }),
      expired: forge({ sid, exp: Math.floor(Date.now() / 1000) - 10 }, SECRET, { ...good, algorithm: 'HS256' }),
      'wrong audience': forge({ sid }, SECRET, { ...good, audience: 'someone-else', algorithm: 'HS256' }),
      'wrong issuer': forge({ sid }, SECRET, { ...good, issuer: 'evil', algorithm: 'HS256' }),
      'HS512 with our key': forge({ sid }, SECRET, { ...good, algorithm: 'HS512' }),
      'another user in our session': forge({ sid }, SECRET, { ...good, subject: '00000000-0000-4000-8000-000000000000', algorithm: 'HS256' }),
      garbage: 'not.a.token',
    };
    for (const [name, token] of Object.entries(cases)) {
      const result = await gql(server, MeDocument, {}, { token });
      expect(result.errors?.[0]?.extensions?.['code'], name).toBe('UNAUTHENTICATED');
      expect(result.data, name).toBeNull();
    }
    const expired = await gql(server, MeDocument, {}, { token: cases['expired']! });
    expect(expired.errors?.[0]?.message).toMatch(/expired/);
  });

  it('asks for a token when none is sent', async () => {
    expectErrorCode(await gql(server, MeDocument), 'UNAUTHENTICATED');
  });

  it('lets a stale token still call public operations like login', async () => {
    const { username, password } = await createUser(server);
    const result = await gql(server, LoginDocument, { input: { username, password } }, { token: 'stale.or.broken' });
    expectNoErrors(result);
  });
});

describe('refresh token theft', () => {
  it('reuse of a rotated token after the grace ends the whole session', async () => {
    const account = await createUser(server);
    const { refreshToken: next } = expectNoErrors(await gql(server, RefreshTokenDocument, { refreshToken: account.refreshToken }));
    // Rotated a minute ago: past REFRESH_GRACE_SECONDS (30), so no longer a lost answer's retry.
    await server.database.prisma.refreshToken.updateMany({
      where: { session: { userId: account.user.id }, rotatedAt: { not: null } },
      data: { rotatedAt: new Date(Date.now() - 60_000) },
    });
    const reuse = expectErrorCode(await gql(server, RefreshTokenDocument, { refreshToken: account.refreshToken }), 'UNAUTHENTICATED');
    expect(reuse.message).toMatch(/already used/);
    expect(reuse.extensions?.['reason']).toBe('REFRESH_REUSED');
    // The thief's and the owner's newer tokens are both dead now.
    expectErrorCode(await gql(server, RefreshTokenDocument, { refreshToken: next.refreshToken }), 'UNAUTHENTICATED');
    expectErrorCode(await gql(server, MeDocument, {}, { token: next.accessToken }), 'UNAUTHENTICATED');
    expectErrorCode(await gql(server, MeDocument, {}, { token: account.accessToken }), 'UNAUTHENTICATED');
  });
});
