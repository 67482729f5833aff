/**
 * Every mistake a client can make is answered as the client's: HTTP 400 (413,
 * 415 where they apply) with a stable code, never 500 or
 * INTERNAL_SERVER_ERROR, and the same code over graphql-ws. HTTP requests are
 * sent as an app sends them (no Origin header) and as a browser does (with one):
 * one pipeline serves both, and both must get the same answer.
 */
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildSchema, type GraphQLFormattedError } from 'graphql';
import type { Client } from 'graphql-ws';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { createUser, type TestUser } from '../test/factories.js';
import { CreateGroupChatDocument } from '../test/generated/graphql.js';
import { expectNoErrors, gql, startTestServer, wsClient, overSocket, type TestServer } from '../test/server.js';
import { serveGraphqlWs } from './graphql-ws-adapter.js';

let server: TestServer;
let viewer: TestUser;
let client: Client;
let chatId: string;

beforeAll(async () => {
  server = await startTestServer();
  const other = await createUser(server);
  viewer = await createUser(server);
  client = wsClient(server, viewer.accessToken);
  chatId = expectNoErrors(await gql(server, CreateGroupChatDocument, { input: { title: 'Errors', memberIds: [other.user.id] } }, { token: viewer.accessToken }))
    .createGroupChat.id;
});
afterAll(async () => {
  await client?.dispose();
  await server?.close();
});

type Answer = { status: number; errors: GraphQLFormattedError[] | undefined; data?: unknown };
const PATHS = { app: {}, browser: { origin: 'https://browser.example' } } as const;

async function post(body: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  const response = await fetch(server.graphqlUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${viewer.accessToken}`, ...headers },
    body: JSON.stringify(body),
  });
  const json = (await response.json()) as { errors?: GraphQLFormattedError[]; data?: unknown };
  return { status: response.status, errors: json.errors, data: json.data };
}

const codes = (result: { errors?: readonly GraphQLFormattedError[] | undefined }) => result.errors?.map((e) => e.extensions?.['code']);

/** The answer on both HTTP paths and over graphql-ws: one error, `code` (and `reason`), HTTP `status`. */
async function expectRefused(
  request: { query: string; variables?: Record<string, unknown> },
  expected: { status: number; code: string; reason?: string; message?: RegExp },
): Promise<void> {
  const check = (where: string, errors: readonly GraphQLFormattedError[] | undefined) => {
    expect(codes({ errors }), `${where}: ${JSON.stringify(errors)}`).toEqual([expected.code]);
    const [error] = errors!;
    if (expected.reason) expect(error!.extensions?.['reason'], where).toBe(expected.reason);
    if (expected.message) expect(error!.message, where).toMatch(expected.message);
    expect(error!.message, where).not.toMatch(/Syntax Error/);
    expect(error!.extensions?.['http'], where).toBeUndefined();
  };
  for (const [name, headers] of Object.entries(PATHS)) {
    const answer = await post(request, headers);
    expect(answer.status, `HTTP ${name}: ${JSON.stringify(answer.errors)}`).toBe(expected.status);
    check(`HTTP ${name}`, answer.errors);
  }
  check('WebSocket', (await overSocket(client, request.query, request.variables)).errors);
}

const tooComplex = { status: 400, code: 'BAD_USER_INPUT', reason: 'QUERY_TOO_COMPLEX' } as const;

describe('query limits: BAD_USER_INPUT with reason QUERY_TOO_COMPLEX, HTTP 400', () => {
  it('cost over the limit', async () => {
    const page = 'chats(first: 100) { edges { node { members { user { id } } lastMessage { chat { members { user { id } } } } } } }';
    await expectRefused({ query: `{ ${Array.from({ length: 10 }, (_, i) => `p${i}: ${page}`).join(' ')} }` }, { ...tooComplex, message: /too expensive/ });
  });

  it('cost over the limit through a variable', async () => {
    const page = 'chats(first: $n) { edges { node { members { user { id } } lastMessage { chat { members { user { id } } } } } } }';
    const query = `query ($n: Int) { ${Array.from({ length: 10 }, (_, i) => `p${i}: ${page}`).join(' ')} }`;
    expectNoErrors(await gql(server, query, { n: 1 }, { token: viewer.accessToken }));
    await expectRefused({ query, variables: { n: 100 } }, { ...tooComplex, message: /too expensive/ });
  });

  it('depth, without "Syntax Error"', async () => {
    const query = `{ chats { edges { node { ${'lastMessage { chat { '.repeat(5)}id${' } }'.repeat(5)} } } } }`;
    await expectRefused({ query }, { ...tooComplex, message: /^Query depth limit of 12 exceeded, found \d+\.$/ });
  });

  it('aliases', async () => {
    await expectRefused(
      { query: `{ ${Array.from({ length: 20 }, (_, i) => `a${i}: me { id }`).join(' ')} }` },
      { ...tooComplex, message: /Aliases limit of 15/ },
    );
  });

  it('directives', async () => {
    await expectRefused({ query: `{ ${'__typename @include(if: true) '.repeat(12)} }` }, { ...tooComplex, message: /Directives limit of 10/ });
  });

  it('tokens', async () => {
    await expectRefused({ query: `{ ${'__typename '.repeat(5000)} }` }, { ...tooComplex, message: /more than 3000 tokens/ });
  });
});

describe('invalid variables: BAD_USER_INPUT, HTTP 400', () => {
  const byId = 'query ($id: ID!) { user(id: $id) { id } }';
  const cases: [string, string, Record<string, unknown>][] = [
    ['a Boolean for an ID!', byId, { id: true }],
    ['a missing required variable', byId, {}],
    ['null for a required variable', byId, { id: null }],
    ['an object for an ID!', byId, { id: { id: 'x' } }],
    ['an unknown enum value', 'mutation ($id: ID!, $s: MessageStatus!) { updateMessageStatus(messageId: $id, status: $s) { id } }', { id: 'x', s: 'SEEN' }],
    ['first: 1.5', 'query ($n: Int) { chats(first: $n) { edges { cursor } } }', { n: 1.5 }],
    ['first: 2147483648', 'query ($n: Int) { chats(first: $n) { edges { cursor } } }', { n: 2147483648 }],
    ['a string for an Int', 'query ($n: Int) { chats(first: $n) { edges { cursor } } }', { n: '10' }],
    ['an unknown input field', 'mutation ($i: CreateGroupChatInput!) { createGroupChat(input: $i) { id } }', { i: { title: 't', memberIds: [], admin: true } }],
    ['a list for a Boolean', 'mutation ($c: ID!, $t: Boolean!) { setTyping(chatId: $c, typing: $t) }', { c: 'x', t: [true] }],
  ];
  it.each(cases)('%s', async (_name, query, variables) => {
    await expectRefused({ query, variables }, { status: 400, code: 'BAD_USER_INPUT' });
  });

  it('over graphql-ws, the same document again with invalid variables after it once ran fine', async () => {
    expect(await overSocket(client, byId, { id: viewer.user.id })).toEqual({ data: { user: { id: viewer.user.id } } });
    for (const variables of [{ id: true }, {}, { id: null }]) {
      expect(codes(await overSocket(client, byId, variables)), JSON.stringify(variables)).toEqual(['BAD_USER_INPUT']);
    }
    const subscription = 'subscription ($chatId: ID) { newMessage(chatId: $chatId) { id } }';
    // A chat that is not the viewer's: refused at once (NOT_FOUND), which caches the valid document.
    expect(codes(await overSocket(client, subscription, { chatId: '00000000-0000-4000-8000-000000000000' }))).toEqual(['NOT_FOUND']);
    expect(codes(await overSocket(client, subscription, { chatId: true }))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await overSocket(client, subscription, { chatId: ['a'] }))).toEqual(['BAD_USER_INPUT']);
  });
});

describe('the NUL character, in any string argument', () => {
  const cases: [string, string, Record<string, unknown>?][] = [
    ['users(search:) literal', '{ users(search: "a\\u0000b") { edges { cursor } } }'],
    ['users(search:) variable', 'query ($s: String) { users(search: $s) { edges { cursor } } }', { s: 'a\u0000' }],
    ['a chat title', 'mutation ($i: CreateGroupChatInput!) { createGroupChat(input: $i) { id } }', { i: { title: 'x\u0000y', memberIds: [] } }],
    ['message text', 'mutation ($i: SendMessageInput!) { sendMessage(input: $i) { id } }', { i: { chatId: 'CHAT', text: 'hi\u0000' } }],
    ['a username at login', 'mutation ($i: LoginInput!) { login(input: $i) { accessToken } }', { i: { username: 'ad\u0000min', password: 'some password' } }],
    [
      'a username at registration',
      'mutation ($i: RegisterInput!) { register(input: $i) { accessToken } }',
      { i: { username: 'nul\u0000', password: 'some password', displayName: 'N' } },
    ],
    ['a list item', 'mutation ($c: ID!, $u: [ID!]!) { addGroupMembers(chatId: $c, userIds: $u) { id } }', { c: 'CHAT', u: ['\u0000'] }],
    [
      'a key of an input object',
      'mutation ($i: CreateGroupChatInput!) { createGroupChat(input: $i) { id } }',
      { i: { title: 't', memberIds: [], 'a\u0000': 1 } },
    ],
  ];
  it.each(cases)('%s: BAD_USER_INPUT, HTTP 400', async (_name, query, variables) => {
    const withChat = variables ? (JSON.parse(JSON.stringify(variables).replaceAll('"CHAT"', JSON.stringify(chatId))) as Record<string, unknown>) : undefined;
    await expectRefused({ query, ...(withChat ? { variables: withChat } : {}) }, { status: 400, code: 'BAD_USER_INPUT', message: /NUL character/ });
  });

  it('names the input field holding it, or the variable', async () => {
    const title = await post({
      query: 'mutation ($i: CreateGroupChatInput!) { createGroupChat(input: $i) { id } }',
      variables: { i: { title: 'x\u0000', memberIds: [] } },
    });
    expect(title.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'title' });
    const search = await post({ query: 'query ($search: String) { users(search: $search) { edges { cursor } } }', variables: { search: '\u0000' } });
    expect(search.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'search' });
  });

  it('text without NUL still goes through, other control characters are left to each field', async () => {
    const sent = await gql(
      server,
      'mutation ($i: SendMessageInput!) { sendMessage(input: $i) { text } }',
      { i: { chatId, text: 'tab\there' } },
      { token: viewer.accessToken },
    );
    expect(expectNoErrors(sent)).toEqual({ sendMessage: { text: 'tab\there' } });
  });
});

describe('requests HTTP does not serve', () => {
  it('a subscription over HTTP is refused with a pointer to the WebSocket', async () => {
    for (const [name, headers] of Object.entries(PATHS)) {
      const answer = await post({ query: 'subscription { notification { id } }' }, headers);
      expect(answer.status, name).toBe(400);
      expect(codes(answer), name).toEqual(['BAD_USER_INPUT']);
      expect(answer.errors![0]!.message).toMatch(/WebSocket/);
    }
  });

  it('a persisted-query hash that does not match its query', async () => {
    const query = '{ me { id } }';
    for (const [name, headers] of Object.entries(PATHS)) {
      const wrong = await post({ query, extensions: { persistedQuery: { version: 1, sha256Hash: 'a'.repeat(64) } } }, headers);
      expect(wrong.status, name).toBe(400);
      expect(codes(wrong), name).toEqual(['BAD_USER_INPUT']);
      const sha256Hash = createHash('sha256').update(query).digest('hex');
      const right = await post({ query, extensions: { persistedQuery: { version: 1, sha256Hash } } }, headers);
      expect(right.status, name).toBe(200);
      expect(right.errors, name).toBeUndefined();
    }
  });

  it('a multipart map naming a file part that is missing', async () => {
    const form = new FormData();
    form.append('operations', JSON.stringify({ query: 'mutation ($f: Upload!) { uploadAvatar(file: $f) { id } }', variables: { f: null } }));
    form.append('map', JSON.stringify({ 0: ['variables.f'] }));
    const response = await fetch(server.graphqlUrl, {
      method: 'POST',
      headers: { 'apollo-require-preflight': '1', authorization: `Bearer ${viewer.accessToken}` },
      body: form,
    });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { errors: GraphQLFormattedError[] };
    expect(codes(body)).toEqual(['BAD_USER_INPUT']);
    expect(body.errors[0]!.message).toMatch(/File missing/);
  });

  it('a body in a charset other than UTF-8: 415 UNSUPPORTED_MEDIA_TYPE', async () => {
    const response = await fetch(server.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=iso-8859-1' },
      body: '{"query":"{ __typename }"}',
    });
    expect(response.status).toBe(415);
    expect(codes((await response.json()) as { errors: GraphQLFormattedError[] })).toEqual(['UNSUPPORTED_MEDIA_TYPE']);
  });

  it('an operationName that names no operation', async () => {
    for (const [name, headers] of Object.entries(PATHS)) {
      const answer = await post({ query: 'query A { __typename }', operationName: 'Nope' }, headers);
      expect(answer.status, name).toBe(400);
      expect(codes(answer), name).toEqual(['BAD_USER_INPUT']);
      expect(answer.errors![0]!.message, name).toMatch(/Unknown operation named "Nope"/);
    }
    const overSocket = await new Promise<unknown>((resolve) => {
      client.subscribe({ query: 'query A { __typename }', operationName: 'Nope' }, { next: resolve, error: resolve, complete: () => undefined });
    });
    expect(codes({ errors: overSocket as GraphQLFormattedError[] })).toEqual(['BAD_USER_INPUT']);
  });

  it('malformed JSON: 400 BAD_USER_INPUT app or browser', async () => {
    for (const [name, headers] of Object.entries(PATHS)) {
      const response = await fetch(server.graphqlUrl, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: '{"query": ' });
      expect(response.status, name).toBe(400);
      expect(codes((await response.json()) as { errors: GraphQLFormattedError[] }), name).toEqual(['BAD_USER_INPUT']);
    }
  });
});

describe('a WebSocket frame over maxPayload', () => {
  it('closes the socket with 1009 and is logged as a client event (warn), not an error', async () => {
    const lines: { level: number; msg: string; err?: unknown }[] = [];
    const logger = pino({ level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line) as (typeof lines)[number]) });
    const httpServer = createServer();
    const wsServer = new WebSocketServer({ server: httpServer, maxPayload: 1024 });
    const protocol = serveGraphqlWs({ schema: buildSchema('type Query { a: String }') }, wsServer, logger, 0);
    await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
    try {
      const socket = new WebSocket(`ws://127.0.0.1:${(httpServer.address() as AddressInfo).port}`, 'graphql-transport-ws');
      await new Promise((resolve) => socket.on('open', resolve));
      const closed = new Promise<number>((resolve) => socket.on('close', resolve));
      socket.send('x'.repeat(2048));
      expect(await closed).toBe(1009);
      await expect.poll(() => lines.find((line) => line.msg === 'websocket frame refused')).toMatchObject({ level: 40 });
      expect(lines.filter((line) => line.level >= 50)).toEqual([]);
    } finally {
      await protocol.dispose();
      await new Promise((resolve) => httpServer.close(resolve));
    }
  });
});
