import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { as, createUser, type TestUser } from '../../test/factories.js';
import { createGroup } from '../../test/chats.js';
import {
  AddGroupMembersDocument,
  ChatByIdDocument,
  ChatsDocument,
  CreateGroupChatDocument,
  CreatePrivateChatDocument,
  LeaveChatDocument,
  MessagesDocument,
  RemoveGroupMemberDocument,
  SendMessageDocument,
  SetTypingDocument,
  UpdateGroupDocument,
  type ChatsQuery,
} from '../../test/generated/graphql.js';
import { expectErrorCode, expectNoErrors, gql, startTestServer, type GraphQLResponse, type TestServer } from '../../test/server.js';

let server: TestServer;
let alice: TestUser;
let bob: TestUser;
let carol: TestUser;
let stranger: TestUser;

beforeAll(async () => {
  server = await startTestServer();
  [alice, bob, carol, stranger] = await Promise.all([
    createUser(server, { displayName: 'Alice' }),
    createUser(server, { displayName: 'Bob' }),
    createUser(server, { displayName: 'Carol' }),
    createUser(server, { displayName: 'Stranger' }),
  ]);
});
afterAll(async () => {
  await server?.close();
});

async function systemTexts(chatId: string, viewer: TestUser): Promise<string[]> {
  const { messages } = expectNoErrors(await gql(server, MessagesDocument, { chatId, afterSeq: 0, first: 100 }, as(viewer)));
  return messages.edges.filter((e) => e.node.kind === 'SYSTEM').map((e) => e.node.text!);
}

describe('createPrivateChat', () => {
  it('returns the same chat for the same pair, whoever asks, titled with the other person', async () => {
    const [a, b] = await Promise.all([createUser(server, { displayName: 'Ann' }), createUser(server, { displayName: 'Ben' })]);
    const first = expectNoErrors(await gql(server, CreatePrivateChatDocument, { userId: b.user.id }, as(a))).createPrivateChat;
    const second = expectNoErrors(await gql(server, CreatePrivateChatDocument, { userId: a.user.id }, as(b))).createPrivateChat;
    expect(second.id).toBe(first.id);
    expect(first).toMatchObject({ kind: 'PRIVATE', title: 'Ben', unreadCount: 0, lastMessage: null, lastSeq: 0 });
    expect(second.title).toBe('Ann');
    expect(first.members.map((m) => m.user.id).sort()).toEqual([a.user.id, b.user.id].sort());
  });

  it('is race-safe: ten concurrent calls from both sides make one chat', async () => {
    const [a, b] = await Promise.all([createUser(server), createUser(server)]);
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        i % 2 ? gql(server, CreatePrivateChatDocument, { userId: b.user.id }, as(a)) : gql(server, CreatePrivateChatDocument, { userId: a.user.id }, as(b)),
      ),
    );
    const ids = new Set(results.map((r) => expectNoErrors(r).createPrivateChat.id));
    expect(ids.size).toBe(1);
    expect(await server.database.prisma.chat.count({ where: { members: { some: { userId: a.user.id } } } })).toBe(1);
  });

  it('refuses yourself, unknown, malformed and deactivated users', async () => {
    expect(expectErrorCode(await gql(server, CreatePrivateChatDocument, { userId: alice.user.id }, as(alice)), 'BAD_USER_INPUT').extensions?.['field']).toBe(
      'userId',
    );
    expectErrorCode(await gql(server, CreatePrivateChatDocument, { userId: '00000000-0000-4000-8000-000000000000' }, as(alice)), 'NOT_FOUND');
    expectErrorCode(await gql(server, CreatePrivateChatDocument, { userId: 'nope' }, as(alice)), 'NOT_FOUND');
    const gone = await createUser(server);
    await server.database.prisma.user.update({ where: { id: gone.user.id }, data: { active: false } });
    expectErrorCode(await gql(server, CreatePrivateChatDocument, { userId: gone.user.id }, as(alice)), 'NOT_FOUND');
    expectErrorCode(await gql(server, CreatePrivateChatDocument, { userId: bob.user.id }), 'UNAUTHENTICATED');
  });
});

describe('groups', () => {
  it('makes the creator admin, posts a SYSTEM message, and shows it as the last message', async () => {
    const input = { title: '  Weekend plans ', memberIds: [bob.user.id, carol.user.id] };
    const chat = expectNoErrors(await gql(server, CreateGroupChatDocument, { input }, as(alice))).createGroupChat;
    expect(chat).toMatchObject({ kind: 'GROUP', title: 'Weekend plans', lastSeq: 1, unreadCount: 0 });
    expect(chat.members.map((m) => [m.user.id, m.isAdmin])).toEqual(
      expect.arrayContaining([
        [alice.user.id, true],
        [bob.user.id, false],
        [carol.user.id, false],
      ]),
    );
    expect(chat.lastMessage).toMatchObject({ kind: 'SYSTEM', seq: 1, sender: null, text: 'Alice created the group "Weekend plans" with Bob and Carol' });
    // Bob did not act, but a SYSTEM message is not something to read: nothing is unread for him.
    expect(expectNoErrors(await gql(server, ChatByIdDocument, { id: chat.id }, as(bob))).chat!.unreadCount).toBe(0);
  });

  it.each([
    ['an empty title', { title: '  ', memberIds: () => [bob.user.id] }, 'title'],
    ['a 101-character title', { title: 't'.repeat(101), memberIds: () => [bob.user.id] }, 'title'],
    ['no other member', { title: 'Solo', memberIds: () => [alice.user.id] }, 'memberIds'],
  ])('refuses %s', async (_case, input, field) => {
    const result = await gql(server, CreateGroupChatDocument, { input: { title: input.title, memberIds: input.memberIds() } }, as(alice));
    expect(expectErrorCode(result, 'BAD_USER_INPUT').extensions?.['field']).toBe(field);
  });

  it('refuses more than 1024 members and unknown members, writing nothing', async () => {
    const before = await server.database.prisma.chat.count();
    const many = Array.from({ length: 1024 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`);
    expectErrorCode(await gql(server, CreateGroupChatDocument, { input: { title: 'Big', memberIds: many } }, as(alice)), 'BAD_USER_INPUT');
    expectErrorCode(await gql(server, CreateGroupChatDocument, { input: { title: 'Ghost', memberIds: [bob.user.id, many[0]!] } }, as(alice)), 'NOT_FOUND');
    expect(await server.database.prisma.chat.count()).toBe(before);
  });

  it('lets admins add and remove members, with SYSTEM messages; plain members get FORBIDDEN, strangers NOT_FOUND', async () => {
    const chatId = await createGroup(server, alice, [bob], 'Team');
    const dave = await createUser(server, { displayName: 'Dave' });

    expectErrorCode(await gql(server, AddGroupMembersDocument, { chatId, userIds: [carol.user.id] }, as(bob)), 'FORBIDDEN');
    expectErrorCode(await gql(server, AddGroupMembersDocument, { chatId, userIds: [carol.user.id] }, as(stranger)), 'NOT_FOUND');
    expectErrorCode(await gql(server, RemoveGroupMemberDocument, { chatId, userId: alice.user.id }, as(bob)), 'FORBIDDEN');
    expectErrorCode(await gql(server, RemoveGroupMemberDocument, { chatId, userId: bob.user.id }, as(stranger)), 'NOT_FOUND');
    expectErrorCode(await gql(server, UpdateGroupDocument, { chatId, title: 'Mine now' }, as(bob)), 'FORBIDDEN');

    const added = expectNoErrors(
      await gql(server, AddGroupMembersDocument, { chatId, userIds: [carol.user.id, dave.user.id, bob.user.id] }, as(alice)),
    ).addGroupMembers;
    expect(added.members).toHaveLength(4);
    const removed = expectNoErrors(await gql(server, RemoveGroupMemberDocument, { chatId, userId: carol.user.id }, as(alice))).removeGroupMember;
    expect(removed.members.map((m) => m.user.id)).not.toContain(carol.user.id);
    expectErrorCode(await gql(server, RemoveGroupMemberDocument, { chatId, userId: carol.user.id }, as(alice)), 'NOT_FOUND');
    const renamed = expectNoErrors(await gql(server, UpdateGroupDocument, { chatId, title: 'Renamed' }, as(alice))).updateGroup;
    expect(renamed.title).toBe('Renamed');

    expect(await systemTexts(chatId, alice)).toEqual([
      'Alice created the group "Team" with Bob',
      'Alice added Carol and Dave',
      'Alice removed Carol',
      'Alice renamed the group to "Renamed"',
    ]);
    // Carol is out: she keeps her history up to her removal, and nothing after it (see former-members.test.ts).
    const carols = expectNoErrors(await gql(server, ChatByIdDocument, { id: chatId }, as(carol))).chat!;
    expect(carols.leftAt).not.toBeNull();
    expect(carols.lastMessage?.text).toBe('Alice removed Carol');
    expect(await systemTexts(chatId, carol)).toEqual(['Alice created the group "Team" with Bob', 'Alice added Carol and Dave', 'Alice removed Carol']);
  });

  it('promotes the longest-standing member when the last admin leaves', async () => {
    const chatId = await createGroup(server, alice, [bob, carol]);
    expect(expectNoErrors(await gql(server, LeaveChatDocument, { chatId }, as(alice))).leaveChat).toBe(true);
    const after = expectNoErrors(await gql(server, ChatByIdDocument, { id: chatId }, as(bob))).chat!;
    expect(after.members.map((m) => m.user.id)).not.toContain(alice.user.id);
    const admins = after.members.filter((m) => m.isAdmin).map((m) => m.user.id);
    expect(admins).toHaveLength(1);
    expect([bob.user.id, carol.user.id]).toContain(admins[0]);
    expect((await systemTexts(chatId, bob)).at(-1)).toMatch(/^Alice left; (Bob|Carol) is now an admin$/);
    expectErrorCode(await gql(server, LeaveChatDocument, { chatId }, as(alice)), 'NOT_FOUND');
  });

  it('refuses to leave a private chat, and group actions on it', async () => {
    const chat = expectNoErrors(await gql(server, CreatePrivateChatDocument, { userId: carol.user.id }, as(bob))).createPrivateChat;
    expectErrorCode(await gql(server, LeaveChatDocument, { chatId: chat.id }, as(bob)), 'BAD_USER_INPUT');
    expectErrorCode(await gql(server, AddGroupMembersDocument, { chatId: chat.id, userIds: [alice.user.id] }, as(bob)), 'BAD_USER_INPUT');
  });

  it('typing needs membership', async () => {
    const chatId = await createGroup(server, alice, [bob]);
    expect(expectNoErrors(await gql(server, SetTypingDocument, { chatId, typing: true }, as(bob))).setTyping).toBe(true);
    expectErrorCode(await gql(server, SetTypingDocument, { chatId, typing: true }, as(stranger)), 'NOT_FOUND');
  });
});

describe('chats (the chat list)', () => {
  it('lists newest activity first, in pages, with unread counts and last messages', async () => {
    const me = await createUser(server);
    const others = await Promise.all(Array.from({ length: 5 }, () => createUser(server)));
    const chatIds: string[] = [];
    for (const other of others) {
      const chat = expectNoErrors(await gql(server, CreatePrivateChatDocument, { userId: other.user.id }, as(me))).createPrivateChat;
      chatIds.push(chat.id);
    }
    // Activity in chat 0 last, so it moves to the top; two unread messages there.
    for (const [i, other] of others.entries()) {
      expectNoErrors(await gql(server, SendMessageDocument, { input: { chatId: chatIds[i]!, text: `hello ${i}` } }, as(other)));
    }
    expectNoErrors(await gql(server, SendMessageDocument, { input: { chatId: chatIds[0]!, text: 'again' } }, as(others[0]!)));

    const seen: string[] = [];
    let after: string | null | undefined = null;
    for (let page = 0; page < 3; page++) {
      const result: GraphQLResponse<ChatsQuery> = await gql(server, ChatsDocument, { first: 2, after }, as(me));
      const { chats } = expectNoErrors(result);
      expect(chats.totalCount).toBe(5);
      seen.push(...chats.edges.map((e) => e.node.id));
      after = chats.pageInfo.endCursor;
      if (!chats.pageInfo.hasNextPage) break;
    }
    expect(seen).toEqual([chatIds[0], chatIds[4], chatIds[3], chatIds[2], chatIds[1]]);
    const top = expectNoErrors(await gql(server, ChatsDocument, { first: 1 }, as(me))).chats.edges[0]!.node;
    expect(top).toMatchObject({ unreadCount: 2, lastMessage: { text: 'again', seq: 2, sender: { id: others[0]!.user.id } } });
  });

  it('runs a fixed number of SQL statements however many chats are listed', async () => {
    const me = await createUser(server);
    const count = (first: number) =>
      server.countStatements(
        async () => {
          const result = await gql(server, ChatsDocument, { first }, as(me));
          expect(expectNoErrors(result).chats.edges).toHaveLength(first);
        },
        { runs: 3 },
      );
    const others = await Promise.all(Array.from({ length: 50 }, () => createUser(server)));
    for (const other of others) {
      const chat = expectNoErrors(await gql(server, CreatePrivateChatDocument, { userId: other.user.id }, as(me))).createPrivateChat;
      expectNoErrors(await gql(server, SendMessageDocument, { input: { chatId: chat.id, text: 'hi' } }, as(other)));
    }
    // Each message also stores a notification for me (offline) in the background: let that finish first.
    await expect.poll(() => server.database.prisma.notification.count({ where: { userId: me.user.id } }), { timeout: 10_000 }).toBe(50);
    // ...and what follows each row (the push-subscription lookup): count only once the server is quiet. That lookup
    // is fire-and-forget and announces nothing when done, so there is no signal to wait for: a quiet 200 ms it is.
    await expect.poll(() => server.countStatements(() => new Promise((resolve) => setTimeout(resolve, 200))), { timeout: 10_000 }).toBe(0);
    const forFive = await count(5);
    const forFifty = await count(50);
    // session + chats + totalCount + members + last messages + my deletions-for-me of them + users: 7, or 8 when
    // the last messages' senders resolve a tick after the members' users (DataLoader batches per tick).
    for (const statements of [forFive, forFifty]) {
      expect(statements).toBeGreaterThanOrEqual(7);
      expect(statements).toBeLessThanOrEqual(8);
    }
  });

  it('refuses a forged cursor', async () => {
    expectErrorCode(await gql(server, ChatsDocument, { after: 'bogus' }, as(alice)), 'BAD_USER_INPUT');
  });
});
