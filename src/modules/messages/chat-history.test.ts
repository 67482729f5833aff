import { beforeAll, describe, expect, it } from 'vitest';
import { createGroup, createPrivateChat, sendText, sent } from '../../test/chats.js';
import { as, createUser, type TestUser } from '../../test/factories.js';
import {
  AddGroupMembersDocument,
  ClearChatDocument,
  CreatePrivateChatDocument,
  DeleteChatDocument,
  HistoryChatChangesDocument,
  HistoryChatDocument,
  HistoryChatsDocument,
  MessageChangesDocument,
  MessagesDocument,
  OnHistoryChatUpdatedDocument,
  OnMessageStatusDocument,
  OnSystemMessageDocument,
  PinMessageDocument,
  PinnedMessagesDocument,
  RemoveGroupMemberDocument,
  UpdateChatSettingsDocument,
  type HistoryChatChangesQuery,
} from '../../test/generated/graphql.js';
import { LiveSubscription, expectErrorCode, expectNoErrors, gql, waitForListeners, type TestServer } from '../../test/server.js';
import { serverSuite } from '../../test/suite.js';
import { ChatTopic } from '../chats/index.js';
import { MessageTopic } from './message.topics.js';

const suite = serverSuite(['Alice', 'Bob', 'Carol']);
let server: TestServer;
let alice: TestUser;
let bob: TestUser;
let carol: TestUser;
beforeAll(() => {
  ({
    server,
    users: [alice, bob, carol],
  } = suite.ready());
});

const send = (user: TestUser, chatId: string, text: string) => sent(server, user, chatId, text);

async function texts(user: TestUser, chatId: string): Promise<(string | null)[]> {
  const { messages } = expectNoErrors(await gql(server, MessagesDocument, { chatId, afterSeq: 0, first: 100 }, as(user)));
  return messages.edges.map((edge) => edge.node.text);
}

async function changedTexts(user: TestUser, chatId: string): Promise<(string | null)[]> {
  const { messageChanges } = expectNoErrors(await gql(server, MessageChangesDocument, { chatId, afterRev: 0, first: 100 }, as(user)));
  return messageChanges.edges.map((edge) => edge.node.text);
}

const chatOf = async (user: TestUser, chatId: string) => expectNoErrors(await gql(server, HistoryChatDocument, { chatId }, as(user))).chat!;
const listed = async (user: TestUser) => expectNoErrors(await gql(server, HistoryChatsDocument, { first: 40 }, as(user))).chats.edges.map((e) => e.node);
const clear = (user: TestUser, chatId: string) => gql(server, ClearChatDocument, { chatId }, as(user));
const remove = (user: TestUser, chatId: string) => gql(server, DeleteChatDocument, { chatId }, as(user));

type Feed = HistoryChatChangesQuery['chatChanges'];

/** The account feed from `since` until it has no more, every page of it. */
async function feed(user: TestUser, since: string | null): Promise<{ chats: Feed['chats']; removedChatIds: string[]; token: string }> {
  const chats: Feed['chats'] = [];
  const removedChatIds: string[] = [];
  let token = since;
  for (;;) {
    const page = expectNoErrors(await gql(server, HistoryChatChangesDocument, { since: token, first: 40 }, as(user))).chatChanges;
    expect(page.resyncRequired).toBe(false);
    chats.push(...page.chats);
    removedChatIds.push(...page.removedChatIds);
    token = page.nextToken;
    if (!page.hasMore) return { chats, removedChatIds, token };
  }
}

describe('clearChat', () => {
  it('hides the history up to now on all my devices; what comes after shows; the other member sees nothing change', async () => {
    const chatId = await createPrivateChat(server, alice, bob);
    await send(bob, chatId, 'one');
    const two = await send(bob, chatId, 'two');
    expectNoErrors(await gql(server, PinMessageDocument, { messageId: two.id }, as(bob)));
    const since = (await feed(alice, null)).token;

    // Two devices of Alice's, listening; Bob hears of the read.
    const phone = new LiveSubscription(suite.connect(alice), OnHistoryChatUpdatedDocument, {});
    const laptop = new LiveSubscription(suite.connect(alice), OnHistoryChatUpdatedDocument, {});
    const receipts = new LiveSubscription(suite.connect(bob), OnMessageStatusDocument, { chatId });
    await waitForListeners(server, ChatTopic.ChatUpdated, alice.user.id, 2);
    await waitForListeners(server, MessageTopic.MessageStatus, bob.user.id);

    const cleared = expectNoErrors(await clear(alice, chatId)).clearChat;
    // The pin's SYSTEM message is the last one.
    expect(cleared).toMatchObject({ id: chatId, lastSeq: 3, clearedUpToSeq: 3, unreadCount: 0, lastMessage: null, leftAt: null });
    for (const device of [phone, laptop]) {
      const [event] = await device.waitFor(1);
      expect(event!.chatUpdated).toMatchObject({ id: chatId, clearedUpToSeq: 3, unreadCount: 0, lastMessage: null });
    }
    const [read] = await receipts.waitFor(1);
    expect(read!.messageStatus).toMatchObject({ status: 'READ', seq: 3, userId: alice.user.id });

    expect(await texts(alice, chatId)).toEqual([]);
    expect(await changedTexts(alice, chatId)).toEqual([]);
    expect(expectNoErrors(await gql(server, PinnedMessagesDocument, { chatId }, as(alice))).chat!.pinnedMessages).toEqual([]);
    expect((await listed(alice)).find((chat) => chat.id === chatId)).toMatchObject({ lastMessage: null, unreadCount: 0, clearedUpToSeq: 3 });
    // Bob's copy is untouched.
    expect(await texts(bob, chatId)).toEqual(['one', 'two', 'Bob pinned a message']);
    expect((await chatOf(bob, chatId)).clearedUpToSeq).toBe(0);

    // The feed tells Alice's other devices, which then drop what they hold up to clearedUpToSeq.
    const { chats } = await feed(alice, since);
    expect(chats.find((chat) => chat.id === chatId)).toMatchObject({ clearedUpToSeq: 3, lastMessage: null, unreadCount: 0 });

    await send(bob, chatId, 'three');
    expect(await texts(alice, chatId)).toEqual(['three']);
    expect(await changedTexts(alice, chatId)).toEqual(['three']);
    expect(await chatOf(alice, chatId)).toMatchObject({ unreadCount: 1, lastMessage: { text: 'three' }, clearedUpToSeq: 3 });
  });

  it('a former member clears what they kept; a member clears every period of theirs', async () => {
    const chatId = await createGroup(server, alice, [bob, carol], 'Club');
    await send(alice, chatId, 'before');
    expectNoErrors(await gql(server, RemoveGroupMemberDocument, { chatId, userId: carol.user.id }, as(alice)));
    expect(await texts(carol, chatId)).toEqual(['Alice created the group "Club" with Bob and Carol', 'before', 'Alice removed Carol']);

    const cleared = expectNoErrors(await clear(carol, chatId)).clearChat;
    expect(cleared).toMatchObject({ lastSeq: 3, clearedUpToSeq: 3, lastMessage: null });
    expect(cleared.leftAt).not.toBeNull();
    expect(await texts(carol, chatId)).toEqual([]);
    expect((await listed(carol)).find((chat) => chat.id === chatId)).toMatchObject({ lastMessage: null, clearedUpToSeq: 3 });

    // Back in the group: the new period reads on; a clearing as a member hides it all, the earlier period too.
    expectNoErrors(await gql(server, AddGroupMembersDocument, { chatId, userIds: [carol.user.id] }, as(alice)));
    await send(bob, chatId, 'welcome back');
    expect(await texts(carol, chatId)).toEqual(['Alice added Carol', 'welcome back']);
    expect((await chatOf(carol, chatId)).clearedUpToSeq).toBe(3);
    expectNoErrors(await clear(carol, chatId));
    expect(await texts(carol, chatId)).toEqual([]);
    await send(alice, chatId, 'after');
    expect(await texts(carol, chatId)).toEqual(['after']);
    expect(await texts(bob, chatId)).toHaveLength(6);
  });

  it('is NOT_FOUND for a stranger', async () => {
    const chatId = await createPrivateChat(server, alice, bob);
    expectErrorCode(await clear(carol, chatId), 'NOT_FOUND');
    expectErrorCode(await clear(carol, 'not-a-uuid'), 'NOT_FOUND');
  });
});

describe('deleteChat', () => {
  it('a member leaves the group (SYSTEM message, admin succession), it leaves their list and feeds, and coming back starts afresh', async () => {
    const chatId = await createGroup(server, alice, [bob], 'Team');
    await send(bob, chatId, 'hello');
    const since = (await feed(alice, null)).token;
    const bobs = new LiveSubscription(suite.connect(bob), OnSystemMessageDocument, { chatId });
    await waitForListeners(server, MessageTopic.NewMessage, bob.user.id);

    // Alice is the only admin: Bob, the longest-standing member after her, takes over.
    expect(expectNoErrors(await remove(alice, chatId)).deleteChat).toBe(true);
    const [left] = await bobs.waitFor(1);
    expect(left!.newMessage).toMatchObject({ kind: 'SYSTEM', text: 'Alice left; Bob is now an admin' });

    expect((await listed(alice)).map((chat) => chat.id)).not.toContain(chatId);
    expectErrorCode(await gql(server, HistoryChatDocument, { chatId }, as(alice)), 'NOT_FOUND');
    expectErrorCode(await gql(server, MessagesDocument, { chatId, first: 10 }, as(alice)), 'NOT_FOUND');
    expectErrorCode(await gql(server, MessageChangesDocument, { chatId, afterRev: 0 }, as(alice)), 'NOT_FOUND');
    expectErrorCode(await remove(alice, chatId), 'NOT_FOUND');
    const later = await feed(alice, since);
    expect(later.removedChatIds).toContain(chatId);
    expect(later.chats.map((chat) => chat.id)).not.toContain(chatId);
    // A device starting afresh is not told of chats it never had.
    expect((await feed(alice, null)).removedChatIds).not.toContain(chatId);

    // Bob (now admin) adds Alice back: a fresh membership, from the re-adding on.
    expectNoErrors(await gql(server, AddGroupMembersDocument, { chatId, userIds: [alice.user.id] }, as(bob)));
    expect(await texts(alice, chatId)).toEqual(['Bob added Alice']);
    expect((await listed(alice)).map((chat) => chat.id)).toContain(chatId);
    const back = await feed(alice, later.token);
    expect(back.chats.map((chat) => chat.id)).toContain(chatId);
    expect(back.removedChatIds).not.toContain(chatId);
  });

  it('a former member forgets the chat they kept', async () => {
    const chatId = await createGroup(server, alice, [bob, carol]);
    expectNoErrors(await gql(server, RemoveGroupMemberDocument, { chatId, userId: carol.user.id }, as(alice)));
    const since = (await feed(carol, null)).token;
    expect(expectNoErrors(await remove(carol, chatId)).deleteChat).toBe(true);
    expectErrorCode(await gql(server, MessagesDocument, { chatId, first: 10 }, as(carol)), 'NOT_FOUND');
    expect((await listed(carol)).map((chat) => chat.id)).not.toContain(chatId);
    expect((await feed(carol, since)).removedChatIds).toContain(chatId);
    // Nothing changed for the members.
    expect(await texts(bob, chatId)).toHaveLength(2);
  });

  it('a private chat goes from my list until a new message brings it back, empty but for that message, with my settings reset', async () => {
    const chatId = await createPrivateChat(server, alice, carol);
    await send(carol, chatId, 'old news');
    expectNoErrors(await gql(server, UpdateChatSettingsDocument, { chatId, input: { muted: true, pinned: true } }, as(alice)));
    const since = (await feed(alice, null)).token;

    expect(expectNoErrors(await remove(alice, chatId)).deleteChat).toBe(true);
    expect((await listed(alice)).map((chat) => chat.id)).not.toContain(chatId);
    expectErrorCode(await gql(server, MessagesDocument, { chatId, first: 10 }, as(alice)), 'NOT_FOUND');
    const gone = await feed(alice, since);
    expect(gone.removedChatIds).toContain(chatId);
    expect(await texts(carol, chatId)).toEqual(['old news']);

    await send(carol, chatId, 'are you there?');
    expect(await texts(alice, chatId)).toEqual(['are you there?']);
    const back = (await listed(alice)).find((chat) => chat.id === chatId);
    expect(back).toMatchObject({ unreadCount: 1, muted: false, pinned: false, lastMessage: { text: 'are you there?' }, clearedUpToSeq: 1 });
    expect((await feed(alice, gone.token)).chats.map((chat) => chat.id)).toContain(chatId);

    // Deleted again, then opened again by me: back at once, empty.
    expectNoErrors(await remove(alice, chatId));
    expectErrorCode(await gql(server, HistoryChatDocument, { chatId }, as(alice)), 'NOT_FOUND');
    expectNoErrors(await gql(server, CreatePrivateChatDocument, { userId: carol.user.id }, as(alice)));
    expect(await chatOf(alice, chatId)).toMatchObject({ lastMessage: null, unreadCount: 0, clearedUpToSeq: 2 });
    expect(await texts(alice, chatId)).toEqual([]);
    expect((await sendText(server, alice, chatId, 'hi again')).errors).toBeUndefined();
    expect(await texts(carol, chatId)).toEqual(['old news', 'are you there?', 'hi again']);
  });

  it('is NOT_FOUND for a stranger', async () => {
    const chatId = await createPrivateChat(server, alice, bob);
    expectErrorCode(await remove(carol, chatId), 'NOT_FOUND');
    expect(await texts(alice, chatId)).toBeDefined();
    const stranger = await createUser(server);
    expectErrorCode(await remove(stranger, chatId), 'NOT_FOUND');
  });
});
