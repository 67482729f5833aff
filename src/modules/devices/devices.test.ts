import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPrivateChat } from '../../test/chats.js';
import { as, createUser, promoteToAdmin, type TestUser } from '../../test/factories.js';
import {
  AdminHealthDocument,
  LoginDocument,
  LogoutDocument,
  MarkReadDocument,
  MySessionsDocument,
  RegisterDeviceDocument,
  SendMessageDocument,
  UnregisterDeviceDocument,
  type RegisterDeviceInput,
} from '../../test/generated/graphql.js';
import { apnsKey, fcmServiceAccount, startFakeApns, startFakeFcm } from '../../test/push-fakes.js';
import { expectErrorCode, expectNoErrors, gql, startTestServer, wsClient, type TestServer } from '../../test/server.js';

const TOPIC = 'com.example.payamak';
let server: TestServer;
let apns: Awaited<ReturnType<typeof startFakeApns>>;
let fcm: Awaited<ReturnType<typeof startFakeFcm>>;
let keys: string;

beforeAll(async () => {
  keys = mkdtempSync(path.join(tmpdir(), 'push-keys-'));
  const key = apnsKey(keys);
  apns = await startFakeApns(key);
  fcm = await startFakeFcm();
  const serviceAccount = fcmServiceAccount(keys, `${fcm.url}/token`);
  fcm.trust(serviceAccount.account, serviceAccount.publicKey);
  server = await startTestServer(
    {
      APNS_KEY_FILE: key.file,
      APNS_KEY_ID: key.keyId,
      APNS_TEAM_ID: key.teamId,
      APNS_BASE_URL: apns.url,
      APNS_TOPIC: TOPIC,
      FCM_SERVICE_ACCOUNT_FILE: serviceAccount.file,
      FCM_BASE_URL: fcm.url,
      // A window long enough that a burst of sequential sends falls inside it.
      PUSH_COALESCE_MS: '1500',
    },
    { tuning: { pushTestCa: apns.ca } },
  );
});
afterAll(async () => {
  await server?.close();
  await apns?.close();
  await fcm?.close();
  rmSync(keys, { recursive: true, force: true });
});

const apnsToken = () => randomBytes(32).toString('hex');
const fcmToken = () => `${randomBytes(8).toString('hex')}:APA91b${randomBytes(96).toString('base64url')}`;

/** Another signed-in session of the same user, as a second device signing in would make. */
async function signIn(user: TestUser): Promise<TestUser> {
  const { login } = expectNoErrors(await gql(server, LoginDocument, { input: { username: user.username, password: user.password } }));
  return { ...user, accessToken: login.accessToken, refreshToken: login.refreshToken };
}

const register = (session: TestUser, input: RegisterDeviceInput) => gql(server, RegisterDeviceDocument, { input }, as(session));
const registered = async (session: TestUser, input: RegisterDeviceInput) => expectNoErrors(await register(session, input)).registerDevice;
const send = async (from: TestUser, chatId: string, text: string) =>
  expectNoErrors(await gql(server, SendMessageDocument, { input: { chatId, text } }, as(from))).sendMessage;

describe('delivery per device', () => {
  it("reaches the phone while the web is open in another session; a read on the web clears it; the phone's logout ends it", async () => {
    const [alice, bob] = await Promise.all([createUser(server, { displayName: 'Alice' }), createUser(server, { displayName: 'Bob' })]);
    const web = bob;
    const phone = await signIn(bob);
    const tablet = await signIn(bob);
    const phoneToken = apnsToken();
    const tabletToken = fcmToken();
    expect(await registered(phone, { platform: 'APNS', token: phoneToken, appId: TOPIC, locale: 'en-GB' })).toMatchObject({
      platform: 'APNS',
      appId: TOPIC,
      content: 'FULL',
      locale: 'en-GB',
    });
    await registered(tablet, { platform: 'FCM', token: tabletToken });
    const chatId = await createPrivateChat(server, alice, bob);

    const socket = wsClient(server, web.accessToken, { lazy: false });
    try {
      await expect.poll(() => server.services.presence.isOnline(bob.user.id)).toBe(true);
      const sent = await send(alice, chatId, 'Hi Bob, are you there?');
      await expect.poll(() => apns.to(phoneToken).length).toBe(1);
      const push = apns.to(phoneToken)[0]!;
      expect(push.headers).toMatchObject({
        'apns-push-type': 'alert',
        'apns-topic': TOPIC,
        'apns-priority': '10',
        'apns-collapse-id': chatId,
      });
      expect(push.claims).toMatchObject({ iss: 'TEAM123456' });
      expect(push.payload).toEqual({
        aps: { alert: { title: 'Alice', body: 'Hi Bob, are you there?' }, badge: 1, sound: 'default', 'thread-id': chatId },
        type: 'NEW_MESSAGE',
        chatId,
        messageId: sent.id,
        seq: sent.seq,
        count: 1,
      });
      // The user is online (the web), so nothing is stored for the in-app list.
      expect(await server.database.prisma.notification.count({ where: { userId: bob.user.id, type: 'NEW_MESSAGE' } })).toBe(0);

      // Read on the web: the phone and the tablet, which showed the message, are told to clear it.
      expectNoErrors(await gql(server, MarkReadDocument, { chatId, upToMessageId: sent.id }, as(web)));
      await expect.poll(() => apns.to(phoneToken).length).toBe(2);
      const cleared = apns.to(phoneToken)[1]!;
      expect(cleared.headers).toMatchObject({ 'apns-push-type': 'background', 'apns-priority': '5', 'apns-topic': TOPIC });
      expect(cleared.payload).toEqual({ aps: { 'content-available': 1, badge: 0 }, type: 'cleared', chatId });
      await expect.poll(() => fcm.to(tabletToken).length).toBe(2);
      expect(fcm.to(tabletToken)[1]!.message).toEqual({
        token: tabletToken,
        data: { type: 'cleared', chatId, badge: '0' },
        android: { priority: 'NORMAL', ttl: '3600s' },
      });

      // The phone signs out: its session ends, and with it its pushes. The tablet's arrival says the send was pushed.
      expectNoErrors(await gql(server, LogoutDocument, { refreshToken: phone.refreshToken }));
      await send(alice, chatId, 'still there?');
      await expect.poll(() => fcm.to(tabletToken).length).toBe(3);
      await server.services.devices.push.idle();
      expect(apns.to(phoneToken)).toHaveLength(2);
      expect(apns.refused).toEqual([]);
      expect(fcm.refused).toEqual([]);
    } finally {
      await socket.dispose();
    }
  });

  it("a device whose own session holds a socket gets nothing; the user's other device does", async () => {
    const [alice, bob] = await Promise.all([createUser(server, { displayName: 'Alice' }), createUser(server)]);
    const phone = await signIn(bob);
    const openToken = apnsToken();
    const closedToken = apnsToken();
    await registered(bob, { platform: 'APNS', token: openToken });
    await registered(phone, { platform: 'APNS', token: closedToken });
    const chatId = await createPrivateChat(server, alice, bob);
    const socket = wsClient(server, bob.accessToken, { lazy: false });
    try {
      const { id } = await sessionOf(bob);
      await expect.poll(async () => (await server.services.presence.sessionsOnline([id])).size).toBe(1);
      await send(alice, chatId, 'hello');
      await expect.poll(() => apns.to(closedToken).length).toBe(1);
      await server.services.devices.push.idle();
      expect(apns.to(openToken)).toEqual([]);
    } finally {
      await socket.dispose();
    }
  });

  it('coalesces a burst into one follow-up push per chat per device, with the count', async () => {
    const [alice, bob] = await Promise.all([createUser(server, { displayName: 'Alice' }), createUser(server)]);
    const token = apnsToken();
    await registered(bob, { platform: 'APNS', token });
    const chatId = await createPrivateChat(server, alice, bob);
    for (let i = 1; i <= 5; i++) await send(alice, chatId, `message ${i}`);
    // The first at once; the other four in one push when the window closes, showing the last.
    await expect.poll(() => apns.to(token).at(-1)?.payload['count'], { timeout: 5000 }).toBe(5);
    const pushes = apns.to(token);
    expect(pushes.map((push) => [push.payload['count'], (push.payload.aps['alert'] as { body: string }).body])).toEqual([
      [1, 'message 1'],
      [5, 'message 5'],
    ]);
    // The badge is the unread total when the push is built: the first one's may already count the next sends.
    const [firstBadge, lastBadge] = pushes.map((push) => push.payload.aps['badge'] as number);
    expect(firstBadge).toBeGreaterThanOrEqual(1);
    expect(firstBadge).toBeLessThanOrEqual(5);
    expect(lastBadge).toBe(5);
    expect(pushes.map((push) => push.headers['apns-collapse-id'])).toEqual([chatId, chatId]);
  });

  it('shows HIDDEN and IDS_ONLY devices no text; every payload carries the unread badge', async () => {
    const [alice, carol, bob] = await Promise.all([createUser(server, { displayName: 'Alice' }), createUser(server), createUser(server)]);
    const hidden = apnsToken();
    const idsOnly = apnsToken();
    const idsOnlyFcm = fcmToken();
    const hiddenFcm = fcmToken();
    await registered(bob, { platform: 'APNS', token: hidden, content: 'HIDDEN' });
    await registered(await signIn(bob), { platform: 'APNS', token: idsOnly, content: 'IDS_ONLY' });
    await registered(await signIn(bob), { platform: 'FCM', token: idsOnlyFcm, content: 'IDS_ONLY' });
    await registered(await signIn(bob), { platform: 'FCM', token: hiddenFcm, content: 'HIDDEN' });
    const first = await createPrivateChat(server, alice, bob);
    const second = await createPrivateChat(server, carol, bob);
    await send(alice, first, 'one');
    await send(alice, first, 'two'); // folded: its push comes when the window closes
    const sent = await send(carol, second, 'a secret');
    await expect.poll(() => apns.to(hidden).length).toBe(2);
    await expect.poll(() => apns.to(idsOnly).length).toBe(2);
    await expect.poll(() => fcm.to(idsOnlyFcm).length).toBe(2);
    await expect.poll(() => fcm.to(hiddenFcm).length).toBe(2);
    // The second chat's push comes before or after the first chat's follow-up; badge 3: two unread in the first chat, one in the second.
    const hiddenPush = apns.to(hidden).find((push) => push.headers['apns-collapse-id'] === second)!;
    expect(hiddenPush.payload).toEqual({ aps: { alert: { body: 'New message' }, badge: 3, sound: 'default' }, type: 'NEW_MESSAGE' });
    expect(JSON.stringify(hiddenPush)).not.toContain('secret');
    const idsPush = apns.to(idsOnly).find((push) => push.headers['apns-collapse-id'] === second)!;
    expect(idsPush.payload).toEqual({
      aps: { alert: { body: 'New message' }, badge: 3, sound: 'default', 'mutable-content': 1 },
      type: 'NEW_MESSAGE',
      chatId: second,
      messageId: sent.id,
      seq: sent.seq,
      count: 1,
    });
    const idsFcm = fcm.to(idsOnlyFcm).find((push) => push.message.data?.['chatId'] === second)!;
    expect(idsFcm.message).toEqual({
      token: idsOnlyFcm,
      data: { type: 'NEW_MESSAGE', chatId: second, messageId: sent.id, seq: String(sent.seq), count: '1', badge: '3' },
      android: { priority: 'HIGH', ttl: '86400s', collapse_key: second },
    });
    const hiddenFcmPush = fcm.to(hiddenFcm).find((push) => JSON.stringify(push.message).includes(second))!;
    expect(hiddenFcmPush.message).toEqual({
      token: hiddenFcm,
      notification: { body: 'New message' },
      data: { type: 'NEW_MESSAGE', badge: '3' },
      android: { priority: 'HIGH', ttl: '86400s', collapse_key: second, notification: { tag: second, notification_count: 3 } },
    });
  });
});

describe('what the push services answer', () => {
  it('FCM: the OAuth2 token from the service account, the message, 503 retried on the job queue, UNREGISTERED removes the device', async () => {
    const [alice, bob] = await Promise.all([createUser(server, { displayName: 'Alice' }), createUser(server)]);
    const token = fcmToken();
    const device = await registered(bob, { platform: 'FCM', token, appId: 'com.example.payamak.android' });
    const first = await createPrivateChat(server, alice, bob);
    const sent = await send(alice, first, 'Hi from Alice');
    await expect.poll(() => fcm.to(token).length).toBe(1);
    expect(fcm.tokenRequests.length).toBeGreaterThanOrEqual(1);
    expect(fcm.tokenRequests[0]).toMatchObject({ header: { alg: 'RS256', kid: 'key-1' }, claims: { iss: 'push@payamak-test.iam.gserviceaccount.com' } });
    expect(fcm.to(token)[0]!.message).toEqual({
      token,
      notification: { title: 'Alice', body: 'Hi from Alice' },
      data: { type: 'NEW_MESSAGE', chatId: first, messageId: sent.id, seq: String(sent.seq), count: '1', badge: '1' },
      android: { priority: 'HIGH', ttl: '86400s', collapse_key: first, notification: { tag: first, notification_count: 1 } },
    });

    const before = await pushHealth('FCM');
    fcm.answer(token, { status: 503 }, { status: 503 });
    // Read on the device itself (no "cleared" to it): the next message opens a fresh window and goes at once.
    expectNoErrors(await gql(server, MarkReadDocument, { chatId: first, upToMessageId: sent.id }, as(bob)));
    const again = await send(alice, first, 'are you there?');
    // Two 503s, then the retry that succeeds: three attempts of one push.
    await expect.poll(() => fcm.to(token).length, { timeout: 10_000 }).toBe(4);
    expect(await server.database.prisma.device.count({ where: { id: device.id } })).toBe(1);
    const afterRetries = await pushHealth('FCM');
    expect(afterRetries.failed - before.failed).toBe(2);

    fcm.answer(token, { status: 404, reason: 'UNREGISTERED' });
    expectNoErrors(await gql(server, MarkReadDocument, { chatId: first, upToMessageId: again.id }, as(bob)));
    await send(alice, first, 'gone?');
    await expect.poll(() => server.database.prisma.device.count({ where: { id: device.id } }), { timeout: 10_000 }).toBe(0);
    expect((await pushHealth('FCM')).removed - before.removed).toBe(1);
  });

  it('APNs: 410 Unregistered removes the device; 500 is retried', async () => {
    const [alice, bob] = await Promise.all([createUser(server), createUser(server)]);
    const token = apnsToken();
    const device = await registered(await signIn(bob), { platform: 'APNS', token });
    const chatId = await createPrivateChat(server, alice, bob);
    apns.answer(token, { status: 500, reason: 'InternalServerError' });
    const sent = await send(alice, chatId, 'one');
    await expect.poll(() => apns.to(token).length, { timeout: 10_000 }).toBe(2);
    expect(await server.database.prisma.device.count({ where: { id: device.id } })).toBe(1);
    apns.answer(token, { status: 410, reason: 'Unregistered' });
    // Read in another session: the phone gets the cleared push, answered 410.
    expectNoErrors(await gql(server, MarkReadDocument, { chatId, upToMessageId: sent.id }, as(bob)));
    await expect.poll(() => apns.to(token).length, { timeout: 10_000 }).toBe(3);
    await expect.poll(() => server.database.prisma.device.count({ where: { id: device.id } }), { timeout: 10_000 }).toBe(0);
    const health = await pushHealth('APNS');
    expect(health).toMatchObject({ configured: true });
    expect(health.removed).toBeGreaterThanOrEqual(1);
  });
});

describe('registering devices', () => {
  it('validates tokens per platform, appId, locale and the Web Push keys', async () => {
    const me = await createUser(server);
    const refusals: [RegisterDeviceInput, string][] = [
      [{ platform: 'APNS', token: 'ab'.repeat(31) }, 'token'],
      [{ platform: 'APNS', token: 'zz'.repeat(32) }, 'token'],
      [{ platform: 'APNS', token: 'ab'.repeat(101) }, 'token'],
      [{ platform: 'FCM', token: 'short' }, 'token'],
      [{ platform: 'FCM', token: `${'a'.repeat(120)} ${'b'.repeat(10)}` }, 'token'],
      [{ platform: 'FCM', token: 'a'.repeat(4097) }, 'token'],
      [{ platform: 'APNS', token: apnsToken(), appId: 'not an id' }, 'appId'],
      [{ platform: 'APNS', token: apnsToken(), appId: `com.${'a'.repeat(200)}` }, 'appId'],
      [{ platform: 'APNS', token: apnsToken(), locale: 'english please' }, 'locale'],
      [{ platform: 'APNS', token: apnsToken(), p256dh: 'x' }, 'p256dh'],
      [{ platform: 'WEB_PUSH', token: 'https://127.0.0.1/push' }, 'p256dh'],
      [{ platform: 'WEB_PUSH', token: 'ftp://127.0.0.1/push', p256dh: webKeys().p256dh, auth: webKeys().auth }, 'token'],
      [{ platform: 'WEB_PUSH', token: 'https://10.0.0.1/push', p256dh: webKeys().p256dh, auth: webKeys().auth }, 'token'],
    ];
    for (const [input, field] of refusals) {
      const error = expectErrorCode(await register(me, input), 'BAD_USER_INPUT');
      expect([input.platform, input.token.slice(0, 20), error.extensions?.['field']]).toEqual([input.platform, input.token.slice(0, 20), field]);
    }
    expect(await server.database.prisma.device.count({ where: { userId: me.user.id } })).toBe(0);
    await registered(me, { platform: 'APNS', token: 'AB'.repeat(100) });
    await registered(me, { platform: 'FCM', token: 'a'.repeat(4096) });
    await registered(me, { platform: 'WEB_PUSH', token: 'https://127.0.0.1/push/1', ...webKeys() });
    expect(await server.database.prisma.device.count({ where: { userId: me.user.id } })).toBe(3);
  });

  it("keeps 10 devices per user, replacing the least recently registered; another user's device is NOT_FOUND", async () => {
    const [me, other] = await Promise.all([createUser(server), createUser(server)]);
    const tokens = Array.from({ length: 11 }, apnsToken);
    const ids: string[] = [];
    for (const token of tokens.slice(0, 10)) ids.push((await registered(me, { platform: 'APNS', token })).id);
    // The first registers again (apps do at every start): it is now the most recent, and keeps its id.
    expect((await registered(me, { platform: 'APNS', token: tokens[0]! })).id).toBe(ids[0]);
    await registered(me, { platform: 'APNS', token: tokens[10]! });
    const left = await server.database.prisma.device.findMany({ where: { userId: me.user.id }, select: { token: true } });
    expect(left.map((d) => d.token).sort()).toEqual([tokens[0]!, ...tokens.slice(2)].sort());

    expectErrorCode(await gql(server, UnregisterDeviceDocument, { id: ids[0]! }, as(other)), 'NOT_FOUND');
    expectErrorCode(await gql(server, UnregisterDeviceDocument, { id: 'nope' }, as(me)), 'NOT_FOUND');
    expect(expectNoErrors(await gql(server, UnregisterDeviceDocument, { id: ids[0]! }, as(me))).unregisterDevice).toBe(true);
    expectErrorCode(await gql(server, UnregisterDeviceDocument, { id: ids[0]! }, as(me)), 'NOT_FOUND');
  });

  it('a token registered again moves to the new session, or to the user who signed in; mySessions shows each session its devices', async () => {
    const [me, other] = await Promise.all([createUser(server), createUser(server)]);
    const token = apnsToken();
    const first = await registered(me, { platform: 'APNS', token });
    const later = await signIn(me);
    expect((await registered(later, { platform: 'APNS', token, content: 'HIDDEN' })).id).toBe(first.id);
    const [firstSession, laterSession] = [await sessionOf(me), await sessionOf(later)];
    const devicesOf = async () => {
      const { mySessions } = expectNoErrors(await gql(server, MySessionsDocument, {}, as(me)));
      return Object.fromEntries(mySessions.map((s) => [s.id, s.devices]));
    };
    expect(await devicesOf()).toEqual({ [firstSession.id]: [], [laterSession.id]: [{ id: first.id, platform: 'APNS' }] });

    const moved = await registered(other, { platform: 'APNS', token });
    expect(moved.id).not.toBe(first.id);
    expect(await server.database.prisma.device.findMany({ where: { token }, select: { userId: true } })).toEqual([{ userId: other.user.id }]);
    expect(await devicesOf()).toEqual({ [firstSession.id]: [], [laterSession.id]: [] });
  });
});

/** The session behind a TestUser's access token (its `sid`). */
async function sessionOf(user: TestUser) {
  const viewer = await server.services.auth.authenticate(user.accessToken);
  return { id: viewer.sessionId };
}

let admin: TestUser | undefined;
async function pushHealth(platform: 'APNS' | 'FCM' | 'WEB_PUSH') {
  if (!admin) {
    admin = await createUser(server);
    await promoteToAdmin(server, admin.user.id);
  }
  const { adminHealth } = expectNoErrors(await gql(server, AdminHealthDocument, {}, as(admin)));
  return adminHealth.push.find((entry) => entry.platform === platform)!;
}

function webKeys() {
  return { p256dh: Buffer.concat([Buffer.from([4]), randomBytes(64)]).toString('base64url'), auth: randomBytes(16).toString('base64url') };
}
