import { existsSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createGroup, createPrivateChat, sent } from '../../test/chats.js';
import { as, createUser, promoteToAdmin, registerUser, uniqueUsername, type TestUser } from '../../test/factories.js';
import {
  AdminSetUserActiveDocument,
  ChatsDocument,
  CreatePrivateChatDocument,
  DeleteAccountDocument,
  DeletedUserDocument,
  GroupByIdDocument,
  LoginDocument,
  MeDocument,
  RefreshTokenDocument,
  RegisterDocument,
  RequestDataExportDocument,
  SendMediaMessageDocument,
  SendersOfDocument,
  UpdateProfileDocument,
  UploadAvatarDocument,
  UploadGroupAvatarDocument,
  UsersDocument,
} from '../../test/generated/graphql.js';
import { phonePhoto } from '../../test/media-fixtures.js';
import { expectErrorCode, expectNoErrors, gql, wsClient, type TestServer } from '../../test/server.js';
import { serverSuite } from '../../test/suite.js';
import { gqlUpload } from '../../test/uploads.js';
import { readZip } from '../../test/zip.js';
import { UrlSigner } from '../../media/signed-urls.js';

const FILE_URL_SECRET = 'a-file-url-secret-for-the-export-tests-0123';
const suite = serverSuite(['Alice', 'Bob'], [{ FILE_URL_SECRET, RATE_LIMIT_DATA_EXPORT: '3/3600' }]);
let server: TestServer;
let alice: TestUser;
let bob: TestUser;
beforeAll(() => {
  ({
    server,
    users: [alice, bob],
  } = suite.ready());
});

const deleteAccount = (user: TestUser, password = user.password) => gql(server, DeleteAccountDocument, { password }, as(user));

async function sendDocument(user: TestUser, chatId: string, bytes: Buffer, name: string, caption: string) {
  const media = await gqlUpload(
    server,
    SendMediaMessageDocument,
    { input: { chatId, file: null, caption } },
    { 'input.file': { data: bytes, name } },
    as(user),
  );
  return expectNoErrors(media).sendMediaMessage;
}

async function uploadAvatar(user: TestUser) {
  const uploaded = await gqlUpload(server, UploadAvatarDocument, { file: null }, { file: { data: await phonePhoto('png', 64, 48), name: 'me.png' } }, as(user));
  return expectNoErrors(uploaded).uploadAvatar.avatar!;
}

const onDisk = (key: string) => existsSync(path.join(server.dataDir, 'uploads', key));

describe('deleteAccount', () => {
  it('refuses a wrong password, and its failures lock the account out as failed sign-ins do', async () => {
    const dana = await createUser(server, { displayName: 'Dana' });
    const refused = expectErrorCode(await deleteAccount(dana, 'not my password at all'), 'BAD_USER_INPUT');
    expect(refused.extensions?.['field']).toBe('password');
    for (let i = 0; i < 4; i++) expectErrorCode(await deleteAccount(dana, 'not my password at all'), 'BAD_USER_INPUT');
    // Five failures: even the right password waits now, at login too.
    expectErrorCode(await deleteAccount(dana), 'RATE_LIMITED');
    expectErrorCode(await gql(server, LoginDocument, { input: { username: dana.username, password: dana.password } }), 'RATE_LIMITED');
    expectNoErrors(await gql(server, MeDocument, {}, as(dana)));
  });

  it('ends every session and socket at once, removes files, avatar and devices, leaves groups, and keeps messages from "Deleted account"', async () => {
    const dana = await createUser(server, { displayName: 'Dana' });
    expectNoErrors(await gql(server, UpdateProfileDocument, { input: { about: 'I like trains' } }, as(dana)));
    // Dana is the group's only admin: Alice, who joined with Bob, or Bob takes over.
    const groupId = await createGroup(server, dana, [alice, bob], 'Trains');
    const privateId = await createPrivateChat(server, dana, alice);
    await sent(server, dana, groupId, 'choo choo');
    await sent(server, dana, privateId, 'see you');
    const media = await sendDocument(dana, groupId, Buffer.from('the timetable\n'), 'timetable.txt', 'the timetable');
    const avatar = await uploadAvatar(dana);
    // The group's photo, which Dana sets as its admin, is the group's: it stays.
    const photo = await gqlUpload(
      server,
      UploadGroupAvatarDocument,
      { chatId: groupId, file: null },
      { file: { data: await phonePhoto('png', 64, 64), name: 'trains.png' } },
      as(dana),
    );
    const groupPhoto = expectNoErrors(photo).uploadGroupAvatar.avatar!;
    const stored = await server.database.prisma.file.findMany({
      where: { ownerId: dana.user.id, id: { not: groupPhoto.id } },
      select: { storageKey: true, thumbnailKey: true },
    });
    const keys = stored.flatMap((file) => [file.storageKey, file.thumbnailKey]).filter((key): key is string => key !== null);
    expect(keys.length).toBeGreaterThanOrEqual(3);
    expect(keys.every(onDisk)).toBe(true);
    const danaSession = await server.database.prisma.session.findFirstOrThrow({ where: { userId: dana.user.id } });
    await server.database.prisma.device.create({
      data: { userId: dana.user.id, sessionId: danaSession.id, platform: 'APNS', token: 'ab'.repeat(32), tokenHash: 'cd'.repeat(32) },
    });
    await server.database.prisma.notification.create({ data: { userId: dana.user.id, type: 'ADDED_TO_GROUP', title: 'hi' } });

    const closed = new Promise<number>((resolve) => {
      const client = wsClient(server, dana.accessToken, { lazy: false });
      client.on('closed', (event) => resolve((event as { code: number }).code));
    });
    await expect.poll(() => server.services.presence.isOnline(dana.user.id)).toBe(true);

    expect(expectNoErrors(await deleteAccount(dana)).deleteAccount).toBe(true);
    expect(await closed).toBe(4403);
    expectErrorCode(await gql(server, MeDocument, {}, as(dana)), 'UNAUTHENTICATED');
    expectErrorCode(await gql(server, RefreshTokenDocument, { refreshToken: dana.refreshToken }), 'UNAUTHENTICATED');
    expectErrorCode(await gql(server, LoginDocument, { input: { username: dana.username, password: dana.password } }), 'UNAUTHENTICATED');

    // Files: rows and bytes, but for the group's photo.
    expect(await server.database.prisma.file.findMany({ where: { ownerId: dana.user.id }, select: { id: true } })).toEqual([{ id: groupPhoto.id }]);
    expect(expectNoErrors(await gql(server, GroupByIdDocument, { id: groupId }, as(alice))).chat!.avatar?.id).toBe(groupPhoto.id);
    expect(keys.some(onDisk)).toBe(false);
    expect(await server.database.prisma.device.count({ where: { userId: dana.user.id } })).toBe(0);
    expect(await server.database.prisma.notification.count({ where: { userId: dana.user.id } })).toBe(0);

    // The group goes on without Dana, and her messages stay, from "Deleted account".
    const history = expectNoErrors(await gql(server, SendersOfDocument, { chatId: groupId }, as(alice))).messages.edges.map((e) => e.node);
    const last = history[0]!;
    expect(last.kind).toBe('SYSTEM');
    expect(last.text).toMatch(/^Dana left; (Alice|Bob) is now an admin$/);
    const fromDana = history.filter((message) => message.sender?.id === dana.user.id);
    expect(fromDana.map((message) => message.text)).toEqual(['the timetable', 'choo choo']);
    for (const message of fromDana) {
      expect(message.sender).toMatchObject({ displayName: 'Deleted account', deleted: true, avatar: null });
    }
    expect(fromDana[0]!.file).toBeNull();
    expect(media.file).not.toBeNull();
    const members = await server.database.prisma.chatMember.findMany({ where: { chatId: groupId }, select: { userId: true, isAdmin: true } });
    expect(members.map((m) => m.userId).sort()).toEqual([alice.user.id, bob.user.id].sort());
    expect(members.some((m) => m.isAdmin)).toBe(true);

    // Alice's private chat with her stays, titled by the tombstone.
    const chats = expectNoErrors(await gql(server, ChatsDocument, { first: 50 }, as(alice))).chats.edges.map((e) => e.node);
    expect(chats.find((chat) => chat.id === privateId)).toMatchObject({ title: 'Deleted account', lastMessage: { text: 'see you' } });
    const profile = expectNoErrors(await gql(server, DeletedUserDocument, { id: dana.user.id }, as(alice))).user!;
    expect(profile).toMatchObject({ displayName: 'Deleted account', deleted: true, about: null, username: dana.username });
    expect(avatar.id).toBeTruthy();
    expect(expectNoErrors(await gql(server, UsersDocument, { search: dana.username }, as(alice))).users.edges).toEqual([]);
    expectErrorCode(await gql(server, CreatePrivateChatDocument, { userId: dana.user.id }, as(bob)), 'NOT_FOUND');
    expect(expectNoErrors(await gql(server, DeletedUserDocument, { id: alice.user.id }, as(alice))).user!.deleted).toBe(false);
    // Not even an admin lets it back in.
    const admin = await createUser(server);
    await promoteToAdmin(server, admin.user.id);
    expectErrorCode(await gql(server, AdminSetUserActiveDocument, { userId: dana.user.id, active: true }, as(admin)), 'BAD_USER_INPUT');
  });

  it('keeps the username reserved for 30 days, then lets anyone register it; the old messages keep their tombstone sender', async () => {
    const username = uniqueUsername('erin');
    const erin = await registerUser(server, { username, displayName: 'Erin' });
    const chatId = await createPrivateChat(server, erin, alice);
    await sent(server, erin, chatId, 'bye');
    expectNoErrors(await deleteAccount(erin));

    const register = () => gql(server, RegisterDocument, { input: { username, password: 'a brand new password', displayName: 'Erin 2' } });
    expectErrorCode(await register(), 'CONFLICT');
    // 29 days later: still hers.
    const daysAgo = (days: number) => new Date(Date.now() - days * 24 * 3600 * 1000);
    await server.database.prisma.user.update({ where: { id: erin.user.id }, data: { deletedAt: daysAgo(29) } });
    expectErrorCode(await register(), 'CONFLICT');
    await server.database.prisma.user.update({ where: { id: erin.user.id }, data: { deletedAt: daysAgo(31) } });
    const { register: fresh } = expectNoErrors(await register());
    expect(fresh.user).toMatchObject({ username, displayName: 'Erin 2' });
    expect(fresh.user.id).not.toBe(erin.user.id);

    const tombstone = await server.database.prisma.user.findUniqueOrThrow({ where: { id: erin.user.id }, select: { username: true } });
    expect(tombstone.username).toMatch(/^~/);
    const history = expectNoErrors(await gql(server, SendersOfDocument, { chatId }, as(alice))).messages.edges.map((e) => e.node);
    expect(history.map((m) => [m.text, m.sender?.id, m.sender?.displayName])).toEqual([['bye', erin.user.id, 'Deleted account']]);
    expectNoErrors(await gql(server, LoginDocument, { input: { username, password: 'a brand new password' } }));
    expectErrorCode(await gql(server, LoginDocument, { input: { username, password: erin.password } }), 'UNAUTHENTICATED');
  });
});

describe('requestDataExport', () => {
  it('links to a zip, downloaded without a token, of my profile, chats, messages (paged) and files', async () => {
    const fay = await createUser(server, { displayName: 'Fay' });
    expectNoErrors(await gql(server, UpdateProfileDocument, { input: { about: 'Exports everything' } }, as(fay)));
    const groupId = await createGroup(server, fay, [alice], 'Archive club');
    const privateId = await createPrivateChat(server, fay, bob);
    await sent(server, fay, privateId, 'first words');
    await sent(server, bob, privateId, 'not mine');
    const documentBytes = Buffer.from('minutes of the archive club\n');
    const media = await sendDocument(fay, groupId, documentBytes, 'minutes.txt', 'the minutes');
    await uploadAvatar(fay);
    // More messages than one page of the export (500): written to a chat of their own, straight to the database.
    const bulk = await createPrivateChat(server, fay, alice);
    const many = 1200;
    await server.database.prisma.message.createMany({
      data: Array.from({ length: many }, (_, i) => ({
        chatId: bulk,
        seq: 1000 + i,
        rev: 1000 + i,
        senderId: fay.user.id,
        kind: 'TEXT' as const,
        text: `bulk ${i}`,
      })),
    });

    const url = expectNoErrors(await gql(server, RequestDataExportDocument, {}, as(fay))).requestDataExport;
    expect(url.startsWith(`${server.url}/exports/${fay.user.id}?exp=`)).toBe(true);
    const response = await fetch(url);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/zip');
    expect(response.headers.get('content-disposition')).toMatch(new RegExp(`^attachment; filename="payamak-${fay.username}-\\d{4}-\\d{2}-\\d{2}\\.zip"$`));
    expect(response.headers.get('cache-control')).toBe('no-store');
    const zip = readZip(Buffer.from(await response.arrayBuffer()));

    const profile = JSON.parse(zip.get('profile.json')!.toString('utf8'));
    expect(profile.user).toMatchObject({ id: fay.user.id, username: fay.username, displayName: 'Fay', about: 'Exports everything' });
    expect(profile.privacy).toEqual({ lastSeen: 'CHATS', profilePhoto: 'EVERYONE', about: 'CHATS', groupAdds: 'EVERYONE', readReceipts: true });

    const chats = JSON.parse(zip.get('chats.json')!.toString('utf8'));
    const byId = new Map<string, { kind: string; title: string | null; with: { id: string } | null; membership: { isAdmin: boolean } }>(
      chats.chats.map((chat: { id: string }) => [chat.id, chat]),
    );
    expect(byId.size).toBe(3);
    expect(byId.get(groupId)).toMatchObject({ kind: 'GROUP', title: 'Archive club', membership: { isAdmin: true } });
    expect(byId.get(privateId)).toMatchObject({ kind: 'PRIVATE', with: { id: bob.user.id } });
    expect(chats.formerMemberships).toEqual([]);

    const lines = zip.get('messages.jsonl')!.toString('utf8').trimEnd().split('\n');
    const messages = lines.map((line) => JSON.parse(line) as { text: string | null; chatId: string });
    expect(messages).toHaveLength(many + 2);
    expect(messages.map((m) => m.text)).toContain('first words');
    expect(messages.map((m) => m.text)).toContain('the minutes');
    expect(messages.map((m) => m.text)).not.toContain('not mine');
    expect(new Set(messages.filter((m) => m.chatId === bulk).map((m) => m.text)).size).toBe(many);

    const files = zip
      .get('files.jsonl')!
      .toString('utf8')
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as { id: string; path: string });
    expect(files).toHaveLength(2);
    const minutes = files.find((file) => file.id === media.file!.id)!;
    expect(minutes.path).toBe(`files/${media.file!.id}-minutes.txt`);
    expect(zip.get(minutes.path)).toEqual(documentBytes);
    const picture = files.find((file) => file.id !== media.file!.id)!;
    const row = await server.database.prisma.file.findUniqueOrThrow({ where: { id: picture.id }, select: { size: true, checksum: true } });
    expect(zip.get(picture.path)!.length).toBe(row.size);
    expect([...zip.keys()].filter((name) => name.startsWith('files/'))).toHaveLength(2);
  });

  it('refuses a forged or altered link (403) and an expired one (410), and a deleted account is gone (404)', async () => {
    const gus = await createUser(server, { displayName: 'Gus' });
    const url = new URL(expectNoErrors(await gql(server, RequestDataExportDocument, {}, as(gus))).requestDataExport);
    const sig = url.searchParams.get('sig')!;
    const exp = url.searchParams.get('exp')!;
    const at = (userId: string, query: string) => fetch(`${server.url}/exports/${userId}?${query}`);

    expect((await at(gus.user.id, `exp=${exp}&sig=${sig.slice(0, -2)}AA`)).status).toBe(403);
    expect((await at(gus.user.id, `exp=${Number(exp) + 60}&sig=${sig}`)).status).toBe(403);
    expect((await at(alice.user.id, `exp=${exp}&sig=${sig}`)).status).toBe(403);
    expect((await at(gus.user.id, '')).status).toBe(403);
    // Signed with the server's secret, but a minute ago.
    const stale = new UrlSigner({ secret: FILE_URL_SECRET, now: () => Date.now() - 11 * 60_000 }).link('export', gus.user.id, 600);
    const expired = await at(gus.user.id, `exp=${stale.exp}&sig=${stale.sig}`);
    expect(expired.status).toBe(410);
    expect(((await expired.json()) as { error: string }).error).toMatch(/expired/);

    expect((await fetch(url)).status).toBe(200);
    expectNoErrors(await deleteAccount(gus));
    expect((await fetch(url)).status).toBe(404);
  });

  it('is rate limited: RATE_LIMIT_DATA_EXPORT links per user, and as many downloads', async () => {
    const hal = await createUser(server);
    const links: string[] = [];
    for (let i = 0; i < 3; i++) links.push(expectNoErrors(await gql(server, RequestDataExportDocument, {}, as(hal))).requestDataExport);
    const limited = expectErrorCode(await gql(server, RequestDataExportDocument, {}, as(hal)), 'RATE_LIMITED');
    expect(limited.extensions).toMatchObject({ policy: 'DATA_EXPORT' });
    // Someone else's budget is their own.
    expectNoErrors(await gql(server, RequestDataExportDocument, {}, as(bob)));

    for (let i = 0; i < 3; i++) expect((await fetch(links[0]!)).status).toBe(200);
    const tooMany = await fetch(links[1]!);
    expect(tooMany.status).toBe(429);
    expect(Number(tooMany.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});
