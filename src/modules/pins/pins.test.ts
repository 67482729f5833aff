import { beforeAll, describe, expect, it } from 'vitest';
import { createGroup, createPrivateChat, sent } from '../../test/chats.js';
import { as, createUser, type TestUser } from '../../test/factories.js';
import { serverSuite } from '../../test/suite.js';
import {
  ChatListPinsDocument,
  DeleteMessageDocument,
  OnMessageUpdatedDocument,
  OnNewMessageStateDocument,
  PinMessageDocument,
  PinnedMessagesDocument,
  UnpinMessageDocument,
} from '../../test/generated/graphql.js';
import { LiveSubscription, expectErrorCode, expectNoErrors, gql, waitForListeners, type TestServer } from '../../test/server.js';
import { MessageTopic } from '../messages/index.js';

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

const send = (user: TestUser, chatId: string, text: string) => sent(server, user, chatId, text);

const pin = (user: TestUser, messageId: string) => gql(server, PinMessageDocument, { messageId }, as(user));
const unpin = (user: TestUser, messageId: string) => gql(server, UnpinMessageDocument, { messageId }, as(user));
const pinsOf = async (user: TestUser, chatId: string) => expectNoErrors(await gql(server, PinnedMessagesDocument, { chatId }, as(user))).chat!;
const systemTexts = async (chatId: string) =>
  (await server.database.prisma.message.findMany({ where: { chatId, kind: 'SYSTEM' }, orderBy: { seq: 'asc' } })).map((m) => m.text);

describe('pinMessage and unpinMessage', () => {
  it('in a private chat, either person pins and unpins; a pin posts a SYSTEM message, an unpin does not', async () => {
    const chatId = await createPrivateChat(server, alice, bob);
    const message = await send(bob, chatId, 'the address');

    const pinned = expectNoErrors(await pin(alice, message.id)).pinMessage;
    expect(pinned.id).toBe(chatId);
    expect(pinned.pinnedMessages.map((m) => [m.id, m.text, m.pinned])).toEqual([[message.id, 'the address', true]]);
    // The pin (one rev), then the SYSTEM message (the next rev and seq).
    expect(pinned.rev).toBe(message.rev + 2);
    expect(pinned.lastSeq).toBe(message.seq + 1);
    expect(await systemTexts(chatId)).toEqual(['Alice pinned a message']);
    expect((await pinsOf(bob, chatId)).pinnedMessages.map((m) => m.id)).toEqual([message.id]);

    const unpinned = expectNoErrors(await unpin(bob, message.id)).unpinMessage;
    expect(unpinned).toMatchObject({ pinnedMessages: [], rev: pinned.rev + 1, lastSeq: pinned.lastSeq });
    expect(await systemTexts(chatId)).toEqual(['Alice pinned a message']);
    const row = await server.database.prisma.message.findUniqueOrThrow({ where: { id: message.id } });
    expect(row).toMatchObject({ pinnedAt: null, rev: unpinned.rev });
  });

  it('in a group, admins only: plain members get FORBIDDEN, strangers NOT_FOUND', async () => {
    const chatId = await createGroup(server, alice, [bob]);
    const message = await send(bob, chatId, 'pin me');
    expect(expectErrorCode(await pin(bob, message.id), 'FORBIDDEN').message).toMatch(/admins/);
    expectErrorCode(await pin(stranger, message.id), 'NOT_FOUND');
    expectErrorCode(await pin(alice, '00000000-0000-4000-8000-000000000000'), 'NOT_FOUND');
    expectErrorCode(await pin(alice, 'not-a-uuid'), 'NOT_FOUND');

    expect(expectNoErrors(await pin(alice, message.id)).pinMessage.pinnedMessages.map((m) => m.id)).toEqual([message.id]);
    expectErrorCode(await unpin(bob, message.id), 'FORBIDDEN');
    expectErrorCode(await unpin(stranger, message.id), 'NOT_FOUND');
    expect((await pinsOf(bob, chatId)).pinnedMessages.map((m) => m.id)).toEqual([message.id]);
    expect(expectNoErrors(await unpin(alice, message.id)).unpinMessage.pinnedMessages).toEqual([]);
  });

  it('refuses SYSTEM messages and tombstones (deleted for everyone, or for me) with FORBIDDEN', async () => {
    const chatId = await createGroup(server, alice, [bob, carol]);
    const system = await server.database.prisma.message.findFirstOrThrow({ where: { chatId, kind: 'SYSTEM' } });
    expect(expectErrorCode(await pin(alice, system.id), 'FORBIDDEN').message).toMatch(/SYSTEM/);

    const gone = await send(alice, chatId, 'deleted for everyone');
    expectNoErrors(await gql(server, DeleteMessageDocument, { messageId: gone.id, forEveryone: true }, as(alice)));
    expect(expectErrorCode(await pin(alice, gone.id), 'FORBIDDEN').message).toMatch(/deleted/);

    const mine = await send(bob, chatId, 'deleted for alice');
    expectNoErrors(await gql(server, DeleteMessageDocument, { messageId: mine.id, forEveryone: false }, as(alice)));
    expect(expectErrorCode(await pin(alice, mine.id), 'FORBIDDEN').message).toMatch(/deleted/);
    expect(await server.database.prisma.message.count({ where: { chatId, pinnedAt: { not: null } } })).toBe(0);
  });

  it('a fourth pin unpins the oldest: both changes reach members live, with the SYSTEM message, in rev order', async () => {
    const chatId = await createGroup(server, alice, [bob]);
    const messages = [];
    for (let i = 1; i <= 4; i++) messages.push(await send(bob, chatId, `m${i}`));
    const [m1, m2, m3, m4] = messages as [(typeof messages)[number], (typeof messages)[number], (typeof messages)[number], (typeof messages)[number]];
    for (const message of [m1, m2, m3]) expectNoErrors(await pin(alice, message.id));
    expect((await pinsOf(bob, chatId)).pinnedMessages.map((m) => m.text)).toEqual(['m3', 'm2', 'm1']);

    const socket = connect(bob);
    const updates = new LiveSubscription(socket, OnMessageUpdatedDocument, { chatId });
    const fresh = new LiveSubscription(socket, OnNewMessageStateDocument, { chatId });
    await waitForListeners(server, MessageTopic.MessageUpdated, bob.user.id);
    await waitForListeners(server, MessageTopic.NewMessage, bob.user.id);

    const chat = expectNoErrors(await pin(alice, m4.id)).pinMessage;
    expect(chat.pinnedMessages.map((m) => m.text)).toEqual(['m4', 'm3', 'm2']);
    expect((await pinsOf(bob, chatId)).pinnedMessages.map((m) => m.text)).toEqual(['m4', 'm3', 'm2']);

    const changed = (await updates.waitFor(2)).map((event) => event.messageUpdated);
    expect(changed.map((m) => [m.id, m.pinned])).toEqual([
      [m1.id, false],
      [m4.id, true],
    ]);
    const [announced] = (await fresh.waitFor(1)).map((event) => event.newMessage);
    expect(announced).toMatchObject({ kind: 'SYSTEM', text: 'Alice pinned a message', senderId: null });
    // One rev per changed message, then the SYSTEM message's: the chat's newest.
    expect([changed[0]!.rev + 1, changed[1]!.rev + 1]).toEqual([changed[1]!.rev, announced!.rev]);
    expect(chat.rev).toBe(announced!.rev);
    expect(await server.database.prisma.message.count({ where: { chatId, pinnedAt: { not: null } } })).toBe(3);
  });

  it('keeps the limit when pins race: each takes the chat’s lock in turn', async () => {
    const chatId = await createGroup(server, alice, [bob]);
    const messages = [];
    for (let i = 0; i < 6; i++) messages.push(await send(bob, chatId, `race ${i}`));
    await Promise.all(messages.map((message) => pin(alice, message.id).then(expectNoErrors)));
    expect(await server.database.prisma.message.count({ where: { chatId, pinnedAt: { not: null } } })).toBe(3);
    expect((await systemTexts(chatId)).filter((text) => text === 'Alice pinned a message')).toHaveLength(6);
    expect((await pinsOf(alice, chatId)).pinnedMessages).toHaveLength(3);
  });

  it('pinning a pinned message and unpinning an unpinned one change nothing', async () => {
    const chatId = await createPrivateChat(server, carol, bob);
    const message = await send(carol, chatId, 'once');
    const first = expectNoErrors(await pin(bob, message.id)).pinMessage;
    const again = expectNoErrors(await pin(carol, message.id)).pinMessage;
    expect(again).toEqual(first);
    expect(await systemTexts(chatId)).toEqual(['Bob pinned a message']);

    const other = await send(carol, chatId, 'never pinned');
    const before = (await pinsOf(carol, chatId)).rev;
    const unchanged = expectNoErrors(await unpin(carol, other.id)).unpinMessage;
    expect(unchanged.rev).toBe(before);
    expect(unchanged.pinnedMessages.map((m) => m.id)).toEqual([message.id]);
  });

  it('a pinned message I delete for myself leaves my pins, not the others’; deleting for everyone unpins it for all', async () => {
    const chatId = await createGroup(server, alice, [bob]);
    const [kept, hidden] = [await send(alice, chatId, 'kept'), await send(alice, chatId, 'hidden by bob')];
    expectNoErrors(await pin(alice, kept.id));
    expectNoErrors(await pin(alice, hidden.id));
    expectNoErrors(await gql(server, DeleteMessageDocument, { messageId: hidden.id, forEveryone: false }, as(bob)));
    expect((await pinsOf(bob, chatId)).pinnedMessages.map((m) => m.text)).toEqual(['kept']);
    expect((await pinsOf(alice, chatId)).pinnedMessages.map((m) => m.text)).toEqual(['hidden by bob', 'kept']);

    expectNoErrors(await gql(server, DeleteMessageDocument, { messageId: kept.id, forEveryone: true }, as(alice)));
    expect((await pinsOf(alice, chatId)).pinnedMessages.map((m) => m.text)).toEqual(['hidden by bob']);
  });

  it('Chat.pinnedMessages runs a fixed number of SQL statements however many chats are listed', async () => {
    const me = await createUser(server);
    const others = await Promise.all(Array.from({ length: 6 }, () => createUser(server)));
    for (const other of others) {
      const chatId = await createPrivateChat(server, me, other);
      const message = await send(me, chatId, 'pinned');
      expectNoErrors(await pin(me, message.id));
    }
    // Sending stored notifications for the others in the background: count once the server is quiet.
    await expect.poll(() => server.countStatements(() => new Promise((resolve) => setTimeout(resolve, 200))), { timeout: 10_000 }).toBe(0);
    const count = (first: number) =>
      server.countStatements(
        async () => {
          const { chats } = expectNoErrors(await gql(server, ChatListPinsDocument, { first }, as(me)));
          expect(chats.edges.map((edge) => edge.node.pinnedMessages.length)).toEqual(Array(first).fill(1));
        },
        { runs: 3 },
      );
    expect(await count(6)).toBe(await count(1));
  });
});
