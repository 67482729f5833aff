/**
 * Every UNAUTHENTICATED answer says why in `extensions.reason`, over HTTP and
 * over graphql-ws (connection_init refusals carry it as the close reason; an
 * operation on a socket whose session ended carries it in its error), so a
 * client acts on a code instead of matching English text.
 */
import type { GraphQLFormattedError } from 'graphql';
import jwt from 'jsonwebtoken';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser, type TestUser } from '../test/factories.js';
import { LoginDocument, MeDocument, RefreshTokenDocument } from '../test/generated/graphql.js';
import { connectRaw, expectErrorCode, expectNoErrors, gql, openSocket, startTestServer, within, type TestServer } from '../test/server.js';

const SECRET = 'test-secret-that-is-at-least-32-bytes-long';
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.close();
});

const expired = (account: TestUser) => {
  const { sid, sub } = jwt.decode(account.accessToken) as { sid: string; sub: string };
  return jwt.sign({ sid, exp: Math.floor(Date.now() / 1000) - 10 }, SECRET, { subject: sub, issuer: 'payamak', audience: 'payamak-api', algorithm: 'HS256' });
};
const endSession = (account: TestUser) => server.database.prisma.session.updateMany({ where: { userId: account.user.id }, data: { revokedAt: new Date() } });
const deactivate = (account: TestUser) => server.database.prisma.user.update({ where: { id: account.user.id }, data: { active: false } });
const reasonOf = (result: { errors?: readonly GraphQLFormattedError[] | undefined }) => expectErrorCode(result, 'UNAUTHENTICATED').extensions?.['reason'];

describe('over HTTP', () => {
  it('names the reason for every access token that gives no viewer', async () => {
    const [late, ended, deactivated] = await Promise.all([createUser(server), createUser(server), createUser(server)]);
    await Promise.all([endSession(ended), deactivate(deactivated)]);
    const cases: [string, string | undefined, string][] = [
      ['no token', undefined, 'TOKEN_INVALID'],
      ['garbage', 'not.a.token', 'TOKEN_INVALID'],
      ['another key', jwt.sign({ sid: 'x' }, 'another-secret-that-is-32-bytes-long!!', { subject: 'x' }), 'TOKEN_INVALID'],
      ['expired', expired(late), 'TOKEN_EXPIRED'],
      ['ended session', ended.accessToken, 'SESSION_REVOKED'],
      ['deactivated account', deactivated.accessToken, 'ACCOUNT_DEACTIVATED'],
    ];
    for (const [name, token, reason] of cases) {
      expect(reasonOf(await gql(server, MeDocument, {}, { token })), name).toBe(reason);
    }
  });

  it('names the reason for every refresh token that gives no pair', async () => {
    const [stale, reused, ended, deactivated] = await Promise.all([createUser(server), createUser(server), createUser(server), createUser(server)]);
    await server.database.prisma.refreshToken.updateMany({ where: { session: { userId: stale.user.id } }, data: { expiresAt: new Date(Date.now() - 1000) } });
    expectNoErrors(await gql(server, RefreshTokenDocument, { refreshToken: reused.refreshToken }));
    await server.database.prisma.refreshToken.updateMany({
      where: { session: { userId: reused.user.id }, rotatedAt: { not: null } },
      data: { rotatedAt: new Date(Date.now() - 3600_000) },
    });
    await Promise.all([endSession(ended), deactivate(deactivated)]);
    const cases: [string, string, string][] = [
      ['unknown', 'made-up', 'TOKEN_INVALID'],
      ['expired', stale.refreshToken, 'TOKEN_EXPIRED'],
      ['reused after the grace', reused.refreshToken, 'REFRESH_REUSED'],
      ['ended session', ended.refreshToken, 'SESSION_REVOKED'],
      ['deactivated account', deactivated.refreshToken, 'ACCOUNT_DEACTIVATED'],
    ];
    for (const [name, refreshToken, reason] of cases) expect(reasonOf(await gql(server, RefreshTokenDocument, { refreshToken })), name).toBe(reason);
  });

  it('says INVALID_CREDENTIALS for a wrong password, and ACCOUNT_DEACTIVATED (FORBIDDEN) to the right one of a deactivated account', async () => {
    const [account, deactivated] = await Promise.all([createUser(server), createUser(server)]);
    await deactivate(deactivated);
    expect(reasonOf(await gql(server, LoginDocument, { input: { username: account.username, password: 'not the password' } }))).toBe('INVALID_CREDENTIALS');
    expect(reasonOf(await gql(server, LoginDocument, { input: { username: 'nobody_at_all', password: 'not the password' } }))).toBe('INVALID_CREDENTIALS');
    const refused = await gql(server, LoginDocument, { input: { username: deactivated.username, password: deactivated.password } });
    expect(expectErrorCode(refused, 'FORBIDDEN').extensions?.['reason']).toBe('ACCOUNT_DEACTIVATED');
  });
});

describe('over graphql-ws', () => {
  it('refuses connection_init with the reason as the close reason', async () => {
    const [late, ended, deactivated] = await Promise.all([createUser(server), createUser(server), createUser(server)]);
    await Promise.all([endSession(ended), deactivate(deactivated)]);
    const cases: [string, unknown, { code: number; reason: string }][] = [
      ['no token', {}, { code: 4401, reason: 'TOKEN_INVALID' }],
      ['garbage', { authorization: 'Bearer nope' }, { code: 4401, reason: 'TOKEN_INVALID' }],
      ['expired', { authorization: `Bearer ${expired(late)}` }, { code: 4401, reason: 'TOKEN_EXPIRED' }],
      ['ended session', { authorization: `Bearer ${ended.accessToken}` }, { code: 4401, reason: 'SESSION_REVOKED' }],
      ['deactivated account', { authorization: `Bearer ${deactivated.accessToken}` }, { code: 4403, reason: 'ACCOUNT_DEACTIVATED' }],
    ];
    for (const [name, payload, closed] of cases) expect(await connectRaw(server, payload), name).toEqual({ acked: false, ...closed });
  });

  it('answers an operation on a socket whose session ended behind its back with the reason, and closes it', async () => {
    // The sweep would close the socket first (the same reason, but no operation to answer).
    const unswept = await startTestServer({}, { tuning: { socketSweepMs: 600_000 } });
    try {
      for (const [column, reason] of [
        ['revokedAt', 'SESSION_REVOKED'],
        ['active', 'ACCOUNT_DEACTIVATED'],
      ] as const) {
        const account = await createUser(unswept);
        const { socket, closed } = await openSocket(unswept, account.accessToken);
        // No event tells the socket (a write behind the server's back): the next operation must find out.
        if (column === 'revokedAt') await unswept.database.prisma.session.updateMany({ where: { userId: account.user.id }, data: { revokedAt: new Date() } });
        else await unswept.database.prisma.user.update({ where: { id: account.user.id }, data: { active: false } });
        const answer = new Promise<{ type: string; payload?: { extensions?: Record<string, unknown> }[] }>((resolve) =>
          socket.on('message', (data) => {
            const message = JSON.parse(String(data)) as { type: string; payload?: { extensions?: Record<string, unknown> }[] };
            if (message.type === 'error') resolve(message);
          }),
        );
        socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: '{ me { id } }' } }));
        const error = await within(answer, 2000, 'the error');
        expect(error.payload?.map((e) => e.extensions)).toEqual([{ code: 'UNAUTHENTICATED', reason }]);
        expect(await within(closed, 2000, 'the close')).toEqual({ code: 4403, reason });
      }
    } finally {
      await unswept.close();
    }
  });
});
