import { networkInterfaces } from 'node:os';
import WebSocket from 'ws';
import jwt from 'jsonwebtoken';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser } from '../test/factories.js';
import { LoginDocument, MeDocument, UserByIdDocument } from '../test/generated/graphql.js';
import { connectRaw, expectErrorCode, expectNoErrors, gql, startTestServer, type TestServer } from '../test/server.js';

let server: TestServer;
const metricsUrl = () => `http://127.0.0.1:${server.metricsPort}/metrics`;

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.close();
});

describe('POST /graphql', () => {
  // Apps' requests and browsers' (an Origin header) take the one pipeline: the answers must not differ.
  const post = (body: string, headers: Record<string, string> = {}) =>
    fetch(server.graphqlUrl, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  const asBrowser = { origin: 'https://app.example' };

  it('answers an app and a browser alike', async () => {
    const { accessToken } = await createUser(server);
    const query = JSON.stringify({ query: '{ chats(first: 1) { totalCount } }' });
    for (const extra of [{}, asBrowser]) {
      const response = await post(query, { authorization: `Bearer ${accessToken}`, 'x-request-id': 'req-42', ...extra });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^application\/(graphql-response\+)?json/);
      expect(response.headers.get('x-request-id')).toBe('req-42');
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      expect(response.headers.get('x-powered-by')).toBeNull();
      expect(await response.json()).toEqual({ data: { chats: { totalCount: 0 } } });
    }
  });

  it('refuses a malformed or non-object body with the same 400, app or browser', async () => {
    for (const body of ['{"query": ', '5', 'null']) {
      const answers = await Promise.all([post(body), post(body, asBrowser)]);
      for (const response of answers) {
        expect(response.status, body).toBe(400);
        expect(await response.json()).toEqual({ errors: [{ message: 'Malformed request body', extensions: { code: 'BAD_USER_INPUT' } }] });
      }
    }
  });

  it('counts GraphQL requests in the HTTP metrics', async () => {
    const count = async () => {
      const text = await (await fetch(metricsUrl())).text();
      const line = text.split('\n').find((l) => l.startsWith('http_requests_total{') && l.includes('route="/graphql"') && l.includes('status="200"'));
      return Number(line?.split(' ').at(-1) ?? 0);
    };
    const before = await count();
    await post(JSON.stringify({ query: '{ __typename }' }));
    expect(await count()).toBe(before + 1);
  });
});

describe('plain HTTP routes', () => {
  it('GET /healthz says ok', async () => {
    const response = await fetch(`${server.url}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
  });

  it('GET /readyz reports the database with its latency', async () => {
    const response = await fetch(`${server.url}/readyz`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as { status: string; database: { status: string; latencyMs: number } };
    expect(body.status).toBe('ok');
    expect(body.database.status).toBe('up');
    expect(body.database.latencyMs).toBeGreaterThanOrEqual(0);
  });

  it('GET /metrics on the metrics port serves Prometheus text with process, HTTP, GraphQL and WebSocket metrics', async () => {
    await gql(server, MeDocument);
    const response = await fetch(metricsUrl());
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await response.text();
    expect(text).toMatch(/^process_cpu_user_seconds_total \d/m);
    expect(text).toMatch(/^http_requests_total\{method="POST",route="\/graphql",status="200"\} \d+/m);
    expect(text).toMatch(/^graphql_operations_total\{type="query",field="me",transport="http",outcome="error"\} 1$/m);
    expect(text).toMatch(/^graphql_operation_duration_seconds_count\{type="query",field="me",transport="http"\} 1$/m);
    expect(text).toMatch(/^websocket_connections 0$/m);
  });

  it('keeps /metrics off the API port: 404 there, served on 127.0.0.1 only', async () => {
    const api = await fetch(`${server.url}/metrics`);
    expect(api.status).toBe(404);
    expect(await api.text()).not.toMatch(/http_requests_total/);
    expect(server.metricsPort).not.toBe(server.port);
    expect(server.metricsUrl).toBe(metricsUrl());
    expect((await fetch(`http://127.0.0.1:${server.metricsPort}/graphql`)).status).toBe(404);
    // Not reachable on the machine's other addresses (when it has any).
    const external = Object.values(networkInterfaces())
      .flat()
      .find((i) => i && i.family === 'IPv4' && !i.internal);
    if (external) await expect(fetch(`http://${external.address}:${server.metricsPort}/metrics`)).rejects.toThrow();
  });

  it('echoes a sane X-Request-Id and replaces a hostile one', async () => {
    const mine = await fetch(`${server.url}/healthz`, { headers: { 'x-request-id': 'abc-123' } });
    expect(mine.headers.get('x-request-id')).toBe('abc-123');
    const hostile = await fetch(`${server.url}/healthz`, { headers: { 'x-request-id': 'a b\tc'.repeat(30) } });
    expect(hostile.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('opens Apollo Sandbox for a browser at GET /graphql', async () => {
    const response = await fetch(server.graphqlUrl, { headers: { accept: 'text/html' } });
    expect(response.status).toBe(200);
    expect(await response.text()).toMatch(/sandbox/i);
  });

  it('answers unknown paths with 404 JSON', async () => {
    const response = await fetch(`${server.url}/nope`);
    expect(response.status).toBe(404);
  });
});

describe('GraphQL over HTTP', () => {
  it('refuses a GET mutation and a text/plain POST (CSRF)', async () => {
    const get = await fetch(`${server.graphqlUrl}?query=${encodeURIComponent('mutation { logout(refreshToken: "x") }')}`, {
      headers: { 'apollo-require-preflight': 'true' },
    });
    expect(get.status).toBe(405);
    const plain = await fetch(server.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    expect(plain.status).toBe(400);
    expect(await plain.text()).toMatch(/CSRF/);
  });

  it('answers malformed JSON and unparsable queries with BAD_USER_INPUT', async () => {
    const badJson = await fetch(server.graphqlUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":' });
    expect(badJson.status).toBe(400);
    expect(((await badJson.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code).toBe('BAD_USER_INPUT');
    const parse = await gql(server, '{ me { id ');
    expectErrorCode(parse, 'BAD_USER_INPUT');
    const unknownField = await gql(server, '{ nothingHere }');
    expect(expectErrorCode(unknownField, 'BAD_USER_INPUT').message).toMatch(/nothingHere/);
  });

  it('refuses a body over 1 MB with PAYLOAD_TOO_LARGE', async () => {
    const response = await fetch(server.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: `{ __typename } # ${'x'.repeat(1_100_000)}` }),
    });
    expect(response.status).toBe(413);
    const body = (await response.json()) as { errors: { extensions: { code: string } }[] };
    expect(body.errors[0]!.extensions.code).toBe('PAYLOAD_TOO_LARGE');
  });
});

describe('GraphQL over WebSocket', () => {
  it('acknowledges a valid token, bare or with Bearer', async () => {
    const { accessToken } = await createUser(server);
    expect(await connectRaw(server, { authorization: `Bearer ${accessToken}` })).toEqual({ acked: true });
    expect(await connectRaw(server, { authorization: accessToken })).toEqual({ acked: true });
  });

  it('closes with 4401 without a token or with a bad one', async () => {
    expect(await connectRaw(server, {})).toMatchObject({ acked: false, code: 4401 });
    expect(await connectRaw(server, { authorization: 'Bearer nope' })).toMatchObject({ acked: false, code: 4401 });
    const expired = jwt.sign({ sid: 'x', exp: 1 }, 'test-secret-that-is-at-least-32-bytes-long', { subject: 'x' });
    expect(await connectRaw(server, { authorization: expired })).toMatchObject({ acked: false, code: 4401 });
  });

  it('keeps sockets that answer pings and drops one that stops answering', async () => {
    const pinging = await startTestServer({}, { keepAliveMs: 400 });
    const { accessToken } = await createUser(pinging);
    const open = (autoPong: boolean) =>
      new Promise<WebSocket>((resolve, reject) => {
        const socket = new WebSocket(pinging.wsUrl, 'graphql-transport-ws', { autoPong });
        socket.on('open', () => socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: accessToken } })));
        socket.on('message', (data) => (JSON.parse(String(data)) as { type: string }).type === 'connection_ack' && resolve(socket));
        socket.on('error', reject);
      });
    const [answering, silent] = await Promise.all([open(true), open(false)]);
    const closes = new Map<WebSocket, number>();
    for (const socket of [answering, silent]) socket.on('close', (code) => closes.set(socket, code));
    let pings = 0;
    answering.on('ping', () => (pings += 1));
    try {
      await expect.poll(() => closes.get(silent), { timeout: 5000, interval: 20 }).toBe(1006); // terminated: no close frame
      // A second ping means a check found the first one answered; the silent socket missed the same checks.
      await expect.poll(() => pings, { timeout: 5000, interval: 20 }).toBeGreaterThanOrEqual(2);
      expect(closes.has(answering)).toBe(false);
      expect(answering.readyState).toBe(WebSocket.OPEN);
    } finally {
      answering.close();
      await pinging.close();
    }
  });

  it('closes with 4403 for a deactivated user', async () => {
    const account = await createUser(server);
    await server.database.prisma.user.update({ where: { id: account.user.id }, data: { active: false } });
    expect(await connectRaw(server, { authorization: `Bearer ${account.accessToken}` })).toMatchObject({ acked: false, code: 4403 });
  });

  it('runs queries over the socket with the same context as HTTP', async () => {
    const account = await createUser(server);
    const { wsClient } = await import('../test/server.js');
    const client = wsClient(server, account.accessToken);
    try {
      const result = await new Promise<{ data?: { me: { id: string } } | null }>((resolve, reject) => {
        client.subscribe<{ me: { id: string } }>({ query: '{ me { id } }' }, { next: resolve, error: reject, complete: () => {} });
      });
      expect(result.data?.me.id).toBe(account.user.id);
    } finally {
      await client.dispose();
    }
  });
});

describe('admin bootstrap and error masking', () => {
  it('creates the ADMIN_USERNAME account, then promotes and resets it on a later start', async () => {
    const admin = await startTestServer({ ADMIN_USERNAME: 'Boss', ADMIN_PASSWORD: 'admin password 1' });
    try {
      const { login } = expectNoErrors(await gql(admin, LoginDocument, { input: { username: 'boss', password: 'admin password 1' } }));
      expect(login.user.role).toBe('ADMIN');
      // A plain user of that name, as if registered before the variables were set:
      await admin.database.prisma.user.update({ where: { id: login.user.id }, data: { role: 'USER', active: false } });
      await admin.services.auth.ensureAdmin('boss', 'another admin pass');
      const again = expectNoErrors(await gql(admin, LoginDocument, { input: { username: 'boss', password: 'another admin pass' } }));
      expect(again.login.user.role).toBe('ADMIN');
    } finally {
      await admin.close();
    }
  });

  it('masks unexpected failures: no SQL, stack or path reaches the client', async () => {
    const broken = await startTestServer();
    try {
      const account = await createUser(broken);
      // Break the database under the server: the next user lookup fails inside Prisma.
      await broken.database.prisma.$executeRawUnsafe('ALTER TABLE "User" RENAME COLUMN "about" TO "about_gone"');
      const result = await gql(broken, UserByIdDocument, { id: account.user.id }, { token: account.accessToken });
      const error = expectErrorCode(result, 'INTERNAL_SERVER_ERROR');
      expect(error.message).toBe('Internal server error');
      expect(JSON.stringify(result.errors)).not.toMatch(/about_gone|about|prisma|SELECT|at .*\.ts|stacktrace/i);
    } finally {
      await broken.close();
    }
  });
});
