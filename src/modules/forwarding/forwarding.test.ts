import { stat } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGroup, createPrivateChat, sendText } from '../../test/chats.js';
import { as, createUser, type TestUser } from '../../test/factories.js';
import {
  DeleteFileDocument,
  DeleteMessageDocument,
  FileByIdDocument,
  ForwardMessageDocument,
  OnNewForwardedCopyDocument,
  SendMediaMessageDocument,
  StorageUsedDocument,
} from '../../test/generated/graphql.js';
import { phonePhoto } from '../../test/media-fixtures.js';
import { LiveSubscription, expectErrorCode, expectNoErrors, gql, startTestServer, waitForListeners, type TestServer } from '../../test/server.js';
import { serverSuite } from '../../test/suite.js';
import { gqlUpload, type UploadPart } from '../../test/uploads.js';
import { MessageTopic } from '../messages/index.js';

const suite = serverSuite(['Alice', 'Bob', 'Carol', 'Dave', 'Stranger']);
let server: TestServer;
let uploadDir: string;
let alice: TestUser, bob: TestUser, carol: TestUser, dave: TestUser, stranger: TestUser;
/** Alice and Bob's group (the sources), and Alice's private chats with Carol and with Dave (the targets). */
let group: string;
let withCarol: string;
let withDave: string;

beforeAll(async () => {
  ({
    server,
    users: [alice, bob, carol, dave, stranger],
  } = suite.ready());
  uploadDir = path.join(server.dataDir, 'uploads');
  group = await createGroup(server, alice, [bob]);
  withCarol = await createPrivateChat(server, alice, carol);
  withDave = await createPrivateChat(server, alice, dave);
});
const connect = suite.connect;

async function send(user: TestUser, chatId: string, text: string, extra: { replyToId?: string; clientId?: string } = {}) {
  return expectNoErrors(await sendText(server, user, chatId, text, extra)).sendMessage;
}

const forward = (user: TestUser, messageId: string, toChatIds: string[], clientId?: string) =>
  gql(server, ForwardMessageDocument, { messageId, toChatIds, clientId }, as(user));

async function sendMedia(user: TestUser, chatId: string, file: UploadPart, caption?: string) {
  const result = await gqlUpload(server, SendMediaMessageDocument, { input: { chatId, file: null, caption } }, { 'input.file': file }, as(user));
  const message = expectNoErrors(result).sendMediaMessage;
  return { message, file: message.file! };
}

const note = (text: string): UploadPart => ({ data: Buffer.from(`${text}\n`), name: 'note.txt' });
const messagesIn = (chatIds: string[]) => server.database.prisma.message.count({ where: { chatId: { in: chatIds } } });
const storageUsed = async (user: TestUser) => expectNoErrors(await gql(server, StorageUsedDocument, {}, as(user))).me.storageUsed;
const onDisk = async (key: string) =>
  stat(path.join(uploadDir, key)).then(
    () => true,
    () => false,
  );

describe('forwardMessage', () => {
  it('sends a copy by the forwarder to each chat, in the order asked, without the reply, each to that chat’s members only', async () => {
    const original = await send(bob, group, 'first');
    const source = await send(bob, group, 'worth sharing', { replyToId: original.id });
    const socket = { carol: connect(carol), dave: connect(dave), bob: connect(bob) };
    const live = {
      carol: new LiveSubscription(socket.carol, OnNewForwardedCopyDocument),
      dave: new LiveSubscription(socket.dave, OnNewForwardedCopyDocument),
      bob: new LiveSubscription(socket.bob, OnNewForwardedCopyDocument),
    };
    for (const user of [carol, dave, bob]) await waitForListeners(server, MessageTopic.NewMessage, user.user.id);

    const copies = expectNoErrors(await forward(alice, source.id, [withDave, withCarol])).forwardMessage;
    expect(copies.map((copy) => copy.chatId)).toEqual([withDave, withCarol]);
    for (const copy of copies) {
      expect(copy).toMatchObject({ senderId: alice.user.id, kind: 'TEXT', text: 'worth sharing', forwarded: true, forwardCount: 1, replyTo: null, file: null });
      expect(copy.id).not.toBe(source.id);
      expect(copy.chat).toEqual({ id: copy.chatId, lastSeq: copy.seq });
    }

    // Each chat's members get its copy and nothing else: a message sent after it is the next thing they see.
    const [toDave, toCarol] = copies as [(typeof copies)[number], (typeof copies)[number]];
    // The event renders Chat.lastSeq when it is delivered: compare it before anything else is sent to that chat.
    await Promise.all([live.carol.waitFor(1), live.dave.waitFor(1)]);
    expect(live.carol.events[0]!.newMessage).toEqual(toCarol);
    const nextForCarol = await send(alice, withCarol, 'after the copy');
    const nextForDave = await send(alice, withDave, 'after the copy');
    const nextForBob = await send(alice, group, 'meanwhile');
    expect((await live.carol.waitFor(2)).map((event) => event.newMessage.id)).toEqual([toCarol.id, nextForCarol.id]);
    expect((await live.dave.waitFor(2)).map((event) => event.newMessage.id)).toEqual([toDave.id, nextForDave.id]);
    expect((await live.bob.waitFor(1)).map((event) => event.newMessage.id)).toEqual([nextForBob.id]);
  });

  it('counts the hops: forwarding a forward gives forwardCount 2', async () => {
    const source = await send(bob, group, 'chain letter');
    const [copy] = expectNoErrors(await forward(alice, source.id, [withCarol])).forwardMessage;
    const carolsGroup = await createGroup(server, carol, [dave]);
    const [again] = expectNoErrors(await forward(carol, copy!.id, [carolsGroup])).forwardMessage;
    expect(again).toMatchObject({ senderId: carol.user.id, text: 'chain letter', forwarded: true, forwardCount: 2 });
  });

  it('forwards media: each copy gets a File row of its own, over the same bytes, seen by the copy’s chat', async () => {
    const { message, file } = await sendMedia(bob, group, { data: await phonePhoto('png', 120, 80), name: 'photo.png' }, 'look');
    const usedBefore = await storageUsed(alice);
    const copies = expectNoErrors(await forward(alice, message.id, [withCarol, withDave])).forwardMessage;
    const source = await server.database.prisma.file.findUniqueOrThrow({ where: { id: file.id } });
    expect(source.thumbnailKey).not.toBeNull();
    for (const [copy, chatId] of [
      [copies[0]!, withCarol],
      [copies[1]!, withDave],
    ] as const) {
      expect(copy).toMatchObject({ kind: 'IMAGE', text: 'look', forwardCount: 1 });
      expect(copy.file).toMatchObject({ kind: 'IMAGE', mimeType: file.mimeType, size: file.size, originalName: 'photo.png' });
      expect(copy.file!.id).not.toBe(file.id);
      const row = await server.database.prisma.file.findUniqueOrThrow({ where: { id: copy.file!.id } });
      expect(row).toMatchObject({
        chatId,
        ownerId: alice.user.id,
        storageKey: source.storageKey,
        thumbnailKey: source.thumbnailKey,
        checksum: source.checksum,
        size: source.size,
        thumbnailSize: source.thumbnailSize,
      });
    }
    const [original, copied] = await Promise.all([fetch(file.url), fetch(copies[0]!.file!.url)]);
    expect(copied.status).toBe(200);
    expect(Buffer.from(await copied.arrayBuffer())).toEqual(Buffer.from(await original.arrayBuffer()));
    // Access follows each copy's chat: Carol sees her copy's file, not the original's (she is not in the group).
    expect(expectNoErrors(await gql(server, FileByIdDocument, { id: copies[0]!.file!.id }, as(carol))).file!.id).toBe(copies[0]!.file!.id);
    expectErrorCode(await gql(server, FileByIdDocument, { id: file.id }, as(carol)), 'NOT_FOUND');
    expectErrorCode(await gql(server, FileByIdDocument, { id: copies[1]!.file!.id }, as(carol)), 'NOT_FOUND');
    // No byte was stored again: the forwarder's storage is what it was.
    expect(await storageUsed(alice)).toBe(usedBefore);
  });

  it('the bytes outlive the original while a copy names them, and go with the last row', async () => {
    const { message, file } = await sendMedia(bob, group, note('shared bytes'));
    const [copy] = expectNoErrors(await forward(alice, message.id, [withCarol])).forwardMessage;
    const { storageKey } = await server.database.prisma.file.findUniqueOrThrow({ where: { id: file.id } });
    const aliceBefore = await storageUsed(alice);

    expect(expectNoErrors(await gql(server, DeleteFileDocument, { id: file.id }, as(bob))).deleteFile).toBe(true);
    expect((await fetch(file.url)).status).toBe(404);
    const download = await fetch(copy!.file!.url);
    expect(download.status).toBe(200);
    expect(await download.text()).toBe('shared bytes\n');
    expect(await onDisk(storageKey)).toBe(true);
    // The copy is the only row left naming the bytes: they count for its owner now.
    expect(await storageUsed(alice)).toBe(aliceBefore! + file.size);

    expect(expectNoErrors(await gql(server, DeleteFileDocument, { id: copy!.file!.id }, as(alice))).deleteFile).toBe(true);
    expect(await onDisk(storageKey)).toBe(false);
    expect((await fetch(copy!.file!.url)).status).toBe(404);
  });

  it('a deletion racing a forward never leaves a copy without its bytes', async () => {
    // The deletion starts a little later each round, so that some rounds it wins and others the forward does.
    for (let round = 0; round < 12; round++) {
      const { message, file } = await sendMedia(bob, group, note(`race ${round}`));
      const later = new Promise((resolve) => setTimeout(resolve, round * 2));
      const [forwarded, deleted] = await Promise.all([
        forward(alice, message.id, [withCarol, withDave]),
        later.then(() => gql(server, DeleteFileDocument, { id: file.id }, as(bob))),
      ]);
      expectNoErrors(deleted);
      if (forwarded.errors) {
        expect(expectErrorCode(forwarded, 'FORBIDDEN').message).toMatch(/file of this message was deleted/);
        continue;
      }
      for (const copy of forwarded.data!.forwardMessage) {
        const download = await fetch(copy.file!.url);
        expect(download.status).toBe(200);
        expect(await download.text()).toBe(`race ${round}\n`);
      }
    }
  });

  it('refuses 0, more than 5 and repeated targets (BAD_USER_INPUT)', async () => {
    const source = await send(bob, group, 'to whom?');
    const others = await Promise.all(Array.from({ length: 5 }, () => createUser(server)));
    const chats = [withCarol];
    for (const other of others) chats.push(await createPrivateChat(server, alice, other));
    const before = await messagesIn(chats);
    expect(expectErrorCode(await forward(alice, source.id, []), 'BAD_USER_INPUT').extensions?.['field']).toBe('toChatIds');
    expect(expectErrorCode(await forward(alice, source.id, chats), 'BAD_USER_INPUT').message).toMatch(/1 to 5/);
    expect(expectErrorCode(await forward(alice, source.id, [withCarol, withCarol]), 'BAD_USER_INPUT').message).toMatch(/twice/);
    expectErrorCode(await forward(alice, source.id, [withCarol, withCarol.toUpperCase()]), 'BAD_USER_INPUT');
    expect(await messagesIn(chats)).toBe(before);
    expect(expectNoErrors(await forward(alice, source.id, chats.slice(0, 5))).forwardMessage).toHaveLength(5);
  });

  it('all or nothing: a target I am not in is NOT_FOUND and nothing is sent anywhere', async () => {
    const source = await send(bob, group, 'not for strangers');
    const theirs = await createPrivateChat(server, carol, dave);
    const before = await messagesIn([withCarol, withDave, theirs]);
    expectErrorCode(await forward(alice, source.id, [withCarol, withDave, theirs]), 'NOT_FOUND');
    expectErrorCode(await forward(alice, source.id, [withCarol, '00000000-0000-4000-8000-000000000000']), 'NOT_FOUND');
    expectErrorCode(await forward(alice, source.id, [withCarol, 'not-a-uuid']), 'NOT_FOUND');
    expect(await messagesIn([withCarol, withDave, theirs])).toBe(before);
  });

  it('refuses deleted and SYSTEM messages (FORBIDDEN); strangers to the source get NOT_FOUND', async () => {
    const forEveryone = await send(bob, group, 'gone for all');
    expectNoErrors(await gql(server, DeleteMessageDocument, { messageId: forEveryone.id, forEveryone: true }, as(bob)));
    expect(expectErrorCode(await forward(alice, forEveryone.id, [withCarol]), 'FORBIDDEN').message).toMatch(/deleted/);

    const forMe = await send(bob, group, 'gone for alice');
    expectNoErrors(await gql(server, DeleteMessageDocument, { messageId: forMe.id, forEveryone: false }, as(alice)));
    expect(expectErrorCode(await forward(alice, forMe.id, [withCarol]), 'FORBIDDEN').message).toMatch(/deleted/);
    // Bob did not delete it: he may forward it to a chat of his.
    const bobAndCarol = await createPrivateChat(server, bob, carol);
    expectNoErrors(await forward(bob, forMe.id, [bobAndCarol]));

    const system = await server.database.prisma.message.findFirstOrThrow({ where: { chatId: group, kind: 'SYSTEM' } });
    expect(expectErrorCode(await forward(alice, system.id, [withCarol]), 'FORBIDDEN').message).toMatch(/SYSTEM/);

    const source = await send(bob, group, 'members only');
    const strangersChat = await createPrivateChat(server, stranger, carol);
    expectErrorCode(await forward(stranger, source.id, [strangersChat]), 'NOT_FOUND');
    expectErrorCode(await forward(alice, 'not-a-uuid', [withCarol]), 'NOT_FOUND');
    expect(await messagesIn([strangersChat])).toBe(0);
  });

  it('deleting a media message for everyone removes its File row, and its bytes once no forwarded copy names them', async () => {
    const { message, file } = await sendMedia(bob, group, note('bytes to delete'), 'caption');
    const row = await server.database.prisma.file.findUniqueOrThrow({ where: { id: file.id } });
    const [copy] = expectNoErrors(await forward(alice, message.id, [withCarol])).forwardMessage;
    const tombstone = expectNoErrors(await gql(server, DeleteMessageDocument, { messageId: message.id, forEveryone: true }, as(bob))).deleteMessage;
    expect(tombstone).toMatchObject({ deleted: true, text: null });
    expect(await server.database.prisma.file.findUnique({ where: { id: file.id } })).toBeNull();
    expect(await onDisk(row.storageKey)).toBe(true); // Carol's copy still names them
    expectNoErrors(await gql(server, DeleteMessageDocument, { messageId: copy!.id, forEveryone: true }, as(alice)));
    await expect.poll(() => onDisk(row.storageKey)).toBe(false);
  });

  it('one clientId makes the whole forward idempotent, concurrent retries included', async () => {
    const source = await send(bob, group, 'once only');
    const other = await send(bob, group, 'another');
    const source2 = () => other.id;
    const before = await messagesIn([withCarol, withDave]);
    const attempts = await Promise.all([1, 2, 3].map(() => forward(alice, source.id, [withDave, withCarol], 'forward-1')));
    const [first, ...retries] = attempts.map((attempt) => expectNoErrors(attempt).forwardMessage);
    expect(first!.map((copy) => copy.chatId)).toEqual([withDave, withCarol]);
    for (const retry of retries) expect(retry).toEqual(first);
    expect(await messagesIn([withCarol, withDave])).toBe(before + 2);

    // Later, even after the source is gone: the same copies.
    expectNoErrors(await gql(server, DeleteMessageDocument, { messageId: source.id, forEveryone: true }, as(bob)));
    expect(expectNoErrors(await forward(alice, source.id, [withDave, withCarol], 'forward-1')).forwardMessage).toEqual(first);
    // The same key for other chats is not a retry.
    expect(expectErrorCode(await forward(alice, source.id, [withCarol, withDave], 'forward-1'), 'CONFLICT').extensions?.['field']).toBe('clientId');
    expectErrorCode(await forward(alice, source.id, [withDave], 'forward-1'), 'CONFLICT');
    // Two at once with one key and other chats each: one is sent, the other is not a retry of it.
    const racing = await Promise.all([forward(alice, source2(), [withCarol], 'forward-2'), forward(alice, source2(), [withDave], 'forward-2')]);
    expect(racing.map((result) => (result.errors ? result.errors[0]!.extensions?.['code'] : 'OK')).sort()).toEqual(['CONFLICT', 'OK']);
    // A forward's key and a sendMessage's key do not collide.
    expect(await send(alice, withCarol, 'own message', { clientId: 'forward-1' })).toMatchObject({ clientId: 'forward-1', text: 'own message' });
    expect(await messagesIn([withCarol, withDave])).toBe(before + 4);
  });
});

describe('forwardMessage and the message budget', () => {
  let limited: TestServer;
  afterAll(async () => {
    await limited?.close();
  });

  it('costs one message per copy, all or nothing; a retry costs nothing', async () => {
    limited = await startTestServer({ RATE_LIMIT_MESSAGES: '5/3600' });
    const [a, b, c] = await Promise.all([createUser(limited), createUser(limited), createUser(limited)]);
    const ab = await createPrivateChat(limited, a, b);
    const ac = await createPrivateChat(limited, a, c);
    const source = expectNoErrors(await sendText(limited, b, ab, 'spread it')).sendMessage;
    const call = (toChatIds: string[], clientId?: string) => gql(limited, ForwardMessageDocument, { messageId: source.id, toChatIds, clientId }, as(a));

    expectNoErrors(await call([ab, ac], 'budget-1')); // 2 of 5
    expectNoErrors(await call([ab, ac], 'budget-1')); // a retry: still 2
    expectNoErrors(await call([ab, ac])); // 4 of 5
    const refused = expectErrorCode(await call([ab, ac]), 'RATE_LIMITED');
    expect(refused.extensions?.['policy']).toBe('MESSAGES');
    expect(await limited.database.prisma.message.count({ where: { senderId: a.user.id } })).toBe(4);
    // The refusal took nothing: one message still fits.
    expectNoErrors(await sendText(limited, a, ab, 'the last one'));
    expectErrorCode(await sendText(limited, a, ab, 'one too many'), 'RATE_LIMITED');
  });
});
