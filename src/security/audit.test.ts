/**
 * The findings of the 2026-12 application-security review, each reproduced
 * against a real server as the review did, and shown closed. Numbers are the
 * review's (README "Security" lists the defences).
 */
import { randomUUID } from 'node:crypto';
import { parse } from 'graphql';
import { createClient } from 'graphql-ws';
import jwt from 'jsonwebtoken';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import WebSocket from 'ws';
import { createUser, promoteToAdmin, type TestUser } from '../test/factories.js';
import { createGroup } from '../test/chats.js';
import {
  connectRaw,
  expectErrorCode,
  expectNoErrors,
  gql,
  openSocket,
  startTestServer,
  within,
  wsClient,
  overSocket,
  type TestServer,
} from '../test/server.js';
import { gqlUpload } from '../test/uploads.js';

// A server a test starts closes after that test, one a hook starts after the file: kept all file long, the
// servers' connection pools together exceed PostgreSQL's max_connections (100) by the later tests.
const fileServers: TestServer[] = [];
async function server(env: Record<string, string> = {}, options: Parameters<typeof startTestServer>[1] = {}): Promise<TestServer> {
  const started = await startTestServer(env, options);
  try {
    onTestFinished(() => started.close());
  } catch {
    fileServers.push(started); // not in a test (onTestFinished refuses): a hook's
  }
  return started;
}
afterAll(async () => {
  await Promise.all(fileServers.splice(0).map((s) => s.close()));
});

const CREATE_GROUP = 'mutation ($input: CreateGroupChatInput!) { createGroupChat(input: $input) { id } }';
const REMOVE = 'mutation ($chatId: ID!, $userId: ID!) { removeGroupMember(chatId: $chatId, userId: $userId) { id } }';
const ADD = 'mutation ($chatId: ID!, $userIds: [ID!]!) { addGroupMembers(chatId: $chatId, userIds: $userIds) { id memberCount } }';
const SEND = 'mutation ($input: SendMessageInput!) { sendMessage(input: $input) { id } }';
/** What the review's replay selected: everything the removed member must no longer see. */
const REPLAY = `mutation ($input: SendMessageInput!) {
  sendMessage(input: $input) { id chat { title members { user { id } } lastMessage { text sender { id } file { url } } } }
}`;

describe('1: a removed member replaying a clientId', () => {
  let s: TestServer;
  let alice: TestUser;
  let bob: TestUser;
  let chatId: string;
  beforeAll(async () => {
    s = await server();
    [alice, bob] = await Promise.all([createUser(s), createUser(s)]);
    chatId = await createGroup(s, alice, [bob], 'Plans');
    expectNoErrors(await gql(s, SEND, { input: { chatId, text: 'hi all', clientId: 'bob-1' } }, { token: bob.accessToken }));
    await gqlUpload(
      s,
      parse('mutation ($input: SendMediaMessageInput!) { sendMediaMessage(input: $input) { id } }'),
      { input: { chatId, file: null, clientId: 'bob-media-1' } },
      { 'input.file': { data: Buffer.from('notes\n'), name: 'a.txt' } },
      { token: bob.accessToken },
    );
    expectNoErrors(await gql(s, REMOVE, { chatId, userId: bob.user.id }, { token: alice.accessToken }));
    expectNoErrors(await gql(s, SEND, { input: { chatId, text: 'alice: bob is gone, the plan is X' } }, { token: alice.accessToken }));
  });

  it('sendMessage with the old clientId is NOT_FOUND and shows nothing of the chat', async () => {
    const replay = await gql(s, REPLAY, { input: { chatId, text: 'x', clientId: 'bob-1' } }, { token: bob.accessToken });
    expectErrorCode(replay, 'NOT_FOUND');
    expect(JSON.stringify(replay)).not.toMatch(/plan is X|Plans/);
    expect(replay.data).toBeNull();
  });

  it('sendMediaMessage with the old clientId is NOT_FOUND too', async () => {
    const replay = await gqlUpload(
      s,
      parse('mutation ($input: SendMediaMessageInput!) { sendMediaMessage(input: $input) { id chat { title lastMessage { text } } } }'),
      { input: { chatId, file: null, clientId: 'bob-media-1' } },
      { 'input.file': { data: Buffer.from('again\n'), name: 'b.txt' } },
      { token: bob.accessToken },
    );
    expectErrorCode(replay, 'NOT_FOUND');
    expect(JSON.stringify(replay)).not.toMatch(/plan is X|Plans/);
  });

  it('the replay over the message budget (answered from the first message) is NOT_FOUND too', async () => {
    const limited = await server({ RATE_LIMIT_MESSAGES: '1/600' });
    const [a, b] = await Promise.all([createUser(limited), createUser(limited)]);
    const id = await createGroup(limited, a, [b]);
    expectNoErrors(await gql(limited, SEND, { input: { chatId: id, text: 'mine', clientId: 'b-1' } }, { token: b.accessToken }));
    expectNoErrors(await gql(limited, REMOVE, { chatId: id, userId: b.user.id }, { token: a.accessToken }));
    const replay = await gql(limited, REPLAY, { input: { chatId: id, text: 'x', clientId: 'b-1' } }, { token: b.accessToken });
    expectErrorCode(replay, 'NOT_FOUND');
    expect(replay.data).toBeNull();
  });

  it('a member still gets the first message back for a retry', async () => {
    const carol = await createUser(s);
    const id = await createGroup(s, alice, [carol], 'Retry');
    const first = expectNoErrors(
      await gql<{ sendMessage: { id: string } }, unknown>(s, SEND, { input: { chatId: id, text: 'once', clientId: 'c-1' } }, { token: carol.accessToken }),
    );
    const again = expectNoErrors(
      await gql<{ sendMessage: { id: string } }, unknown>(s, SEND, { input: { chatId: id, text: 'once', clientId: 'c-1' } }, { token: carol.accessToken }),
    );
    expect(again.sendMessage.id).toBe(first.sendMessage.id);
  });

  it('Message.chat is authorised for the viewer, not trusted from the message', async () => {
    // updateMessageStatus reaches a message by id: a former member gets nothing through it.
    const message = await s.database.prisma.message.findFirstOrThrow({ where: { chatId, senderId: alice.user.id } });
    const result = await gql(
      s,
      'mutation ($id: ID!) { updateMessageStatus(messageId: $id, status: READ) { id chat { title } } }',
      { id: message.id },
      { token: bob.accessToken },
    );
    expectErrorCode(result, 'NOT_FOUND');
  });
});

describe('2: a socket follows its session, not the token it connected with', () => {
  let s: TestServer;
  beforeAll(async () => {
    // The backstop sweep is slow here, so what closes sockets below is the event, not the sweep.
    s = await server({}, { tuning: { socketSweepMs: 600_000 } });
  });

  it('a demoted admin loses admin rights on the open socket at its next operation, and cannot promote themself back', async () => {
    const [boss, deputy] = await Promise.all([createUser(s), createUser(s)]);
    await Promise.all([promoteToAdmin(s, boss.user.id), promoteToAdmin(s, deputy.user.id)]);
    // A client that reconnects as graphql-ws' does, with connectionParams read afresh.
    const client = createClient({
      url: s.wsUrl,
      webSocketImpl: WebSocket,
      lazy: false,
      retryAttempts: 5,
      retryWait: async () => undefined,
      connectionParams: () => ({ authorization: `Bearer ${deputy.accessToken}` }),
    });
    try {
      expect((await overSocket(client, '{ adminStats { usersTotal } }')).errors).toBeUndefined();
      expectNoErrors(
        await gql(s, 'mutation ($id: ID!) { adminSetUserRole(userId: $id, role: USER) { id } }', { id: deputy.user.id }, { token: boss.accessToken }),
      );
      for (const query of ['{ adminStats { usersTotal } }', '{ adminMessages { edges { node { id } } } }']) {
        const result = await overSocket(client, query);
        expect(
          result.errors?.map((e) => e.extensions?.['code']),
          query,
        ).toEqual(['FORBIDDEN']);
      }
      const promote = await overSocket(client, `mutation { adminSetUserRole(userId: "${deputy.user.id}", role: ADMIN) { role } }`);
      expect(promote.errors?.map((e) => e.extensions?.['code'])).toEqual(['FORBIDDEN']);
      expect((await s.database.prisma.user.findUniqueOrThrow({ where: { id: deputy.user.id } })).role).toBe('USER');
    } finally {
      await client.dispose();
    }
  });

  it('a role changed behind the server (no event) still applies to the next operation', async () => {
    const admin = await createUser(s);
    await promoteToAdmin(s, admin.user.id);
    const client = wsClient(s, admin.accessToken);
    try {
      expect((await overSocket(client, '{ adminStats { usersTotal } }')).errors).toBeUndefined();
      await s.database.prisma.user.update({ where: { id: admin.user.id }, data: { role: 'USER' } });
      expect((await overSocket(client, '{ adminStats { usersTotal } }')).errors?.map((e) => e.extensions?.['code'])).toEqual(['FORBIDDEN']);
    } finally {
      await client.dispose();
    }
  });

  it('logout closes that session’s sockets at once with 4403 SESSION_REVOKED, and a reconnect is refused with 4401', async () => {
    const user = await createUser(s);
    const { closed } = await openSocket(s, user.accessToken);
    expectNoErrors(await gql(s, 'mutation ($t: String!) { logout(refreshToken: $t) }', { t: user.refreshToken }));
    expect(await within(closed, 2000, 'socket close')).toEqual({ code: 4403, reason: 'SESSION_REVOKED' });
    expect(await connectRaw(s, { authorization: `Bearer ${user.accessToken}` })).toMatchObject({ acked: false, code: 4401 });
  });

  it('changePassword closes the other sessions’ sockets and keeps the caller’s', async () => {
    const user = await createUser(s);
    const login = expectNoErrors(
      await gql<{ login: { accessToken: string } }, unknown>(s, 'mutation ($i: LoginInput!) { login(input: $i) { accessToken } }', {
        i: { username: user.username, password: user.password },
      }),
    );
    const [mine, other] = await Promise.all([openSocket(s, user.accessToken), openSocket(s, login.login.accessToken)]);
    expectNoErrors(
      await gql(
        s,
        'mutation { changePassword(currentPassword: "correct horse battery", newPassword: "another horse battery") }',
        {},
        { token: user.accessToken },
      ),
    );
    expect(await within(other.closed, 2000, 'other session socket')).toEqual({ code: 4403, reason: 'SESSION_REVOKED' });
    expect(mine.socket.readyState).toBe(WebSocket.OPEN);
    mine.socket.close();
  });

  it('deactivation closes the sockets at once with 4403 ACCOUNT_DEACTIVATED', async () => {
    const [admin, user] = await Promise.all([createUser(s), createUser(s)]);
    await promoteToAdmin(s, admin.user.id);
    const { closed } = await openSocket(s, user.accessToken);
    expectNoErrors(
      await gql(s, 'mutation ($id: ID!) { adminSetUserActive(userId: $id, active: false) { id } }', { id: user.user.id }, { token: admin.accessToken }),
    );
    expect(await within(closed, 2000, 'socket close')).toEqual({ code: 4403, reason: 'ACCOUNT_DEACTIVATED' });
  });

  it('an access token that expires does not close a socket whose session is alive', async () => {
    const user = await createUser(s);
    const claims = jwt.decode(user.accessToken) as { sid: string; sub: string };
    const shortLived = jwt.sign({ sid: claims.sid }, 'test-secret-that-is-at-least-32-bytes-long', {
      algorithm: 'HS256',
      subject: claims.sub,
      issuer: 'payamak',
      audience: 'payamak-api',
      expiresIn: 1,
    });
    // One socket throughout (not lazy): a reconnect would present the expired token and be refused, rightly.
    const client = createClient({
      url: s.wsUrl,
      webSocketImpl: WebSocket,
      lazy: false,
      retryAttempts: 0,
      connectionParams: { authorization: `Bearer ${shortLived}` },
    });
    try {
      expect((await overSocket(client, '{ me { id } }')).data).toEqual({ me: { id: user.user.id } });
      // Until HTTP refuses the token itself (expired), then once more on the socket.
      await expect
        .poll(async () => (await gql(s, '{ me { id } }', {}, { token: shortLived })).errors?.[0]?.extensions?.['code'], { timeout: 5000, interval: 100 })
        .toBe('UNAUTHENTICATED');
      expect((await overSocket(client, '{ me { id } }')).data).toEqual({ me: { id: user.user.id } });
    } finally {
      await client.dispose();
    }
  });
});

describe('3: ADMIN_USERNAME naming an account someone registered first', () => {
  it('promoting it ends every session it had; the operator signs in with ADMIN_PASSWORD', async () => {
    const first = await server();
    const squatter = await createUser(first, { username: 'boss_squat' });
    expect((await gql(first, '{ me { id } }', {}, { token: squatter.accessToken })).errors).toBeUndefined();
    const second = await server({ ADMIN_USERNAME: 'boss_squat', ADMIN_PASSWORD: 'the operators own password' }, { shareDatabaseWith: first });
    expectErrorCode(await gql(second, '{ me { id } }', {}, { token: squatter.accessToken }), 'UNAUTHENTICATED');
    expectErrorCode(
      await gql(second, 'mutation ($t: String!) { refreshToken(refreshToken: $t) { accessToken } }', { t: squatter.refreshToken }),
      'UNAUTHENTICATED',
    );
    expectErrorCode(
      await gql(second, 'mutation { login(input: { username: "boss_squat", password: "correct horse battery" }) { accessToken } }'),
      'UNAUTHENTICATED',
    );
    const operator = expectNoErrors(
      await gql<{ login: { user: { role: string } } }, unknown>(
        second,
        'mutation { login(input: { username: "boss_squat", password: "the operators own password" }) { user { role } } }',
      ),
    );
    expect(operator.login.user.role).toBe('ADMIN');
  });

  it('an account that is already the admin keeps its sessions across restarts', async () => {
    const first = await server({ ADMIN_USERNAME: 'boss_kept', ADMIN_PASSWORD: 'the operators own password' });
    const login = expectNoErrors(
      await gql<{ login: { accessToken: string } }, unknown>(
        first,
        'mutation { login(input: { username: "boss_kept", password: "the operators own password" }) { accessToken } }',
      ),
    );
    const second = await server({ ADMIN_USERNAME: 'boss_kept', ADMIN_PASSWORD: 'the operators own password' }, { shareDatabaseWith: first });
    expect((await gql(second, '{ adminStats { usersTotal } }', {}, { token: login.login.accessToken })).errors).toBeUndefined();
  });
});

describe('5: adding strangers to groups has a budget', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await server({ RATE_LIMIT_GROUP_ADDS: '3/3600' });
  });

  it('counts only people who share no chat with the adder, refuses past the budget with RATE_LIMITED and charges nothing for a refused call', async () => {
    const adder = await createUser(s);
    const strangers = await Promise.all(Array.from({ length: 5 }, () => createUser(s)));
    const tooMany = await gql(
      s,
      CREATE_GROUP,
      { input: { title: 'Spam', memberIds: strangers.slice(0, 4).map((u) => u.user.id) } },
      { token: adder.accessToken },
    );
    const refused = expectErrorCode(tooMany, 'RATE_LIMITED');
    expect(refused.extensions).toMatchObject({ policy: 'GROUP_ADDS' });
    expect(refused.extensions?.['retryAfterSeconds']).toBeGreaterThan(0);
    // The refused call took nothing: three strangers still fit.
    const chatId = await createGroup(s, adder, strangers.slice(0, 3), 'Friends');
    expectErrorCode(await gql(s, ADD, { chatId, userIds: [strangers[3]!.user.id] }, { token: adder.accessToken }), 'RATE_LIMITED');
    // People the adder already shares a chat with are free.
    expect(
      expectNoErrors(
        await gql<{ createGroupChat: { id: string } }, unknown>(
          s,
          CREATE_GROUP,
          { input: { title: 'Again', memberIds: strangers.slice(0, 3).map((u) => u.user.id) } },
          { token: adder.accessToken },
        ),
      ).createGroupChat.id,
    ).toBeTruthy();
    expect(await s.database.prisma.chatMember.count({ where: { userId: strangers[3]!.user.id } })).toBe(0);
  });

  it('Chat.memberCount and members(first) let a chat list ask for a few', async () => {
    const owner = await createUser(s);
    const friends = await Promise.all([createUser(s), createUser(s)]);
    const chatId = await createGroup(s, owner, friends, 'Three');
    const data = expectNoErrors(
      await gql<{ chat: { memberCount: number; members: { user: { id: string } }[]; all: { user: { id: string } }[] } }, unknown>(
        s,
        '{ chat(id: "' + chatId + '") { memberCount members(first: 1) { user { id } } all: members { user { id } } } }',
        {},
        { token: owner.accessToken },
      ),
    );
    expect(data.chat.memberCount).toBe(3);
    expect(data.chat.all.map((m) => m.user.id).sort()).toEqual([owner.user.id, ...friends.map((f) => f.user.id)].sort());
    expect(data.chat.members).toEqual([data.chat.all[0]]);
    expectErrorCode(await gql(s, '{ chat(id: "' + chatId + '") { members(first: 0) { isAdmin } } }', {}, { token: owner.accessToken }), 'BAD_USER_INPUT');
  });
});

describe('7: connection floods and presence flapping', () => {
  it('RATE_LIMIT_CONNECT closes connections past the budget with 4429', async () => {
    const s = await server({ RATE_LIMIT_CONNECT: '3/60' });
    const user = await createUser(s);
    const token = { authorization: `Bearer ${user.accessToken}` };
    for (let i = 0; i < 3; i += 1) expect(await connectRaw(s, token), `connection ${i + 1}`).toEqual({ acked: true });
    expect(await connectRaw(s, token)).toMatchObject({ acked: false, code: 4429 });
  });

  it('50 connect/close cycles reach a co-member as one ONLINE and one OFFLINE, not 100 events', async () => {
    // The session sweep (every 200 ms in tests) would add statements in proportion to how slow the machine is.
    const s = await server({}, { tuning: { presenceGraceMs: 1500, socketSweepMs: 600_000 } });
    const [flapper, watcher] = await Promise.all([createUser(s), createUser(s)]);
    await createGroup(s, watcher, [flapper]);
    const events: { status: string }[] = [];
    const watching = wsClient(s, watcher.accessToken);
    watching.subscribe(
      { query: 'subscription { presence { userId status } }' },
      { next: (r) => void events.push((r.data as { presence: { status: string } }).presence), error: () => undefined, complete: () => undefined },
    );
    await expect.poll(() => s.pubsub.listenerCount('PRESENCE', watcher.user.id)).toBe(1);
    const statements = await s.countStatements(async () => {
      for (let i = 0; i < 50; i += 1) {
        const { socket, closed } = await openSocket(s, flapper.accessToken);
        socket.close();
        await closed;
      }
    });
    await expect.poll(() => events.map((e) => e.status), { timeout: 5000 }).toEqual(['ONLINE', 'OFFLINE']);
    // Each cycle authenticates (one statement); presence adds a handful once, not per cycle.
    expect(statements).toBeLessThan(50 + 10);
    await watching.dispose();
  });
});

describe('9: the member cap holds under concurrent additions', () => {
  it('two concurrent addGroupMembers of 1,000 and 100 leave at most 1,024 members', async () => {
    const s = await server();
    const owner = await createUser(s);
    const friend = await createUser(s);
    const chatId = await createGroup(s, owner, [friend], 'Big');
    const ids = Array.from({ length: 1100 }, () => randomUUID());
    await s.database.prisma.user.createMany({
      data: ids.map((id, i) => ({ id, username: `bulk_${i}_${id.slice(0, 6)}`, displayName: `Bulk ${i}`, passwordHash: 'x' })),
    });
    const [a, b] = await Promise.all([
      gql(s, ADD, { chatId, userIds: ids.slice(0, 1000) }, { token: owner.accessToken }),
      gql(s, ADD, { chatId, userIds: ids.slice(1000) }, { token: owner.accessToken }),
    ]);
    const members = await s.database.prisma.chatMember.count({ where: { chatId } });
    expect(members).toBeLessThanOrEqual(1024);
    const outcomes = [a, b].map((r) => r.errors?.[0]?.extensions?.['code'] ?? 'OK').sort();
    expect(outcomes).toEqual(['BAD_USER_INPUT', 'OK']);
    expect([1002, 102]).toContain(members);
  });
});

describe('11: unauthenticated sockets per address', () => {
  it('caps sockets that have not sent connection_init, and frees a place when one does', async () => {
    const s = await server({ WS_MAX_PENDING_PER_IP: '3' });
    const user = await createUser(s);
    const opened: WebSocket[] = [];
    const open = () =>
      new Promise<{ socket: WebSocket; closedWith?: number }>((resolve) => {
        const socket = new WebSocket(s.wsUrl, 'graphql-transport-ws');
        opened.push(socket);
        // The server decides when the socket opens, before it reads anything: a refused one closes before it
        // answers a ping; an admitted one answers it. Whichever comes first settles it.
        socket.once('close', (code) => resolve({ socket, closedWith: code }));
        socket.once('open', () => socket.ping());
        socket.once('pong', () => resolve({ socket }));
      });
    const admitted = [await open(), await open(), await open()];
    expect(admitted.map((a) => a.closedWith)).toEqual([undefined, undefined, undefined]);
    expect((await open()).closedWith).toBe(4429);
    // One initialises: it no longer counts, so another may wait.
    await new Promise<void>((resolve) => {
      admitted[0]!.socket.on('message', () => resolve());
      admitted[0]!.socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${user.accessToken}` } }));
    });
    expect((await open()).closedWith).toBeUndefined();
    for (const socket of opened) socket.terminate();
  });
});
