/**
 * What normalised client caches (Apollo Client, urql Graphcache, Relay) need
 * from the API, checked on the wire: a live message carries the cursor of its
 * edge, events carry the entity beside its id (and a presence event's user
 * agrees with the event), and Notification.type is an enum that stored rows of
 * an unknown type cannot break.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { as, type TestUser } from '../factories.js';
import { createPair, sendText } from '../chats.js';
import {
  MarkAllNotificationsReadDocument,
  MarkNotificationReadDocument,
  MarkReadDocument,
  MessagesDocument,
  NotificationsDocument,
  OnMessageStatusWithUserDocument,
  OnNewMessageDocument,
  OnNotificationDocument,
  OnPresenceWithUserDocument,
  OnTypingWithUserDocument,
  SetTypingDocument,
  UnreadNotificationCountDocument,
  UpdateProfileDocument,
} from '../generated/graphql.js';
import { LiveSubscription, expectErrorCode, expectNoErrors, gql, startTestServer, waitForListeners, wsClient, type TestServer } from '../server.js';
import { ChatTopic } from '../../modules/chats/index.js';
import { MessageTopic } from '../../modules/messages/index.js';
import { type NotificationPayload, NotificationTopic } from '../../modules/notifications/index.js';
import { UserTopic } from '../../modules/users/index.js';

let server: TestServer;
const cleanups: (() => unknown)[] = [];

beforeAll(async () => {
  server = await startTestServer();
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
afterAll(async () => {
  await server?.close();
});

function connect(user: TestUser) {
  const client = wsClient(server, user.accessToken);
  cleanups.push(() => client.dispose());
  return client;
}

describe('Message.cursor', () => {
  it('is the cursor of its edge in messages(), in both orders, and works as `after` there', async () => {
    const { a, b, chatId } = await createPair(server);
    const sent = [];
    for (const text of ['1', '2', '3', '4']) sent.push(expectNoErrors(await sendText(server, a, chatId, text)).sendMessage);

    const page = expectNoErrors(await gql(server, MessagesDocument, { chatId, first: 10 }, as(b))).messages;
    for (const edge of page.edges) expect(edge.node.cursor).toBe(edge.cursor);
    const catchUp = expectNoErrors(await gql(server, MessagesDocument, { chatId, afterSeq: 0 }, as(b))).messages;
    expect(catchUp.edges.map((e) => e.cursor)).toEqual([...page.edges].reverse().map((e) => e.cursor));
    expect(sent.map((m) => m.cursor)).toEqual(catchUp.edges.map((e) => e.cursor));

    const below = expectNoErrors(await gql(server, MessagesDocument, { chatId, first: 2, after: sent[2]!.cursor }, as(b))).messages;
    expect(below.edges.map((e) => e.node.seq)).toEqual([2, 1]);
  });

  it('comes with a live message, the same as its edge cursor later', async () => {
    const { a, b, chatId } = await createPair(server);
    const live = new LiveSubscription(connect(b), OnNewMessageDocument, { chatId });
    await waitForListeners(server, MessageTopic.NewMessage, b.user.id);
    expectNoErrors(await sendText(server, a, chatId, 'hello'));
    const [event] = await live.waitFor(1);
    const [edge] = expectNoErrors(await gql(server, MessagesDocument, { chatId, first: 1 }, as(b))).messages.edges;
    expect(event!.newMessage.cursor).toBe(edge!.cursor);
  });
});

describe('events carry their user', () => {
  it('TypingEvent.user and MessageStatusEvent.user are the user of userId, read afresh for each event', async () => {
    const { a, b, chatId } = await createPair(server);
    const client = connect(a);
    const typing = new LiveSubscription(client, OnTypingWithUserDocument, { chatId });
    const statuses = new LiveSubscription(client, OnMessageStatusWithUserDocument, { chatId });
    await waitForListeners(server, ChatTopic.Typing, a.user.id);
    await waitForListeners(server, MessageTopic.MessageStatus, a.user.id);

    expectNoErrors(await gql(server, SetTypingDocument, { chatId, typing: true }, as(b)));
    const [first] = await typing.waitFor(1);
    expect(first!.typing).toMatchObject({ userId: b.user.id, typing: true, user: { id: b.user.id, displayName: 'B', online: false } });

    // The socket's context lives on; its loaders do not: the next event sees the new name.
    expectNoErrors(await gql(server, UpdateProfileDocument, { input: { displayName: 'B renamed' } }, as(b)));
    expectNoErrors(await gql(server, SetTypingDocument, { chatId, typing: false }, as(b)));
    const [, second] = await typing.waitFor(2);
    expect(second!.typing).toMatchObject({ typing: false, user: { id: b.user.id, displayName: 'B renamed' } });

    const message = expectNoErrors(await sendText(server, a, chatId, 'read me')).sendMessage;
    expectNoErrors(await gql(server, MarkReadDocument, { chatId, upToMessageId: message.id }, as(b)));
    const [status] = await statuses.waitFor(1);
    expect(status!.messageStatus).toMatchObject({ userId: b.user.id, status: 'READ', user: { id: b.user.id, displayName: 'B renamed' } });
  });

  it('PresenceEvent.user goes online and offline with the event', async () => {
    const { a, b } = await createPair(server);
    const presence = new LiveSubscription(connect(a), OnPresenceWithUserDocument, {});
    await waitForListeners(server, UserTopic.Presence, a.user.id);
    const phone = wsClient(server, b.accessToken, { lazy: false });
    const [online] = await presence.waitFor(1);
    expect(online!.presence).toMatchObject({ userId: b.user.id, status: 'ONLINE', user: { id: b.user.id, online: true } });
    await phone.dispose();
    const [, offline] = await presence.waitFor(2);
    expect(offline!.presence).toMatchObject({ status: 'OFFLINE', user: { id: b.user.id, online: false } });
    expect(offline!.presence.user.lastSeenAt).toBe(offline!.presence.lastSeenAt);
  });

  it('PresenceEvent.user agrees with the event even when presence changed between publish and resolve', async () => {
    const { a, b } = await createPair(server);
    const presence = new LiveSubscription(connect(a), OnPresenceWithUserDocument, {});
    await waitForListeners(server, UserTopic.Presence, a.user.id);

    // b has no socket (the store says offline) when an ONLINE event is rendered: b went away right after publishing it.
    server.pubsub.publish(UserTopic.Presence, a.user.id, { userId: b.user.id, status: 'ONLINE', lastSeenAt: null });
    const [online] = await presence.waitFor(1);
    expect(online!.presence).toMatchObject({ status: 'ONLINE', user: { online: true } });

    // And an OFFLINE event rendered while b is back: offline as of the event's time.
    const phone = wsClient(server, b.accessToken, { lazy: false });
    cleanups.push(() => phone.dispose());
    await presence.waitFor(2); // b's real ONLINE
    const at = '2026-01-02T03:04:05.000Z';
    server.pubsub.publish(UserTopic.Presence, a.user.id, { userId: b.user.id, status: 'OFFLINE', lastSeenAt: at });
    const [, , offline] = await presence.waitFor(3);
    expect(offline!.presence).toMatchObject({ status: 'OFFLINE', lastSeenAt: at, user: { id: b.user.id, online: false, lastSeenAt: at } });
  });
});

describe('Notification.type', () => {
  it('is the NotificationType enum; rows of a type it cannot represent are left out of every read instead of failing it', async () => {
    const { a, b, chatId } = await createPair(server);
    expectNoErrors(await sendText(server, a, chatId, 'while you were away')); // b has no socket: a NEW_MESSAGE notification
    await expect
      .poll(async () => expectNoErrors(await gql(server, NotificationsDocument, {}, as(b))).notifications.totalCount, { timeout: 5000, interval: 20 })
      .toBe(1);

    // A row written by a newer server version (or by hand) with a type this one does not know.
    const stranger = await server.database.prisma.notification.create({
      data: { userId: b.user.id, type: 'SOMETHING_NEWER', title: 'From the future' },
    });
    const list = expectNoErrors(await gql(server, NotificationsDocument, {}, as(b))).notifications;
    expect(list.edges.map((e) => e.node.type)).toEqual(['NEW_MESSAGE']);
    expect(list.totalCount).toBe(1);
    expect(expectNoErrors(await gql(server, UnreadNotificationCountDocument, {}, as(b))).unreadNotificationCount).toBe(1);
    expectErrorCode(await gql(server, MarkNotificationReadDocument, { id: stranger.id }, as(b)), 'NOT_FOUND');
    expect(expectNoErrors(await gql(server, MarkAllNotificationsReadDocument, {}, as(b))).markAllNotificationsRead).toBe(1);
    // Untouched: a server that knows the type shows it as it was.
    expect(await server.database.prisma.notification.findUnique({ where: { id: stranger.id }, select: { read: true } })).toEqual({ read: false });
  });

  it('the subscription skips an event of an unknown type and delivers the next one', async () => {
    const { b } = await createPair(server);
    const live = new LiveSubscription(connect(b), OnNotificationDocument);
    await waitForListeners(server, NotificationTopic.Notification, b.user.id);
    const event = (type: string, title: string): NotificationPayload => ({
      id: crypto.randomUUID(),
      type,
      title,
      body: null,
      data: null,
      count: 1,
      read: false,
      createdAt: new Date().toISOString(),
      updatedAt: new Date().toISOString(),
    });
    server.pubsub.publish(NotificationTopic.Notification, b.user.id, event('SOMETHING_NEWER', 'skipped'));
    server.pubsub.publish(NotificationTopic.Notification, b.user.id, event('MENTION', 'delivered'));
    const [first] = await live.waitFor(1);
    expect(first!.notification).toMatchObject({ type: 'MENTION', title: 'delivered' });
    expect(live.errors).toEqual([]);
  });
});
