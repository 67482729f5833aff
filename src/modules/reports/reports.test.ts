import { stat } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createGroup, createPrivateChat, sent } from '../../test/chats.js';
import { as, createUser, promoteToAdmin, type TestUser } from '../../test/factories.js';
import {
  AdminAuditLogDocument,
  AdminOpenReportsDocument,
  AdminReportsDocument,
  AdminResolveReportDocument,
  DeleteMessageDocument,
  EditMessageDocument,
  MeDocument,
  MyReportsDocument,
  OnMessageUpdatedDocument,
  RefreshTokenDocument,
  ReportMessageDocument,
  ReportUserDocument,
  SendAttachmentsDocument,
  SendMediaMessageDocument,
  type ReportAction,
  type ReportFieldsFragment,
  type ReportReason,
} from '../../test/generated/graphql.js';
import { phonePhoto } from '../../test/media-fixtures.js';
import { LiveSubscription, expectErrorCode, expectNoErrors, gql, startTestServer, waitForListeners, wsClient, type TestServer } from '../../test/server.js';
import { serverSuite } from '../../test/suite.js';
import { uploadResumable } from '../../test/tus.js';
import { gqlUpload, type UploadPart } from '../../test/uploads.js';
import { MessageTopic } from '../messages/index.js';

const suite = serverSuite(['Admin', 'Alice', 'Bob', 'Dave', 'Stranger']);
let server: TestServer;
let uploadDir: string;
let admin: TestUser, alice: TestUser, bob: TestUser, dave: TestUser, stranger: TestUser;
/** Alice's group with Bob and Dave: Bob's messages are the ones reported. */
let group: string;

beforeAll(async () => {
  ({
    server,
    users: [admin, alice, bob, dave, stranger],
  } = suite.ready());
  await promoteToAdmin(server, admin.user.id);
  uploadDir = path.join(server.dataDir, 'uploads');
  group = await createGroup(server, alice, [bob, dave], 'Reporters');
});

const reportMessage = (user: TestUser, messageId: string, reason: ReportReason = 'SPAM', note?: string) =>
  gql(server, ReportMessageDocument, { messageId, reason, note }, as(user));
const reportUser = (user: TestUser, userId: string, reason: ReportReason = 'ABUSE', note?: string) =>
  gql(server, ReportUserDocument, { userId, reason, note }, as(user));
const resolve = (reportId: string, action: ReportAction, note?: string, by: TestUser = admin) =>
  gql(server, AdminResolveReportDocument, { reportId, action, note }, as(by));
const reported = async (user: TestUser, messageId: string, reason: ReportReason = 'SPAM', note?: string) =>
  expectNoErrors(await reportMessage(user, messageId, reason, note)).reportMessage;
const resolved = async (reportId: string, action: ReportAction, note?: string) => expectNoErrors(await resolve(reportId, action, note)).adminResolveReport;
/** The report as admins see it, from adminReports. */
async function asAdminSees(reportId: string): Promise<ReportFieldsFragment> {
  const { adminReports } = expectNoErrors(await gql(server, AdminReportsDocument, { first: 100 }, as(admin)));
  const found = adminReports.edges.find((edge) => edge.node.id === reportId);
  if (!found) throw new Error(`report ${reportId} is not in adminReports`);
  return found.node;
}
const myReports = async (user: TestUser, first?: number, after?: string | null) =>
  expectNoErrors(await gql(server, MyReportsDocument, { first, after }, as(user))).myReports;
const auditTrail = async (n: number) =>
  expectNoErrors(await gql(server, AdminAuditLogDocument, { first: n }, as(admin))).adminAuditLog.edges.map((e) => [
    e.node.action,
    e.node.targetType,
    e.node.targetId,
  ]);

async function sendMedia(user: TestUser, chatId: string, file: UploadPart, caption?: string) {
  const result = await gqlUpload(server, SendMediaMessageDocument, { input: { chatId, file: null, caption } }, { 'input.file': file }, as(user));
  const message = expectNoErrors(result).sendMediaMessage;
  return { message, file: message.file! };
}
const storedKeys = async (fileId: string) => {
  const row = await server.database.prisma.file.findUniqueOrThrow({ where: { id: fileId } });
  return [row.storageKey, ...(row.thumbnailKey ? [row.thumbnailKey] : [])];
};
const onDisk = (key: string) =>
  stat(path.join(uploadDir, key)).then(
    () => true,
    () => false,
  );
const bytesOf = async (url: string) => {
  const response = await fetch(url);
  return { status: response.status, body: Buffer.from(await response.arrayBuffer()) };
};

describe('the snapshot', () => {
  it('survives an edit and a deletion for everyone; the file bytes stay for the admin until resolution, then go', async () => {
    const { message, file } = await sendMedia(bob, group, { data: await phonePhoto('png', 120, 80), name: 'proof.png' }, 'look at this');
    const keys = await storedKeys(file.id);
    expect(keys).toHaveLength(2); // the image and its thumbnail
    const original = await bytesOf(file.url);
    const report = await reported(alice, message.id, 'ABUSE', '  rude\nand worse  ');
    // The reporter sees the report, not who else reported, nor what the admins see.
    expect(report).toMatchObject({
      reason: 'ABUSE',
      note: 'rude\nand worse',
      status: 'OPEN',
      resolvedAt: null,
      resolution: null,
      action: null,
      message: { id: message.id, text: 'look at this', deleted: false },
      user: { id: bob.user.id },
      reporter: null,
      snapshot: null,
    });

    expectNoErrors(await gql(server, EditMessageDocument, { messageId: message.id, text: 'nothing to see' }, as(bob)));
    expectNoErrors(await gql(server, DeleteMessageDocument, { messageId: message.id, forEveryone: true }, as(bob)));
    expect(await server.database.prisma.file.count({ where: { id: file.id } })).toBe(0);
    expect((await fetch(file.url)).status).toBe(404); // the members' URL is dead
    for (const key of keys) expect(await onDisk(key)).toBe(true);

    const seen = await asAdminSees(report.id);
    expect(seen).toMatchObject({
      status: 'OPEN',
      reporter: { id: alice.user.id },
      user: { id: bob.user.id },
      message: { id: message.id, text: null, deleted: true },
      snapshot: {
        messageId: message.id,
        chatId: group,
        chatKind: 'GROUP',
        chatTitle: 'Reporters',
        seq: message.seq,
        senderId: bob.user.id,
        senderUsername: bob.username,
        senderDisplayName: 'Bob',
        kind: 'IMAGE',
        text: 'look at this',
        editedAt: null,
        forwardCount: 0,
        file: { mimeType: file.mimeType, size: file.size, originalName: 'proof.png', width: file.width, height: file.height, held: true },
      },
    });
    const held = seen.snapshot!.file!;
    expect(held.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(await bytesOf(held.url!)).toEqual(original);
    expect((await fetch(held.thumbnailUrl!)).status).toBe(200);
    // The reporter sees the tombstone, as every member does.
    expect((await myReports(alice)).edges.find((e) => e.node.id === report.id)!.node.message).toEqual({ id: message.id, text: null, deleted: true });

    const dismissed = await resolved(report.id, 'DISMISS', 'Not abusive');
    expect(dismissed).toMatchObject({ status: 'DISMISSED', action: 'DISMISS', resolution: 'Not abusive' });
    expect(dismissed.resolvedAt).not.toBeNull();
    expect(dismissed.snapshot).toMatchObject({ text: 'look at this', file: { originalName: 'proof.png', held: false, url: null, thumbnailUrl: null } });
    for (const key of keys) expect(await onDisk(key)).toBe(false);
    expect((await fetch(held.url!)).status).toBe(404);
    expect(await server.database.prisma.fileHold.count()).toBe(0);

    const mine = (await myReports(alice)).edges.find((e) => e.node.id === report.id)!.node;
    expect(mine).toMatchObject({ status: 'DISMISSED', resolution: 'Not abusive', action: null, reporter: null, snapshot: null });
  });

  it('holds an album whole: every file stays for the admin after a deletion for everyone, until resolution', async () => {
    const photos = [await phonePhoto('png', 40, 30), await phonePhoto('jpeg', 30, 40), await phonePhoto('png', 20, 20)];
    const uploadIds = [];
    for (const [i, photo] of photos.entries()) uploadIds.push(await uploadResumable(server, bob.accessToken, photo, `album${i}.png`));
    const album = expectNoErrors(
      await gql(server, SendAttachmentsDocument, { input: { chatId: group, attachments: uploadIds.map((uploadId) => ({ uploadId })) } }, as(bob)),
    ).sendAttachments;
    const originals = await Promise.all(album.files.map((file) => bytesOf(file.url)));
    const keys = (await Promise.all(album.files.map((file) => storedKeys(file.id)))).flat();
    const report = await reported(dave, album.id);
    expectNoErrors(await gql(server, DeleteMessageDocument, { messageId: album.id, forEveryone: true }, as(bob)));
    expect(await server.database.prisma.file.count({ where: { id: { in: uploadIds } } })).toBe(0);

    const { snapshot } = await asAdminSees(report.id);
    expect(snapshot!.file).toMatchObject({ originalName: 'album0.png', held: true });
    expect(snapshot!.files.map((file) => [file.originalName, file.held])).toEqual([
      ['album0.png', true],
      ['album1.png', true],
      ['album2.png', true],
    ]);
    expect(await Promise.all(snapshot!.files.map((file) => bytesOf(file.url!)))).toEqual(originals);

    const { snapshot: after } = await resolved(report.id, 'DISMISS');
    expect(after!.files.map((file) => [file.originalName, file.held, file.url])).toEqual([
      ['album0.png', false, null],
      ['album1.png', false, null],
      ['album2.png', false, null],
    ]);
    for (const key of keys) expect(await onDisk(key)).toBe(false);
    expect(await server.database.prisma.fileHold.count()).toBe(0);
  });

  it('keeps the text as reported when the sender edits it; resolving leaves bytes that a live message still uses', async () => {
    const text = await sent(server, bob, group, 'buy cheap pills');
    const textReport = await reported(dave, text.id);
    expectNoErrors(await gql(server, EditMessageDocument, { messageId: text.id, text: 'hello all' }, as(bob)));
    expect(await asAdminSees(textReport.id)).toMatchObject({
      message: { text: 'hello all', deleted: false },
      snapshot: { text: 'buy cheap pills', kind: 'TEXT', editedAt: null, file: null },
    });

    const { message, file } = await sendMedia(bob, group, { data: Buffer.from('a note\n'), name: 'note.txt' });
    const keys = await storedKeys(file.id);
    const report = await reported(dave, message.id);
    await resolved(report.id, 'DISMISS');
    // The message and its File row are still there: so are the bytes.
    for (const key of keys) expect(await onDisk(key)).toBe(true);
    expect(await bytesOf(file.url)).toMatchObject({ status: 200, body: Buffer.from('a note\n') });
  });

  it('a deletion racing a report never leaves a held snapshot without its bytes', async () => {
    // The report starts a little later each round (the deletion's request has more to do first), so that it wins the
    // early rounds and the deletion the later ones; on this machine the two cross at about 30–40 ms.
    for (let round = 0; round < 12; round++) {
      const { message } = await sendMedia(bob, group, { data: Buffer.from(`race ${round}\n`), name: 'race.txt' });
      const later = new Promise((resolve) => setTimeout(resolve, round * 4));
      const [report, deleted] = await Promise.all([
        later.then(() => reportMessage(dave, message.id)),
        gql(server, DeleteMessageDocument, { messageId: message.id, forEveryone: true }, as(bob)),
      ]);
      expectNoErrors(deleted);
      if (report.errors) {
        expect(expectErrorCode(report, 'BAD_USER_INPUT').message).toMatch(/deleted message/);
        continue;
      }
      const held = (await asAdminSees(report.data!.reportMessage.id)).snapshot!.file!;
      expect(held.held).toBe(true);
      expect(await bytesOf(held.url!)).toMatchObject({ status: 200, body: Buffer.from(`race ${round}\n`) });
      await resolved(report.data!.reportMessage.id, 'DISMISS');
      expect((await fetch(held.url!)).status).toBe(404);
    }
    // A refused report rolled its hold back; a resolved one ended it.
    expect(await server.database.prisma.fileHold.count()).toBe(0);
  });
});

describe('who may report what', () => {
  it('one open report per reporter and target (CONFLICT); others may report it too; after resolution, again', async () => {
    const message = await sent(server, bob, group, 'annoying');
    const first = await reported(alice, message.id);
    expect(expectErrorCode(await reportMessage(alice, message.id, 'OTHER'), 'CONFLICT').message).toMatch(/already reported/);
    const byDave = await reported(dave, message.id);
    expect(byDave.id).not.toBe(first.id);
    // The user is another target than their message.
    const aboutBob = expectNoErrors(await reportUser(alice, bob.user.id)).reportUser;
    expect(aboutBob).toMatchObject({ user: { id: bob.user.id }, message: null, status: 'OPEN' });
    expectErrorCode(await reportUser(alice, bob.user.id, 'SPAM'), 'CONFLICT');

    await resolved(first.id, 'DISMISS');
    expect(expectErrorCode(await resolve(first.id, 'DISMISS'), 'CONFLICT').message).toMatch(/already resolved/);
    expectErrorCode(await resolve(first.id, 'DELETE_MESSAGE'), 'CONFLICT');
    const again = await reported(alice, message.id, 'ABUSE');
    expect(again).toMatchObject({ status: 'OPEN', reason: 'ABUSE' });
    expect(again.id).not.toBe(first.id);
    await resolved(aboutBob.id, 'DISMISS');
    expect(expectNoErrors(await reportUser(alice, bob.user.id)).reportUser.id).not.toBe(aboutBob.id);
  });

  it('a stranger to the chat gets NOT_FOUND; my own, SYSTEM and deleted messages, myself and long notes are BAD_USER_INPUT', async () => {
    const message = await sent(server, bob, group, 'members only');
    const count = () => server.database.prisma.report.count();
    const before = await count();
    expectErrorCode(await reportMessage(stranger, message.id), 'NOT_FOUND');
    expectErrorCode(await reportMessage(alice, '00000000-0000-4000-8000-000000000000'), 'NOT_FOUND');
    expectErrorCode(await reportMessage(alice, 'not-a-uuid'), 'NOT_FOUND');
    expectErrorCode(await reportUser(alice, '00000000-0000-4000-8000-000000000000'), 'NOT_FOUND');
    expectErrorCode(await reportUser(alice, 'nobody'), 'NOT_FOUND');

    expect(expectErrorCode(await reportUser(alice, alice.user.id), 'BAD_USER_INPUT').extensions?.['field']).toBe('userId');
    expect(expectErrorCode(await reportMessage(bob, message.id), 'BAD_USER_INPUT').message).toMatch(/your own/);
    const system = await server.database.prisma.message.findFirstOrThrow({ where: { chatId: group, kind: 'SYSTEM' } });
    expect(expectErrorCode(await reportMessage(alice, system.id), 'BAD_USER_INPUT').message).toMatch(/SYSTEM/);
    const gone = await sent(server, bob, group, 'regret');
    expectNoErrors(await gql(server, DeleteMessageDocument, { messageId: gone.id, forEveryone: true }, as(bob)));
    expect(expectErrorCode(await reportMessage(alice, gone.id), 'BAD_USER_INPUT').message).toMatch(/deleted message/);
    expect(expectErrorCode(await reportMessage(alice, message.id, 'OTHER', 'x'.repeat(1001)), 'BAD_USER_INPUT').extensions?.['field']).toBe('note');
    expect(await count()).toBe(before);

    // A message deleted only for me is still there to report; 1,000 characters is fine; a blank note is none.
    const hidden = await sent(server, bob, group, 'hidden from me');
    expectNoErrors(await gql(server, DeleteMessageDocument, { messageId: hidden.id, forEveryone: false }, as(alice)));
    const report = await reported(alice, hidden.id, 'OTHER', 'y'.repeat(1000));
    expect(report.note).toHaveLength(1000);
    expect(report.message).toMatchObject({ id: hidden.id, deleted: true, text: null });
    expect((await asAdminSees(report.id)).snapshot!.text).toBe('hidden from me');
    expect(expectNoErrors(await reportUser(alice, stranger.user.id, 'SPAM', '   ')).reportUser.note).toBeNull();
  });

  it('only the reporter sees a report, without learning more; the reported user sees nothing; admins see who', async () => {
    const message = await sent(server, bob, group, 'report me');
    const report = await reported(dave, message.id);
    expect(report.reporter).toBeNull();
    expect((await myReports(bob)).edges.map((e) => e.node.id)).not.toContain(report.id);
    expect((await myReports(alice)).edges.map((e) => e.node.id)).not.toContain(report.id);
    expect((await myReports(dave)).edges.find((e) => e.node.id === report.id)!.node).toMatchObject({ reporter: null, snapshot: null, action: null });
    expect((await asAdminSees(report.id)).reporter).toEqual({ id: dave.user.id });
  });

  it('is rate limited per reporter (RATE_LIMIT_REPORTS); a refused duplicate costs nothing', async () => {
    const limited = await startTestServer({ RATE_LIMIT_REPORTS: '2/3600' });
    try {
      const [me, x, y, z] = await Promise.all([createUser(limited), createUser(limited), createUser(limited), createUser(limited)]);
      const report = (userId: string) => gql(limited, ReportUserDocument, { userId, reason: 'SPAM' }, as(me));
      expectNoErrors(await report(x.user.id));
      expectErrorCode(await report(x.user.id), 'CONFLICT');
      expectNoErrors(await report(y.user.id));
      const refused = expectErrorCode(await report(z.user.id), 'RATE_LIMITED');
      expect(refused.extensions).toMatchObject({ policy: 'REPORTS' });
      expect(refused.extensions?.['retryAfterSeconds']).toBeGreaterThan(0);
      // The budget is the reporter's: someone else still reports.
      expectNoErrors(await gql(limited, ReportUserDocument, { userId: z.user.id, reason: 'SPAM' }, as(x)));
    } finally {
      await limited.close();
    }
  });
});

describe('lists', () => {
  it('myReports and adminReports page newest first; adminReports filters by status', async () => {
    const reporter = await createUser(server);
    const targets = await Promise.all([createUser(server), createUser(server), createUser(server)]);
    const ids: string[] = [];
    for (const target of targets) ids.push(expectNoErrors(await reportUser(reporter, target.user.id)).reportUser.id);
    const first = await myReports(reporter, 2);
    expect(first.edges.map((e) => e.node.id)).toEqual([ids[2], ids[1]]);
    expect(first.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
    const rest = await myReports(reporter, 2, first.pageInfo.endCursor);
    expect(rest.edges.map((e) => e.node.id)).toEqual([ids[0]]);
    expect(rest.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: true });
    expectErrorCode(await gql(server, MyReportsDocument, { after: 'garbage' }, as(reporter)), 'BAD_USER_INPUT');
    expectErrorCode(await gql(server, MyReportsDocument, { first: -1 }, as(reporter)), 'BAD_USER_INPUT');

    await resolved(ids[1]!, 'DISMISS');
    const adminPage = async (status: 'OPEN' | 'DISMISSED' | null, first: number, after?: string | null) =>
      expectNoErrors(await gql(server, AdminReportsDocument, { status, first, after }, as(admin))).adminReports;
    const open = await adminPage('OPEN', 1);
    expect(open.edges.map((e) => e.node.id)).toEqual([ids[2]]);
    const nextOpen = await adminPage('OPEN', 1, open.pageInfo.endCursor);
    expect(nextOpen.edges.map((e) => e.node.id)).toEqual([ids[0]]); // ids[1] is dismissed
    expect((await adminPage('DISMISSED', 100)).edges.map((e) => e.node.id)).toContain(ids[1]);
    expect((await adminPage('DISMISSED', 100)).edges.every((e) => e.node.status === 'DISMISSED')).toBe(true);
    const all = await adminPage(null, 3);
    expect(all.edges.map((e) => e.node.id)).toEqual([ids[2], ids[1], ids[0]]);
    // A cursor names its list: myReports' is refused here.
    expectErrorCode(await gql(server, AdminReportsDocument, { after: first.pageInfo.endCursor }, as(admin)), 'BAD_USER_INPUT');
    expect(await auditTrail(1)).toEqual([['READ_REPORTS', null, null]]);
  });
});

describe('moderation', () => {
  it('adminReports and adminResolveReport are FORBIDDEN to plain users and UNAUTHENTICATED signed out', async () => {
    const message = await sent(server, bob, group, 'forbidden fruit');
    const report = await reported(alice, message.id);
    for (const user of [alice, bob]) {
      expectErrorCode(await gql(server, AdminReportsDocument, {}, as(user)), 'FORBIDDEN');
      expectErrorCode(await resolve(report.id, 'DELETE_MESSAGE', undefined, user), 'FORBIDDEN');
    }
    expectErrorCode(await gql(server, AdminReportsDocument, {}), 'UNAUTHENTICATED');
    expectErrorCode(await gql(server, AdminResolveReportDocument, { reportId: report.id, action: 'DISMISS' }), 'UNAUTHENTICATED');
    expectErrorCode(await gql(server, AdminOpenReportsDocument, {}, as(alice)), 'FORBIDDEN');
    expect(await server.database.prisma.report.findUniqueOrThrow({ where: { id: report.id } })).toMatchObject({ status: 'OPEN' });
    expect(await server.database.prisma.message.findUniqueOrThrow({ where: { id: message.id } })).toMatchObject({ deletedAt: null });

    expectErrorCode(await resolve('00000000-0000-4000-8000-000000000000', 'DISMISS'), 'NOT_FOUND');
    expectErrorCode(await resolve('nope', 'DISMISS'), 'NOT_FOUND');
    expect(expectErrorCode(await resolve(report.id, 'DISMISS', 'z'.repeat(1001)), 'BAD_USER_INPUT').extensions?.['field']).toBe('note');
    const aboutUser = expectNoErrors(await reportUser(alice, dave.user.id)).reportUser;
    expect(expectErrorCode(await resolve(aboutUser.id, 'DELETE_MESSAGE'), 'BAD_USER_INPUT').extensions?.['field']).toBe('action');
  });

  it('DELETE_MESSAGE deletes it for everyone: members get the tombstone by messageUpdated; audited', async () => {
    const message = await sent(server, bob, group, 'spam spam spam');
    const report = await reported(alice, message.id, 'SPAM');
    const live = new LiveSubscription(suite.connect(dave), OnMessageUpdatedDocument, { chatId: group });
    await waitForListeners(server, MessageTopic.MessageUpdated, dave.user.id);

    const done = await resolved(report.id, 'DELETE_MESSAGE', 'Removed: spam');
    expect(done).toMatchObject({ status: 'RESOLVED', action: 'DELETE_MESSAGE', resolution: 'Removed: spam', message: { id: message.id, deleted: true } });
    expect(done.snapshot!.text).toBe('spam spam spam');
    const [event] = await live.waitFor(1);
    expect(event!.messageUpdated).toMatchObject({ id: message.id, chatId: group, deleted: true, text: null });
    expect(event!.messageUpdated.rev).toBeGreaterThan(message.rev);
    expect(await auditTrail(2)).toEqual([
      ['RESOLVE_REPORT', 'Report', report.id],
      ['DELETE_MESSAGE', 'Message', message.id],
    ]);
    const [entry] = expectNoErrors(await gql(server, AdminAuditLogDocument, { first: 1 }, as(admin))).adminAuditLog.edges;
    expect(entry!.node.admin).toEqual({ id: admin.user.id });
    expect(JSON.parse(entry!.node.details!)).toMatchObject({ action: 'DELETE_MESSAGE', messageId: message.id, userId: bob.user.id, deleted: true });
    // The reporter learns the outcome.
    expect((await myReports(alice)).edges.find((e) => e.node.id === report.id)!.node).toMatchObject({ status: 'RESOLVED', resolution: 'Removed: spam' });
  });

  it('DELETE_MESSAGE on a media message: the bytes outlive the File row until the resolution commits, then go', async () => {
    const { message, file } = await sendMedia(bob, group, { data: Buffer.from('contraband\n'), name: 'list.txt' });
    const keys = await storedKeys(file.id);
    const report = await reported(dave, message.id, 'ILLEGAL');
    const done = await resolved(report.id, 'DELETE_MESSAGE');
    expect(done).toMatchObject({
      status: 'RESOLVED',
      message: { deleted: true },
      snapshot: { kind: 'DOCUMENT', file: { originalName: 'list.txt', held: false } },
    });
    expect(await server.database.prisma.file.count({ where: { id: file.id } })).toBe(0);
    for (const key of keys) expect(await onDisk(key)).toBe(false);
  });

  it("DEACTIVATE_USER deactivates the message's sender: their sessions and sockets end at once; audited", async () => {
    const mallory = await createUser(server, { displayName: 'Mallory' });
    const chatId = await createPrivateChat(server, mallory, alice);
    const message = await sent(server, mallory, chatId, 'give me your password');
    const report = await reported(alice, message.id, 'ABUSE');
    const closed = new Promise<number>((resolve) => {
      const client = wsClient(server, mallory.accessToken, { lazy: false });
      client.on('closed', (event) => resolve((event as { code: number }).code));
    });
    await expect.poll(() => server.services.presence.isOnline(mallory.user.id)).toBe(true);

    expect(await resolved(report.id, 'DEACTIVATE_USER')).toMatchObject({ status: 'RESOLVED', action: 'DEACTIVATE_USER', resolution: null });
    expect(await closed).toBe(4403);
    expectErrorCode(await gql(server, MeDocument, {}, as(mallory)), 'UNAUTHENTICATED');
    expectErrorCode(await gql(server, RefreshTokenDocument, { refreshToken: mallory.refreshToken }), 'UNAUTHENTICATED');
    expect(await auditTrail(2)).toEqual([
      ['RESOLVE_REPORT', 'Report', report.id],
      ['DEACTIVATE_USER', 'User', mallory.user.id],
    ]);
    // The message itself stays (deleting it is the other action).
    expect(await server.database.prisma.message.findUniqueOrThrow({ where: { id: message.id } })).toMatchObject({ deletedAt: null });
  });

  it('DEACTIVATE_USER on a report of a user; an admin cannot deactivate themself (the report stays open)', async () => {
    const troll = await createUser(server);
    const report = expectNoErrors(await reportUser(alice, troll.user.id, 'ABUSE')).reportUser;
    await resolved(report.id, 'DEACTIVATE_USER');
    expect(await server.database.prisma.user.findUniqueOrThrow({ where: { id: troll.user.id } })).toMatchObject({ active: false });
    expectErrorCode(await gql(server, MeDocument, {}, as(troll)), 'UNAUTHENTICATED');

    const aboutAdmin = expectNoErrors(await reportUser(alice, admin.user.id, 'OTHER')).reportUser;
    expectErrorCode(await resolve(aboutAdmin.id, 'DEACTIVATE_USER'), 'BAD_USER_INPUT');
    expect(await server.database.prisma.report.findUniqueOrThrow({ where: { id: aboutAdmin.id } })).toMatchObject({ status: 'OPEN' });
    expectNoErrors(await gql(server, MeDocument, {}, as(admin)));
  });

  it('adminStats counts open reports', async () => {
    const openReports = async () => expectNoErrors(await gql(server, AdminOpenReportsDocument, {}, as(admin))).adminStats.openReports;
    const before = await openReports();
    expect(before).toBe(await server.database.prisma.report.count({ where: { status: 'OPEN' } }));
    const message = await sent(server, bob, group, 'count me');
    const report = await reported(dave, message.id);
    expect(await openReports()).toBe(before + 1);
    await resolved(report.id, 'DISMISS');
    expect(await openReports()).toBe(before);
  });
});
