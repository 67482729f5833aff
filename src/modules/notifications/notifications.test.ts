import { createECDH, createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import ece from 'http_ece';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { as, createUser, type TestUser } from '../../test/factories.js';
import { createGroup, createPrivateChat } from '../../test/chats.js';
import {
  AddGroupMembersDocument,
  BlockUserDocument,
  DeleteNotificationDocument,
  MarkAllNotificationsReadDocument,
  MarkNotificationReadDocument,
  MarkReadDocument,
  NotificationsDocument,
  OnNotificationDocument,
  PushPublicKeyDocument,
  RegisterPushSubscriptionDocument,
  RemoveGroupMemberDocument,
  SendMessageDocument,
  UnreadNotificationCountDocument,
  UnregisterPushSubscriptionDocument,
  UpdateChatSettingsDocument,
  UpdateGroupDocument,
} from '../../test/generated/graphql.js';
import { LiveSubscription, expectErrorCode, expectNoErrors, gql, startTestServer, waitForListeners, wsClient, type TestServer } from '../../test/server.js';
import { NotificationTopic } from './notification.topics.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.close();
});

const list = async (user: TestUser, unreadOnly = false) =>
  expectNoErrors(await gql(server, NotificationsDocument, { unreadOnly, first: 100 }, as(user))).notifications;

describe('NEW_MESSAGE', () => {
  it('1,000 messages into a group make one notification row for an offline member', async () => {
    const [owner, talker, offline] = await Promise.all([createUser(server), createUser(server, { displayName: 'Talker' }), createUser(server)]);
    const chatId = await createGroup(server, owner, [talker, offline], 'Busy group');
    for (let batch = 0; batch < 50; batch++) {
      await Promise.all(
        Array.from({ length: 20 }, (_, i) => gql(server, SendMessageDocument, { input: { chatId, text: `message ${batch * 20 + i}` } }, as(talker))),
      );
    }
    await expect
      .poll(async () => (await server.database.prisma.notification.findMany({ where: { userId: offline.user.id, type: 'NEW_MESSAGE' } })).map((n) => n.count), {
        timeout: 15_000,
      })
      .toEqual([1000]);
    const [notification] = (await list(offline)).edges.filter((e) => e.node.type === 'NEW_MESSAGE');
    expect(notification!.node).toMatchObject({ title: 'Busy group', count: 1000, read: false });
    expect(notification!.node.body).toMatch(/^Talker: message \d+$/);
    expect(JSON.parse(notification!.node.data!)).toMatchObject({ chatId });
    // The sender gets none for their own messages.
    expect(await server.database.prisma.notification.count({ where: { userId: talker.user.id, type: 'NEW_MESSAGE' } })).toBe(0);
  }, 120_000);

  it('is not stored for a recipient who is online', async () => {
    const [alice, bob, carol] = await Promise.all([createUser(server, { displayName: 'Alice' }), createUser(server), createUser(server)]);
    const chatId = await createGroup(server, alice, [bob, carol]);
    const bobOnline = wsClient(server, bob.accessToken, { lazy: false });
    try {
      await expect.poll(() => server.services.presence.isOnline(bob.user.id)).toBe(true);
      expectNoErrors(await gql(server, SendMessageDocument, { input: { chatId, text: 'you are online' } }, as(alice)));
      // Carol is offline: one statement stores every offline member's notification, so once hers is there, Bob's would be.
      const newMessage = (user: TestUser) => server.database.prisma.notification.count({ where: { userId: user.user.id, type: 'NEW_MESSAGE' } });
      await expect.poll(() => newMessage(carol)).toBe(1);
      expect(await newMessage(bob)).toBe(0);
    } finally {
      await bobOnline.dispose();
    }
  });

  it('is stored for a recipient who is offline; reading the chat reads it', async () => {
    const [alice, bob] = await Promise.all([createUser(server, { displayName: 'Alice' }), createUser(server)]);
    const chatId = await createPrivateChat(server, alice, bob);
    const sent = expectNoErrors(await gql(server, SendMessageDocument, { input: { chatId, text: 'x'.repeat(300) } }, as(alice))).sendMessage;
    await expect.poll(async () => (await list(bob, true)).totalCount).toBe(1);
    const stored = (await list(bob)).edges[0]!.node;
    expect(stored).toMatchObject({ type: 'NEW_MESSAGE', title: 'Alice', count: 1 });
    expect([...stored.body!]).toHaveLength(100);

    expectNoErrors(await gql(server, MarkReadDocument, { chatId, upToMessageId: sent.id }, as(bob)));
    await expect.poll(async () => (await list(bob, true)).totalCount).toBe(0);
    // The next message starts a new notification instead of reviving the read one.
    expectNoErrors(await gql(server, SendMessageDocument, { input: { chatId, text: 'again' } }, as(alice)));
    await expect.poll(async () => (await list(bob)).totalCount).toBe(2);
  });
});

describe('who is told of a message in a group', () => {
  it('not one who blocked the sender, nor one who left; the others, offline, are', async () => {
    const [alice, blocker, leaver, carol] = await Promise.all([
      createUser(server, { displayName: 'Alice' }),
      createUser(server),
      createUser(server),
      createUser(server),
    ]);
    const chatId = await createGroup(server, alice, [blocker, leaver, carol], 'Told');
    expectNoErrors(await gql(server, BlockUserDocument, { userId: alice.user.id }, as(blocker)));
    expectNoErrors(await gql(server, RemoveGroupMemberDocument, { chatId, userId: leaver.user.id }, as(alice)));
    await server.database.prisma.notification.deleteMany({ where: { userId: { in: [blocker.user.id, leaver.user.id, carol.user.id] } } });
    expectNoErrors(await gql(server, SendMessageDocument, { input: { chatId, text: 'who hears this' } }, as(alice)));
    const newMessage = (user: TestUser) => server.database.prisma.notification.count({ where: { userId: user.user.id, type: 'NEW_MESSAGE' } });
    // One statement stores every offline member's notification, so once Carol's is there, the others' would be.
    await expect.poll(() => newMessage(carol)).toBe(1);
    expect(await newMessage(blocker)).toBe(0);
    expect(await newMessage(leaver)).toBe(0);
  });
});

describe('membership notifications', () => {
  it('tell people they were added, removed, and that a group was renamed', async () => {
    const [owner, first, later] = await Promise.all([createUser(server, { displayName: 'Owner' }), createUser(server), createUser(server)]);
    const chatId = await createGroup(server, owner, [first], 'Club');
    expectNoErrors(await gql(server, AddGroupMembersDocument, { chatId, userIds: [later.user.id] }, as(owner)));
    expectNoErrors(await gql(server, UpdateGroupDocument, { chatId, title: 'Book club' }, as(owner)));
    expectNoErrors(await gql(server, RemoveGroupMemberDocument, { chatId, userId: later.user.id }, as(owner)));

    const typesOf = async (user: TestUser) => (await list(user)).edges.map((e) => [e.node.type, e.node.body]).reverse();
    await expect
      .poll(() => typesOf(later))
      .toEqual([
        ['ADDED_TO_GROUP', 'Owner added you'],
        ['GROUP_RENAMED', 'Owner renamed the group to "Book club"'],
        ['REMOVED_FROM_GROUP', 'Owner removed you'],
      ]);
    await expect
      .poll(() => typesOf(first))
      .toEqual([
        ['ADDED_TO_GROUP', 'Owner added you'],
        ['GROUP_RENAMED', 'Owner renamed the group to "Book club"'],
      ]);
    expect(await typesOf(owner)).toEqual([]);
  });

  it('arrive live on the notification subscription', async () => {
    const [owner, member] = await Promise.all([createUser(server), createUser(server)]);
    const client = wsClient(server, member.accessToken);
    try {
      const live = new LiveSubscription(client, OnNotificationDocument, {});
      await waitForListeners(server, NotificationTopic.Notification, member.user.id);
      await createGroup(server, owner, [member], 'Live');
      const [event] = await live.waitFor(1);
      expect(event!.notification).toMatchObject({ type: 'ADDED_TO_GROUP', title: 'Live', read: false });
    } finally {
      await client.dispose();
    }
  });
});

describe('the notifications API', () => {
  it('lists in pages, counts unread, marks read, marks all read, deletes; others see NOT_FOUND', async () => {
    const [owner, me, other] = await Promise.all([createUser(server), createUser(server), createUser(server)]);
    for (let i = 0; i < 5; i++) await createGroup(server, owner, [me], `G${i}`);
    await expect.poll(async () => expectNoErrors(await gql(server, UnreadNotificationCountDocument, {}, as(me))).unreadNotificationCount).toBe(5);

    const firstPage = expectNoErrors(await gql(server, NotificationsDocument, { first: 2 }, as(me))).notifications;
    expect(firstPage.totalCount).toBe(5);
    expect(firstPage.edges.map((e) => e.node.title)).toEqual(['G4', 'G3']);
    const secondPage = expectNoErrors(await gql(server, NotificationsDocument, { first: 2, after: firstPage.pageInfo.endCursor }, as(me))).notifications;
    expect(secondPage.edges.map((e) => e.node.title)).toEqual(['G2', 'G1']);

    const target = firstPage.edges[0]!.node;
    expectErrorCode(await gql(server, MarkNotificationReadDocument, { id: target.id }, as(other)), 'NOT_FOUND');
    expectErrorCode(await gql(server, DeleteNotificationDocument, { id: target.id }, as(other)), 'NOT_FOUND');
    expectErrorCode(await gql(server, MarkNotificationReadDocument, { id: 'nope' }, as(me)), 'NOT_FOUND');
    expect(expectNoErrors(await gql(server, MarkNotificationReadDocument, { id: target.id }, as(me))).markNotificationRead.read).toBe(true);
    expect(expectNoErrors(await gql(server, UnreadNotificationCountDocument, {}, as(me))).unreadNotificationCount).toBe(4);
    expect(expectNoErrors(await gql(server, MarkAllNotificationsReadDocument, {}, as(me))).markAllNotificationsRead).toBe(4);
    expect(expectNoErrors(await gql(server, MarkAllNotificationsReadDocument, {}, as(me))).markAllNotificationsRead).toBe(0);
    expect(expectNoErrors(await gql(server, DeleteNotificationDocument, { id: target.id }, as(me))).deleteNotification).toBe(true);
    expect((await list(me)).totalCount).toBe(4);
    expectErrorCode(await gql(server, NotificationsDocument, {}), 'UNAUTHENTICATED');
  });

  it('purges read notifications older than 30 days, and nothing else', async () => {
    const user = await createUser(server);
    const day = 24 * 3600 * 1000;
    const make = (read: boolean, ageDays: number) =>
      server.database.prisma.notification.create({
        data: { userId: user.user.id, type: 'ADDED_TO_GROUP', title: 't', read, updatedAt: new Date(Date.now() - ageDays * day) },
      });
    const [oldRead, oldUnread, recentRead] = [await make(true, 31), await make(false, 31), await make(true, 29)];
    expect(await server.services.notifications.purge()).toBeGreaterThanOrEqual(1);
    const left = (await server.database.prisma.notification.findMany({ where: { userId: user.user.id } })).map((n) => n.id);
    expect(left.sort()).toEqual([oldUnread.id, recentRead.id].sort());
    expect(left).not.toContain(oldRead.id);
  });
});

/** A stand-in push service on loopback: records requests and answers with the statuses queued. */
async function startPushService() {
  const received: { path: string; headers: IncomingMessage['headers']; body: Buffer }[] = [];
  const answers: number[] = [];
  const service: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      received.push({ path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) });
      res.writeHead(answers.shift() ?? 201).end();
    });
  });
  await new Promise<void>((resolve) => service.listen(0, '127.0.0.1', resolve));
  const { port } = service.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, received, answers, close: () => new Promise((resolve) => service.close(resolve)) };
}

function deviceKeys() {
  const ecdh = createECDH('prime256v1');
  ecdh.generateKeys();
  const auth = randomBytes(16);
  return { ecdh, p256dh: ecdh.getPublicKey().toString('base64url'), auth: auth.toString('base64url') };
}

describe('Web Push', () => {
  it('delivers an encrypted push that the device can decrypt; 410 removes the subscription', async () => {
    const push = await startPushService();
    try {
      const [alice, bob] = await Promise.all([createUser(server, { displayName: 'Alice' }), createUser(server)]);
      const device = deviceKeys();
      const endpoint = `${push.url}/send/bob-phone`;
      expect(
        expectNoErrors(await gql(server, RegisterPushSubscriptionDocument, { endpoint, p256dh: device.p256dh, auth: device.auth }, as(bob)))
          .registerPushSubscription,
      ).toBe(true);
      const { pushPublicKey } = expectNoErrors(await gql(server, PushPublicKeyDocument, {}, as(bob)));
      expect(Buffer.from(pushPublicKey, 'base64url')).toHaveLength(65);

      const chatId = await createPrivateChat(server, alice, bob);
      expectNoErrors(await gql(server, SendMessageDocument, { input: { chatId, text: 'Hi Bob, are you there?' } }, as(alice)));
      await expect.poll(() => push.received.length, { timeout: 5000 }).toBe(1);

      const request = push.received[0]!;
      expect(request.path).toBe('/send/bob-phone');
      expect(request.headers['content-encoding']).toBe('aes128gcm');
      expect(request.headers['authorization']).toMatch(new RegExp(`^vapid t=[\\w-]+\\.[\\w-]+\\.[\\w-]+, k=${pushPublicKey}$`));
      expect(request.headers['topic']).toBe(chatId.replaceAll('-', ''));
      expect(request.body.toString('utf8')).not.toContain('Bob');
      const plain = ece.decrypt(request.body, { version: 'aes128gcm', privateKey: device.ecdh, authSecret: device.auth });
      expect(JSON.parse(plain.toString('utf8'))).toMatchObject({
        type: 'NEW_MESSAGE',
        title: 'Alice',
        body: 'Hi Bob, are you there?',
        data: { chatId },
      });

      // The device went away: the push service answers 410 and we forget the subscription.
      push.answers.push(410);
      expectNoErrors(await gql(server, SendMessageDocument, { input: { chatId, text: 'still there?' } }, as(alice)));
      await expect.poll(() => server.database.prisma.device.count({ where: { platform: 'WEB_PUSH', token: endpoint } }), { timeout: 5000 }).toBe(0);
    } finally {
      await push.close();
    }
  });

  it('a SYSTEM message notifies nobody by itself: only what it announces does', async () => {
    const push = await startPushService();
    try {
      const [owner, bob] = await Promise.all([createUser(server, { displayName: 'Owner' }), createUser(server)]);
      const device = deviceKeys();
      const endpoint = `${push.url}/send/bob`;
      expectNoErrors(await gql(server, RegisterPushSubscriptionDocument, { endpoint, p256dh: device.p256dh, auth: device.auth }, as(bob)));
      const chatId = await createGroup(server, owner, [bob], 'Club'); // "Owner created the group …" and ADDED_TO_GROUP
      expectNoErrors(await gql(server, UpdateGroupDocument, { chatId, title: 'Book club' }, as(owner))); // "Owner renamed …" and GROUP_RENAMED
      expectNoErrors(await gql(server, SendMessageDocument, { input: { chatId, text: 'first words' } }, as(owner)));
      await expect.poll(() => push.received.length, { timeout: 5000 }).toBe(3);
      const types = push.received.map(
        (request) =>
          (
            JSON.parse(ece.decrypt(request.body, { version: 'aes128gcm', privateKey: device.ecdh, authSecret: device.auth }).toString('utf8')) as {
              type: string;
            }
          ).type,
      );
      expect(types.sort()).toEqual(['ADDED_TO_GROUP', 'GROUP_RENAMED', 'NEW_MESSAGE']);
      // The chat's NEW_MESSAGE stands for the text alone (seq 3): the two SYSTEM messages before it did not start or fold into it.
      const rows = await server.database.prisma.notification.findMany({ where: { userId: bob.user.id, type: 'NEW_MESSAGE' } });
      expect(rows.map((row) => [row.count, (JSON.parse(row.data!) as { seq: number }).seq])).toEqual([[1, 3]]);
    } finally {
      await push.close();
    }
  });

  it('a muted group sends no push for 100 messages; with level MENTIONS a mention still does', async () => {
    const push = await startPushService();
    try {
      const [alice, bob] = await Promise.all([createUser(server, { displayName: 'Alice' }), createUser(server)]);
      const device = deviceKeys();
      expectNoErrors(
        await gql(server, RegisterPushSubscriptionDocument, { endpoint: `${push.url}/send/bob`, p256dh: device.p256dh, auth: device.auth }, as(bob)),
      );
      const chatId = await createGroup(server, alice, [bob], 'Noisy');
      await expect.poll(() => push.received.length, { timeout: 5000 }).toBe(1); // ADDED_TO_GROUP
      expectNoErrors(await gql(server, UpdateChatSettingsDocument, { chatId, input: { muted: true } }, as(bob)));
      for (let i = 0; i < 100; i++) expectNoErrors(await gql(server, SendMessageDocument, { input: { chatId, text: `noise ${i}` } }, as(alice)));
      // A positive signal that the sends' pushes were decided: a chat that is not muted gets its own.
      const loud = await createPrivateChat(server, alice, bob);
      expectNoErrors(await gql(server, SendMessageDocument, { input: { chatId: loud, text: 'not muted' } }, as(alice)));
      await expect.poll(() => push.received.length, { timeout: 5000 }).toBe(2);

      expectNoErrors(await gql(server, UpdateChatSettingsDocument, { chatId, input: { notifyLevel: 'MENTIONS' } }, as(bob)));
      expectNoErrors(await gql(server, SendMessageDocument, { input: { chatId, text: 'more noise' } }, as(alice)));
      expectNoErrors(await gql(server, SendMessageDocument, { input: { chatId, text: `@${bob.username} look` } }, as(alice)));
      await expect.poll(() => push.received.length, { timeout: 5000 }).toBe(3);
      const types = push.received.map(
        (request) =>
          JSON.parse(ece.decrypt(request.body, { version: 'aes128gcm', privateKey: device.ecdh, authSecret: device.auth }).toString('utf8')) as {
            type: string;
            data: { chatId: string };
          },
      );
      expect(types.map((t) => [t.type, t.data.chatId])).toEqual([
        ['ADDED_TO_GROUP', chatId],
        ['NEW_MESSAGE', loud],
        ['MENTION', chatId],
      ]);
    } finally {
      await push.close();
    }
  });

  it('retries a push the service failed with 500, and never delays the send', async () => {
    const push = await startPushService();
    try {
      const [alice, bob] = await Promise.all([createUser(server), createUser(server)]);
      const device = deviceKeys();
      expectNoErrors(await gql(server, RegisterPushSubscriptionDocument, { endpoint: `${push.url}/x`, p256dh: device.p256dh, auth: device.auth }, as(bob)));
      const chatId = await createPrivateChat(server, alice, bob);
      push.answers.push(500, 503);
      expectNoErrors(await gql(server, SendMessageDocument, { input: { chatId, text: 'retry me' } }, as(alice)));
      await expect.poll(() => push.received.length, { timeout: 5000 }).toBe(3);
      expect(await server.database.prisma.device.count({ where: { userId: bob.user.id } })).toBe(1);
    } finally {
      await push.close();
    }
  });

  it('validates subscriptions, and unregisters only your own', async () => {
    const [me, other] = await Promise.all([createUser(server), createUser(server)]);
    const device = deviceKeys();
    const register = (input: { endpoint: string; p256dh: string; auth: string }, user = me) => gql(server, RegisterPushSubscriptionDocument, input, as(user));
    expect(expectErrorCode(await register({ endpoint: 'not a url', p256dh: device.p256dh, auth: device.auth }), 'BAD_USER_INPUT').extensions?.['field']).toBe(
      'endpoint',
    );
    expect(expectErrorCode(await register({ endpoint: 'ftp://x/y', p256dh: device.p256dh, auth: device.auth }), 'BAD_USER_INPUT').extensions?.['field']).toBe(
      'endpoint',
    );
    expect(
      expectErrorCode(await register({ endpoint: 'https://push.example/1', p256dh: 'short', auth: device.auth }), 'BAD_USER_INPUT').extensions?.['field'],
    ).toBe('p256dh');
    expect(
      expectErrorCode(await register({ endpoint: 'https://push.example/1', p256dh: device.p256dh, auth: 'AAAA' }), 'BAD_USER_INPUT').extensions?.['field'],
    ).toBe('auth');
    // Loopback is allowed outside production; nothing is sent at registration.
    expectNoErrors(await register({ endpoint: 'https://127.0.0.1/mine', p256dh: device.p256dh, auth: device.auth }));
    expect(
      expectNoErrors(await gql(server, UnregisterPushSubscriptionDocument, { endpoint: 'https://127.0.0.1/mine' }, as(other))).unregisterPushSubscription,
    ).toBe(false);
    expect(
      expectNoErrors(await gql(server, UnregisterPushSubscriptionDocument, { endpoint: 'https://127.0.0.1/mine' }, as(me))).unregisterPushSubscription,
    ).toBe(true);
  });

  it('outside production too, refuses private, CGNAT, link-local and unspecified endpoints', async () => {
    const me = await createUser(server);
    const device = deviceKeys();
    for (const endpoint of [
      'http://10.0.0.1/x',
      'https://100.64.0.1/x',
      'http://169.254.169.254/latest',
      'http://[::]/x',
      'http://0.0.0.0/x',
      'http://[::ffff:10.0.0.1]/x',
      'http://[fd00::1]/x',
    ]) {
      const error = expectErrorCode(
        await gql(server, RegisterPushSubscriptionDocument, { endpoint, p256dh: device.p256dh, auth: device.auth }, as(me)),
        'BAD_USER_INPUT',
      );
      expect([endpoint, error.extensions?.['field'], error.message]).toEqual([
        endpoint,
        'endpoint',
        'endpoint must be a public push service; its host is not a public address',
      ]);
    }
    expect(await server.database.prisma.device.count({ where: { userId: me.user.id } })).toBe(0);
  });

  it('checks stored endpoints again at send time: one that points inside the network is removed, never contacted', async () => {
    const [alice, bob] = await Promise.all([createUser(server), createUser(server)]);
    const device = deviceKeys();
    // As stored before endpoints were checked by address. [::] (this machine) rather than a private
    // address: should the check ever fail, the attempt must not leave the machine.
    const endpoint = 'https://[::]/send/bob';
    const session = await server.database.prisma.session.findFirstOrThrow({ where: { userId: bob.user.id } });
    await server.database.prisma.device.create({
      data: {
        userId: bob.user.id,
        sessionId: session.id,
        platform: 'WEB_PUSH',
        token: endpoint,
        tokenHash: createHash('sha256').update(endpoint).digest('hex'),
        p256dh: device.p256dh,
        auth: device.auth,
      },
    });
    const chatId = await createPrivateChat(server, alice, bob);
    expectNoErrors(await gql(server, SendMessageDocument, { input: { chatId, text: 'hello' } }, as(alice)));
    await expect.poll(() => server.database.prisma.device.count({ where: { platform: 'WEB_PUSH', token: endpoint } }), { timeout: 5000 }).toBe(0);
  });

  it('in production, refuses endpoints that are not public https push services', async () => {
    const { DevicesService, PushEndpointGuard } = await import('../devices/index.js');
    const guard = new PushEndpointGuard({
      allowInsecure: false,
      // No DNS in tests: the push service's name resolves to a public address here.
      lookup: async (hostname) => (hostname === 'fcm.googleapis.com' ? [{ address: '142.250.74.10', family: 4 }] : [{ address: '127.0.0.1', family: 4 }]),
    });
    const service = new DevicesService(server.database.prisma, { close() {} } as never, guard, undefined as never);
    const me = await createUser(server);
    const session = await server.database.prisma.session.findFirstOrThrow({ where: { userId: me.user.id } });
    const viewer = { id: me.user.id, role: 'USER' as const, sessionId: session.id };
    const device = deviceKeys();
    for (const endpoint of [
      'http://push.example/1',
      'https://127.0.0.1/1',
      'https://localhost/1',
      'https://10.1.2.3/1',
      'https://[::1]/1',
      'https://192.168.0.9/x',
    ]) {
      await expect(service.registerWebPush(viewer, { endpoint, p256dh: device.p256dh, auth: device.auth }), endpoint).rejects.toMatchObject({
        extensions: { code: 'BAD_USER_INPUT', field: 'endpoint' },
      });
    }
    await expect(
      service.registerWebPush(viewer, { endpoint: 'https://fcm.googleapis.com/fcm/send/abc', p256dh: device.p256dh, auth: device.auth }),
    ).resolves.toBe(true);
  });
});
