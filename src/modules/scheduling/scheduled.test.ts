import { setTimeout as sleep } from 'node:timers/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { createGroup, createPrivateChat, sent } from '../../test/chats.js';
import { as, createUser, type TestUser } from '../../test/factories.js';
import {
  BlockUserDocument,
  CancelScheduledMessageDocument,
  LeaveChatDocument,
  OnNewMessageDocument,
  ScheduleMessageDocument,
  ScheduledMessagesDocument,
  UpdateGroupSettingsDocument,
  UpdateScheduledMessageDocument,
  type ScheduleMessageInput,
} from '../../test/generated/graphql.js';
import { LiveSubscription, expectErrorCode, expectNoErrors, gql, startTestServer, waitForListeners, type TestServer } from '../../test/server.js';
import { serverSuite } from '../../test/suite.js';
import { MessageTopic } from '../messages/index.js';

// sendAt may be 1 s ahead here (SCHEDULE_MIN_LEAD_SECONDS; 60 in production), so the tests wait seconds, not minutes.
const suite = serverSuite(['Alice', 'Bob', 'Carol', 'Stranger'], [{ SCHEDULE_MIN_LEAD_SECONDS: '1' }]);
let server: TestServer;
let alice: TestUser, bob: TestUser, carol: TestUser, stranger: TestUser;
beforeAll(() => {
  ({
    server,
    users: [alice, bob, carol, stranger],
  } = suite.ready());
});

const inMs = (ms: number) => new Date(Date.now() + ms).toISOString();
const schedule = (user: TestUser, input: ScheduleMessageInput, on: Pick<TestServer, 'graphqlUrl'> = server) =>
  gql(on, ScheduleMessageDocument, { input }, as(user));
const scheduled = async (user: TestUser, input: ScheduleMessageInput) => expectNoErrors(await schedule(user, input)).scheduleMessage;
const rowOf = (id: string) => server.database.prisma.scheduledMessage.findUniqueOrThrow({ where: { id } });
const messagesIn = (chatId: string) => server.database.prisma.message.findMany({ where: { chatId, kind: 'TEXT' }, orderBy: { seq: 'asc' } });

describe('scheduleMessage', () => {
  it('is sent at sendAt, within 2 s, to a subscribed member, through the send path (seq, rev, clientId, sender)', async () => {
    const chatId = await createPrivateChat(server, alice, bob);
    const before = await sent(server, bob, chatId, 'before');
    const live = new LiveSubscription(suite.connect(bob), OnNewMessageDocument, { chatId });
    await waitForListeners(server, MessageTopic.NewMessage, bob.user.id, 1);

    const sendAt = inMs(1500);
    const row = await scheduled(alice, { chatId, text: 'happy birthday', sendAt });
    expect(row).toMatchObject({ text: 'happy birthday', status: 'SCHEDULED', sendAt, message: null, failureReason: null, chat: { id: chatId } });
    // Nobody else sees it before its time.
    await sleep(300);
    expect(live.events).toHaveLength(0);

    await live.waitFor(1, 10_000);
    const lateness = live.receivedAt[0]! - Date.parse(sendAt);
    expect(lateness).toBeGreaterThanOrEqual(-50);
    expect(lateness).toBeLessThan(2000);
    const message = live.events[0]!.newMessage;
    expect(message).toMatchObject({ text: 'happy birthday', seq: before.seq + 1, sender: { id: alice.user.id } });

    await expect.poll(async () => (await rowOf(row.id)).status).toBe('SENT');
    const { scheduledMessages } = expectNoErrors(await gql(server, ScheduledMessagesDocument, { chatId, status: 'SENT' }, as(alice)));
    expect(scheduledMessages.edges.map((e) => e.node)).toEqual([
      expect.objectContaining({ id: row.id, status: 'SENT', message: expect.objectContaining({ id: message.id, clientId: `scheduled:${row.id}` }) }),
    ]);
    // By default the list shows what still needs the sender: SCHEDULED and FAILED.
    expect(expectNoErrors(await gql(server, ScheduledMessagesDocument, { chatId }, as(alice))).scheduledMessages.edges).toEqual([]);
    expect((await messagesIn(chatId)).map((m) => m.text)).toEqual(['before', 'happy birthday']);
    live.close();
  });

  it('a cancelled one is never sent; one moved later is sent then, with its new text', async () => {
    const chatId = await createGroup(server, alice, [bob]);
    const cancelled = await scheduled(alice, { chatId, text: 'never', sendAt: inMs(1200) });
    const moved = await scheduled(alice, { chatId, text: 'first draft', sendAt: inMs(1200) });
    expect(expectNoErrors(await gql(server, CancelScheduledMessageDocument, { id: cancelled.id }, as(alice))).cancelScheduledMessage).toBe(true);
    const laterAt = inMs(3000);
    const updated = expectNoErrors(await gql(server, UpdateScheduledMessageDocument, { id: moved.id, input: { text: 'final', sendAt: laterAt } }, as(alice)));
    expect(updated.updateScheduledMessage).toMatchObject({ text: 'final', sendAt: laterAt, status: 'SCHEDULED' });

    await sleep(2200);
    expect(await messagesIn(chatId)).toEqual([]);
    await expect.poll(() => messagesIn(chatId), { timeout: 10_000 }).toHaveLength(1);
    const [message] = await messagesIn(chatId);
    expect(message).toMatchObject({ text: 'final', senderId: alice.user.id });
    expect(message!.createdAt.getTime()).toBeGreaterThanOrEqual(Date.parse(laterAt) - 50);
    await sleep(1000);
    expect(await messagesIn(chatId)).toHaveLength(1);

    expect((await rowOf(cancelled.id)).status).toBe('CANCELLED');
    // Cancelling again answers true; a sent or cancelled one cannot change any more.
    expect(expectNoErrors(await gql(server, CancelScheduledMessageDocument, { id: cancelled.id }, as(alice))).cancelScheduledMessage).toBe(true);
    const late = await gql(server, UpdateScheduledMessageDocument, { id: cancelled.id, input: { text: 'again' } }, as(alice));
    expect(expectErrorCode(late, 'BAD_USER_INPUT').message).toBe('This message is cancelled and cannot be changed any more');
    expect(expectErrorCode(await gql(server, CancelScheduledMessageDocument, { id: moved.id }, as(alice)), 'BAD_USER_INPUT').message).toMatch(/sent/);
  });

  it('fails, with the reason and a SCHEDULED_FAILED notification, when the sender left the chat before sendAt', async () => {
    const chatId = await createGroup(server, carol, [alice, bob]);
    const row = await scheduled(alice, { chatId, text: 'see you all', sendAt: inMs(1200) });
    expectNoErrors(await gql(server, LeaveChatDocument, { chatId }, as(alice)));
    await expect.poll(async () => (await rowOf(row.id)).status, { timeout: 10_000 }).toBe('FAILED');
    expect(await rowOf(row.id)).toMatchObject({ failureReason: 'You are no longer a member of this chat', messageId: null });
    expect(await messagesIn(chatId)).toEqual([]);
    await expect
      .poll(() => server.database.prisma.notification.findMany({ where: { userId: alice.user.id, type: 'SCHEDULED_FAILED' } }), { timeout: 5000 })
      .toEqual([expect.objectContaining({ title: 'Scheduled message not sent', body: 'You are no longer a member of this chat' })]);
    const listed = expectNoErrors(await gql(server, ScheduledMessagesDocument, { chatId }, as(alice))).scheduledMessages.edges.map((e) => e.node);
    expect(listed).toEqual([expect.objectContaining({ id: row.id, status: 'FAILED', failureReason: 'You are no longer a member of this chat' })]);
  });

  it('fails when the other person blocked the sender, or a group became admins-only, checked at sendAt', async () => {
    const [dan, erin] = await Promise.all([createUser(server), createUser(server)]);
    const privateChat = await createPrivateChat(server, dan, erin);
    const blocked = await scheduled(dan, { chatId: privateChat, text: 'hi', sendAt: inMs(1200) });
    expectNoErrors(await gql(server, BlockUserDocument, { userId: dan.user.id }, as(erin)));

    const group = await createGroup(server, erin, [dan]);
    const announce = await scheduled(dan, { chatId: group, text: 'hello group', sendAt: inMs(1200) });
    expectNoErrors(await gql(server, UpdateGroupSettingsDocument, { chatId: group, input: { onlyAdminsCanSend: true } }, as(erin)));

    await expect.poll(async () => [(await rowOf(blocked.id)).status, (await rowOf(announce.id)).status], { timeout: 10_000 }).toEqual(['FAILED', 'FAILED']);
    expect((await rowOf(blocked.id)).failureReason).toBe("You can't message this user");
    expect((await rowOf(announce.id)).failureReason).toBe('Only admins can send messages to this group');
    expect([...(await messagesIn(privateChat)), ...(await messagesIn(group))]).toEqual([]);
  });

  it('refuses bad input and strangers', async () => {
    const chatId = await createPrivateChat(server, alice, carol);
    const field = (result: Awaited<ReturnType<typeof schedule>>) => expectErrorCode(result, 'BAD_USER_INPUT').extensions?.['field'];
    expect(field(await schedule(alice, { chatId, text: 'x', sendAt: inMs(-60_000) }))).toBe('sendAt');
    expect(field(await schedule(alice, { chatId, text: 'x', sendAt: inMs(200) }))).toBe('sendAt');
    expect(field(await schedule(alice, { chatId, text: 'x', sendAt: inMs(366 * 24 * 3600 * 1000) }))).toBe('sendAt');
    expect(field(await schedule(alice, { chatId, text: '   ', sendAt: inMs(60_000) }))).toBe('text');
    expect(field(await schedule(alice, { chatId, text: 'x', sendAt: inMs(60_000), clientId: 'has space' }))).toBe('clientId');
    const elsewhere = await sent(server, alice, await createPrivateChat(server, alice, bob), 'other chat');
    expect(field(await schedule(alice, { chatId, text: 'x', sendAt: inMs(60_000), replyToId: elsewhere.id }))).toBe('replyToId');
    expectErrorCode(await schedule(stranger, { chatId, text: 'x', sendAt: inMs(60_000) }), 'NOT_FOUND');
    expectErrorCode(await schedule(stranger, { chatId: 'not-an-id', text: 'x', sendAt: inMs(60_000) }), 'NOT_FOUND');
    expectErrorCode(await gql(server, ScheduleMessageDocument, { input: { chatId, text: 'x', sendAt: 'tomorrow' } }, as(alice)), 'BAD_USER_INPUT');
  });

  it('lists mine only, soonest first, in pages; clientId makes a retry return the first one; others get NOT_FOUND for my ids', async () => {
    const chatId = await createPrivateChat(server, bob, carol);
    const ids: string[] = [];
    for (const minutes of [30, 10, 20])
      ids.push((await scheduled(bob, { chatId, text: `in ${minutes}`, sendAt: inMs(minutes * 60_000), clientId: `b-${minutes}` })).id);
    const again = await scheduled(bob, { chatId, text: 'in 30 (retry)', sendAt: inMs(30 * 60_000), clientId: 'b-30' });
    expect(again.id).toBe(ids[0]);

    const page = async (after?: string | null) =>
      expectNoErrors(await gql(server, ScheduledMessagesDocument, { chatId, first: 2, after }, as(bob))).scheduledMessages;
    const first = await page();
    expect(first.edges.map((e) => e.node.text)).toEqual(['in 10', 'in 20']);
    expect(first.pageInfo.hasNextPage).toBe(true);
    const second = await page(first.pageInfo.endCursor);
    expect(second.edges.map((e) => e.node.text)).toEqual(['in 30']);
    expect(second.pageInfo.hasNextPage).toBe(false);
    expect(expectNoErrors(await gql(server, ScheduledMessagesDocument, { chatId }, as(carol))).scheduledMessages.edges).toEqual([]);

    expectErrorCode(await gql(server, UpdateScheduledMessageDocument, { id: ids[1]!, input: { text: 'mine now' } }, as(carol)), 'NOT_FOUND');
    expectErrorCode(await gql(server, CancelScheduledMessageDocument, { id: ids[1]! }, as(carol)), 'NOT_FOUND');
    expectErrorCode(await gql(server, CancelScheduledMessageDocument, { id: 'nope' }, as(carol)), 'NOT_FOUND');
    expectErrorCode(await gql(server, UpdateScheduledMessageDocument, { id: ids[1]!, input: {} }, as(bob)), 'BAD_USER_INPUT');
    for (const id of ids) expectNoErrors(await gql(server, CancelScheduledMessageDocument, { id }, as(bob)));
  });

  it('two runs of one due job send one message', async () => {
    const chatId = await createPrivateChat(server, carol, bob);
    const row = await scheduled(carol, { chatId, text: 'once', sendAt: inMs(60_000) });
    // Due now, outside the queue: two workers racing over it.
    await server.database.prisma.scheduledMessage.update({ where: { id: row.id }, data: { sendAt: new Date() } });
    const run = { attempt: 1, maxAttempts: 5 };
    await Promise.all([server.services.scheduledMessages.sendDue(row.id, run), server.services.scheduledMessages.sendDue(row.id, run)]);
    expect((await messagesIn(chatId)).map((m) => m.text)).toEqual(['once']);
    // A run cut off after sending (the row still SCHEDULED) finds the message and records it.
    await server.database.prisma.scheduledMessage.update({ where: { id: row.id }, data: { status: 'SCHEDULED', messageId: null } });
    await server.services.scheduledMessages.sendDue(row.id, run);
    expect(await rowOf(row.id)).toMatchObject({ status: 'SENT', messageId: (await messagesIn(chatId))[0]!.id });
    expect(await messagesIn(chatId)).toHaveLength(1);
  });
});

describe('scheduled messages across instances', () => {
  it('two instances on one database and a restart between scheduling and sendAt: one message', async () => {
    const owner = await startTestServer({ SCHEDULE_MIN_LEAD_SECONDS: '1' });
    const instances: TestServer[] = [];
    try {
      // No lead required of this instance: on a loaded machine the five calls below may take longer than any lead.
      const first = await startTestServer({ SCHEDULE_MIN_LEAD_SECONDS: '0' }, { shareDatabaseWith: owner });
      instances.push(first); // closed again in finally if the test fails first (close is idempotent)
      const [ann, ben] = await Promise.all([createUser(owner), createUser(owner)]);
      const chatId = await createPrivateChat(owner, ann, ben);
      const sendAt = inMs(3000);
      const rows = [];
      for (let i = 0; i < 5; i += 1) rows.push(expectNoErrors(await schedule(ann, { chatId, text: `m${i}`, sendAt }, first)).scheduleMessage);
      // The instance that took them restarts before sendAt; the owner runs all along.
      await first.close();
      instances.push(await startTestServer({ SCHEDULE_MIN_LEAD_SECONDS: '1' }, { shareDatabaseWith: owner }));
      const texts = async () => (await owner.database.prisma.message.findMany({ where: { chatId }, orderBy: { seq: 'asc' } })).map((m) => m.text).sort();
      await expect.poll(texts, { timeout: 25_000 }).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
      await sleep(1500);
      expect(await texts()).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
      const statuses = await owner.database.prisma.scheduledMessage.findMany({ where: { id: { in: rows.map((r) => r.id) } }, select: { status: true } });
      expect(statuses.map((s) => s.status)).toEqual(Array(5).fill('SENT'));
    } finally {
      for (const instance of instances) await instance.close();
      await owner.close();
    }
  }, 60_000);
});
