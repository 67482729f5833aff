/**
 * MAX_RESPONSE_NODES: a response is refused by what it carries (list items as
 * they resolve), over HTTP and WebSocket, however the lists are aliased; a
 * subscription is counted per event.
 */
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { parse, type FormattedExecutionResult, type GraphQLFormattedError } from 'graphql';
import type { Client } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser, type TestUser } from '../test/factories.js';
import { CreateGroupChatDocument, SendMessageDocument } from '../test/generated/graphql.js';
import { LiveSubscription, expectNoErrors, gql, startTestServer, waitForListeners, wsClient, overSocket, type TestServer } from '../test/server.js';
import { MessageTopic } from '../modules/messages/index.js';

const LIMIT = 50;
const MEMBERS = 10;

let server: TestServer;
let owner: TestUser;
let chatId: string;
let client: Client;

beforeAll(async () => {
  server = await startTestServer({ MAX_RESPONSE_NODES: String(LIMIT) });
  const users = await Promise.all(Array.from({ length: MEMBERS }, () => createUser(server)));
  owner = users[0]!;
  const created = await gql(
    server,
    CreateGroupChatDocument,
    { input: { title: 'Ten', memberIds: users.slice(1).map((u) => u.user.id) } },
    { token: owner.accessToken },
  );
  chatId = expectNoErrors(created).createGroupChat.id;
  client = wsClient(server, owner.accessToken);
});
afterAll(async () => {
  await client?.dispose();
  await server?.close();
});

/** `copies` aliases of the chat's 10 members: 1 edge + 10 per copy list items. */
const membersQuery = (copies: number) =>
  `{ chats(first: 5) { edges { node { id ${Array.from({ length: copies }, (_, i) => `m${i}: members { user { id } }`).join(' ')} } } } }`;

const overHttp = async (query: string): Promise<FormattedExecutionResult> => {
  const { data, errors } = await gql(server, query, {}, { token: owner.accessToken });
  return { data: data as Record<string, unknown> | null, ...(errors ? { errors } : {}) };
};

function expectTooLarge(result: FormattedExecutionResult): void {
  expect(result.errors?.length, JSON.stringify(result)).toBeGreaterThan(0);
  for (const error of result.errors!) {
    expect(error.extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'QUERY_TOO_COMPLEX', maxResponseNodes: LIMIT });
    expect(error.message).toMatch(/Response is too large/);
  }
  // chats and everything under it are non-null: nothing of the answer is left.
  expect(result.data ?? null).toBeNull();
}

describe.each([
  ['HTTP', overHttp],
  ['WebSocket', (query: string) => overSocket(client, query)],
])('over %s', (_name, run) => {
  it(`passes a response of ${1 + 4 * MEMBERS} list items`, async () => {
    const result = await run(membersQuery(4));
    expect(result.errors, JSON.stringify(result.errors)).toBeUndefined();
    const edges = (result.data as { chats: { edges: { node: Record<string, unknown[]> }[] } }).chats.edges;
    expect(edges).toHaveLength(1);
    expect(edges[0]!.node['m3']).toHaveLength(MEMBERS);
  });

  it(`refuses ${1 + 5 * MEMBERS} list items, counted across aliases, with QUERY_TOO_COMPLEX`, async () => {
    expectTooLarge(await run(membersQuery(5)));
  });

  it('refuses the same list asked for again under other root aliases', async () => {
    // Each `chats` alone carries 1 + 2 × 10 items; three of them, 63.
    const copy = (alias: string) => `${alias}: chats(first: 5) { edges { node { a: members { isAdmin } b: members { isAdmin } } } }`;
    expect((await run(`{ ${copy('x')} ${copy('y')} }`)).errors).toBeUndefined();
    expectTooLarge(await run(`{ ${copy('x')} ${copy('y')} ${copy('z')} }`));
  });
});

describe('subscriptions', () => {
  const send = async (text: string) => expectNoErrors(await gql(server, SendMessageDocument, { input: { chatId, text } }, { token: owner.accessToken }));
  const subscribe = (copies: number) =>
    new LiveSubscription<{ newMessage: { id: string } }>(
      client,
      parse(
        `subscription { newMessage { id chat { ${Array.from({ length: copies }, (_, i) => `m${i}: members { isAdmin }`).join(' ')} } } }`,
      ) as TypedDocumentNode<{ newMessage: { id: string } }>,
    );

  it('counts each event on its own, not the events together', async () => {
    // 40 items per event: three events carry 120, each under the limit.
    const live = subscribe(4);
    try {
      await waitForListeners(server, MessageTopic.NewMessage, owner.user.id);
      for (const text of ['one', 'two', 'three']) await send(text);
      const events = await live.waitFor(3);
      expect(live.errors).toEqual([]);
      expect(events).toHaveLength(3);
    } finally {
      live.close();
      // So the next test waits for its own subscription, not this one's listener.
      await expect.poll(() => server.pubsub.listenerCount(MessageTopic.NewMessage, owner.user.id), { timeout: 5000, interval: 10 }).toBe(0);
    }
  });

  it('refuses an event that carries more than the limit', async () => {
    const live = subscribe(6);
    try {
      await waitForListeners(server, MessageTopic.NewMessage, owner.user.id);
      await send('too many members to show');
      await expect.poll(() => live.errors.length, { timeout: 5000, interval: 10 }).toBeGreaterThan(0);
      expect(live.events).toEqual([]);
      for (const error of live.errors) {
        expect((error as GraphQLFormattedError).extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'QUERY_TOO_COMPLEX' });
      }
    } finally {
      live.close();
    }
  });
});
