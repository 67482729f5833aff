import { beforeAll, describe, expect, it } from 'vitest';
import { createGroup, createPrivateChat, sendText, sent } from '../../test/chats.js';
import { as, type TestUser } from '../../test/factories.js';
import { serverSuite } from '../../test/suite.js';
import {
  DeleteMessageDocument,
  EditMessageDocument,
  MessageChangesDocument,
  MessageStatesDocument,
  OnMessageUpdatedDocument,
  OnNewMessageStateDocument,
  type MessageStateFieldsFragment,
} from '../../test/generated/graphql.js';
import { LiveSubscription, expectErrorCode, expectNoErrors, gql, waitForListeners, type TestServer } from '../../test/server.js';
import { MessageTopic } from './message.topics.js';

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

const edit = (user: TestUser, messageId: string, text: string) => gql(server, EditMessageDocument, { messageId, text }, as(user));
const remove = (user: TestUser, messageId: string, forEveryone: boolean) => gql(server, DeleteMessageDocument, { messageId, forEveryone }, as(user));

/** Moves a message back in time, as if it was sent `seconds` ago. */
async function age(messageId: string, seconds: number) {
  await server.database.prisma.message.update({ where: { id: messageId }, data: { createdAt: new Date(Date.now() - seconds * 1000) } });
}

/** Everything the viewer can read of a chat, in one query: the "fresh full read". */
async function fullRead(user: TestUser, chatId: string) {
  const data = expectNoErrors(await gql(server, MessageStatesDocument, { chatId, first: 100 }, as(user)));
  return { rev: data.chat!.rev, lastMessage: data.chat!.lastMessage, messages: data.messages.edges.map((edge) => edge.node).reverse() };
}

/** All changes after `afterRev`, page by page, as a client catching up does. */
async function changesAfter(user: TestUser, chatId: string, afterRev: number, first = 7) {
  const changed: MessageStateFieldsFragment[] = [];
  let rev = afterRev;
  for (;;) {
    const page = expectNoErrors(await gql(server, MessageChangesDocument, { chatId, afterRev: rev, first }, as(user))).messageChanges;
    changed.push(...page.edges.map((edge) => edge.node));
    rev = changed.at(-1)?.rev ?? rev;
    if (!page.pageInfo.hasNextPage) return changed;
  }
}

/** A client's local copy: messages by id, each replaced by any newer state (by rev). */
function applyTo(copy: Map<string, MessageStateFieldsFragment>, messages: readonly MessageStateFieldsFragment[]) {
  for (const message of messages) {
    const held = copy.get(message.id);
    if (!held || held.rev < message.rev) copy.set(message.id, message);
  }
  return copy;
}

const bySeq = (copy: Map<string, MessageStateFieldsFragment>) => [...copy.values()].sort((a, b) => a.seq - b.seq);

describe('editMessage', () => {
  it('lets the sender edit within the window, keeps the previous texts, and tells every member live', async () => {
    const chatId = await createGroup(server, alice, [bob, carol]);
    const message = await send(alice, chatId, 'helo');
    const updates = new LiveSubscription(connect(bob), OnMessageUpdatedDocument, { chatId });
    await waitForListeners(server, MessageTopic.MessageUpdated, bob.user.id);

    const first = expectNoErrors(await edit(alice, message.id, '  hello ')).editMessage;
    const second = expectNoErrors(await edit(alice, message.id, 'hello, all')).editMessage;
    expect(first).toMatchObject({ id: message.id, text: 'hello', seq: message.seq, deleted: false });
    expect(first.editedAt).not.toBeNull();
    expect(second.rev).toBe(first.rev + 1);
    expect(second.edits.edges.map((edge) => edge.node.text)).toEqual(['hello', 'helo']);

    const events = await updates.waitFor(2);
    expect(events.map((event) => [event.messageUpdated.text, event.messageUpdated.rev])).toEqual([
      ['hello', first.rev],
      ['hello, all', second.rev],
    ]);
    const read = await fullRead(carol, chatId);
    expect(read.lastMessage).toEqual({ id: message.id, text: 'hello, all', deleted: false });
    expect(read.rev).toBe(second.rev);
  });

  it("updates the preview of the offline recipient's notification, then shows the deletion", async () => {
    const chatId = await createPrivateChat(server, alice, carol);
    const message = await send(alice, chatId, 'see you at 5');
    const previewOf = () =>
      server.database.prisma.notification.findFirst({ where: { userId: carol.user.id, coalesceKey: `NEW_MESSAGE:${chatId}` }, select: { body: true } });
    await expect.poll(async () => (await previewOf())?.body).toBe('see you at 5');
    expectNoErrors(await edit(alice, message.id, 'see you at 6'));
    await expect.poll(async () => (await previewOf())?.body).toBe('see you at 6');
    expectNoErrors(await remove(alice, message.id, true));
    await expect.poll(async () => (await previewOf())?.body).toBe('This message was deleted');
  });

  it('refuses others, SYSTEM messages, tombstones and late edits with FORBIDDEN, strangers with NOT_FOUND', async () => {
    const chatId = await createGroup(server, alice, [bob]);
    const message = await send(alice, chatId, 'mine');
    expect(expectErrorCode(await edit(bob, message.id, 'yours'), 'FORBIDDEN').message).toMatch(/sender/);
    expectErrorCode(await edit(stranger, message.id, 'x'), 'NOT_FOUND');
    expectErrorCode(await edit(alice, '00000000-0000-4000-8000-000000000000', 'x'), 'NOT_FOUND');
    expectErrorCode(await edit(alice, 'not-a-uuid', 'x'), 'NOT_FOUND');

    const system = await server.database.prisma.message.findFirstOrThrow({ where: { chatId, kind: 'SYSTEM' } });
    expectErrorCode(await edit(alice, system.id, 'x'), 'FORBIDDEN');

    await age(message.id, 15 * 60 + 1);
    expect(expectErrorCode(await edit(alice, message.id, 'late'), 'FORBIDDEN').message).toMatch(/within 15 minutes/);

    const gone = await send(alice, chatId, 'to delete');
    expectNoErrors(await remove(alice, gone.id, true));
    expect(expectErrorCode(await edit(alice, gone.id, 'back'), 'FORBIDDEN').message).toMatch(/deleted/);
    const unchanged = await server.database.prisma.message.findUniqueOrThrow({ where: { id: message.id } });
    expect(unchanged.text).toBe('mine');
  });

  it('applies the send rules to the new text', async () => {
    const chatId = await createPrivateChat(server, alice, bob);
    const message = await send(alice, chatId, 'ok');
    expectErrorCode(await edit(alice, message.id, '   '), 'BAD_USER_INPUT');
    expectErrorCode(await edit(alice, message.id, 'x'.repeat(65_537)), 'BAD_USER_INPUT');
    expectErrorCode(await edit(alice, message.id, 'bell\u0007'), 'BAD_USER_INPUT');
  });

  it('an unchanged text is no change: no new rev, no edit kept', async () => {
    const chatId = await createPrivateChat(server, alice, bob);
    const message = await send(alice, chatId, 'same');
    const edited = expectNoErrors(await edit(alice, message.id, ' same ')).editMessage;
    expect(edited).toMatchObject({ rev: message.rev, editedAt: null, edits: { edges: [] } });
  });
});

describe('deleteMessage', () => {
  it('for everyone: leaves a tombstone for every member, without text, edits or file', async () => {
    const chatId = await createGroup(server, alice, [bob]);
    const message = await send(alice, chatId, 'oops');
    expectNoErrors(await edit(alice, message.id, 'oops!'));
    const reply = expectNoErrors(await sendText(server, bob, chatId, 'what?', { replyToId: message.id })).sendMessage;
    const updates = new LiveSubscription(connect(bob), OnMessageUpdatedDocument, {});
    await waitForListeners(server, MessageTopic.MessageUpdated, bob.user.id);

    const tombstone = expectNoErrors(await remove(alice, message.id, true)).deleteMessage;
    expect(tombstone).toMatchObject({ id: message.id, deleted: true, text: null, editedAt: null, edits: { edges: [] }, senderId: alice.user.id });
    expect(tombstone.deletedAt).not.toBeNull();
    const [event] = await updates.waitFor(1);
    expect(event!.messageUpdated).toEqual(tombstone);

    const read = await fullRead(bob, chatId);
    expect(read.messages.find((m) => m.id === message.id)).toEqual(tombstone);
    expect(await server.database.prisma.messageEdit.count({ where: { messageId: message.id } })).toBe(0);
    // The reply keeps pointing at the tombstone.
    const replyRow = await server.database.prisma.message.findUniqueOrThrow({ where: { id: reply.id } });
    expect(replyRow.replyToId).toBe(message.id);
    // Deleting again changes nothing.
    expect(expectNoErrors(await remove(alice, message.id, true)).deleteMessage.rev).toBe(tombstone.rev);
  });

  it('for everyone: the sender within 48 hours, a group admin at any time; others FORBIDDEN, strangers NOT_FOUND', async () => {
    const chatId = await createGroup(server, alice, [bob, carol]);
    const bobs = await send(bob, chatId, 'from bob');
    expectErrorCode(await remove(carol, bobs.id, true), 'FORBIDDEN');
    expectErrorCode(await remove(stranger, bobs.id, true), 'NOT_FOUND');
    expectErrorCode(await remove(stranger, bobs.id, false), 'NOT_FOUND');
    await age(bobs.id, 48 * 3600 + 1);
    expect(expectErrorCode(await remove(bob, bobs.id, true), 'FORBIDDEN').message).toMatch(/within 48 hours/);
    // Alice created the group: its admin.
    expect(expectNoErrors(await remove(alice, bobs.id, true)).deleteMessage.deleted).toBe(true);

    const system = await server.database.prisma.message.findFirstOrThrow({ where: { chatId, kind: 'SYSTEM' } });
    expectErrorCode(await remove(alice, system.id, true), 'FORBIDDEN');
  });

  it('in a private chat nobody is admin: only the sender deletes for everyone', async () => {
    const chatId = await createPrivateChat(server, alice, bob);
    const message = await send(alice, chatId, 'private');
    expectErrorCode(await remove(bob, message.id, true), 'FORBIDDEN');
  });

  it('for me: a tombstone in my view only; my other devices learn it, the other members see nothing change', async () => {
    const chatId = await createGroup(server, alice, [bob]);
    const message = await send(alice, chatId, 'keep for bob');
    const bobsPhone = new LiveSubscription(connect(bob), OnMessageUpdatedDocument, {});
    const alices = new LiveSubscription(connect(alice), OnMessageUpdatedDocument, {});
    await waitForListeners(server, MessageTopic.MessageUpdated, bob.user.id);
    await waitForListeners(server, MessageTopic.MessageUpdated, alice.user.id);

    const mine = expectNoErrors(await remove(bob, message.id, false)).deleteMessage;
    expect(mine).toMatchObject({ id: message.id, deleted: true, text: null });
    const [event] = await bobsPhone.waitFor(1);
    expect(event!.messageUpdated).toEqual(mine);

    expect((await fullRead(bob, chatId)).messages.find((m) => m.id === message.id)).toEqual(mine);
    expect((await fullRead(bob, chatId)).lastMessage).toEqual({ id: message.id, text: null, deleted: true });
    const alicesView = (await fullRead(alice, chatId)).messages.find((m) => m.id === message.id);
    expect(alicesView).toMatchObject({ text: 'keep for bob', deleted: false, rev: message.rev });
    expect(await changesAfter(alice, chatId, message.rev)).toEqual([]);

    // A later change to it (Alice edits) reaches Alice, not Bob, who deleted it.
    const edited = expectNoErrors(await edit(alice, message.id, 'edited for all')).editMessage;
    const [aliceEvent] = await alices.waitFor(1);
    expect(aliceEvent!.messageUpdated).toMatchObject({ text: 'edited for all', rev: edited.rev });
    const bobsCatchUp = await changesAfter(bob, chatId, message.rev);
    expect(bobsCatchUp.map((m) => [m.id, m.text, m.deleted])).toEqual([[message.id, null, true]]);
    expect(bobsPhone.events).toHaveLength(1);
  });
});

describe('messageChanges', () => {
  it('gives each changed message once, in its current state, oldest change first, paged by rev', async () => {
    const chatId = await createGroup(server, alice, [bob]);
    const before = await fullRead(bob, chatId);
    const sent = [];
    for (let i = 0; i < 5; i++) sent.push(await send(alice, chatId, `m${i}`));
    expectNoErrors(await edit(alice, sent[1]!.id, 'm1 edited'));
    expectNoErrors(await edit(alice, sent[1]!.id, 'm1 edited twice'));
    expectNoErrors(await remove(alice, sent[3]!.id, true));

    const changed = await changesAfter(bob, chatId, before.rev, 2);
    expect(changed.map((m) => m.text)).toEqual(['m0', 'm2', 'm4', 'm1 edited twice', null]);
    const revs = changed.map((m) => m.rev);
    expect(revs).toEqual([...revs].sort((a, b) => a - b));
    expect(new Set(changed.map((m) => m.id)).size).toBe(5);
    expect(expectNoErrors(await gql(server, MessageChangesDocument, { chatId, afterRev: changed.at(-1)!.rev }, as(bob))).messageChanges.edges).toEqual([]);
  });

  it('refuses strangers (NOT_FOUND) and bad revs (BAD_USER_INPUT)', async () => {
    const chatId = await createPrivateChat(server, alice, bob);
    expectErrorCode(await gql(server, MessageChangesDocument, { chatId, afterRev: 0 }, as(stranger)), 'NOT_FOUND');
    expectErrorCode(await gql(server, MessageChangesDocument, { chatId, afterRev: -1 }, as(alice)), 'BAD_USER_INPUT');
    expectErrorCode(await gql(server, MessageChangesDocument, { chatId, afterRev: 0, first: -5 }, as(alice)), 'BAD_USER_INPUT');
  });

  it('a member offline through edits and deletions, and one online applying only events, both end with the fresh full read', async () => {
    const chatId = await createGroup(server, alice, [bob, carol]);
    for (let i = 0; i < 6; i++) await send(i % 2 ? bob : alice, chatId, `before ${i}`);
    const leftWith = await fullRead(carol, chatId);
    const offlineCopy = applyTo(new Map(), leftWith.messages);

    const onlineCopy = applyTo(new Map(), leftWith.messages);
    const socket = connect(bob);
    const fresh = new LiveSubscription(socket, OnNewMessageStateDocument, { chatId });
    const changes = new LiveSubscription(socket, OnMessageUpdatedDocument, { chatId });
    await waitForListeners(server, MessageTopic.MessageUpdated, bob.user.id);
    await waitForListeners(server, MessageTopic.NewMessage, bob.user.id);

    const ids = leftWith.messages.filter((m) => m.kind === 'TEXT').map((m) => m.id);
    const aliceIds = ids.filter((_, i) => i % 2 === 0);
    for (let i = 0; i < 10; i++) expectNoErrors(await edit(alice, aliceIds[i % aliceIds.length]!, `edit ${i}`));
    const added = [];
    for (let i = 0; i < 10; i++) added.push(await send(i % 2 ? alice : bob, chatId, `after ${i}`));
    expectNoErrors(await remove(alice, aliceIds[0]!, true));
    expectNoErrors(await remove(bob, added[0]!.id, true));
    expectNoErrors(await remove(alice, added[1]!.id, true));
    expectNoErrors(await remove(carol, ids[1]!, false));
    expectNoErrors(await remove(carol, added[2]!.id, false));

    // Carol comes back: catch up from the rev she had.
    const caughtUp = bySeq(applyTo(offlineCopy, await changesAfter(carol, chatId, leftWith.rev)));
    expect(caughtUp).toEqual((await fullRead(carol, chatId)).messages);

    // Bob stayed online: new messages and updates, applied by rev, give the same as reading afresh.
    await fresh.waitFor(10);
    await changes.waitFor(13);
    const live = [...fresh.events.map((e) => e.newMessage), ...changes.events.map((e) => e.messageUpdated)];
    expect(bySeq(applyTo(onlineCopy, live))).toEqual((await fullRead(bob, chatId)).messages);
    const updateRevs = changes.events.map((e) => e.messageUpdated.rev);
    expect(updateRevs).toEqual([...updateRevs].sort((a, b) => a - b));
  });
});
