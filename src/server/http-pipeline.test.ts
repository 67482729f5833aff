/**
 * One HTTP pipeline for every request (graphql-fast-path.ts): apps, browsers
 * (CORS) and requests through a trusted proxy (TRUST_PROXY) reach Apollo the
 * same way, and only what is not GraphQL (or is multipart) goes to Express.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { ApolloServer } from '@apollo/server';
import express from 'express';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Context } from '../graphql/context.js';
import { createUser } from '../test/factories.js';
import { startTestServer, wsClient, type TestServer } from '../test/server.js';
import { httpPipeline, type HttpRequestInfo } from './http-pipeline.js';
import { createMetrics } from './metrics.js';

/** The pipeline alone, in front of a two-field schema and an Express stand-in that records what reaches it. */
async function startPipeline(trustProxy: string | number | undefined) {
  const apollo = new ApolloServer<Context>({
    typeDefs: 'type Query { ip: String, origin: String }',
    resolvers: {
      Query: { ip: (_: unknown, __: unknown, ctx: HttpRequestInfo) => ctx.clientIp, origin: (_: unknown, __: unknown, ctx: HttpRequestInfo) => ctx.origin },
    },
    csrfPrevention: true,
  });
  await apollo.start();
  // Compiled as app.ts has it: by Express, from TRUST_PROXY.
  const app = express();
  if (trustProxy !== undefined) app.set('trust proxy', trustProxy);
  const toExpress: string[] = [];
  const pipeline = httpPipeline({
    apollo,
    securityHeaders: { set: [['x-content-type-options', 'nosniff']], removed: [] },
    corsOrigins: [],
    trustProxy: app.get('trust proxy fn') as (address: string, hop: number) => boolean,
    maxBodyBytes: 1024,
    context: async (_req: IncomingMessage, request: HttpRequestInfo) => request as unknown as Context,
    fallback: (req, res) => {
      toExpress.push(`${req.method} ${req.url}`);
      res.writeHead(204).end();
    },
    metrics: createMetrics(),
    logger: pino({ level: 'silent' }),
  });
  const server: Server = createServer((req, res) => pipeline.handle(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    toExpress,
    post: (headers: Record<string, string>, body: string | Uint8Array = '{"query":"{ ip origin }"}') =>
      fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body }),
    async close() {
      await new Promise((resolve) => server.close(resolve));
      await apollo.stop();
    },
  };
}

describe('the pipeline, with TRUST_PROXY', () => {
  let proxied: Awaited<ReturnType<typeof startPipeline>>;
  let direct: Awaited<ReturnType<typeof startPipeline>>;
  beforeAll(async () => {
    [proxied, direct] = await Promise.all([startPipeline(1), startPipeline(undefined)]);
  });
  afterAll(async () => {
    await Promise.all([proxied?.close(), direct?.close()]);
  });

  it('serves a JSON POST itself, app or browser, with the client address and protocol the proxy reports', async () => {
    for (const origin of [undefined, 'https://app.example']) {
      const response = await proxied.post({
        'x-forwarded-for': '198.51.100.1, 203.0.113.9',
        'x-forwarded-proto': 'https',
        ...(origin ? { origin } : {}),
      });
      expect(response.status).toBe(200);
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      expect(response.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
      // One trusted hop: the address the proxy saw, as Express' req.ip says.
      const host = new URL(proxied.url).host;
      expect(await response.json()).toEqual({ data: { ip: '203.0.113.9', origin: `https://${host}` } });
    }
    expect(proxied.toExpress).toEqual([]);
  });

  it('believes no X-Forwarded-* header without TRUST_PROXY', async () => {
    const response = await direct.post({ 'x-forwarded-for': '203.0.113.9', 'x-forwarded-proto': 'https' });
    expect(await response.json()).toEqual({ data: { ip: '127.0.0.1', origin: `http://${new URL(direct.url).host}` } });
    expect(direct.toExpress).toEqual([]);
  });

  it('hands Express only what is not GraphQL, and multipart uploads', async () => {
    const form = new FormData();
    form.set('operations', '{}');
    await fetch(`${proxied.url}/graphql`, { method: 'POST', body: form, headers: { 'apollo-require-preflight': '1' } });
    await fetch(`${proxied.url}/healthz`);
    const get = await fetch(`${proxied.url}/graphql?query=${encodeURIComponent('{ ip }')}`, { headers: { 'apollo-require-preflight': '1' } });
    expect(await get.json()).toEqual({ data: { ip: '127.0.0.1' } });
    expect(proxied.toExpress).toEqual(['POST /graphql', 'GET /healthz']);
  });

  it('reads bodies as express.json did: gzip, charset, limit, streamed, empty', async () => {
    const query = '{"query":"{ ip }"}';
    const gzipped = await proxied.post({ 'content-encoding': 'gzip' }, gzipSync(query));
    expect(await gzipped.json()).toEqual({ data: { ip: '127.0.0.1' } });
    const utf8 = await proxied.post({ 'content-type': 'application/json; charset=UTF-8' }, query);
    expect(utf8.status).toBe(200);
    const latin1 = await proxied.post({ 'content-type': 'application/json; charset=iso-8859-1' }, query);
    expect(latin1.status).toBe(415);
    const compress = await proxied.post({ 'content-encoding': 'compress' }, query);
    expect(compress.status).toBe(415);
    const large = await proxied.post({}, JSON.stringify({ query: `{ ip } # ${'x'.repeat(2000)}` }));
    expect(large.status).toBe(413);
    // Without a Content-Length: the limit is applied while reading.
    const chunks = [query.slice(0, 5), ' '.repeat(2000), query.slice(5)];
    const streamed = await fetch(`${proxied.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: new ReadableStream({ pull: (controller) => (chunks.length ? controller.enqueue(new TextEncoder().encode(chunks.shift())) : controller.close()) }),
      duplex: 'half',
    } as RequestInit);
    expect(streamed.status).toBe(413);
    const bomb = await proxied.post({ 'content-encoding': 'gzip' }, gzipSync(JSON.stringify({ query: `{ ip } # ${'x'.repeat(100_000)}` })));
    expect(bomb.status).toBe(413);
    const corrupt = await proxied.post({ 'content-encoding': 'gzip' }, 'not gzip');
    expect(corrupt.status).toBe(400);
    // express.json reads an empty body as {}: Apollo then says what is missing.
    const empty = await proxied.post({}, '');
    expect(empty.status).toBe(400);
    expect(JSON.stringify(await empty.json())).toMatch(/JSON object has no keys/);
    expect(proxied.toExpress).toEqual(['POST /graphql', 'GET /healthz']);
  });
});

describe('the server, with TRUST_PROXY and CORS_ORIGINS', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ TRUST_PROXY: '1', RATE_LIMIT_API: '2/60', CORS_ORIGINS: 'https://app.example.com' });
  });
  afterAll(async () => {
    await server?.close();
  });
  const post = (headers: Record<string, string>) =>
    fetch(server.graphqlUrl, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: '{"query":"{ __typename }"}' });

  it('limits signed-out clients by the address in X-Forwarded-For, not by the proxy', async () => {
    const first = { 'x-forwarded-for': '198.51.100.1' };
    expect((await post(first)).headers.get('ratelimit')).toMatch(/remaining=1/);
    expect((await post(first)).headers.get('ratelimit')).toMatch(/remaining=0/);
    expect((await post(first)).status).toBe(429);
    // Another client behind the same proxy has its own budget; so has a browser's request.
    const second = await post({ 'x-forwarded-for': '198.51.100.2', origin: 'https://app.example.com' });
    expect(second.status).toBe(200);
    expect(second.headers.get('ratelimit')).toMatch(/remaining=1/);
  });

  it('sends CORS headers on POST and on the preflight to the configured origin only', async () => {
    const allowed = await post({ origin: 'https://app.example.com', 'x-forwarded-for': '198.51.100.3' });
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    expect(allowed.headers.get('vary')).toMatch(/Origin/);
    const other = await post({ origin: 'https://evil.example', 'x-forwarded-for': '198.51.100.4' });
    expect(other.status).toBe(200);
    expect(other.headers.get('access-control-allow-origin')).toBeNull();

    const preflight = (origin: string) =>
      fetch(server.graphqlUrl, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type, authorization' },
      });
    const yes = await preflight('https://app.example.com');
    expect(yes.status).toBe(204);
    expect(yes.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    expect(yes.headers.get('access-control-allow-methods')).toMatch(/POST/);
    expect(yes.headers.get('access-control-allow-headers')).toBe('content-type, authorization');
    expect(yes.headers.get('access-control-max-age')).toBe('600');
    const no = await preflight('https://evil.example');
    expect(no.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('metrics of operations over graphql-ws', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server?.close();
  });

  const series = async () => (await (await fetch(server.metricsUrl)).text()).split('\n');
  const value = (lines: string[], prefix: string) =>
    Number(
      lines
        .find((line) => line.startsWith(`${prefix} `))
        ?.split(' ')
        .at(-1) ?? 0,
    );

  it('counts queries, mutations, subscriptions and refusals with transport="ws", by type and root field', async () => {
    const account = await createUser(server);
    const client = wsClient(server, account.accessToken);
    const once = (query: string) =>
      new Promise<void>((resolve) => client.subscribe({ query }, { next: () => undefined, error: () => resolve(), complete: () => resolve() }));
    try {
      await once('{ me { id } }');
      await once('mutation { sendMessage(input: { chatId: "00000000-0000-0000-0000-000000000000", text: "hi", clientId: "c1" }) { id } }');
      await once('{ me { id ');
      const unsubscribe = client.subscribe(
        { query: 'subscription { newMessage { id } }' },
        { next: () => undefined, error: () => undefined, complete: () => undefined },
      );
      const counter = 'graphql_operations_total{type="subscription",field="newMessage",transport="ws",outcome="ok"}';
      await expect.poll(async () => value(await series(), counter)).toBe(1);
      unsubscribe();

      const lines = await series();
      expect(value(lines, 'graphql_operations_total{type="query",field="me",transport="ws",outcome="ok"}')).toBe(1);
      expect(value(lines, 'graphql_operation_duration_seconds_count{type="query",field="me",transport="ws"}')).toBe(1);
      expect(value(lines, 'graphql_operations_total{type="mutation",field="sendMessage",transport="ws",outcome="error"}')).toBe(1);
      expect(value(lines, 'graphql_operation_duration_seconds_count{type="mutation",field="sendMessage",transport="ws"}')).toBe(1);
      expect(value(lines, 'graphql_operations_total{type="invalid",field="unknown",transport="ws",outcome="error"}')).toBe(1);
      // A subscription lives as long as the client wants: no duration.
      expect(lines.some((line) => line.startsWith('graphql_operation_duration_seconds_count{type="subscription"'))).toBe(false);
      // Nothing of it counted as HTTP.
      expect(lines.some((line) => line.startsWith('graphql_operations_total{') && line.includes('field="me"') && line.includes('transport="http"'))).toBe(
        false,
      );
    } finally {
      await client.dispose();
    }
  });
});
