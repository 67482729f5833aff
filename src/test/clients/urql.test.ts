/**
 * urql (@urql/core 6) against the real server, as the README shows: queries
 * and mutations by POST (fetchExchange with `preferGetMethod: false`), and
 * subscriptions over graphql-ws through subscriptionExchange.
 */
import { Client, cacheExchange, fetchExchange, subscriptionExchange, type Exchange } from '@urql/core';
import { createClient } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createUser, type TestUser } from '../factories.js';
import { CreatePrivateChatDocument, MeDocument, OnNewMessageDocument, SendMessageDocument, type OnNewMessageSubscription } from '../generated/graphql.js';
import { startTestServer, waitForListeners, type TestServer } from '../server.js';
import { MessageTopic } from '../../modules/messages/index.js';

let server: TestServer;
let alice: TestUser;
let bob: TestUser;
const cleanups: (() => unknown)[] = [];

beforeAll(async () => {
  server = await startTestServer();
  [alice, bob] = await Promise.all([createUser(server, { displayName: 'Alice' }), createUser(server, { displayName: 'Bob' })]);
});
afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await server?.close();
});

/** graphql-ws under urql's subscriptionExchange, authenticated in connection_init. */
function subscriptionsOver(user: TestUser): Exchange {
  const socket = createClient({ url: server.wsUrl, webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${user.accessToken}` } });
  cleanups.push(() => socket.dispose());
  return subscriptionExchange({
    forwardSubscription(request) {
      const input = { ...request, query: request.query ?? '' };
      return {
        subscribe(sink) {
          const unsubscribe = socket.subscribe(input, sink);
          return { unsubscribe };
        },
      };
    },
  });
}

function urqlClientFor(user: TestUser, options: { preferGetMethod?: false; headers?: Record<string, string> } = {}): Client {
  return new Client({
    url: server.graphqlUrl,
    // urql's default sends queries as GET, which Apollo Server's CSRF prevention refuses without a preflight header.
    ...('preferGetMethod' in options ? { preferGetMethod: options.preferGetMethod } : {}),
    fetchOptions: () => ({ headers: { authorization: `Bearer ${user.accessToken}`, ...options.headers } }),
    exchanges: [cacheExchange, fetchExchange, subscriptionsOver(user)],
  });
}

describe('urql', () => {
  it('queries by POST with preferGetMethod: false; by GET only with a preflight header (CSRF prevention)', async () => {
    const post = await urqlClientFor(alice, { preferGetMethod: false }).query(MeDocument, {}).toPromise();
    expect(post.error).toBeUndefined();
    expect(post.data?.me).toMatchObject({ id: alice.user.id, displayName: 'Alice' });

    const plainGet = await urqlClientFor(alice).query(MeDocument, {}).toPromise();
    expect(plainGet.data).toBeUndefined();
    expect(plainGet.error?.response).toMatchObject({ status: 400 });
    expect(plainGet.error?.message).toMatch(/apollo-require-preflight/);

    const preflightedGet = await urqlClientFor(alice, { headers: { 'apollo-require-preflight': 'true' } })
      .query(MeDocument, {})
      .toPromise();
    expect(preflightedGet.error).toBeUndefined();
    expect(preflightedGet.data?.me.id).toBe(alice.user.id);
  });

  it('receives a message over subscriptionExchange with graphql-ws, and sends it with a mutation', async () => {
    const aliceClient = urqlClientFor(alice, { preferGetMethod: false });
    const bobClient = urqlClientFor(bob, { preferGetMethod: false });
    const created = await aliceClient.mutation(CreatePrivateChatDocument, { userId: bob.user.id }).toPromise();
    const chatId = created.data!.createPrivateChat.id;

    const received: OnNewMessageSubscription[] = [];
    const live = aliceClient.subscription(OnNewMessageDocument, { chatId }).subscribe((result) => {
      if (result.data) received.push(result.data);
    });
    cleanups.push(() => live.unsubscribe());
    await waitForListeners(server, MessageTopic.NewMessage, alice.user.id);

    const sent = await bobClient.mutation(SendMessageDocument, { input: { chatId, text: 'hi from urql' } }).toPromise();
    expect(sent.error).toBeUndefined();
    await expect.poll(() => received.length, { timeout: 5000, interval: 10 }).toBe(1);
    expect(received[0]!.newMessage).toMatchObject({ id: sent.data!.sendMessage.id, text: 'hi from urql', cursor: sent.data!.sendMessage.cursor });
  });
});
