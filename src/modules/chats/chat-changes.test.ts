import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGroup, sendText } from '../../test/chats.js';
import { as, createUser, type TestUser } from '../../test/factories.js';
import {
  AddGroupMembersDocument,
  ChatChangesDocument,
  EditMessageDocument,
  MarkReadDocument,
  MessageChangesBatchDocument,
  RemoveGroupMemberDocument,
  UpdateGroupDocument,
  type ChatChangesQuery,
} from '../../test/generated/graphql.js';
import { expectErrorCode, expectNoErrors, gql, startTestServer, type TestServer } from '../../test/server.js';

let server: TestServer;
let me: TestUser;
let owners: TestUser[];

beforeAll(async () => {
  server = await startTestServer();
  me = await createUser(server, { displayName: 'Me' });
  owners = await Promise.all(Array.from({ length: 10 }, (_, i) => createUser(server, { displayName: `Owner ${i}` })));
});
afterAll(async () => {
  await server?.close();
});

type Changes = ChatChangesQuery['chatChanges'];

async function changes(user: TestUser, since: string | null, first?: number): Promise<Changes> {
  return expectNoErrors(await gql(server, ChatChangesDocument, { since, first }, as(user))).chatChanges;
}

/** One whole pass through the feed: every page, and the token to continue from. */
async function pass(user: TestUser, since: string | null, first = 100): Promise<{ chats: Changes['chats']; pages: number; token: string }> {
  const chats: Changes['chats'] = [];
  let token = since;
  for (let pages = 1; ; pages++) {
    const page = await changes(user, token, first);
    expect(page.resyncRequired).toBe(false);
    chats.push(...page.chats);
    token = page.nextToken;
    if (!page.hasMore) return { chats, pages, token };
  }
}

/**
 * Passes until one comes back empty: a pass begins at the oldest transaction
 * still running anywhere on the server, so changes of other tests' moment may
 * come once more; after an empty pass, only what happens next can.
 */
async function caughtUp(user: TestUser, since: string | null): Promise<string> {
  let token = since;
  // By time, not by count: a transaction another test file holds open for seconds holds the start back meanwhile.
  for (const deadline = Date.now() + 20_000; Date.now() < deadline; ) {
    const { chats, token: next } = await pass(user, token);
    if (chats.length === 0 && token !== null) return next;
    token = next;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('the feed never came back empty in 20 s');
}

const tokenOf = (parts: unknown[]) => Buffer.from(JSON.stringify(parts)).toString('base64url');

describe('chatChanges (the account feed)', () => {
  it('a device offline while 30 of its 200 chats change gets exactly those 30, then their messages in one batch', async () => {
    const chats: string[] = [];
    for (let i = 0; i < 200; i += 20) {
      chats.push(...(await Promise.all(Array.from({ length: 20 }, (_, j) => createGroup(server, owners[(i + j) % 10]!, [me], `Group ${i + j}`)))));
    }
    const ownerOf = (index: number) => owners[index % 10]!;
    const edited = await Promise.all(
      [20, 21, 22, 23, 24].map(async (i) => expectNoErrors(await sendText(server, ownerOf(i), chats[i]!, `to edit ${i}`)).sendMessage),
    );
    const toRead = await Promise.all([30, 31].map(async (i) => expectNoErrors(await sendText(server, ownerOf(i), chats[i]!, `unread ${i}`)).sendMessage));

    const first = await pass(me, null);
    expect(first.chats.map((chat) => chat.id).sort()).toEqual([...chats].sort());
    const revs = new Map(first.chats.map((chat) => [chat.id, chat.rev]));
    const token = await caughtUp(me, first.token);

    // Offline: 30 chats change.
    const expected = new Set<string>();
    for (let i = 0; i < 20; i++) {
      expectNoErrors(await sendText(server, ownerOf(i), chats[i]!, `new ${i}`));
      expected.add(chats[i]!);
    }
    for (const [k, message] of edited.entries()) {
      expectNoErrors(await gql(server, EditMessageDocument, { messageId: message.id, text: `edited ${k}` }, as(ownerOf(20 + k))));
      expected.add(message.chatId);
    }
    expectNoErrors(await gql(server, UpdateGroupDocument, { chatId: chats[40]!, title: 'Renamed' }, as(ownerOf(40))));
    expected.add(chats[40]!);
    expectNoErrors(await gql(server, RemoveGroupMemberDocument, { chatId: chats[41]!, userId: me.user.id }, as(ownerOf(41))));
    expected.add(chats[41]!);
    // Read on another of my devices: my unread counts changed.
    for (const message of toRead) {
      expectNoErrors(await gql(server, MarkReadDocument, { chatId: message.chatId, upToMessageId: message.id }, as(me)));
      expected.add(message.chatId);
    }
    const added = await createGroup(server, owners[0]!, [owners[1]!], 'Late group');
    expectNoErrors(await gql(server, AddGroupMembersDocument, { chatId: added, userIds: [me.user.id] }, as(owners[0]!)));
    expected.add(added);
    expect(expected.size).toBe(30);

    const back = await pass(me, token, 20);
    expect(back.pages).toBeLessThanOrEqual(2);
    expect(back.chats.map((chat) => chat.id).sort()).toEqual([...expected].sort());
    const byId = new Map(back.chats.map((chat) => [chat.id, chat]));
    expect(byId.get(chats[40]!)?.title).toBe('Renamed');
    expect(byId.get(chats[41]!)?.leftAt).not.toBeNull();
    expect(byId.get(chats[30]!)?.unreadCount).toBe(0);
    expect(byId.get(chats[0]!)?.unreadCount).toBe(1); // the new message; the group's SYSTEM message does not count

    // Their messages, in one request whose statements do not grow with the chats.
    const after = back.chats.map((chat) => ({ chatId: chat.id, afterRev: revs.get(chat.id) ?? 0 }));
    let batch: { chatId: string; messages: { text: string | null; rev: number }[] }[] = [];
    const forThirty = await server.countStatements(
      async () => {
        batch = expectNoErrors(await gql(server, MessageChangesBatchDocument, { after, firstPerChat: 50 }, as(me))).messageChangesBatch;
      },
      { runs: 3 },
    );
    // Half as many chats, every kind of change among them.
    const fewer = after.filter((entry) => !chats.slice(5, 20).includes(entry.chatId));
    const forFifteen = await server.countStatements(
      async () => {
        expectNoErrors(await gql(server, MessageChangesBatchDocument, { after: fewer, firstPerChat: 50 }, as(me)));
      },
      { runs: 3 },
    );
    expect(fewer).toHaveLength(15);
    expect(forThirty).toBe(forFifteen);
    expect(forThirty).toBeLessThanOrEqual(8);
    expect(batch.map((entry) => entry.chatId)).toEqual(after.map((entry) => entry.chatId));
    const messagesOf = (chatId: string) => batch.find((entry) => entry.chatId === chatId)!.messages.map((m) => m.text);
    expect(messagesOf(chats[0]!)).toEqual(['new 0']);
    expect(messagesOf(edited[2]!.chatId)).toEqual(['edited 2']);
    expect(messagesOf(chats[41]!)).toEqual(['Owner 1 removed Me']);
    expect(messagesOf(added)).toEqual(['Owner 0 created the group "Late group" with Owner 1', 'Owner 0 added Me']);

    // Caught up: nothing more.
    expect((await pass(me, back.token)).chats.filter((chat) => expected.has(chat.id) === false)).toEqual([]);
  }, 90_000); // sets up 200 chats: 10 s alone, over 30 s in CI beside other files

  it('an unknown, forged or expired token asks for a resync and hands out a fresh one', async () => {
    const user = await createUser(server);
    const tooOld = tokenOf(['cc', '0', null, '0', Date.now() - 31 * 24 * 3600 * 1000]);
    for (const token of ['bogus', 'x'.repeat(400), tooOld, tokenOf(['cc', '0', null, '99999999999999', Date.now()]), tokenOf(['chat', 1, 2])]) {
      const answer = await changes(user, token);
      expect(answer).toMatchObject({ chats: [], resyncRequired: true, hasMore: false });
      expect((await changes(user, answer.nextToken)).resyncRequired).toBe(false);
    }
  });

  it('refuses bad page sizes and batches', async () => {
    expectErrorCode(await gql(server, ChatChangesDocument, { since: null, first: -1 }, as(me)), 'BAD_USER_INPUT');
    const chatId = await createGroup(server, me, [owners[0]!]);
    const twice = [
      { chatId, afterRev: 0 },
      { chatId, afterRev: 1 },
    ];
    expectErrorCode(await gql(server, MessageChangesBatchDocument, { after: twice }, as(me)), 'BAD_USER_INPUT');
    expectErrorCode(await gql(server, MessageChangesBatchDocument, { after: [{ chatId, afterRev: -1 }] }, as(me)), 'BAD_USER_INPUT');
    const many = Array.from({ length: 101 }, (_, i) => ({ chatId: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`, afterRev: 0 }));
    expectErrorCode(await gql(server, MessageChangesBatchDocument, { after: many }, as(me)), 'BAD_USER_INPUT');
    const stranger = await createUser(server);
    expectErrorCode(await gql(server, MessageChangesBatchDocument, { after: [{ chatId, afterRev: 0 }] }, as(stranger)), 'NOT_FOUND');
  });
});
