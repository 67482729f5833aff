import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { as, createUser, promoteToAdmin, type TestUser } from '../../test/factories.js';
import { createPrivateChat } from '../../test/chats.js';
import {
  AdminActivityDocument,
  AdminAuditLogDocument,
  AdminHealthDocument,
  AdminMessagesDocument,
  AdminSetUserActiveDocument,
  AdminSetUserRoleDocument,
  AdminStatsDocument,
  AdminUsersDocument,
  LoginDocument,
  MeDocument,
  RefreshTokenDocument,
  SendMessageDocument,
} from '../../test/generated/graphql.js';
import { expectErrorCode, expectNoErrors, gql, startTestServer, wsClient, type TestServer } from '../../test/server.js';

let server: TestServer;
let admin: TestUser;
let plain: TestUser;

beforeAll(async () => {
  server = await startTestServer();
  [admin, plain] = await Promise.all([createUser(server, { displayName: 'Admin' }), createUser(server, { displayName: 'Plain' })]);
  await promoteToAdmin(server, admin.user.id);
});
afterAll(async () => {
  await server?.close();
});

describe('access', () => {
  const operations = [
    ['adminStats', () => gql(server, AdminStatsDocument, {}, as(plain)), () => gql(server, AdminStatsDocument)],
    ['adminHealth', () => gql(server, AdminHealthDocument, {}, as(plain)), () => gql(server, AdminHealthDocument)],
    ['adminActivity', () => gql(server, AdminActivityDocument, { hours: 24 }, as(plain)), () => gql(server, AdminActivityDocument, { hours: 24 })],
    ['adminUsers', () => gql(server, AdminUsersDocument, {}, as(plain)), () => gql(server, AdminUsersDocument)],
    ['adminMessages', () => gql(server, AdminMessagesDocument, {}, as(plain)), () => gql(server, AdminMessagesDocument)],
    ['adminAuditLog', () => gql(server, AdminAuditLogDocument, {}, as(plain)), () => gql(server, AdminAuditLogDocument)],
    [
      'adminSetUserActive',
      () => gql(server, AdminSetUserActiveDocument, { userId: admin.user.id, active: false }, as(plain)),
      () => gql(server, AdminSetUserActiveDocument, { userId: admin.user.id, active: false }),
    ],
    [
      'adminSetUserRole',
      () => gql(server, AdminSetUserRoleDocument, { userId: plain.user.id, role: 'ADMIN' }, as(plain)),
      () => gql(server, AdminSetUserRoleDocument, { userId: plain.user.id, role: 'ADMIN' }),
    ],
  ] as const;

  it.each(operations)('%s is FORBIDDEN to a plain user and UNAUTHENTICATED signed out', async (_name, asPlain, signedOut) => {
    const refused = await asPlain();
    expectErrorCode(refused, 'FORBIDDEN');
    expect(refused.data).toBeNull();
    expectErrorCode(await signedOut(), 'UNAUTHENTICATED');
  });

  it('changed nothing while refusing', async () => {
    const me = expectNoErrors(await gql(server, MeDocument, {}, as(plain))).me;
    expect(me.role).toBe('USER');
    expectNoErrors(await gql(server, MeDocument, {}, as(admin)));
  });
});

describe('reads', () => {
  it('adminStats counts what is there', async () => {
    const [a, b] = await Promise.all([createUser(server), createUser(server)]);
    const chatId = await createPrivateChat(server, a, b);
    for (let i = 0; i < 3; i++) expectNoErrors(await gql(server, SendMessageDocument, { input: { chatId, text: `m${i}` } }, as(a)));
    const socket = wsClient(server, b.accessToken, { lazy: false });
    try {
      await expect.poll(() => server.services.presence.isOnline(b.user.id)).toBe(true);
      const { adminStats } = expectNoErrors(await gql(server, AdminStatsDocument, {}, as(admin)));
      const prisma = server.database.prisma;
      expect(adminStats).toMatchObject({
        usersTotal: await prisma.user.count(),
        usersActive: await prisma.user.count({ where: { active: true } }),
        chatsPrivate: await prisma.chat.count({ where: { kind: 'PRIVATE' } }),
        chatsGroup: await prisma.chat.count({ where: { kind: 'GROUP' } }),
        messagesTotal: await prisma.message.count(),
        messagesLast24h: await prisma.message.count(),
        filesCount: await prisma.file.count(),
      });
      expect(adminStats.messagesTotal).toBeGreaterThanOrEqual(3);
      expect(adminStats.usersOnline).toBeGreaterThanOrEqual(1);
      expect(adminStats.webSocketsOpen).toBeGreaterThanOrEqual(1);
    } finally {
      await socket.dispose();
    }
  });

  it('adminActivity counts messages per clock hour, every hour of the window present, the current one last', async () => {
    const before = expectNoErrors(await gql(server, AdminActivityDocument, { hours: 3 }, as(admin))).adminActivity;
    const chatId = await createPrivateChat(server, admin, plain);
    for (const text of ['one', 'two']) expectNoErrors(await gql(server, SendMessageDocument, { input: { chatId, text } }, as(plain)));
    const after = expectNoErrors(await gql(server, AdminActivityDocument, { hours: 3 }, as(admin))).adminActivity;
    expect(after).toHaveLength(3);
    const hours = after.map((bucket) => new Date(bucket.hour).getTime());
    expect(hours[2]! - hours[0]!).toBe(2 * 3600_000);
    expect(hours[2]).toBe(Math.floor(Date.now() / 3600_000) * 3600_000);
    // The hour may have turned between the two reads; the newest bucket then holds just the two.
    const grew = after[2]!.messages - (before[2]!.hour === after[2]!.hour ? before[2]!.messages : 0);
    expect(grew).toBe(2);
    const week = expectNoErrors(await gql(server, AdminActivityDocument, { hours: 168 }, as(admin))).adminActivity;
    expect(week).toHaveLength(168);
  });

  it.each([0, 169, -1])('adminActivity(hours: %i) is BAD_USER_INPUT on hours', async (hours) => {
    const refused = await gql(server, AdminActivityDocument, { hours }, as(admin));
    expectErrorCode(refused, 'BAD_USER_INPUT');
    expect(refused.errors?.[0]?.extensions?.['field']).toBe('hours');
  });

  it('adminHealth reports each part', async () => {
    const { adminHealth } = expectNoErrors(await gql(server, AdminHealthDocument, {}, as(admin)));
    expect(adminHealth).toMatchObject({
      status: 'ok',
      databaseMode: 'external',
      version: '0.1.0',
      database: { up: true },
      pubsub: { up: true },
      uploads: { up: true },
    });
    expect(adminHealth.database.latencyMs).toBeGreaterThanOrEqual(0);
    expect(adminHealth.uploadsFreeBytes).toBeGreaterThan(0);
    expect(adminHealth.uptimeSeconds).toBeGreaterThanOrEqual(0);
  });

  it('adminHealth counts the job queue: queued, and failed for good', async () => {
    const health = async () => expectNoErrors(await gql(server, AdminHealthDocument, {}, as(admin))).adminHealth.jobs!;
    const before = await health();
    // A task no instance has a handler for waits for ever; one marked out of attempts counts as failed.
    await server.database.prisma.$executeRaw`SELECT graphile_worker.add_job('admin_test_nobody_runs', '{}'::json)`;
    await server.database.prisma.$executeRaw`SELECT graphile_worker.add_job('admin_test_nobody_runs', '{"doomed":true}'::json)`;
    await server.database.prisma.$executeRaw`
      UPDATE graphile_worker._private_jobs SET attempts = max_attempts, last_error = 'gave up' WHERE payload->>'doomed' = 'true'`;
    const after = await health();
    expect({ queued: after.queued - before.queued, running: after.running - before.running, failed: after.failed - before.failed }).toEqual({
      queued: 1,
      running: 0,
      failed: 1,
    });
  });

  it('adminUsers lists deactivated accounts too, filtered by active', async () => {
    const gone = await createUser(server);
    expectNoErrors(await gql(server, AdminSetUserActiveDocument, { userId: gone.user.id, active: false }, as(admin)));
    const inactive = expectNoErrors(await gql(server, AdminUsersDocument, { active: false, first: 100 }, as(admin))).adminUsers;
    expect(inactive.edges.map((e) => e.node.id)).toContain(gone.user.id);
    const found = expectNoErrors(await gql(server, AdminUsersDocument, { search: gone.username }, as(admin))).adminUsers;
    expect(found.edges.map((e) => e.node.id)).toEqual([gone.user.id]);
  });

  it('adminMessages filters by chat and sender, and every read is audited', async () => {
    const [a, b] = await Promise.all([createUser(server), createUser(server)]);
    const chatId = await createPrivateChat(server, a, b);
    expectNoErrors(await gql(server, SendMessageDocument, { input: { chatId, text: 'from a' } }, as(a)));
    expectNoErrors(await gql(server, SendMessageDocument, { input: { chatId, text: 'from b' } }, as(b)));
    const byChat = expectNoErrors(await gql(server, AdminMessagesDocument, { chatId }, as(admin))).adminMessages;
    expect(byChat.edges.map((e) => e.node.text)).toEqual(['from b', 'from a']);
    const bySender = expectNoErrors(await gql(server, AdminMessagesDocument, { senderId: b.user.id }, as(admin))).adminMessages;
    expect(bySender.edges.map((e) => e.node.text)).toEqual(['from b']);
    expectErrorCode(await gql(server, AdminMessagesDocument, { chatId: 'bad' }, as(admin)), 'BAD_USER_INPUT');

    const log = expectNoErrors(await gql(server, AdminAuditLogDocument, { first: 2 }, as(admin))).adminAuditLog;
    expect(log.edges.map((e) => [e.node.action, e.node.targetType, e.node.targetId, e.node.admin?.id])).toEqual([
      ['READ_MESSAGES', 'User', b.user.id, admin.user.id],
      ['READ_MESSAGES', 'Chat', chatId, admin.user.id],
    ]);
    expect(JSON.parse(log.edges[1]!.node.details!)).toMatchObject({ chatId, returned: 2 });
  });
});

describe('changes', () => {
  it('deactivating ends sessions and sockets at once (4403); reactivating allows sign-in again', async () => {
    const target = await createUser(server);
    const closed = new Promise<number>((resolve) => {
      const client = wsClient(server, target.accessToken, { lazy: false });
      client.on('closed', (event) => resolve((event as { code: number }).code));
    });
    await expect.poll(() => server.services.presence.isOnline(target.user.id)).toBe(true);

    expectNoErrors(await gql(server, AdminSetUserActiveDocument, { userId: target.user.id, active: false }, as(admin)));
    expect(await closed).toBe(4403);
    expectErrorCode(await gql(server, MeDocument, {}, as(target)), 'UNAUTHENTICATED');
    expectErrorCode(await gql(server, RefreshTokenDocument, { refreshToken: target.refreshToken }), 'UNAUTHENTICATED');
    expectErrorCode(await gql(server, LoginDocument, { input: { username: target.username, password: target.password } }), 'FORBIDDEN');

    expectNoErrors(await gql(server, AdminSetUserActiveDocument, { userId: target.user.id, active: true }, as(admin)));
    const { login } = expectNoErrors(await gql(server, LoginDocument, { input: { username: target.username, password: target.password } }));
    expectNoErrors(await gql(server, MeDocument, {}, { token: login.accessToken }));

    const actions = expectNoErrors(await gql(server, AdminAuditLogDocument, { first: 2 }, as(admin))).adminAuditLog.edges.map((e) => e.node.action);
    expect(actions).toEqual(['ACTIVATE_USER', 'DEACTIVATE_USER']);
  });

  it('sets roles, and refuses to lock the admin out of their own account', async () => {
    const target = await createUser(server);
    expect(expectNoErrors(await gql(server, AdminSetUserRoleDocument, { userId: target.user.id, role: 'ADMIN' }, as(admin))).adminSetUserRole.role).toBe(
      'ADMIN',
    );
    expectNoErrors(await gql(server, AdminStatsDocument, {}, as(target)));
    expectNoErrors(await gql(server, AdminSetUserRoleDocument, { userId: target.user.id, role: 'USER' }, as(admin)));
    expectErrorCode(await gql(server, AdminStatsDocument, {}, as(target)), 'FORBIDDEN');

    expectErrorCode(await gql(server, AdminSetUserActiveDocument, { userId: admin.user.id, active: false }, as(admin)), 'BAD_USER_INPUT');
    expectErrorCode(await gql(server, AdminSetUserRoleDocument, { userId: admin.user.id, role: 'USER' }, as(admin)), 'BAD_USER_INPUT');
    expectErrorCode(await gql(server, AdminSetUserActiveDocument, { userId: '00000000-0000-4000-8000-000000000000', active: false }, as(admin)), 'NOT_FOUND');
  });
});

describe('the admin CLI', () => {
  const root = new URL('../../../', import.meta.url).pathname;
  const cli = (args: string[], stdin = '') =>
    new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'src/modules/admin/admin.cli.ts', ...args], {
        cwd: root,
        env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', DATABASE_URL: server.database.url, LOG_LEVEL: 'warn' },
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
      child.on('exit', (code) => resolve({ code, stdout, stderr }));
      child.stdin.end(stdin);
    });

  // Eight processes, each importing the app: minutes on a loaded machine. The timeout guards a hang only.
  it('creates an admin, promotes and deactivates users, on the server database', { timeout: 180_000 }, async () => {
    const created = await cli(['create', 'Operator'], 'operator password 1\n');
    expect(created, created.stderr).toMatchObject({ code: 0 });
    const { login } = expectNoErrors(await gql(server, LoginDocument, { input: { username: 'operator', password: 'operator password 1' } }));
    expect(login.user.role).toBe('ADMIN');

    const someone = await createUser(server);
    expect((await cli(['promote', someone.username])).code).toBe(0);
    // Promotion ends the sessions opened as a plain user: the new admin signs in again.
    expectErrorCode(await gql(server, MeDocument, {}, as(someone)), 'UNAUTHENTICATED');
    const again = expectNoErrors(await gql(server, LoginDocument, { input: { username: someone.username, password: someone.password } })).login;
    expectNoErrors(await gql(server, AdminStatsDocument, {}, { token: again.accessToken }));
    expect((await cli(['deactivate', someone.username])).code).toBe(0);
    expectErrorCode(await gql(server, MeDocument, {}, { token: again.accessToken }), 'UNAUTHENTICATED');

    // `create` naming someone else's account (it has sessions) refuses unless --force, which ends those sessions.
    const squatter = await createUser(server);
    const refused = await cli(['create', squatter.username], 'operator password 2\n');
    expect(refused).toMatchObject({ code: 1, stderr: expect.stringMatching(/existing account with 1 open session.*--force/s) });
    expect(login.user.role).toBe('ADMIN');
    expectNoErrors(await gql(server, MeDocument, {}, as(squatter)));
    const forced = await cli(['create', squatter.username, '--force'], 'operator password 2\n');
    expect(forced).toMatchObject({ code: 0, stdout: expect.stringMatching(/existed and is now an admin.*1 session\(s\) ended/s) });
    expectErrorCode(await gql(server, MeDocument, {}, as(squatter)), 'UNAUTHENTICATED');
    const operator2 = expectNoErrors(await gql(server, LoginDocument, { input: { username: squatter.username, password: 'operator password 2' } })).login;
    expect(operator2.user.role).toBe('ADMIN');

    expect(await cli(['promote', 'nobody_at_all'])).toMatchObject({ code: 1, stderr: expect.stringMatching(/No user named nobody_at_all/) });
    expect(await cli(['explode', 'x'])).toMatchObject({ code: 2, stderr: expect.stringMatching(/Usage/) });
    expect(await cli(['create', 'shorty'], 'short\n')).toMatchObject({ code: 1, stderr: expect.stringMatching(/10–128/) });
  });
});
