import { stat } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGroup, createPrivateChat, sendText, sent } from '../../test/chats.js';
import { as, createUser, type TestUser } from '../../test/factories.js';
import {
  AddGroupMembersDocument,
  CreateGroupChatDocument,
  DemoteGroupAdminDocument,
  FileByIdDocument,
  ForwardMessageDocument,
  GroupByIdDocument,
  GroupChangesDocument,
  OnGroupUpdatedDocument,
  PinMessageDocument,
  PromoteGroupAdminDocument,
  RemoveGroupAvatarDocument,
  RemoveGroupMemberDocument,
  SendMediaMessageDocument,
  SetReactionDocument,
  UnpinMessageDocument,
  UpdateGroupDocument,
  UpdateGroupSettingsDocument,
  UploadGroupAvatarDocument,
  type GroupSettingsInput,
} from '../../test/generated/graphql.js';
import { SECRET_EXIF, animatedGif, elfExecutable, minimalPdf, phonePhoto } from '../../test/media-fixtures.js';
import { LiveSubscription, expectErrorCode, expectNoErrors, gql, startTestServer, waitForListeners, type TestServer } from '../../test/server.js';
import { serverSuite } from '../../test/suite.js';
import { gqlUpload, listFiles, type UploadPart } from '../../test/uploads.js';
import { ChatTopic } from './chat.topics.js';

const suite = serverSuite(['Alice', 'Bob', 'Carol', 'Stranger']);
let server: TestServer;
let uploadDir: string;
let alice: TestUser, bob: TestUser, carol: TestUser, stranger: TestUser;
beforeAll(() => {
  ({
    server,
    users: [alice, bob, carol, stranger],
  } = suite.ready());
  uploadDir = path.join(server.dataDir, 'uploads');
});

const settings = (user: TestUser, chatId: string, input: GroupSettingsInput) => gql(server, UpdateGroupSettingsDocument, { chatId, input }, as(user));
const group = async (user: TestUser, chatId: string) => expectNoErrors(await gql(server, GroupByIdDocument, { id: chatId }, as(user))).chat!;
const systemTexts = async (chatId: string) =>
  (await server.database.prisma.message.findMany({ where: { chatId, kind: 'SYSTEM' }, orderBy: { seq: 'asc' } })).map((m) => m.text);
const mediaTo = (user: TestUser, chatId: string, file: UploadPart) =>
  gqlUpload(server, SendMediaMessageDocument, { input: { chatId, file: null } }, { 'input.file': file }, as(user));
const uploadPhoto = (user: TestUser, chatId: string, file: UploadPart) =>
  gqlUpload(server, UploadGroupAvatarDocument, { chatId, file: null }, { file }, as(user));
const pin = (user: TestUser, messageId: string) => gql(server, PinMessageDocument, { messageId }, as(user));
const promote = (by: TestUser, chatId: string, user: TestUser) => gql(server, PromoteGroupAdminDocument, { chatId, userId: user.user.id }, as(by));
const demote = (by: TestUser, chatId: string, user: TestUser) => gql(server, DemoteGroupAdminDocument, { chatId, userId: user.user.id }, as(by));
const admins = (chat: { members: { isAdmin: boolean; user: { id: string } }[] }) =>
  chat.members
    .filter((m) => m.isAdmin)
    .map((m) => m.user.id)
    .sort();

async function storedKeys(fileId: string): Promise<string[]> {
  const row = await server.database.prisma.file.findUniqueOrThrow({ where: { id: fileId } });
  return [row.storageKey, ...(row.thumbnailKey ? [row.thumbnailKey] : [])];
}
async function expectBytesGone(keys: string[]): Promise<void> {
  for (const key of keys) await expect(stat(path.join(uploadDir, key))).rejects.toMatchObject({ code: 'ENOENT' });
}

describe('onlyAdminsCanSend (announcement groups)', () => {
  it("refuses a plain member's text, media and forwards (FORBIDDEN, nothing stored), takes the admins', and still takes reactions", async () => {
    const chatId = await createGroup(server, alice, [bob, carol]);
    const bobsGroup = await createGroup(server, bob, [carol]);
    const toForward = await sent(server, bob, bobsGroup, 'worth sharing');
    const announced = expectNoErrors(await settings(alice, chatId, { onlyAdminsCanSend: true })).updateGroupSettings;
    expect(announced).toMatchObject({ onlyAdminsCanSend: true, onlyAdminsCanEditInfo: true });
    expect(announced.lastMessage).toMatchObject({ kind: 'SYSTEM', text: 'Alice allowed only admins to send messages' });

    expect(expectErrorCode(await sendText(server, bob, chatId, 'may I?'), 'FORBIDDEN').message).toBe('Only admins can send messages to this group');
    const before = await listFiles(uploadDir);
    expectErrorCode(await mediaTo(bob, chatId, { data: await phonePhoto('jpeg', 300, 200), name: 'me.jpg' }), 'FORBIDDEN');
    expect(await listFiles(uploadDir)).toEqual(before);
    expectErrorCode(await gql(server, ForwardMessageDocument, { messageId: toForward.id, toChatIds: [chatId] }, as(bob)), 'FORBIDDEN');
    // All or nothing: the copy to the chat Bob may write to is not sent either.
    expectErrorCode(await gql(server, ForwardMessageDocument, { messageId: toForward.id, toChatIds: [bobsGroup, chatId] }, as(bob)), 'FORBIDDEN');
    expect(await server.database.prisma.message.count({ where: { chatId: { in: [chatId, bobsGroup] }, senderId: bob.user.id } })).toBe(1);

    const news = await sent(server, alice, chatId, 'the news');
    expectNoErrors(await mediaTo(alice, chatId, { data: await phonePhoto('png', 64, 64), name: 'news.png' }));
    // Carol, a plain member of both, may not forward into it either; Alice, its admin, may.
    expectErrorCode(await gql(server, ForwardMessageDocument, { messageId: toForward.id, toChatIds: [chatId] }, as(carol)), 'FORBIDDEN');
    const elsewhere = await sent(server, carol, await createPrivateChat(server, alice, carol), 'from elsewhere');
    const [copy] = expectNoErrors(await gql(server, ForwardMessageDocument, { messageId: elsewhere.id, toChatIds: [chatId] }, as(alice))).forwardMessage;
    expect(copy).toMatchObject({ chatId, forwarded: true, text: 'from elsewhere' });
    expect(expectNoErrors(await gql(server, SetReactionDocument, { messageId: news.id, emoji: '👍' }, as(bob))).setReaction.myReaction).toBe('👍');

    // Checked under the chat's lock in the append function itself: a flag set behind the services' back holds too.
    expectNoErrors(await settings(alice, chatId, { onlyAdminsCanSend: false }));
    await sent(server, bob, chatId, 'now I may');
    await server.database.prisma.chat.update({ where: { id: chatId }, data: { onlyAdminsCanSend: true } });
    expectErrorCode(await sendText(server, bob, chatId, 'and now?'), 'FORBIDDEN');
    expectErrorCode(await settings(bob, chatId, { onlyAdminsCanSend: false }), 'FORBIDDEN');
    expect(await systemTexts(chatId)).toEqual([
      'Alice created the group "Group" with Bob and Carol',
      'Alice allowed only admins to send messages',
      'Alice allowed all members to send messages',
    ]);
  });

  it("a member made admin may send; an admin made member may not; SYSTEM messages are the group's own", async () => {
    const chatId = await createGroup(server, alice, [bob]);
    expectNoErrors(await settings(alice, chatId, { onlyAdminsCanSend: true }));
    expectNoErrors(await promote(alice, chatId, bob));
    await sent(server, bob, chatId, 'admin now');
    expectNoErrors(await demote(bob, chatId, alice));
    expectErrorCode(await sendText(server, alice, chatId, 'me too?'), 'FORBIDDEN');
    // The demotion's SYSTEM message went out though only admins send.
    expect((await group(alice, chatId)).lastMessage).toMatchObject({ kind: 'SYSTEM', text: 'Bob removed Alice as an admin' });
  });
});

describe('onlyAdminsCanEditInfo', () => {
  it('true (the default) refuses plain members title, description, photo and pins with FORBIDDEN; false lets them, but never the flags', async () => {
    const chatId = await createGroup(server, alice, [bob]);
    const message = await sent(server, alice, chatId, 'pin this');
    expectErrorCode(await gql(server, UpdateGroupDocument, { chatId, title: 'Mine' }, as(bob)), 'FORBIDDEN');
    expect(expectErrorCode(await settings(bob, chatId, { description: 'mine' }), 'FORBIDDEN').message).toMatch(/Only group admins/);
    expectErrorCode(await uploadPhoto(bob, chatId, { data: await phonePhoto('jpeg', 200, 200), name: 'g.jpg' }), 'FORBIDDEN');
    expectErrorCode(await gql(server, RemoveGroupAvatarDocument, { chatId }, as(bob)), 'FORBIDDEN');
    expectErrorCode(await pin(bob, message.id), 'FORBIDDEN');

    const open = expectNoErrors(await settings(alice, chatId, { onlyAdminsCanEditInfo: false })).updateGroupSettings;
    expect(open.onlyAdminsCanEditInfo).toBe(false);
    expect(expectNoErrors(await gql(server, UpdateGroupDocument, { chatId, title: 'Bob named it' }, as(bob))).updateGroup.title).toBe('Bob named it');
    expect(expectNoErrors(await settings(bob, chatId, { description: 'Bob describes it' })).updateGroupSettings.description).toBe('Bob describes it');
    expect(expectNoErrors(await pin(bob, message.id)).pinMessage.id).toBe(chatId);
    expectNoErrors(await gql(server, UnpinMessageDocument, { messageId: message.id }, as(bob)));
    expect(expectNoErrors(await uploadPhoto(bob, chatId, { data: await phonePhoto('jpeg', 200, 200), name: 'g.jpg' })).uploadGroupAvatar.avatar).not.toBeNull();
    for (const flags of [{ onlyAdminsCanSend: true }, { onlyAdminsCanEditInfo: true }, { description: 'sneaky', onlyAdminsCanEditInfo: false }]) {
      expect(expectErrorCode(await settings(bob, chatId, flags), 'FORBIDDEN').message).toMatch(/who may send messages or edit the group info/);
    }
    expect((await group(bob, chatId)).description).toBe('Bob describes it');

    expectNoErrors(await settings(alice, chatId, { onlyAdminsCanEditInfo: true }));
    expectErrorCode(await gql(server, UpdateGroupDocument, { chatId, title: 'Again' }, as(bob)), 'FORBIDDEN');
    expectErrorCode(await pin(bob, message.id), 'FORBIDDEN');
    expect(await systemTexts(chatId)).toEqual([
      'Alice created the group "Group" with Bob',
      'Alice allowed all members to edit the group info',
      'Bob renamed the group to "Bob named it"',
      'Bob changed the group description',
      'Bob pinned a message',
      'Bob changed the group photo',
      'Alice allowed only admins to edit the group info',
    ]);
  });

  it('strangers get NOT_FOUND, private chats BAD_USER_INPUT, for every group operation', async () => {
    const chatId = await createGroup(server, alice, [bob]);
    const photo: UploadPart = { data: await phonePhoto('jpeg', 100, 100), name: 'g.jpg' };
    expectErrorCode(await settings(stranger, chatId, { description: 'x' }), 'NOT_FOUND');
    expectErrorCode(await uploadPhoto(stranger, chatId, photo), 'NOT_FOUND');
    expectErrorCode(await gql(server, RemoveGroupAvatarDocument, { chatId }, as(stranger)), 'NOT_FOUND');
    expectErrorCode(await promote(stranger, chatId, stranger), 'NOT_FOUND');
    expectErrorCode(await demote(stranger, chatId, alice), 'NOT_FOUND');
    for (const id of ['not-an-id', "' OR 1=1 --"]) {
      expectErrorCode(await settings(alice, id, { description: 'x' }), 'NOT_FOUND');
      expectErrorCode(await gql(server, RemoveGroupAvatarDocument, { chatId: id }, as(alice)), 'NOT_FOUND');
      expectErrorCode(await gql(server, PromoteGroupAdminDocument, { chatId: id, userId: bob.user.id }, as(alice)), 'NOT_FOUND');
    }

    const pair = await createPrivateChat(server, alice, carol);
    expectErrorCode(await settings(alice, pair, { description: 'x' }), 'BAD_USER_INPUT');
    expectErrorCode(await settings(alice, pair, { onlyAdminsCanSend: true }), 'BAD_USER_INPUT');
    expectErrorCode(await uploadPhoto(alice, pair, photo), 'BAD_USER_INPUT');
    expectErrorCode(await gql(server, RemoveGroupAvatarDocument, { chatId: pair }, as(alice)), 'BAD_USER_INPUT');
    expectErrorCode(await promote(alice, pair, carol), 'BAD_USER_INPUT');
    expectErrorCode(await demote(alice, pair, carol), 'BAD_USER_INPUT');
    expect(await server.database.prisma.chat.findUniqueOrThrow({ where: { id: pair } })).toMatchObject({ description: null, onlyAdminsCanSend: false });
  });
});

describe('updateGroupSettings: title and description', () => {
  it('takes up to 512 characters, trimmed, newlines allowed; refuses more and control characters; blank removes it', async () => {
    const chatId = await createGroup(server, alice, [bob]);
    const longest = '🙂'.repeat(512);
    expect(expectNoErrors(await settings(alice, chatId, { description: longest })).updateGroupSettings.description).toBe(longest);
    expect(expectErrorCode(await settings(alice, chatId, { description: 'x'.repeat(513) }), 'BAD_USER_INPUT').message).toMatch(/at most 512/);
    expectErrorCode(await settings(alice, chatId, { description: 'bell \u0007' }), 'BAD_USER_INPUT');
    expectErrorCode(await settings(alice, chatId, { title: 'x'.repeat(101) }), 'BAD_USER_INPUT');
    expectErrorCode(await settings(alice, chatId, { title: '   ' }), 'BAD_USER_INPUT');
    const described = expectNoErrors(await settings(alice, chatId, { description: '  Rules:\n1. be kind  ' })).updateGroupSettings;
    expect(described.description).toBe('Rules:\n1. be kind');

    // The same values again change nothing: no SYSTEM message, no new rev.
    const same = expectNoErrors(await settings(alice, chatId, { description: 'Rules:\n1. be kind', title: 'Group' })).updateGroupSettings;
    expect(same.rev).toBe(described.rev);
    expect(expectNoErrors(await settings(alice, chatId, {})).updateGroupSettings.rev).toBe(described.rev);

    expect(expectNoErrors(await settings(alice, chatId, { description: '   ' })).updateGroupSettings.description).toBeNull();
    expect(await systemTexts(chatId)).toEqual([
      'Alice created the group "Group" with Bob',
      'Alice changed the group description',
      'Alice changed the group description',
      'Alice removed the group description',
    ]);
    expect((await group(bob, chatId)).description).toBeNull();
  });
});

describe('SYSTEM messages, chatUpdated and the account feed', () => {
  it('every member hears of each change live; the account feed lists the chat; pins tell members too', async () => {
    const [owner, member, other] = await Promise.all([createUser(server, { displayName: 'Olga' }), createUser(server), createUser(server)]);
    const chatId = await createGroup(server, owner, [member, other]);
    const message = await sent(server, member, chatId, 'a rule');
    const { nextToken } = expectNoErrors(await gql(server, GroupChangesDocument, { since: null }, as(member))).chatChanges;
    const memberEvents = new LiveSubscription(suite.connect(member), OnGroupUpdatedDocument, {});
    const otherEvents = new LiveSubscription(suite.connect(other), OnGroupUpdatedDocument, { chatId });
    const ownerEvents = new LiveSubscription(suite.connect(owner), OnGroupUpdatedDocument, { chatId });
    for (const user of [owner, member, other]) await waitForListeners(server, ChatTopic.ChatUpdated, user.user.id);

    const changed = expectNoErrors(
      await settings(owner, chatId, { title: 'Club', description: 'About us', onlyAdminsCanSend: true, onlyAdminsCanEditInfo: false }),
    ).updateGroupSettings;
    expect(changed).toMatchObject({ title: 'Club', description: 'About us', onlyAdminsCanSend: true, onlyAdminsCanEditInfo: false });
    for (const events of [memberEvents, otherEvents, ownerEvents]) {
      const [event] = await events.waitFor(1);
      // One event for the whole change, after its commit: the chat as it is now.
      expect(event!.chatUpdated).toMatchObject({ id: chatId, title: 'Club', description: 'About us', onlyAdminsCanSend: true, rev: changed.rev });
    }
    expect(await systemTexts(chatId)).toEqual([
      `Olga created the group "Group" with ${member.user.displayName} and ${other.user.displayName}`,
      'Olga renamed the group to "Club"',
      'Olga changed the group description',
      'Olga allowed only admins to send messages',
      'Olga allowed all members to edit the group info',
    ]);
    const feed = expectNoErrors(await gql(server, GroupChangesDocument, { since: nextToken }, as(member))).chatChanges;
    expect(feed.chats).toContainEqual({ id: chatId, description: 'About us', onlyAdminsCanSend: true });
    // A rename through updateGroupSettings notifies like updateGroup.
    await expect.poll(() => server.database.prisma.notification.count({ where: { userId: other.user.id, type: 'GROUP_RENAMED', title: 'Club' } })).toBe(1);

    expectNoErrors(await promote(owner, chatId, member));
    const [, promoted] = await otherEvents.waitFor(2);
    expect(admins(promoted!.chatUpdated)).toEqual([owner.user.id, member.user.id].sort());

    expectNoErrors(await pin(other, message.id));
    const [, , pinned] = await otherEvents.waitFor(3);
    expect(pinned!.chatUpdated.pinnedMessages).toEqual([{ id: message.id }]);
    expectNoErrors(await gql(server, UnpinMessageDocument, { messageId: message.id }, as(member)));
    const [, , , unpinned] = await otherEvents.waitFor(4);
    expect(unpinned!.chatUpdated.pinnedMessages).toEqual([]);
    await memberEvents.waitFor(4);
    expect(memberEvents.events.map((e) => e.chatUpdated.id)).toEqual([chatId, chatId, chatId, chatId]);
    expect(memberEvents.errors).toEqual([]);
  });
});

describe('uploadGroupAvatar and removeGroupAvatar', () => {
  it('stores a real image as a square webp without EXIF, shown to members only; replacing and removing it delete the old bytes', async () => {
    const chatId = await createGroup(server, alice, [bob]);
    const photo = await phonePhoto('jpeg', 900, 600);
    const uploaded = expectNoErrors(await uploadPhoto(alice, chatId, { data: photo, name: 'club.jpg' })).uploadGroupAvatar;
    const avatar = uploaded.avatar!;
    expect(avatar).toMatchObject({ kind: 'IMAGE', mimeType: 'image/webp', width: 512, height: 512 });
    expect(uploaded.lastMessage).toMatchObject({ kind: 'SYSTEM', text: 'Alice changed the group photo' });

    const seen = (await group(bob, chatId)).avatar!;
    expect(seen.id).toBe(avatar.id);
    const bytes = Buffer.from(await (await fetch(seen.url)).arrayBuffer());
    const meta = await sharp(bytes).metadata();
    expect(meta).toMatchObject({ format: 'webp', width: 512, height: 512 });
    expect(meta.exif).toBeUndefined();
    expect(bytes.includes(SECRET_EXIF.make)).toBe(false);
    expect(await sharp(Buffer.from(await (await fetch(seen.thumbnailUrl!)).arrayBuffer())).metadata()).toMatchObject({ width: 128, height: 128 });
    expect(expectNoErrors(await gql(server, FileByIdDocument, { id: avatar.id }, as(bob))).file!.id).toBe(avatar.id);
    expectErrorCode(await gql(server, FileByIdDocument, { id: avatar.id }, as(stranger)), 'NOT_FOUND');

    // Bytes that are not an image are refused, whatever they are called, and nothing is kept.
    const before = await listFiles(uploadDir);
    for (const fake of [
      { data: minimalPdf(), name: 'photo.png' },
      { data: elfExecutable(), name: 'photo.jpg' },
    ]) {
      expectErrorCode(await uploadPhoto(alice, chatId, fake), 'UNSUPPORTED_MEDIA_TYPE');
    }
    expect(await listFiles(uploadDir)).toEqual(before);
    expect((await group(bob, chatId)).avatar!.id).toBe(avatar.id);

    const firstKeys = await storedKeys(avatar.id);
    const replaced = expectNoErrors(await uploadPhoto(alice, chatId, { data: await animatedGif(3, 200, 100), name: 'anim.gif' })).uploadGroupAvatar.avatar!;
    expect(replaced).toMatchObject({ mimeType: 'image/webp', width: 100, height: 100 });
    await expectBytesGone(firstKeys);
    expect(await server.database.prisma.file.count({ where: { id: avatar.id } })).toBe(0);
    expect((await fetch(seen.url)).status).toBe(404);

    const secondKeys = await storedKeys(replaced.id);
    const removed = expectNoErrors(await gql(server, RemoveGroupAvatarDocument, { chatId }, as(alice))).removeGroupAvatar;
    expect(removed.avatar).toBeNull();
    await expectBytesGone(secondKeys);
    expect(await server.database.prisma.file.count({ where: { id: replaced.id } })).toBe(0);
    // Removing no photo changes nothing.
    expect(expectNoErrors(await gql(server, RemoveGroupAvatarDocument, { chatId }, as(alice))).removeGroupAvatar.rev).toBe(removed.rev);
    expect(await systemTexts(chatId)).toEqual([
      'Alice created the group "Group" with Bob',
      'Alice changed the group photo',
      'Alice changed the group photo',
      'Alice removed the group photo',
    ]);
  });
});

describe('promoteGroupAdmin and demoteGroupAdmin', () => {
  it('admins only, members only; a group keeps an admin, as leaving hands the role on', async () => {
    const chatId = await createGroup(server, alice, [bob, carol]);
    expect(expectErrorCode(await promote(bob, chatId, carol), 'FORBIDDEN').message).toMatch(/Only group admins/);
    expectErrorCode(await demote(bob, chatId, alice), 'FORBIDDEN');
    expectErrorCode(await promote(alice, chatId, stranger), 'NOT_FOUND');
    expectErrorCode(await gql(server, PromoteGroupAdminDocument, { chatId, userId: 'nobody' }, as(alice)), 'NOT_FOUND');

    const promoted = expectNoErrors(await promote(alice, chatId, bob)).promoteGroupAdmin;
    expect(admins(promoted)).toEqual([alice.user.id, bob.user.id].sort());
    // Once is enough: again changes nothing.
    expect(expectNoErrors(await promote(alice, chatId, bob)).promoteGroupAdmin.rev).toBe(promoted.rev);

    const demoted = expectNoErrors(await demote(bob, chatId, alice)).demoteGroupAdmin;
    expect(admins(demoted)).toEqual([bob.user.id]);
    expectErrorCode(await promote(alice, chatId, carol), 'FORBIDDEN');
    expect(expectNoErrors(await demote(bob, chatId, carol)).demoteGroupAdmin.rev).toBe(demoted.rev);

    // The last admin cannot step down; leaving instead hands the role to the longest-standing member.
    expect(expectErrorCode(await demote(bob, chatId, bob), 'BAD_USER_INPUT').message).toMatch(/A group needs an admin/);
    expectNoErrors(await promote(bob, chatId, carol));
    expectNoErrors(await demote(carol, chatId, carol));
    expect(admins(await group(alice, chatId))).toEqual([bob.user.id]);

    // A removed member is not a member: NOT_FOUND.
    expectNoErrors(await gql(server, RemoveGroupMemberDocument, { chatId, userId: carol.user.id }, as(bob)));
    expectErrorCode(await promote(bob, chatId, carol), 'NOT_FOUND');
    expect(await systemTexts(chatId)).toEqual([
      'Alice created the group "Group" with Bob and Carol',
      'Alice made Bob an admin',
      'Bob removed Alice as an admin',
      'Bob made Carol an admin',
      'Carol is no longer an admin',
      'Bob removed Carol',
    ]);
  });

  it('two admins stepping down at once: one of them stays', async () => {
    const chatId = await createGroup(server, alice, [bob]);
    expectNoErrors(await promote(alice, chatId, bob));
    const results = await Promise.all([demote(alice, chatId, alice), demote(bob, chatId, bob)]);
    expect(results.map((r) => r.errors?.[0]?.extensions?.['code'] ?? 'OK').sort()).toEqual(['BAD_USER_INPUT', 'OK']);
    expect(await server.database.prisma.chatMember.count({ where: { chatId, isAdmin: true } })).toBe(1);
  });
});

describe('MAX_GROUP_MEMBERS', () => {
  let small: TestServer;
  let users: TestUser[];
  beforeAll(async () => {
    small = await startTestServer({ MAX_GROUP_MEMBERS: '3' });
    users = await Promise.all(Array.from({ length: 6 }, (_, i) => createUser(small, { displayName: `U${i}` })));
  });
  afterAll(async () => {
    await small?.close();
  });
  const create = (owner: TestUser, members: TestUser[]) =>
    gql(small, CreateGroupChatDocument, { input: { title: 'Small', memberIds: members.map((m) => m.user.id) } }, as(owner));
  const add = (by: TestUser, chatId: string, members: TestUser[]) =>
    gql(small, AddGroupMembersDocument, { chatId, userIds: members.map((m) => m.user.id) }, as(by));
  const memberCount = async (chatId: string) => small.database.prisma.chatMember.count({ where: { chatId } });

  it('caps creating and adding, with nothing written past it', async () => {
    const [u0, u1, u2, u3, u4] = users as [TestUser, TestUser, TestUser, TestUser, TestUser];
    expect(expectErrorCode(await create(u0, [u1, u2, u3]), 'BAD_USER_INPUT').message).toBe('A group has at most 3 members');
    const chatId = expectNoErrors(await create(u0, [u1])).createGroupChat.id;
    expectErrorCode(await add(u0, chatId, [u2, u3]), 'BAD_USER_INPUT');
    expect(await memberCount(chatId)).toBe(2);
    expectNoErrors(await add(u0, chatId, [u2]));
    expect(expectErrorCode(await add(u0, chatId, [u4]), 'BAD_USER_INPUT').message).toBe('A group has at most 3 members');
    expect(await memberCount(chatId)).toBe(3);
    expectNoErrors(await gql(small, RemoveGroupMemberDocument, { chatId, userId: u2.user.id }, as(u0)));
    expectNoErrors(await add(u0, chatId, [u4]));
    expect(await memberCount(chatId)).toBe(3);
  });

  it('two admins adding at once cannot both take the last place', async () => {
    const [u0, u1, , , u4, u5] = users as [TestUser, TestUser, TestUser, TestUser, TestUser, TestUser];
    const chatId = expectNoErrors(await create(u0, [u1])).createGroupChat.id;
    expectNoErrors(await gql(small, PromoteGroupAdminDocument, { chatId, userId: u1.user.id }, as(u0)));
    const results = await Promise.all([add(u0, chatId, [u4]), add(u1, chatId, [u5])]);
    expect(results.map((r) => r.errors?.[0]?.extensions?.['code'] ?? 'OK').sort()).toEqual(['BAD_USER_INPUT', 'OK']);
    expect(await memberCount(chatId)).toBe(3);
  });
});
