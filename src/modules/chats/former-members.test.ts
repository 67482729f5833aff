import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGroup, sendText, sent } from '../../test/chats.js';
import { as, createUser, type TestUser } from '../../test/factories.js';
import {
  AddGroupMembersDocument,
  ChatByIdDocument,
  ChatMembersDocument,
  FileByIdDocument,
  ChatsDocument,
  DeleteMessageDocument,
  EditMessageDocument,
  LeaveChatDocument,
  MarkReadDocument,
  MessageChangesDocument,
  MessagesDocument,
  OnNewMessageDocument,
  PinMessageDocument,
  PinnedMessagesDocument,
  RemoveGroupMemberDocument,
  SendMediaMessageDocument,
} from '../../test/generated/graphql.js';
import { gqlUpload } from '../../test/uploads.js';
import { LiveSubscription, expectErrorCode, expectNoErrors, gql, startTestServer, wsClient, type TestServer } from '../../test/server.js';

let server: TestServer;
let alice: TestUser;
let bob: TestUser;
let carol: TestUser;

beforeAll(async () => {
  server = await startTestServer();
  [alice, bob, carol] = await Promise.all([
    createUser(server, { displayName: 'Alice' }),
    createUser(server, { displayName: 'Bob' }),
    createUser(server, { displayName: 'Carol' }),
  ]);
});
afterAll(async () => {
  await server?.close();
});

const send = (user: TestUser, chatId: string, text: string) => sent(server, user, chatId, text);

async function texts(user: TestUser, chatId: string): Promise<(string | null)[]> {
  const { messages } = expectNoErrors(await gql(server, MessagesDocument, { chatId, afterSeq: 0, first: 100 }, as(user)));
  return messages.edges.map((edge) => edge.node.text);
}

async function changedTexts(user: TestUser, chatId: string, afterRev = 0): Promise<(string | null)[]> {
  const { messageChanges } = expectNoErrors(await gql(server, MessageChangesDocument, { chatId, afterRev, first: 100 }, as(user)));
  return messageChanges.edges.map((edge) => edge.node.text);
}

const remove = (admin: TestUser, chatId: string, user: TestUser) => gql(server, RemoveGroupMemberDocument, { chatId, userId: user.user.id }, as(admin));
const add = (admin: TestUser, chatId: string, user: TestUser) => gql(server, AddGroupMembersDocument, { chatId, userIds: [user.user.id] }, as(admin));

describe('former members', () => {
  it('a removed member reads their history up to the removal, and nothing after it', async () => {
    const chatId = await createGroup(server, alice, [bob, carol], 'Book club');
    const before = await send(alice, chatId, 'before');
    expectNoErrors(await remove(alice, chatId, carol));
    await send(alice, chatId, 'after');
    await send(bob, chatId, 'after, too');

    const upToRemoval = ['Alice created the group "Book club" with Bob and Carol', 'before', 'Alice removed Carol'];
    expect(await texts(carol, chatId)).toEqual(upToRemoval);
    expect(await changedTexts(carol, chatId)).toEqual(upToRemoval);
    const chat = expectNoErrors(await gql(server, ChatByIdDocument, { id: chatId }, as(carol))).chat!;
    expect(chat.leftAt).not.toBeNull();
    expect(chat).toMatchObject({ lastSeq: 3, unreadCount: 0, lastMessage: { text: 'Alice removed Carol' } });
    expect(chat.updatedAt).toBe(chat.leftAt);
    const members = expectNoErrors(await gql(server, ChatMembersDocument, { id: chatId }, as(bob))).chat!;
    expect(members.leftAt).toBeNull();
    // Each member with their receipts ("read by 2 of 3"): Alice sent after Carol left, so only she read that far.
    const readAll = new Map(members.members.map((m) => [m.user.id, m.readSeq >= members.lastSeq && m.deliveredSeq >= members.lastSeq]));
    expect(readAll).toEqual(
      new Map([
        [alice.user.id, false],
        [bob.user.id, true],
      ]),
    );
    expect(new Set(members.members.map((m) => m.id)).size).toBe(2);
    expect(chat.rev).toBeLessThan(members.rev);

    // It stays in the list, dated by the removal: the messages after it neither reorder it nor show.
    const listed = expectNoErrors(await gql(server, ChatsDocument, { first: 50 }, as(carol))).chats.edges.find((edge) => edge.node.id === chatId)!;
    expect(listed.node).toMatchObject({ lastSeq: 3, leftAt: chat.leftAt, lastMessage: { text: 'Alice removed Carol' } });

    // Reading is all: no sending, marking, editing, deleting or listening.
    expectErrorCode(await sendText(server, carol, chatId, 'let me back'), 'NOT_FOUND');
    expectErrorCode(await gql(server, MarkReadDocument, { chatId, upToMessageId: before.id }, as(carol)), 'NOT_FOUND');
    expectErrorCode(await gql(server, EditMessageDocument, { messageId: before.id, text: 'x' }, as(carol)), 'NOT_FOUND');
    expectErrorCode(await gql(server, DeleteMessageDocument, { messageId: before.id, forEveryone: false }, as(carol)), 'NOT_FOUND');
    const socket = wsClient(server, carol.accessToken);
    try {
      const live = new LiveSubscription(socket, OnNewMessageDocument, { chatId });
      await expect.poll(() => live.errors.length, { timeout: 5000 }).toBe(1);
      expect(JSON.stringify(live.errors)).toContain('NOT_FOUND');
    } finally {
      await socket.dispose();
    }
  });

  it('the files and pins of their history stay theirs; what came after does not', async () => {
    const chatId = await createGroup(server, alice, [bob, carol]);
    const media = await gqlUpload(
      server,
      SendMediaMessageDocument,
      { input: { chatId, file: null } },
      { 'input.file': { data: Buffer.from('minutes of the meeting\n'), name: 'minutes.txt' } },
      as(alice),
    );
    const before = expectNoErrors(media).sendMediaMessage;
    expectNoErrors(await gql(server, PinMessageDocument, { messageId: before.id }, as(alice)));
    expectNoErrors(await remove(alice, chatId, carol));
    const later = await gqlUpload(
      server,
      SendMediaMessageDocument,
      { input: { chatId, file: null } },
      { 'input.file': { data: Buffer.from('after Carol left\n'), name: 'later.txt' } },
      as(alice),
    );
    const after = expectNoErrors(later).sendMediaMessage;
    expectNoErrors(await gql(server, PinMessageDocument, { messageId: after.id }, as(alice)));

    expect(expectNoErrors(await gql(server, FileByIdDocument, { id: before.file!.id }, as(carol))).file?.id).toBe(before.file!.id);
    expectErrorCode(await gql(server, FileByIdDocument, { id: after.file!.id }, as(carol)), 'NOT_FOUND');
    const pins = (user: TestUser) =>
      gql(server, PinnedMessagesDocument, { chatId }, as(user)).then((r) => expectNoErrors(r).chat!.pinnedMessages.map((m) => m.id));
    expect(await pins(carol)).toEqual([before.id]);
    expect(await pins(bob)).toEqual([after.id, before.id]);
  });

  it('a deletion for everyone after leaving reaches the former member as a tombstone', async () => {
    const chatId = await createGroup(server, alice, [bob, carol]);
    const regret = await send(bob, chatId, 'something I regret');
    expect(expectNoErrors(await gql(server, LeaveChatDocument, { chatId }, as(carol))).leaveChat).toBe(true);
    const { chat } = expectNoErrors(await gql(server, ChatByIdDocument, { id: chatId }, as(carol)));
    expectNoErrors(await gql(server, DeleteMessageDocument, { messageId: regret.id, forEveryone: true }, as(bob)));
    expect(await changedTexts(carol, chatId, chat!.rev)).toEqual([null]);
    expect(await texts(carol, chatId)).toEqual([expect.stringMatching(/^Alice created/), null, 'Carol left']);
  });

  it('a member who rejoins reads each membership, never what was said in between', async () => {
    const chatId = await createGroup(server, alice, [bob, carol]);
    await send(alice, chatId, 'first time');
    expectNoErrors(await remove(alice, chatId, carol));
    await send(alice, chatId, 'while Carol was away');
    expectNoErrors(await add(alice, chatId, carol));
    await send(bob, chatId, 'welcome back');
    expectNoErrors(await remove(alice, chatId, carol));
    await send(alice, chatId, 'away again');
    expectNoErrors(await add(alice, chatId, carol));
    await send(alice, chatId, 'back again');

    const carolReads = [
      expect.stringMatching(/^Alice created/),
      'first time',
      'Alice removed Carol',
      'Alice added Carol',
      'welcome back',
      'Alice removed Carol',
      'Alice added Carol',
      'back again',
    ];
    expect(await texts(carol, chatId)).toEqual(carolReads);
    expect(await changedTexts(carol, chatId)).toEqual(carolReads);
    expect(await texts(bob, chatId)).toContain('while Carol was away');
    const chat = expectNoErrors(await gql(server, ChatByIdDocument, { id: chatId }, as(carol))).chat!;
    expect(chat.leftAt).toBeNull();
    // Unread since the re-adding: 'back again'; neither what was said while away nor the SYSTEM message that added her.
    expect(chat.unreadCount).toBe(1);
  });
});
