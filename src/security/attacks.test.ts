/**
 * The attacks a messaging API meets on day one, each tried against a real
 * server: cross-site requests, query bombs, floods of requests, guesses and
 * sockets, and what errors give away in production.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createUser, registerUser, uniqueUsername, type TestUser } from '../test/factories.js';
import { createPrivateChat } from '../test/chats.js';
import {
  ChangePasswordDocument,
  LoginDocument,
  LogoutDocument,
  MeDocument,
  OnNewMessageDocument,
  RefreshTokenDocument,
  RegisterDocument,
  SendMessageDocument,
  UploadAvatarDocument,
  UserByIdDocument,
} from '../test/generated/graphql.js';
import { gqlUpload } from '../test/uploads.js';
import { LiveSubscription, connectRaw, expectErrorCode, expectNoErrors, gql, overSocket, startTestServer, wsClient, type TestServer } from '../test/server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ CORS_ORIGINS: 'https://app.example.com' });
});
afterAll(async () => {
  await server?.close();
});

const post = (body: unknown, headers: Record<string, string> = {}) =>
  fetch(server.graphqlUrl, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

describe('cross-site request forgery', () => {
  it('refuses text/plain and form posts, multipart without a preflight header, and GET mutations', async () => {
    for (const contentType of ['text/plain', 'application/x-www-form-urlencoded']) {
      const response = await fetch(server.graphqlUrl, { method: 'POST', headers: { 'content-type': contentType }, body: '{"query":"{ __typename }"}' });
      expect(response.status, contentType).toBe(400);
    }
    const form = new FormData();
    form.set('operations', JSON.stringify({ query: 'mutation { logout(refreshToken: "x") }' }));
    form.set('map', '{}');
    const multipart = await fetch(server.graphqlUrl, { method: 'POST', body: form });
    expect(multipart.status).toBe(400);
    expect(await multipart.text()).toMatch(/CSRF|preflight/i);
    const get = await fetch(`${server.graphqlUrl}?query=${encodeURIComponent('mutation { logout(refreshToken: "x") }')}`, {
      headers: { 'apollo-require-preflight': '1' },
    });
    expect(get.status).toBe(405);
  });

  it('sends CORS headers only to the configured origin', async () => {
    const allowed = await fetch(`${server.url}/healthz`, { headers: { origin: 'https://app.example.com' } });
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    const other = await fetch(`${server.url}/healthz`, { headers: { origin: 'https://evil.example' } });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('sets security headers on every route', async () => {
    for (const route of ['/healthz', '/metrics', '/nope']) {
      const response = await fetch(`${server.url}${route}`);
      expect(response.headers.get('x-content-type-options'), route).toBe('nosniff');
      expect(response.headers.get('strict-transport-security'), route).toMatch(/max-age=/);
      expect(response.headers.get('x-frame-options'), route).toBe('SAMEORIGIN');
      expect(response.headers.get('x-powered-by'), route).toBeNull();
    }
  });
});

describe('query bombs are refused before they run', () => {
  it('too deep', async () => {
    const deep = `{ chats { edges { node { ${'lastMessage { chat { '.repeat(5)}id${' } }'.repeat(5)} } } } }`;
    const { accessToken } = await createUser(server);
    const result = await gql(server, deep, {}, { token: accessToken });
    expect(result.status).toBe(400);
    expect(expectErrorCode(result, 'BAD_USER_INPUT').message).toMatch(/depth/i);
  });

  it('too many aliases', async () => {
    const aliases = Array.from({ length: 50 }, (_, i) => `a${i}: me { id }`).join(' ');
    const result = await gql(server, `{ ${aliases} }`);
    expect(result.status).toBe(400);
    expect(expectErrorCode(result, 'BAD_USER_INPUT').message).toMatch(/alias/i);
  });

  it('too many directives', async () => {
    const result = await gql(server, `{ __typename ${'@include(if: true) '.repeat(30)} }`);
    expect(result.errors?.[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');
  });

  it('too many tokens', async () => {
    const result = await gql(server, `{ ${'__typename '.repeat(5000)} }`);
    expect(expectErrorCode(result, 'BAD_USER_INPUT').message).toMatch(/token/i);
  });

  it('too expensive: wide pages nested in wide pages', async () => {
    const { accessToken } = await createUser(server);
    const page = 'chats(first: 100) { edges { node { members { user { id } } lastMessage { chat { members { user { id } } } } } } }';
    const query = `{ ${Array.from({ length: 10 }, (_, i) => `p${i}: ${page}`).join(' ')} }`;
    const result = await gql(server, query, {}, { token: accessToken });
    const error = expectErrorCode(result, 'BAD_USER_INPUT');
    expect(error.message).toMatch(/too expensive/);
    expect(error.extensions?.['cost']).toBeGreaterThan(error.extensions?.['maxCost'] as number);
  });

  it('too expensive through variables: the same document is estimated again for each request', async () => {
    const { accessToken } = await createUser(server);
    const page = 'chats(first: $n) { edges { node { members { user { id } } lastMessage { chat { members { user { id } } } } } } }';
    const query = `query Pages($n: Int) { ${Array.from({ length: 10 }, (_, i) => `p${i}: ${page}`).join(' ')} }`;
    expectNoErrors(await gql(server, query, { n: 1 }, { token: accessToken }));
    expect(expectErrorCode(await gql(server, query, { n: 100 }, { token: accessToken }), 'BAD_USER_INPUT').message).toMatch(/too expensive/);
    expectNoErrors(await gql(server, query, { n: 1 }, { token: accessToken }));
  });

  it('a 1 MB body, and batched requests', async () => {
    const big = await post({ query: `{ __typename } #${'x'.repeat(1_048_576)}` });
    expect(big.status).toBe(413);
    const batch = await post([{ query: '{ __typename }' }, { query: '{ __typename }' }]);
    expect(batch.status).toBe(400);
  });

  it('the same limits hold over WebSocket', async () => {
    const { accessToken } = await createUser(server);
    const client = wsClient(server, accessToken);
    try {
      const aliases = Array.from({ length: 50 }, (_, i) => `a${i}: me { id }`).join(' ');
      const result = await new Promise<unknown>((resolve) => {
        client.subscribe({ query: `{ ${aliases} }` }, { next: resolve, error: resolve, complete: () => undefined });
      });
      expect(JSON.stringify(result)).toMatch(/Aliases limit of 15 exceeded.*BAD_USER_INPUT/);
    } finally {
      await client.dispose();
    }
  });
});

describe('floods are rate limited', () => {
  let limited: TestServer;
  beforeAll(async () => {
    limited = await startTestServer({ RATE_LIMIT_API: '8/60', RATE_LIMIT_AUTH: '4/60', RATE_LIMIT_MESSAGES: '3/60' });
  });
  afterAll(async () => {
    await limited?.close();
  });

  it('operations per user: RateLimit headers, then 429 with retryAfterSeconds', async () => {
    const account = await createUser(limited); // straight to the database: spends nothing of the auth budget
    const answers = [];
    for (let i = 0; i < 9; i++) answers.push(await gql(limited, MeDocument, {}, { token: account.accessToken }));
    expect(answers[0]!.headers.get('ratelimit-policy')).toBe('8;w=60');
    expect(answers[0]!.headers.get('ratelimit')).toMatch(/^limit=8, remaining=\d, reset=\d+$/);
    const refused = answers.at(-1)!;
    expect(refused.status).toBe(429);
    const error = expectErrorCode(refused, 'RATE_LIMITED');
    expect(error.extensions?.['retryAfterSeconds']).toBeGreaterThan(0);
    expect(error.extensions?.['policy']).toBe('API');
    expect(error.extensions?.['http']).toBeUndefined();
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('sign-ups, sign-ins and refreshes with unknown tokens share one budget per IP', async () => {
    const account = await registerUser(limited); // 1 of 4
    // A token we know spends its session's budget (RATE_LIMIT_REFRESH), not the address's.
    let { refreshToken } = expectNoErrors(await gql(limited, RefreshTokenDocument, { refreshToken: account.refreshToken })).refreshToken;
    ({ refreshToken } = expectNoErrors(await gql(limited, RefreshTokenDocument, { refreshToken })).refreshToken);
    expectErrorCode(await gql(limited, RefreshTokenDocument, { refreshToken: 'made-up' }), 'UNAUTHENTICATED'); // 2
    const login = (username: string) => gql(limited, LoginDocument, { input: { username, password: 'wrong password!' } });
    expectErrorCode(await login('nobody1'), 'UNAUTHENTICATED'); // 3
    expectErrorCode(await gql(limited, RefreshTokenDocument, { refreshToken: 'made-up-too' }), 'UNAUTHENTICATED'); // 4
    const refused = expectErrorCode(await login('nobody3'), 'RATE_LIMITED');
    expect(refused.extensions?.['retryAfterSeconds']).toBeGreaterThan(0);
    expect(refused.extensions?.['policy']).toBe('AUTH');
    expect(expectErrorCode(await gql(limited, RefreshTokenDocument, { refreshToken: 'made-up-again' }), 'RATE_LIMITED').extensions?.['policy']).toBe('AUTH');
    expectNoErrors(await gql(limited, RefreshTokenDocument, { refreshToken }));
    expectErrorCode(
      await gql(limited, RegisterDocument, { input: { username: uniqueUsername(), password: 'correct horse battery', displayName: 'Late' } }),
      'RATE_LIMITED',
    );
  });

  it('messages per user', async () => {
    const other = await startTestServer({ RATE_LIMIT_MESSAGES: '3/60' });
    try {
      const [a, b] = [await createUser(other), await createUser(other)];
      const chatId = await createPrivateChat(other, a, b);
      const sends = [];
      for (let i = 0; i < 4; i++) sends.push(await gql(other, SendMessageDocument, { input: { chatId, text: `m${i}` } }, { token: a.accessToken }));
      expect(sends.slice(0, 3).every((r) => r.errors === undefined)).toBe(true);
      const refused = expectErrorCode(sends[3]!, 'RATE_LIMITED');
      expect(refused.extensions?.['retryAfterSeconds']).toBeGreaterThan(0);
      expect(refused.extensions?.['policy']).toBe('MESSAGES');
      expect(await other.database.prisma.message.count({ where: { chatId } })).toBe(3);
    } finally {
      await other.close();
    }
  });

  it('retries of a stored send cost nothing and are answered even over the limit', async () => {
    const other = await startTestServer({ RATE_LIMIT_MESSAGES: '2/60' });
    try {
      const [a, b] = [await createUser(other), await createUser(other)];
      const chatId = await createPrivateChat(other, a, b);
      const send = async (clientId: string) => gql(other, SendMessageDocument, { input: { chatId, text: clientId, clientId } }, { token: a.accessToken });
      const first = expectNoErrors(await send('once')).sendMessage.id;
      for (let i = 0; i < 3; i++) expect(expectNoErrors(await send('once')).sendMessage.id).toBe(first);
      expectNoErrors(await send('second')); // the budget of 2 was not spent by the retries
      expectErrorCode(await send('third'), 'RATE_LIMITED');
      expect(expectNoErrors(await send('once')).sendMessage.id).toBe(first);
      expect(await other.database.prisma.message.count({ where: { chatId } })).toBe(2);
    } finally {
      await other.close();
    }
  });
});

describe('upload floods', () => {
  it('uploads per user are limited, before the file is stored', async () => {
    const limitedUploads = await startTestServer({ RATE_LIMIT_UPLOADS: '1/60' });
    try {
      const account = await createUser(limitedUploads);
      const upload = () =>
        gqlUpload(
          limitedUploads,
          UploadAvatarDocument,
          { file: null },
          { file: { data: Buffer.from('not an image\n'), name: 'a.txt' } },
          { token: account.accessToken },
        );
      expect((await upload()).errors?.[0]?.extensions?.['code']).not.toBe('RATE_LIMITED');
      expect(expectErrorCode(await upload(), 'RATE_LIMITED').extensions?.['retryAfterSeconds']).toBeGreaterThan(0);
    } finally {
      await limitedUploads.close();
    }
  });
});

describe('password guessing', () => {
  it('locks the account after 5 failures, even for the right password, and only that account', async () => {
    const [victim, bystander] = [await createUser(server), await createUser(server)];
    const attempt = (password: string, user = victim) => gql(server, LoginDocument, { input: { username: user.username, password } });
    for (let i = 0; i < 5; i++) expectErrorCode(await attempt(`guess number ${i}`), 'UNAUTHENTICATED');
    const locked = expectErrorCode(await attempt(victim.password), 'RATE_LIMITED');
    expect(locked.extensions?.['retryAfterSeconds']).toBeGreaterThan(0);
    expect(locked.extensions?.['retryAfterSeconds']).toBeLessThanOrEqual(60);
    expectNoErrors(await attempt(bystander.password, bystander));
    // Existing sessions are not touched by a lockout.
    expectNoErrors(await gql(server, MeDocument, {}, { token: victim.accessToken }));
  });
});

describe('socket floods and stale sockets', () => {
  it('an 11th socket of one user closes the oldest', async () => {
    const account = await createUser(server);
    const sockets: WebSocket[] = [];
    const closes: (number | null)[] = [];
    for (let i = 0; i < 11; i++) {
      const socket = new WebSocket(server.wsUrl, 'graphql-transport-ws');
      const index = i;
      closes[index] = null;
      socket.on('close', (code) => (closes[index] = code));
      await new Promise<void>((resolve) => {
        socket.on('open', () => socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: account.accessToken } })));
        socket.on('message', () => resolve());
      });
      sockets.push(socket);
    }
    await expect.poll(() => closes[0]).toBe(1008);
    expect(closes.slice(1).every((c) => c === null)).toBe(true);
    for (const socket of sockets) socket.close();
  });

  it('a socket may hold 50 subscriptions, not 51', async () => {
    const account = await createUser(server);
    const client = wsClient(server, account.accessToken);
    try {
      const subs = Array.from({ length: 51 }, () => new LiveSubscription(client, OnNewMessageDocument, {}));
      await subs[50]!.waitForEnd();
      expect(JSON.stringify(subs[50]!.errors)).toMatch(/at most 50 subscriptions/);
      expect(subs.slice(0, 50).every((s) => s.errors.length === 0)).toBe(true);
    } finally {
      await client.dispose();
    }
  });

  it('a socket that never sends connection_init is closed after 3 s', async () => {
    const socket = new WebSocket(server.wsUrl, 'graphql-transport-ws');
    const code = await new Promise<number>((resolve) => socket.on('close', resolve));
    expect(code).toBe(4408);
  }, 10_000);

  it('a message over 1 MiB closes the socket', async () => {
    const account = await createUser(server);
    const socket = new WebSocket(server.wsUrl, 'graphql-transport-ws');
    await new Promise((resolve) => socket.on('open', resolve));
    socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: account.accessToken, pad: 'x'.repeat(1_100_000) } }));
    expect(await new Promise<number>((resolve) => socket.on('close', resolve))).toBe(1009);
  });

  it("logging out and changing the password end the other sessions' sockets (4403, and 4401 on reconnecting)", async () => {
    const account = await createUser(server);
    const { login: second } = expectNoErrors(await gql(server, LoginDocument, { input: { username: account.username, password: account.password } }));
    const { login: third } = expectNoErrors(await gql(server, LoginDocument, { input: { username: account.username, password: account.password } }));
    const open = (token: string) => {
      const client = wsClient(server, token, { lazy: false });
      const state = { client, closedWith: undefined as number | undefined, closed: undefined as unknown as Promise<number> };
      state.closed = new Promise<number>((resolve) => client.on('closed', (event) => resolve((state.closedWith = (event as { code: number }).code))));
      return state;
    };
    const [first, kept, other] = [open(account.accessToken), open(second.accessToken), open(third.accessToken)];
    await expect.poll(() => server.services.presence.isOnline(account.user.id)).toBe(true);
    expectNoErrors(await gql(server, LogoutDocument, { refreshToken: account.refreshToken }));
    // 4403 so graphql-ws' client tries once more with fresh connectionParams; the ended session then gets 4401, final.
    expect(await first.closed).toBe(4403);
    expectNoErrors(
      await gql(server, ChangePasswordDocument, { currentPassword: account.password, newPassword: 'brand new password' }, { token: second.accessToken }),
    );
    expect(await other.closed).toBe(4403);
    // The session that changed the password stays: its socket answers an operation after the change, and a close
    // of it would have come before that answer.
    expect((await overSocket(kept.client, '{ me { id } }')).data).toEqual({ me: { id: account.user.id } });
    expect(kept.closedWith).toBeUndefined();
    await Promise.all([kept.client.dispose(), other.client.dispose(), first.client.dispose()]);
  });
});

describe('production', () => {
  let production: TestServer;
  let user: TestUser;
  beforeAll(async () => {
    production = await startTestServer({ NODE_ENV: 'production' });
    user = await createUser(production);
  });
  afterAll(async () => {
    await production?.close();
  });

  it('has no Sandbox and no introspection', async () => {
    const page = await fetch(production.graphqlUrl, { headers: { accept: 'text/html' } });
    expect(await page.text()).not.toMatch(/embeddable-sandbox/);
    const introspection = await gql(production, '{ __schema { types { name } } }');
    expect(introspection.errors?.[0]?.message).toMatch(/introspection/i);
    expect(page.headers.get('content-security-policy')).toMatch(/default-src 'self'/);
  });

  it('masks unexpected errors: no stack, SQL or file path', async () => {
    await production.database.prisma.$executeRawUnsafe('ALTER TABLE "User" RENAME COLUMN "about" TO "about_gone"');
    try {
      const result = await gql(production, UserByIdDocument, { id: user.user.id }, { token: user.accessToken });
      const error = expectErrorCode(result, 'INTERNAL_SERVER_ERROR');
      expect(error.message).toBe('Internal server error');
      expect(JSON.stringify(result)).not.toMatch(/about_gone|SELECT|prisma|\.ts:|node_modules|stack/i);
    } finally {
      await production.database.prisma.$executeRawUnsafe('ALTER TABLE "User" RENAME COLUMN "about_gone" TO "about"');
    }
  });

  it('refuses to start without a strong JWT_SECRET', async () => {
    const { parseEnv } = await import('../config/env.js');
    expect(() => parseEnv({ NODE_ENV: 'production' })).toThrow(/JWT_SECRET is required/);
    expect(() => parseEnv({ NODE_ENV: 'production', JWT_SECRET: 'short-secret' })).toThrow(/at least 32 bytes/);
  });

  it('refuses connections without a token', async () => {
    expect(await connectRaw(production, {})).toMatchObject({ acked: false, code: 4401 });
  });
});
