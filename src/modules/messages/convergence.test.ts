/**
 * The change feed's promise, end to end over real graphql-ws clients: a member
 * who was offline through edits, deletions (both kinds), reaction changes,
 * pins and new messages, and applies messageChanges to the copy they had,
 * ends with exactly what a fresh read returns, field by field; so does a
 * member who stayed online and applied only the events.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGroup, sendText } from '../../test/chats.js';
import { as, createUser, type TestUser } from '../../test/factories.js';
import {
  DeleteMessageDocument,
  EditMessageDocument,
  FullChangesDocument,
  FullReadDocument,
  OnFullMessageUpdatedDocument,
  OnFullNewMessageDocument,
  PinMessageDocument,
  SetReactionDocument,
  type FullMessageStateFragment,
} from '../../test/generated/graphql.js';
import { LiveSubscription, expectNoErrors, gql, startTestServer, waitForListeners, wsClient, type TestServer } from '../../test/server.js';
import { MessageTopic } from './message.topics.js';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.close();
});

type Copy = Map<string, FullMessageStateFragment>;

async function fullRead(user: TestUser, chatId: string) {
  const data = expectNoErrors(await gql(server, FullReadDocument, { chatId }, as(user)));
  return { rev: data.chat!.rev, pinned: data.chat!.pinnedMessages.map((m) => m.id), messages: data.messages.edges.map((e) => e.node).reverse() };
}

async function changesAfter(user: TestUser, chatId: string, afterRev: number) {
  const changed: FullMessageStateFragment[] = [];
  let rev = afterRev;
  for (;;) {
    const page = expectNoErrors(await gql(server, FullChangesDocument, { chatId, afterRev: rev, first: 10 }, as(user))).messageChanges;
    changed.push(...page.edges.map((edge) => edge.node));
    rev = changed.at(-1)?.rev ?? rev;
    if (!page.pageInfo.hasNextPage) return changed;
  }
}

/** Newer rev wins: what a client does with every event and every catch-up page. */
function apply(copy: Copy, messages: readonly FullMessageStateFragment[]): Copy {
  for (const message of messages) {
    const held = copy.get(message.id);
    if (!held || held.rev < message.rev) copy.set(message.id, message);
  }
  return copy;
}

const bySeq = (copy: Copy) => [...copy.values()].sort((a, b) => a.seq - b.seq);
const ok = <T>(result: Promise<{ data: T | null | undefined; errors?: unknown }>) => result.then((r) => expectNoErrors(r as never) as T);

describe('the change feed', () => {
  it('a member back from offline and a member who stayed online both end with the fresh read, field by field', async () => {
    const [alice, bob, carol, ...others] = await Promise.all(
      Array.from({ length: 11 }, (_, i) => createUser(server, { displayName: ['Alice', 'Bob', 'Carol'][i] ?? `Member ${i}` })),
    );
    const members = [alice!, bob!, carol!, ...others];
    const chatId = await createGroup(server, alice!, [bob!, carol!, ...others], 'Everything changes');
    const sent: { id: string; senderId: string | null; text: string | null }[] = [];
    for (let i = 0; i < 20; i++) sent.push(expectNoErrors(await sendText(server, members[i % 3]!, chatId, `message ${i}`)).sendMessage);

    // Carol's phone holds a copy and goes offline; Bob stays online and listens.
    const carolsCopy = apply(new Map(), (await fullRead(carol!, chatId)).messages);
    const bobsStart = await fullRead(bob!, chatId);
    const bobsCopy = apply(new Map(), bobsStart.messages);
    const socket = wsClient(server, bob!.accessToken);
    try {
      const fresh = new LiveSubscription(socket, OnFullNewMessageDocument, { chatId });
      const updates = new LiveSubscription(socket, OnFullMessageUpdatedDocument, { chatId });
      await waitForListeners(server, MessageTopic.NewMessage, bob!.user.id);
      await waitForListeners(server, MessageTopic.MessageUpdated, bob!.user.id);
      const carolsRev = (await fullRead(carol!, chatId)).rev;

      const byAuthor = (user: TestUser) => sent.filter((m) => m.senderId === user.user.id);
      // 10 edits, by the senders.
      for (let i = 0; i < 10; i++) {
        const message = [...byAuthor(alice!), ...byAuthor(bob!)][i % 10]!;
        const author = members.find((m) => m.user.id === message.senderId)!;
        await ok(gql(server, EditMessageDocument, { messageId: message.id, text: `edit ${i} of ${message.text}` }, as(author)));
      }
      // 20 reaction changes from 10 members: each reacts, then changes their mind.
      const target = sent[5]!;
      const reactors = members.slice(1, 11);
      await Promise.all(reactors.map((m, i) => ok(gql(server, SetReactionDocument, { messageId: target.id, emoji: ['👍', '❤️'][i % 2]! }, as(m)))));
      await Promise.all(reactors.map((m, i) => ok(gql(server, SetReactionDocument, { messageId: target.id, emoji: ['😂', '🎉', '🙏'][i % 3]! }, as(m)))));
      // 2 pins.
      await ok(gql(server, PinMessageDocument, { messageId: sent[1]!.id }, as(alice!)));
      await ok(gql(server, PinMessageDocument, { messageId: sent[2]!.id }, as(alice!)));
      // 10 new messages, some mentioning Carol.
      for (let i = 0; i < 10; i++) await ok(sendText(server, members[i % 4]!, chatId, i % 3 === 0 ? `hey @${carol!.username} ${i}` : `new ${i}`));
      // 5 deletions: 3 for everyone (one of them pinned, one edited), one for me by Carol's other device, one for me by Bob.
      await ok(gql(server, DeleteMessageDocument, { messageId: sent[2]!.id, forEveryone: true }, as(alice!)));
      await ok(gql(server, DeleteMessageDocument, { messageId: byAuthor(bob!)[2]!.id, forEveryone: true }, as(bob!)));
      await ok(gql(server, DeleteMessageDocument, { messageId: sent[9]!.id, forEveryone: true }, as(alice!)));
      await ok(gql(server, DeleteMessageDocument, { messageId: sent[10]!.id, forEveryone: false }, as(carol!)));
      await ok(gql(server, DeleteMessageDocument, { messageId: target.id, forEveryone: false }, as(bob!)));

      // Carol comes back and catches up from the rev she had.
      const carolsNow = await fullRead(carol!, chatId);
      expect(bySeq(apply(carolsCopy, await changesAfter(carol!, chatId, carolsRev)))).toEqual(carolsNow.messages);
      expect(carolsNow.pinned).toEqual([sent[1]!.id]);
      expect(carolsNow.messages.find((m) => m.id === target.id)!.reactions.reduce((sum, g) => sum + g.count, 0)).toBe(10);

      // Bob applied only the events: 10 new messages plus the 2 pin SYSTEM messages; 10 edits, 20 reaction
      // changes, 2 pins, 3 deletions for everyone and his own deletion for him (Carol's is hers alone).
      await fresh.waitFor(12);
      await updates.waitFor(10 + 20 + 2 + 3 + 1);
      const live = [...fresh.events.map((e) => e.newMessage), ...updates.events.map((e) => e.messageUpdated)];
      const bobsNow = await fullRead(bob!, chatId);
      expect(bySeq(apply(bobsCopy, live))).toEqual(bobsNow.messages);
      const revs = updates.events.map((e) => e.messageUpdated.rev);
      expect(revs).toEqual([...revs].sort((a, b) => a - b));
      expect(new Set(revs).size).toBe(revs.length);
      // Two viewers, one message: each sees their own reaction and deletion.
      expect(bobsNow.messages.find((m) => m.id === target.id)).toMatchObject({ deleted: true, reactions: [], myReaction: null });
      expect(carolsNow.messages.find((m) => m.id === target.id)!.myReaction).toBe('🎉');
    } finally {
      await socket.dispose();
    }
  });
});
