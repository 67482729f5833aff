import { beforeAll, describe, expect, it } from 'vitest';
import { createGroup, createPair, createPrivateChat, sent } from '../../test/chats.js';
import { as, createUser, promoteToAdmin, type TestUser } from '../../test/factories.js';
import {
  ChatMembersPresenceDocument,
  FileByIdDocument,
  MarkDeliveredDocument,
  MarkReadDocument,
  MyPrivacyDocument,
  OnMessageStatusDocument,
  OnPresenceDocument,
  OnPresenceWithUserDocument,
  PrivacyProfileDocument,
  ReceiptsInChatListDocument,
  ReceiptsViewDocument,
  UpdatePrivacyDocument,
  UpdateProfileDocument,
  UploadAvatarDocument,
  type PrivacyInput,
} from '../../test/generated/graphql.js';
import { phonePhoto } from '../../test/media-fixtures.js';
import { LiveSubscription, expectErrorCode, expectNoErrors, gql, waitForListeners, wsClient, type TestServer } from '../../test/server.js';
import { serverSuite } from '../../test/suite.js';
import { gqlUpload } from '../../test/uploads.js';
import { MessageTopic } from '../messages/index.js';
import { UserTopic } from './index.js';

const suite = serverSuite([]);
let server: TestServer;
beforeAll(() => {
  ({ server } = suite.ready());
});
const connect = suite.connect;

const DEFAULTS = { lastSeen: 'CHATS', profilePhoto: 'EVERYONE', about: 'CHATS', groupAdds: 'EVERYONE', readReceipts: true };

const updatePrivacy = (user: TestUser, input: PrivacyInput) => gql(server, UpdatePrivacyDocument, { input }, as(user));
const setPrivacy = async (user: TestUser, input: PrivacyInput) => expectNoErrors(await updatePrivacy(user, input)).updatePrivacy.privacy!;
const myPrivacy = async (user: TestUser) => expectNoErrors(await gql(server, MyPrivacyDocument, {}, as(user))).me.privacy;
const profileOf = async (viewer: TestUser, user: TestUser) => expectNoErrors(await gql(server, PrivacyProfileDocument, { id: user.user.id }, as(viewer))).user!;
const viewOf = async (viewer: TestUser, chatId: string) => {
  const { chat, messages } = expectNoErrors(await gql(server, ReceiptsViewDocument, { chatId }, as(viewer)));
  const member = (user: TestUser) => chat!.members.find((m) => m.user.id === user.user.id)!;
  const status = (messageId: string) => messages.edges.find((e) => e.node.id === messageId)!.node.status;
  return { unreadCount: chat!.unreadCount, member, status };
};
const markRead = async (user: TestUser, chatId: string, upToMessageId: string) =>
  expect(expectNoErrors(await gql(server, MarkReadDocument, { chatId, upToMessageId }, as(user))).markRead).toBe(true);
const markDelivered = async (user: TestUser, chatId: string, upToMessageId: string) =>
  expect(expectNoErrors(await gql(server, MarkDeliveredDocument, { chatId, upToMessageId }, as(user))).markDelivered).toBe(true);
const uploadAvatar = async (user: TestUser) =>
  expectNoErrors(await gqlUpload(server, UploadAvatarDocument, { file: null }, { file: { data: await phonePhoto('png', 64, 64), name: 'me.png' } }, as(user)))
    .uploadAvatar.avatar!;
/** An admin, who sees every profile field whatever the settings. */
async function createAdmin(): Promise<TestUser> {
  const admin = await createUser(server);
  await promoteToAdmin(server, admin.user.id);
  return admin;
}
/** The server has run no statement for 200 ms (with no socket open: each is checked every 200 ms): background work is done. */
const quiet = () => expect.poll(() => server.countStatements(() => new Promise((resolve) => setTimeout(resolve, 200))), { timeout: 10_000 }).toBe(0);

describe('updatePrivacy and User.privacy', () => {
  it('defaults keep the rules from before the settings: lastSeen CHATS, profilePhoto EVERYONE, about CHATS, groupAdds EVERYONE, readReceipts on', async () => {
    const [subject, contact, stranger] = await Promise.all([createUser(server), createUser(server), createUser(server)]);
    expect(await myPrivacy(subject)).toEqual(DEFAULTS);
    await createGroup(server, contact, [subject]);
    expectNoErrors(await gql(server, UpdateProfileDocument, { input: { about: 'hi' } }, as(subject)));
    const avatar = await uploadAvatar(subject);
    const socket = wsClient(server, subject.accessToken, { lazy: false });
    try {
      await expect.poll(async () => (await profileOf(contact, subject)).online).toBe(true);
      expect(await profileOf(contact, subject)).toMatchObject({ about: 'hi', avatar: { id: avatar.id } });
      expect(await profileOf(stranger, subject)).toMatchObject({ online: false, lastSeenAt: null, about: null, avatar: { id: avatar.id } });
    } finally {
      await socket.dispose();
    }
    // Read receipts: READ both as a status and as an event in a private chat.
    const { a, b, chatId } = await createPair(server);
    const feed = new LiveSubscription(connect(a), OnMessageStatusDocument, { chatId });
    await waitForListeners(server, MessageTopic.MessageStatus, a.user.id);
    const message = await sent(server, a, chatId, 'hello');
    await markRead(b, chatId, message.id);
    expect((await feed.waitFor(1)).map((e) => e.messageStatus.status)).toEqual(['READ']);
    expect((await viewOf(a, chatId)).status(message.id)).toBe('READ');
    expect((await viewOf(a, chatId)).member(b).readSeq).toBe(message.seq);
  });

  it('changes only what is given and returns me; groupAdds is stored and shown', async () => {
    const user = await createUser(server);
    expect(await setPrivacy(user, { about: 'NOBODY' })).toEqual({ ...DEFAULTS, about: 'NOBODY' });
    expect(await setPrivacy(user, { lastSeen: 'NOBODY', readReceipts: false, profilePhoto: null })).toEqual({
      ...DEFAULTS,
      about: 'NOBODY',
      lastSeen: 'NOBODY',
      readReceipts: false,
    });
    expect(await setPrivacy(user, { groupAdds: 'CHATS', profilePhoto: 'CHATS' })).toEqual({
      lastSeen: 'NOBODY',
      profilePhoto: 'CHATS',
      about: 'NOBODY',
      groupAdds: 'CHATS',
      readReceipts: false,
    });
    expect(await setPrivacy(user, {})).toEqual(await myPrivacy(user));
    const row = await server.database.prisma.user.findUniqueOrThrow({ where: { id: user.user.id } });
    expect(row).toMatchObject({ groupAddsVisibility: 'CHATS', profilePhotoVisibility: 'CHATS', readReceipts: false });
    expect((await setPrivacy(user, { groupAdds: 'NOBODY' })).groupAdds).toBe('NOBODY');
  });

  it('refuses lastSeen EVERYONE and unknown values with BAD_USER_INPUT, and writes nothing', async () => {
    const user = await createUser(server);
    const refused = expectErrorCode(await updatePrivacy(user, { lastSeen: 'EVERYONE', about: 'EVERYONE' }), 'BAD_USER_INPUT');
    expect(refused.extensions?.['field']).toBe('lastSeen');
    expectErrorCode(await updatePrivacy(user, { about: 'FRIENDS' as PrivacyInput['about'] }), 'BAD_USER_INPUT');
    expectErrorCode(await updatePrivacy(user, { readReceipts: 'no' as unknown as boolean }), 'BAD_USER_INPUT');
    expect(await myPrivacy(user)).toEqual(DEFAULTS);
    expectErrorCode(await gql(server, UpdatePrivacyDocument, { input: { about: 'NOBODY' } }), 'UNAUTHENTICATED');
  });

  it('User.privacy is null on everyone but me, admins included; on me wherever I appear', async () => {
    const [user, contact] = await Promise.all([createUser(server), createUser(server)]);
    const admin = await createAdmin();
    await createGroup(server, contact, [user]);
    expect((await profileOf(contact, user)).privacy).toBeNull();
    expect((await profileOf(admin, user)).privacy).toBeNull();
    expect((await profileOf(user, user)).privacy).toEqual({ lastSeen: 'CHATS' });
    const members = expectNoErrors(
      await gql<{ chats: { edges: { node: { members: { user: { id: string; privacy: unknown } }[] } }[] } }, unknown>(
        server,
        '{ chats(first: 5) { edges { node { members { user { id privacy { lastSeen } } } } } } }',
        undefined,
        as(contact),
      ),
    ).chats.edges[0]!.node.members;
    expect(Object.fromEntries(members.map((m) => [m.user.id, m.user.privacy]))).toEqual({
      [contact.user.id]: { lastSeen: 'CHATS' },
      [user.user.id]: null,
    });
    // The account just signed in (AuthPayload.user) is me.
    const login = await gql<{ login: { user: { privacy: unknown } } }, unknown>(
      server,
      'mutation($input: LoginInput!) { login(input: $input) { user { privacy { lastSeen readReceipts } } } }',
      { input: { username: user.username, password: user.password } },
    );
    expect(expectNoErrors(login).login.user.privacy).toEqual({ lastSeen: 'CHATS', readReceipts: true });
  });
});

describe('lastSeen', () => {
  it('NOBODY: contacts get online false and lastSeenAt null wherever the user appears; the user and admins still see them', async () => {
    const [subject, contact] = await Promise.all([createUser(server), createUser(server)]);
    const admin = await createAdmin();
    const group = await createGroup(server, contact, [subject]);
    const lastSeenAt = '2026-01-02T03:04:05.000Z';
    await server.database.prisma.user.update({ where: { id: subject.user.id }, data: { lastSeenAt: new Date(lastSeenAt) } });
    const socket = wsClient(server, subject.accessToken, { lazy: false });
    try {
      await expect.poll(async () => (await profileOf(contact, subject)).online).toBe(true);
      expect((await profileOf(contact, subject)).lastSeenAt).toBe(lastSeenAt);

      await setPrivacy(subject, { lastSeen: 'NOBODY' });
      expect(await profileOf(contact, subject)).toMatchObject({ online: false, lastSeenAt: null });
      const members = expectNoErrors(await gql(server, ChatMembersPresenceDocument, { first: 10 }, as(contact))).chats.edges;
      const listed = members.find((e) => e.node.id === group)!.node.members.find((m) => m.user.id === subject.user.id)!.user;
      expect(listed).toMatchObject({ online: false, lastSeenAt: null });
      expect(await profileOf(admin, subject)).toMatchObject({ online: true, lastSeenAt });
      expect(await profileOf(subject, subject)).toMatchObject({ online: true, lastSeenAt });

      await setPrivacy(subject, { lastSeen: 'CHATS' });
      expect(await profileOf(contact, subject)).toMatchObject({ online: true, lastSeenAt });
    } finally {
      await socket.dispose();
    }
  });

  it('NOBODY: no presence event about the user while hidden; hiding tells open subscriptions OFFLINE without lastSeenAt, showing again tells the state', async () => {
    const [subject, watcher] = await Promise.all([createUser(server), createUser(server)]);
    await createGroup(server, watcher, [subject]);
    const feed = new LiveSubscription(connect(watcher), OnPresenceWithUserDocument, { userIds: [subject.user.id] });
    await waitForListeners(server, UserTopic.Presence, watcher.user.id);
    const first = wsClient(server, subject.accessToken, { lazy: false });
    expect((await feed.waitFor(1)).map((e) => e.presence.status)).toEqual(['ONLINE']);

    await setPrivacy(subject, { lastSeen: 'NOBODY' });
    const hidden = (await feed.waitFor(2))[1]!.presence;
    expect(hidden).toEqual({
      userId: subject.user.id,
      status: 'OFFLINE',
      lastSeenAt: null,
      user: { id: subject.user.id, displayName: subject.user.displayName, online: false, lastSeenAt: null },
    });

    // Offline and back while hidden: lastSeenAt is still stored (the OFFLINE announcement is made right after that
    // write), and the ONLINE one is made as the user comes online. Announcements about a user leave in the order
    // they were made, so had either told the watcher, it would come before the one that showing it again makes.
    await first.dispose();
    await expect.poll(async () => (await server.database.prisma.user.findUniqueOrThrow({ where: { id: subject.user.id } })).lastSeenAt).not.toBeNull();
    const second = wsClient(server, subject.accessToken, { lazy: false });
    try {
      await expect.poll(async () => (await profileOf(subject, subject)).online).toBe(true);
      await setPrivacy(subject, { lastSeen: 'CHATS' });
      await feed.waitFor(3);
      expect(feed.events.map((e) => e.presence.status)).toEqual(['ONLINE', 'OFFLINE', 'ONLINE']);
      expect(feed.events[2]!.presence).toMatchObject({ userId: subject.user.id, user: { online: true } });
    } finally {
      await second.dispose();
    }
    expect((await feed.waitFor(4))[3]!.presence).toMatchObject({ status: 'OFFLINE', user: { online: false } });
    expect(feed.events[3]!.presence.lastSeenAt).not.toBeNull();
  });

  it('is reciprocal: with mine NOBODY I see no one’s online or lastSeenAt and get no presence events, while a co-member in the same publish does', async () => {
    const [subject, shows, hides] = await Promise.all([createUser(server), createUser(server), createUser(server)]);
    await createGroup(server, subject, [shows, hides]);
    const lastSeenAt = '2026-03-04T05:06:07.000Z';
    await server.database.prisma.user.update({ where: { id: subject.user.id }, data: { lastSeenAt: new Date(lastSeenAt) } });
    await setPrivacy(hides, { lastSeen: 'NOBODY' });
    // The same document and variables for both: an event is rendered once for everyone who receives it, so
    // privacy has to decide who receives it.
    const showsFeed = new LiveSubscription(connect(shows), OnPresenceDocument, { userIds: [subject.user.id] });
    const hidesFeed = new LiveSubscription(connect(hides), OnPresenceDocument, { userIds: [subject.user.id] });
    await waitForListeners(server, UserTopic.Presence, shows.user.id);
    await waitForListeners(server, UserTopic.Presence, hides.user.id);

    const socket = wsClient(server, subject.accessToken, { lazy: false });
    try {
      expect((await showsFeed.waitFor(1)).map((e) => e.presence)).toEqual([{ userId: subject.user.id, status: 'ONLINE', lastSeenAt: null }]);
      // Both would have been in the same publishMany: what one got, the other would have by now.
      expect(hidesFeed.events).toEqual([]);
      expect(await profileOf(shows, subject)).toMatchObject({ online: true, lastSeenAt });
      expect(await profileOf(hides, subject)).toMatchObject({ online: false, lastSeenAt: null });

      // Showing mine again shows theirs at once.
      await setPrivacy(hides, { lastSeen: 'CHATS' });
      expect(await profileOf(hides, subject)).toMatchObject({ online: true, lastSeenAt });
    } finally {
      await socket.dispose();
    }
    expect((await hidesFeed.waitFor(1)).map((e) => e.presence.status)).toEqual(['OFFLINE']);
  });
});

describe('profilePhoto', () => {
  it('EVERYONE shows the avatar to every signed-in user; CHATS hides it from strangers; NOBODY from everyone but me and admins; file(id) follows it', async () => {
    const [subject, contact, stranger] = await Promise.all([createUser(server), createUser(server), createUser(server)]);
    const admin = await createAdmin();
    await createGroup(server, contact, [subject]);
    const avatar = await uploadAvatar(subject);
    const avatarOf = async (viewer: TestUser) => (await profileOf(viewer, subject)).avatar?.id ?? null;
    const fileReadableBy = async (viewer: TestUser) => {
      const result = await gql(server, FileByIdDocument, { id: avatar.id }, as(viewer));
      if (result.errors) expectErrorCode(result, 'NOT_FOUND');
      return !result.errors;
    };
    const everyone = [subject, contact, stranger, admin];
    const seen = async () => Promise.all(everyone.map(avatarOf));
    const readable = async () => Promise.all(everyone.map(fileReadableBy));

    expect(await seen()).toEqual([avatar.id, avatar.id, avatar.id, avatar.id]);
    expect(await readable()).toEqual([true, true, true, true]);

    await setPrivacy(subject, { profilePhoto: 'CHATS' });
    expect(await seen()).toEqual([avatar.id, avatar.id, null, avatar.id]);
    expect(await readable()).toEqual([true, true, false, true]);

    await setPrivacy(subject, { profilePhoto: 'NOBODY' });
    expect(await seen()).toEqual([avatar.id, null, null, avatar.id]);
    expect(await readable()).toEqual([true, false, false, true]);

    await setPrivacy(subject, { profilePhoto: 'EVERYONE' });
    expect(await seen()).toEqual([avatar.id, avatar.id, avatar.id, avatar.id]);
  });
});

describe('about', () => {
  it('CHATS (default) shows it to people who share a chat; EVERYONE to strangers too; NOBODY to no one but me and admins', async () => {
    const [subject, contact, stranger] = await Promise.all([createUser(server), createUser(server), createUser(server)]);
    const admin = await createAdmin();
    await createGroup(server, contact, [subject]);
    expectNoErrors(await gql(server, UpdateProfileDocument, { input: { about: 'away' } }, as(subject)));
    const seen = async () => Promise.all([subject, contact, stranger, admin].map(async (viewer) => (await profileOf(viewer, subject)).about));

    expect(await seen()).toEqual(['away', 'away', null, 'away']);
    await setPrivacy(subject, { about: 'EVERYONE' });
    expect(await seen()).toEqual(['away', 'away', 'away', 'away']);
    await setPrivacy(subject, { about: 'NOBODY' });
    expect(await seen()).toEqual(['away', null, null, 'away']);
    await setPrivacy(subject, { about: 'CHATS' });
    expect(await seen()).toEqual(['away', 'away', null, 'away']);
  });
});

describe('readReceipts', () => {
  it('off on one side of a private chat: SENT and DELIVERED but never READ on either side (status, MessageStatusEvent, readSeq); unread counts still drop', async () => {
    const { a, b, chatId } = await createPair(server);
    await setPrivacy(b, { readReceipts: false });
    // The same document and variables on both sides: the two payloads must stay apart.
    const aFeed = new LiveSubscription(connect(a), OnMessageStatusDocument, { chatId });
    const bFeed = new LiveSubscription(connect(b), OnMessageStatusDocument, { chatId });
    await waitForListeners(server, MessageTopic.MessageStatus, a.user.id);
    await waitForListeners(server, MessageTopic.MessageStatus, b.user.id);
    const event = (user: TestUser, messageId: string, seq: number, status: string) => ({ chatId, messageId, seq, userId: user.user.id, status });
    const plain = (feed: typeof aFeed) => feed.events.map(({ messageStatus: { at: _at, ...rest } }) => rest);

    // B, who turned receipts off, reads A's message: A learns it arrived, B's other devices that B read it.
    const one = await sent(server, a, chatId, 'one');
    expect((await viewOf(a, chatId)).status(one.id)).toBe('SENT');
    expect((await viewOf(b, chatId)).unreadCount).toBe(1);
    await markRead(b, chatId, one.id);
    await aFeed.waitFor(1);
    await bFeed.waitFor(1);
    expect(plain(aFeed)).toEqual([event(b, one.id, one.seq, 'DELIVERED')]);
    expect(plain(bFeed)).toEqual([event(b, one.id, one.seq, 'READ')]);
    const aSees = await viewOf(a, chatId);
    expect(aSees.status(one.id)).toBe('DELIVERED');
    expect(aSees.member(b)).toMatchObject({ deliveredSeq: one.seq, readSeq: 0 });
    const bSees = await viewOf(b, chatId);
    expect(bSees.unreadCount).toBe(0);
    expect(bSees.member(b).readSeq).toBe(one.seq);
    expect(await server.database.prisma.chatMember.findFirstOrThrow({ where: { chatId, userId: b.user.id } })).toMatchObject({ readSeq: one.seq });

    // Reciprocal: A keeps receipts on, yet B sees no READ from A either.
    const two = await sent(server, b, chatId, 'two');
    await markDelivered(a, chatId, two.id);
    await bFeed.waitFor(2);
    expect((await viewOf(a, chatId)).unreadCount).toBe(1);
    await markRead(a, chatId, two.id);
    await aFeed.waitFor(3);
    expect((await viewOf(a, chatId)).unreadCount).toBe(0);
    // A READ to B would have come before B's own receipt below, on the same topic and socket.
    const three = await sent(server, a, chatId, 'three');
    await markDelivered(b, chatId, three.id);
    await bFeed.waitFor(3);
    expect(plain(bFeed)).toEqual([event(b, one.id, one.seq, 'READ'), event(a, two.id, two.seq, 'DELIVERED'), event(b, three.id, three.seq, 'DELIVERED')]);
    expect(plain(aFeed).slice(1, 3)).toEqual([event(a, two.id, two.seq, 'DELIVERED'), event(a, two.id, two.seq, 'READ')]);
    const bSeesAfter = await viewOf(b, chatId);
    expect(bSeesAfter.status(two.id)).toBe('DELIVERED');
    expect(bSeesAfter.member(a).readSeq).toBe(0);
    expect((await viewOf(b, chatId)).unreadCount).toBe(1); // "three": delivered, not read

    // Turned back on: READ shows at once, both ways.
    await setPrivacy(b, { readReceipts: true });
    const aNow = await viewOf(a, chatId);
    expect(aNow.status(one.id)).toBe('READ');
    expect(aNow.member(b).readSeq).toBe(two.seq); // B's own message moved B's watermark
    const bNow = await viewOf(b, chatId);
    expect(bNow.status(two.id)).toBe('READ');
    expect(bNow.member(a).readSeq).toBe(three.seq); // A sent "three"
  });

  it('groups keep read receipts: a member who turned them off still shows READ and their readSeq', async () => {
    const [owner, member] = await Promise.all([createUser(server), createUser(server)]);
    await setPrivacy(member, { readReceipts: false });
    const chatId = await createGroup(server, owner, [member]);
    const feed = new LiveSubscription(connect(owner), OnMessageStatusDocument, { chatId });
    await waitForListeners(server, MessageTopic.MessageStatus, owner.user.id);
    const message = await sent(server, owner, chatId, 'hello group');
    expect((await viewOf(member, chatId)).unreadCount).toBeGreaterThan(0);
    await markRead(member, chatId, message.id);
    expect((await feed.waitFor(1)).map((e) => [e.messageStatus.userId, e.messageStatus.status])).toEqual([[member.user.id, 'READ']]);
    const ownerSees = await viewOf(owner, chatId);
    expect(ownerSees.status(message.id)).toBe('READ');
    expect(ownerSees.member(member).readSeq).toBe(message.seq);
    expect((await viewOf(member, chatId)).unreadCount).toBe(0);
  });

  it('hiding costs a fixed number of statements: a chat list with readSeq and lastMessage.status for 3 chats as for 16', async () => {
    const me = await createUser(server);
    const others = await Promise.all(Array.from({ length: 16 }, () => createUser(server)));
    for (const [i, other] of others.entries()) {
      if (i % 2 === 1) await setPrivacy(other, { readReceipts: false });
      const chatId = await createPrivateChat(server, me, other);
      const message = await sent(server, me, chatId, `hi ${i}`);
      await markRead(other, chatId, message.id);
    }
    // Each message also stores a notification (its recipient is offline) in the background: count once the server is quiet.
    await quiet();
    const list = async (first: number) => {
      let statuses: string[] = [];
      const statements = await server.countStatements(
        async () => {
          const { chats } = expectNoErrors(await gql(server, ReceiptsInChatListDocument, { first }, as(me)));
          statuses = chats.edges.map((e) => e.node.lastMessage!.status);
        },
        { runs: 3 },
      );
      return { statements, statuses };
    };
    const few = await list(3);
    const many = await list(16);
    expect(new Set(few.statuses)).toEqual(new Set(['READ', 'DELIVERED']));
    expect(many.statuses.filter((s) => s === 'READ')).toHaveLength(8);
    expect(many.statements).toBe(few.statements);
  });
});
