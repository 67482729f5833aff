import { stat } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createGroup, createPair, createPrivateChat } from '../../test/chats.js';
import { as, createUser, type TestUser } from '../../test/factories.js';
import {
  BlockUserDocument,
  EditMessageDocument,
  ForwardTimedDocument,
  LeaveChatDocument,
  OnTimedMessageUpdatedDocument,
  OnTimedNewMessageDocument,
  OnTimerChatUpdatedDocument,
  SendTimedMediaDocument,
  SendTimedTextDocument,
  SetChatMessageTimerDocument,
  SetReactionDocument,
  TimedMessageChangesDocument,
  TimedMessagesDocument,
  TimerChatChangesDocument,
  TimerChatListDocument,
  UpdateGroupSettingsDocument,
  type TimedMessageFieldsFragment,
} from '../../test/generated/graphql.js';
import { phonePhoto } from '../../test/media-fixtures.js';
import { LiveSubscription, expectErrorCode, expectNoErrors, gql, startTestServer, waitForListeners, type TestServer } from '../../test/server.js';
import { serverSuite } from '../../test/suite.js';
import { gqlUpload } from '../../test/uploads.js';
import { ChatTopic } from '../chats/index.js';
import { MessageTopic } from '../messages/index.js';
import { EXPIRY_BATCH } from './message-timers.service.js';

const DAY = 86_400;
const WEEK = 7 * DAY;

const suite = serverSuite(['Alice', 'Bob', 'Carol', 'Stranger']);
let server: TestServer;
let alice: TestUser, bob: TestUser, carol: TestUser, stranger: TestUser;
beforeAll(() => {
  ({
    server,
    users: [alice, bob, carol, stranger],
  } = suite.ready());
});
const connect = suite.connect;

// Each test starts with nothing due: what one leaves behind expires here, so counts stay exact.
afterEach(async () => {
  await server.services.messageTimers.expireDue(new Date(Date.now() + 100 * DAY * 1000));
});

const setTimer = (user: TestUser, chatId: string, seconds: number | null) => gql(server, SetChatMessageTimerDocument, { chatId, seconds }, as(user));
const timerSet = async (user: TestUser, chatId: string, seconds: number | null) => expectNoErrors(await setTimer(user, chatId, seconds)).setChatMessageTimer;
const send = async (user: TestUser, chatId: string, text: string) =>
  expectNoErrors(await gql(server, SendTimedTextDocument, { input: { chatId, text } }, as(user))).sendMessage;
const image = async (user: TestUser, chatId: string) => {
  const data = await phonePhoto('png', 64, 48);
  const result = await gqlUpload(server, SendTimedMediaDocument, { input: { chatId, file: null } }, { 'input.file': { data, name: 'p.png' } }, as(user));
  return expectNoErrors(result).sendMediaMessage;
};
const read = async (user: TestUser, chatId: string) => {
  const data = expectNoErrors(await gql(server, TimedMessagesDocument, { chatId, first: 100 }, as(user)));
  return { chat: data.chat!, messages: data.messages.edges.map((edge) => edge.node).reverse() };
};
const systemTexts = async (chatId: string) =>
  (await server.database.prisma.message.findMany({ where: { chatId, kind: 'SYSTEM' }, orderBy: { seq: 'asc' } })).map((m) => m.text);
const lifetime = (message: Pick<TimedMessageFieldsFragment, 'createdAt' | 'expiresAt'>) =>
  message.expiresAt === null || message.expiresAt === undefined ? null : (Date.parse(message.expiresAt) - Date.parse(message.createdAt)) / 1000;
/** The sweep as the job queue runs it, with a clock `seconds` ahead of the real one. */
const sweepAhead = (seconds: number, limit?: number) => server.services.messageTimers.expireDue(new Date(Date.now() + seconds * 1000), limit);

describe('setChatMessageTimer', () => {
  it('both people of a private chat turn it on, change it and turn it off, each change with a SYSTEM message; the same value posts none', async () => {
    const { a, b, chatId } = await createPair(server);
    const on = await timerSet(a, chatId, DAY);
    expect(on).toMatchObject({ id: chatId, messageTimer: DAY });
    expect(on.lastMessage).toMatchObject({ kind: 'SYSTEM', text: 'A turned on disappearing messages: 24 hours', expiresAt: null });

    const again = await timerSet(a, chatId, DAY);
    expect(again).toMatchObject({ messageTimer: DAY, rev: on.rev });

    expect(await timerSet(b, chatId, WEEK)).toMatchObject({ messageTimer: WEEK });
    expect(await timerSet(b, chatId, 90 * DAY)).toMatchObject({ messageTimer: 90 * DAY });
    const off = await timerSet(b, chatId, 0);
    expect(off).toMatchObject({ messageTimer: null });
    expect(await timerSet(a, chatId, null)).toMatchObject({ messageTimer: null, rev: off.rev });
    expect(await systemTexts(chatId)).toEqual([
      'A turned on disappearing messages: 24 hours',
      'B changed disappearing messages to 7 days',
      'B changed disappearing messages to 90 days',
      'B turned off disappearing messages',
    ]);
    // Each actor has read their own SYSTEM message, not the other's after it.
    const readSeq = async (user: TestUser) =>
      (await server.database.prisma.chatMember.findUniqueOrThrow({ where: { chatId_userId: { chatId, userId: user.user.id } } })).readSeq;
    expect([await readSeq(a), await readSeq(b)]).toEqual([1, 4]);
  });

  it('in a group: admins, and plain members only while onlyAdminsCanEditInfo is off (FORBIDDEN before); strangers and former members NOT_FOUND', async () => {
    const chatId = await createGroup(server, alice, [bob, carol]);
    expect(expectErrorCode(await setTimer(bob, chatId, DAY), 'FORBIDDEN').message).toBe('Only group admins can change disappearing messages in this group');
    expectErrorCode(await setTimer(stranger, chatId, DAY), 'NOT_FOUND');
    expectErrorCode(await setTimer(stranger, chatId, 12345), 'NOT_FOUND');
    expect(await systemTexts(chatId)).toHaveLength(1); // "Alice created the group"

    expect(await timerSet(alice, chatId, WEEK)).toMatchObject({ messageTimer: WEEK });
    expectNoErrors(await gql(server, UpdateGroupSettingsDocument, { chatId, input: { onlyAdminsCanEditInfo: false } }, as(alice)));
    expect(await timerSet(bob, chatId, DAY)).toMatchObject({ messageTimer: DAY });

    expectNoErrors(await gql(server, LeaveChatDocument, { chatId }, as(carol)));
    expectErrorCode(await setTimer(carol, chatId, null), 'NOT_FOUND');
    expect((await server.database.prisma.chat.findUniqueOrThrow({ where: { id: chatId } })).messageTimer).toBe(DAY);
  });

  it('a block between the two people of a private chat refuses it as it refuses messages, both ways', async () => {
    const { a, b, chatId } = await createPair(server);
    expectNoErrors(await gql(server, BlockUserDocument, { userId: b.user.id }, as(a)));
    expectErrorCode(await setTimer(b, chatId, DAY), 'FORBIDDEN');
    expectErrorCode(await setTimer(a, chatId, DAY), 'FORBIDDEN');
    expect(await server.database.prisma.chat.findUniqueOrThrow({ where: { id: chatId } })).toMatchObject({ messageTimer: null, lastSeq: 0 });
  });

  it('refuses any other value with BAD_USER_INPUT and writes nothing', async () => {
    const chatId = await createPrivateChat(server, alice, carol);
    for (const seconds of [1, 60, 3600, DAY - 1, DAY + 1, 30 * DAY, -DAY, 2147483647]) {
      expect(expectErrorCode(await setTimer(alice, chatId, seconds), 'BAD_USER_INPUT').extensions?.['field']).toBe('seconds');
    }
    expect(await server.database.prisma.chat.findUniqueOrThrow({ where: { id: chatId } })).toMatchObject({ messageTimer: null, lastSeq: 0 });
  });

  it('tells every member with chatUpdated, carrying the new messageTimer, and the account feed lists the chat', async () => {
    const chatId = await createGroup(server, alice, [bob]);
    const { nextToken } = expectNoErrors(await gql(server, TimerChatChangesDocument, { since: null }, as(bob))).chatChanges;
    const updates = new LiveSubscription(connect(bob), OnTimerChatUpdatedDocument, { chatId });
    await waitForListeners(server, ChatTopic.ChatUpdated, bob.user.id);

    await timerSet(alice, chatId, WEEK);
    const [event] = await updates.waitFor(1);
    expect(event!.chatUpdated).toEqual({ id: chatId, messageTimer: WEEK });
    const feed = expectNoErrors(await gql(server, TimerChatChangesDocument, { since: nextToken }, as(bob))).chatChanges;
    expect(feed.chats).toContainEqual({ id: chatId, messageTimer: WEEK });
  });
});

describe('expiresAt', () => {
  it('messages sent while it is on (text, media, forwards) expire sentAt + timer later; earlier messages, later ones and SYSTEM messages never', async () => {
    const { a, b, chatId } = await createPair(server);
    const elsewhere = await createGroup(server, a, [carol]);
    const before = await send(a, chatId, 'said before');
    const toForward = await send(a, elsewhere, 'worth forwarding');
    const live = new LiveSubscription(connect(b), OnTimedNewMessageDocument, { chatId });
    await waitForListeners(server, MessageTopic.NewMessage, b.user.id);

    await timerSet(b, chatId, DAY);
    const text = await send(a, chatId, 'gone tomorrow');
    const media = await image(b, chatId);
    const [copy] = expectNoErrors(await gql(server, ForwardTimedDocument, { messageId: toForward.id, toChatIds: [chatId] }, as(a))).forwardMessage;
    expect([before, text, media, copy!].map(lifetime)).toEqual([null, DAY, DAY, DAY]);
    // A copy out of the chat takes its target's rule: no timer there.
    const [out] = expectNoErrors(await gql(server, ForwardTimedDocument, { messageId: text.id, toChatIds: [elsewhere] }, as(a))).forwardMessage;
    expect(lifetime(out!)).toBeNull();
    // The other person hears each with its expiresAt.
    const events = (await live.waitFor(4)).map((event) => event.newMessage);
    expect(events.find((m) => m.id === text.id)?.expiresAt).toBe(text.expiresAt);

    // A new timer applies from then on: what was sent keeps its expiry.
    await timerSet(a, chatId, WEEK);
    const weekly = await send(b, chatId, 'for a week');
    await timerSet(a, chatId, null);
    const after = await send(a, chatId, 'kept');
    expect([weekly, after].map(lifetime)).toEqual([WEEK, null]);

    const { messages } = await read(b, chatId);
    const lifetimes = Object.fromEntries(messages.map((m) => [m.text ?? m.id, lifetime(m)]));
    expect(lifetimes).toMatchObject({ 'said before': null, 'gone tomorrow': DAY, 'worth forwarding': DAY, 'for a week': WEEK, kept: null });
    expect(messages.filter((m) => m.kind === 'SYSTEM').map((m) => m.expiresAt)).toEqual([null, null, null]);
  });

  it('a send racing a timer change gets the timer that committed before it: every message above the SYSTEM message expires, none below', async () => {
    const chatId = await createGroup(server, alice, [bob]);
    const sends = Array.from({ length: 24 }, (_, i) => send(i % 2 ? alice : bob, chatId, `m${i}`));
    const turnedOn = timerSet(alice, chatId, DAY);
    await Promise.all([...sends, turnedOn]);
    const rows = await server.database.prisma.message.findMany({ where: { chatId }, orderBy: { seq: 'asc' } });
    const announced = rows.find((row) => row.text === 'Alice turned on disappearing messages: 24 hours')!;
    for (const row of rows.filter((r) => r.kind !== 'SYSTEM')) {
      expect(row.expiresAt !== null, `seq ${row.seq} (timer at ${announced.seq})`).toBe(row.seq > announced.seq);
    }
  });
});

describe('expireDue', () => {
  it('with a 24 h timer and a clock 24 h + 1 s ahead: tombstones for everyone, by new revs in messageChanges and live messageUpdated, no text in the preview', async () => {
    const chatId = await createGroup(server, alice, [bob]);
    const kept = await send(alice, chatId, 'before the timer');
    await timerSet(alice, chatId, DAY);
    const edited = await send(alice, chatId, 'first draft');
    expectNoErrors(await gql(server, EditMessageDocument, { messageId: edited.id, text: 'second draft' }, as(alice)));
    const reacted = await send(bob, chatId, 'react to me');
    expectNoErrors(await gql(server, SetReactionDocument, { messageId: reacted.id, emoji: '👍' }, as(alice)));
    const mention = await send(alice, chatId, `hello @${bob.username}`);
    const expiring = [edited.id, reacted.id, mention.id];
    const { chat } = await read(bob, chatId);
    const updates = new LiveSubscription(connect(bob), OnTimedMessageUpdatedDocument, { chatId });
    await waitForListeners(server, MessageTopic.MessageUpdated, bob.user.id);

    // Not yet: a minute short of a day.
    expect(await sweepAhead(DAY - 60)).toBe(0);
    expect(await sweepAhead(DAY + 1)).toBe(3);

    const events = (await updates.waitFor(3)).map((event) => event.messageUpdated);
    expect(events.map((m) => [m.id, m.deleted, m.text])).toEqual(expiring.map((id) => [id, true, null]));
    const changes = expectNoErrors(await gql(server, TimedMessageChangesDocument, { chatId, afterRev: chat.rev }, as(bob))).messageChanges.edges.map(
      (edge) => edge.node,
    );
    expect(changes).toEqual(events);
    expect(changes.every((m) => m.rev > chat.rev && m.deletedAt !== null)).toBe(true);

    const after = await read(bob, chatId);
    expect(after.chat.rev).toBe(chat.rev + 3);
    expect(after.messages.find((m) => m.id === kept.id)).toMatchObject({ text: 'before the timer', deleted: false });
    expect(after.messages.filter((m) => m.kind === 'SYSTEM').every((m) => m.text !== null && !m.deleted)).toBe(true);
    // The chat list's preview is the tombstone: no text.
    const listed = expectNoErrors(await gql(server, TimerChatListDocument, {}, as(bob))).chats.edges.find((edge) => edge.node.id === chatId)!.node;
    expect(listed.lastMessage).toMatchObject({ id: mention.id, deleted: true, text: null });
    const { prisma } = server.database;
    expect(await prisma.messageEdit.count({ where: { messageId: { in: expiring } } })).toBe(0);
    expect(await prisma.messageReaction.count({ where: { messageId: { in: expiring } } })).toBe(0);
    expect(await prisma.messageMention.count({ where: { messageId: { in: expiring } } })).toBe(0);
    // Nothing is due twice.
    expect(await sweepAhead(DAY + 1)).toBe(0);
  });

  it("an expired image loses its file and the file's bytes", async () => {
    const { a, chatId } = await createPair(server);
    await timerSet(a, chatId, DAY);
    const message = await image(a, chatId);
    const row = await server.database.prisma.file.findUniqueOrThrow({ where: { id: message.file!.id } });
    const keys = [row.storageKey, ...(row.thumbnailKey ? [row.thumbnailKey] : [])];
    expect((await fetch(message.file!.url)).status).toBe(200);

    expect(await sweepAhead(DAY + 1)).toBe(1);
    const { messages } = await read(a, chatId);
    expect(messages.find((m) => m.id === message.id)).toMatchObject({ kind: 'IMAGE', deleted: true, file: null });
    expect(await server.database.prisma.file.count({ where: { id: row.id } })).toBe(0);
    for (const key of keys) await expect(stat(path.join(server.dataDir, 'uploads', key))).rejects.toMatchObject({ code: 'ENOENT' });
    expect((await fetch(message.file!.url)).status).toBe(404);
  });

  it('removes the notifications that point at an expired message', async () => {
    // People with no open socket: their messages and mentions become stored notifications.
    const [dina, ed] = await Promise.all([createUser(server, { displayName: 'Dina' }), createUser(server, { displayName: 'Ed' })]);
    const chatId = await createGroup(server, dina, [ed]);
    await timerSet(dina, chatId, DAY);
    const message = await send(dina, chatId, `for @${ed.username}`);
    const pointing = () =>
      server.database.prisma.notification.findMany({ where: { userId: ed.user.id, data: { contains: message.id } }, select: { type: true } });
    await expect.poll(async () => (await pointing()).map((n) => n.type).sort()).toEqual(['MENTION', 'NEW_MESSAGE']);

    expect(await sweepAhead(DAY + 1)).toBe(1);
    await expect.poll(async () => (await pointing()).length).toBe(0);
  });

  it('bounded: at most `limit` per call, in batches; two instances sweeping at once delete each message exactly once', async () => {
    const pair = await createPair(server);
    const chats = [await createGroup(server, pair.a, [bob]), pair.chatId];
    for (const chatId of chats) await timerSet(pair.a, chatId, DAY);
    const total = EXPIRY_BATCH + 30;
    for (let i = 0; i < total; i += 10) {
      await Promise.all(Array.from({ length: Math.min(10, total - i) }, (_, j) => send(pair.a, chats[(i + j) % 2]!, `n${i + j}`)));
    }
    const revs = async () => (await server.database.prisma.chat.findMany({ where: { id: { in: chats } }, orderBy: { id: 'asc' } })).map((c) => c.rev);
    const before = await revs();

    expect(await sweepAhead(DAY + 1, 5)).toBe(5);
    const other = await startTestServer({}, { shareDatabaseWith: server });
    try {
      const clock = new Date(Date.now() + (DAY + 1) * 1000);
      const [first, second] = await Promise.all([server.services.messageTimers.expireDue(clock), other.services.messageTimers.expireDue(clock)]);
      expect(first + second).toBe(total - 5);
    } finally {
      await other.close();
    }
    // Each deletion took one rev: no message was stamped twice.
    const after = await revs();
    expect(after[0]! - before[0]! + (after[1]! - before[1]!)).toBe(total);
    expect(await server.database.prisma.message.count({ where: { chatId: { in: chats }, kind: 'TEXT', deletedAt: null } })).toBe(0);
  });

  it('the job queue runs the sweep: its expire_messages job (the minute cron) deletes what is due by the real clock', async () => {
    const chatId = await createPrivateChat(server, carol, stranger);
    await timerSet(carol, chatId, DAY);
    const message = await send(carol, chatId, 'gone by the job');
    // Due now, as if a day had passed; the cron would run it within the minute, the test asks for a run at once.
    await server.database.prisma.message.update({ where: { id: message.id }, data: { expiresAt: new Date(Date.now() - 1000) } });
    await server.jobs.add('expire_messages', {});
    await expect
      .poll(async () => (await server.database.prisma.message.findUniqueOrThrow({ where: { id: message.id } })).deletedAt, { timeout: 10_000 })
      .not.toBeNull();
    expect(await server.database.prisma.message.findUniqueOrThrow({ where: { id: message.id } })).toMatchObject({ text: null });
  });

  it('refuses an invalid clock or limit', async () => {
    await expect(server.services.messageTimers.expireDue(new Date(Number.NaN))).rejects.toMatchObject({ extensions: { code: 'BAD_USER_INPUT' } });
    await expect(server.services.messageTimers.expireDue(new Date(), 0)).rejects.toMatchObject({ extensions: { code: 'BAD_USER_INPUT' } });
  });
});
