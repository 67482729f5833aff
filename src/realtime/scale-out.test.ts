/**
 * Two Payamak instances on one PostgreSQL and one Redis, as behind a load
 * balancer: what happens on one is seen on the other.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser, type TestUser } from '../test/factories.js';
import { createPrivateChat } from '../test/chats.js';
import { MeDocument, OnNewMessageDocument, OnPresenceDocument, OnTypingDocument, SendMessageDocument, SetTypingDocument } from '../test/generated/graphql.js';
import { hasRedisServer, startRedis } from '../test/redis.js';
import { LiveSubscription, expectErrorCode, expectNoErrors, gql, startTestServer, wsClient, type TestServer } from '../test/server.js';
import { ChatTopic } from '../modules/chats/index.js';
import { MessageTopic } from '../modules/messages/index.js';
import { UserTopic } from '../modules/users/index.js';

if (!hasRedisServer) console.warn('scale-out tests NOT RUN: no redis-server on PATH (CI installs it; `apt-get install redis-server` to run them here)');

describe.skipIf(!hasRedisServer)('two instances sharing Redis', () => {
  let redis: Awaited<ReturnType<typeof startRedis>>;
  let a: TestServer;
  let b: TestServer;
  let alice: TestUser;
  let bob: TestUser;
  let chatId: string;

  beforeAll(async () => {
    redis = await startRedis();
    const env = { REDIS_URL: redis.url, RATE_LIMIT_MESSAGES: '5/60' };
    a = await startTestServer(env);
    b = await startTestServer(env, { shareDatabaseWith: a });
    [alice, bob] = await Promise.all([createUser(a, { displayName: 'Alice' }), createUser(b, { displayName: 'Bob' })]);
    chatId = await createPrivateChat(a, alice, bob);
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
    await redis?.stop();
  });

  it('a message sent through B reaches a subscriber on A, once, in order', async () => {
    const client = wsClient(a, alice.accessToken);
    try {
      const inbox = new LiveSubscription(client, OnNewMessageDocument, { chatId });
      await expect.poll(() => a.pubsub.listenerCount(MessageTopic.NewMessage, alice.user.id)).toBe(1);
      for (let i = 0; i < 5; i++) expectNoErrors(await gql(b, SendMessageDocument, { input: { chatId, text: `via B ${i}` } }, { token: bob.accessToken }));
      // Then one from Alice, through B too: anything doubled would arrive before it.
      expectNoErrors(await gql(b, SendMessageDocument, { input: { chatId, text: 'last' } }, { token: alice.accessToken }));
      const events = await inbox.waitFor(6);
      expect(events.map((e) => e.newMessage.text)).toEqual(['via B 0', 'via B 1', 'via B 2', 'via B 3', 'via B 4', 'last']);
      expect(events.map((e) => e.newMessage.seq)).toEqual([...events.map((e) => e.newMessage.seq)].sort((x, y) => x - y));
    } finally {
      await client.dispose();
    }
  });

  it('presence and typing cross instances', async () => {
    const watcher = wsClient(a, alice.accessToken);
    try {
      const presence = new LiveSubscription(watcher, OnPresenceDocument, {});
      const typing = new LiveSubscription(watcher, OnTypingDocument, { chatId });
      await expect.poll(() => a.pubsub.listenerCount(UserTopic.Presence, alice.user.id)).toBe(1);
      await expect.poll(() => a.pubsub.listenerCount(ChatTopic.Typing, alice.user.id)).toBe(1);

      const bobOnB = wsClient(b, bob.accessToken, { lazy: false });
      const [online] = await presence.waitFor(1);
      expect(online!.presence).toMatchObject({ userId: bob.user.id, status: 'ONLINE' });
      // Instance A knows Bob is online although his socket is on B.
      await expect.poll(() => a.services.presence.isOnline(bob.user.id)).toBe(true);

      expectNoErrors(await gql(b, SetTypingDocument, { chatId, typing: true }, { token: bob.accessToken }));
      const [typed] = await typing.waitFor(1);
      expect(typed!.typing).toEqual({ chatId, userId: bob.user.id, typing: true });

      await bobOnB.dispose();
      const events = await presence.waitFor(2);
      expect(events[1]!.presence).toMatchObject({ userId: bob.user.id, status: 'OFFLINE' });
      await expect.poll(() => a.services.presence.isOnline(bob.user.id)).toBe(false);
    } finally {
      await watcher.dispose();
    }
  });

  it('a rate limit spent on one instance counts on the other', async () => {
    const carol = await createUser(a);
    const dave = await createUser(a);
    const chat = await createPrivateChat(a, carol, dave);
    const send = (server: TestServer, i: number) => gql(server, SendMessageDocument, { input: { chatId: chat, text: `n${i}` } }, { token: carol.accessToken });
    for (let i = 0; i < 3; i++) expectNoErrors(await send(a, i));
    for (let i = 3; i < 5; i++) expectNoErrors(await send(b, i));
    expectErrorCode(await send(b, 5), 'RATE_LIMITED');
    expectErrorCode(await send(a, 6), 'RATE_LIMITED');
  });

  it('without Redis an instance keeps serving HTTP and storing messages, says so in /readyz, closes sockets, and recovers', async () => {
    const client = wsClient(a, alice.accessToken, { lazy: false });
    const closed = new Promise<number>((resolve) => client.on('closed', (event) => resolve((event as { code: number }).code)));
    await expect.poll(() => a.services.presence.isOnline(alice.user.id)).toBe(true);

    await redis.stop();
    expect(await closed).toBe(1012);
    await expect.poll(async () => (await fetch(`${a.url}/readyz`)).status, { timeout: 5000 }).toBe(503);
    const body = (await (await fetch(`${a.url}/readyz`)).json()) as { database: { status: string }; pubsub: { status: string } };
    expect(body).toMatchObject({ database: { status: 'up' }, pubsub: { status: 'down' } });
    expectNoErrors(await gql(a, MeDocument, {}, { token: alice.accessToken }));
    const sent = expectNoErrors(await gql(a, SendMessageDocument, { input: { chatId, text: 'while Redis is down' } }, { token: alice.accessToken }));
    expect(await a.database.prisma.message.count({ where: { id: sent.sendMessage.id } })).toBe(1);

    redis = await startRedis(redis.port);
    await expect.poll(async () => (await fetch(`${a.url}/readyz`)).status, { timeout: 10_000 }).toBe(200);
    await client.dispose();
  }, 30_000);
});
