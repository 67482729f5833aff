/**
 * Graceful shutdown (README, "Start-up and shutdown"): while the server stops,
 * every request gets an answer (a 2xx with data, or a refusal before anything
 * ran: HTTP 503, a refused connection once the listener has closed, a socket
 * closed with 1001), every acknowledged message is stored, and nothing that
 * was refused is.
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { print } from 'graphql';
import { createClient, type Client } from 'graphql-ws';
import pg from 'pg';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { openDatabase } from '../db/database.js';
import { registerUser, uniqueUsername } from '../test/factories.js';
import { createGroup } from '../test/chats.js';
import { OnNewMessageDocument, SendMessageDocument } from '../test/generated/graphql.js';
import { LiveSubscription, startTestServer, waitForListeners } from '../test/server.js';
import { MessageTopic } from '../modules/messages/index.js';
import { runEntry } from '../test/entry.js';

const SEND_EVERY_MS = 5;
const SEND = print(SendMessageDocument);

describe('close() under load', () => {
  it('answers every HTTP and WebSocket send, and stores exactly the acknowledged ones', async () => {
    // A second instance on the first one's database: the first reads the rows after the second has closed.
    const owner = await startTestServer();
    const server = await startTestServer({}, { shareDatabaseWith: owner });
    try {
      const { chatId, alice, bob, carol } = await groupOfThree(server);
      const socket = await connectedClient(server.wsUrl, bob.accessToken);
      const live = new LiveSubscription(socket.client, OnNewMessageDocument, { chatId });
      await waitForListeners(server, MessageTopic.NewMessage, bob.user.id);

      const overHttp = httpLoad(server.graphqlUrl, alice.accessToken, chatId);
      const overSocket = socketLoad(socket, chatId);
      await expect.poll(() => Math.min(overHttp.acked, overSocket.acked), { timeout: 10_000, interval: 10 }).toBeGreaterThanOrEqual(20);

      await server.close();
      const outcomes = [...(await overHttp.stop()), ...(await overSocket.stop())];

      expect(outcomes.filter((o) => o.kind === 'bad')).toEqual([]);
      const acked = outcomes.filter((o) => o.kind === 'acked').map((o) => o.clientId);
      const stored = await owner.database.prisma.message.findMany({ where: { chatId, clientId: { not: null } }, select: { clientId: true } });
      expect(stored.map((m) => m.clientId).sort()).toEqual(acked.sort());
      // Each send's notification fan-out (Carol has no socket) finished before the database went.
      const notification = await owner.database.prisma.notification.findFirst({ where: { userId: carol.user.id, coalesceKey: `NEW_MESSAGE:${chatId}` } });
      expect(notification?.count).toBe(acked.length);
      // The subscription ended with the socket: 1001, which graphql-ws clients retry elsewhere.
      expect(live.errors).toMatchObject([{ code: 1001 }]);
    } finally {
      await server.close();
      await owner.close();
    }
  }, 60_000);
});

describe('close() step by step', () => {
  it('turns new work away at once and lets work in progress finish before the database goes', async () => {
    const owner = await startTestServer();
    const server = await startTestServer({}, { shareDatabaseWith: owner });
    const lock = new pg.Client({ connectionString: owner.database.url });
    await lock.connect();
    try {
      const { chatId, otherChatId, alice, bob, carol } = await groupOfThree(server);
      const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 1 });
      expect((await request(server.url, { path: '/healthz', agent: keepAlive })).headers.connection).toBe('keep-alive');
      const socket = await connectedClient(server.wsUrl, bob.accessToken);
      const live = new LiveSubscription(socket.client, OnNewMessageDocument, { chatId });
      await waitForListeners(server, MessageTopic.NewMessage, bob.user.id);
      // Carol subscribes too, and leaves while the server drains: her subscription must not hold the drain.
      const leaving = await connectedClient(server.wsUrl, carol.accessToken);
      new LiveSubscription(leaving.client, OnNewMessageDocument, { chatId });
      await waitForListeners(server, MessageTopic.NewMessage, carol.user.id);

      // Two sends, over HTTP and over the socket, that wait in the database for their chat's row lock.
      await lock.query('BEGIN');
      await lock.query('SELECT 1 FROM "Chat" WHERE "id" = ANY($1::uuid[]) FOR UPDATE', [[chatId, otherChatId]]);
      const heldHttp = request(server.url, { path: '/graphql', method: 'POST', token: alice.accessToken, body: sendBody(chatId, 'held-http') });
      const heldSocket = sendOver(socket.client, otherChatId, 'held-socket');
      await expect.poll(() => waitingForLocks(lock), { timeout: 5000, interval: 10 }).toBe(2);

      let closed = false;
      const closing = server.close().then(() => void (closed = true));

      // New requests, readiness and upgrades are refused at once; nothing of theirs runs.
      const refused = await request(server.url, { path: '/graphql', method: 'POST', token: alice.accessToken, body: sendBody(chatId, 'refused-http') });
      expect(refused).toMatchObject({ status: 503, headers: { connection: 'close' }, body: { error: 'Shutting down' } });
      expect(await request(server.url, { path: '/readyz' })).toMatchObject({ status: 503, headers: { connection: 'close' } });
      // The idle keep-alive connection gets its 503 too, and is then closed.
      const onKeptConnection = await request(server.url, { path: '/healthz', agent: keepAlive });
      expect(onKeptConnection).toMatchObject({ status: 503, headers: { connection: 'close' }, reused: true });
      expect(await upgradeStatus(server.wsUrl)).toBe(503);
      // A new operation on an open socket is held, not run: the socket's 1001 below makes the client send it again elsewhere.
      const heldOnSocket = sendOver(socket.client, otherChatId, 'refused-socket');
      await leaving.client.dispose();
      await expect.poll(() => server.pubsub.listenerCount(MessageTopic.NewMessage, carol.user.id), { timeout: 5000, interval: 10 }).toBe(0);
      expect(closed).toBe(false);

      await lock.query('COMMIT');
      const releasedAt = performance.now();
      const answered = await heldHttp;
      expect(answered.status).toBe(200);
      expect((answered.body as { data: { sendMessage: { clientId: string } } }).data.sendMessage.clientId).toBe('held-http');
      // It was running when the shutdown began: its response says the connection will not be reused.
      expect(answered.headers.connection).toBe('close');
      expect(await heldSocket).toMatchObject({ kind: 'acked' });
      expect(await heldOnSocket).toMatchObject({ kind: 'refused', detail: '1001' });
      await closing;
      expect(performance.now() - releasedAt).toBeLessThan(3000); // far below drainTimeoutMs (10 s)
      expect(live.errors).toMatchObject([{ code: 1001 }]);

      const stored = await lock.query<{ clientId: string }>('SELECT "clientId" FROM "Message" WHERE "clientId" IS NOT NULL ORDER BY "clientId"');
      expect(stored.rows.map((r) => r.clientId)).toEqual(['held-http', 'held-socket']);
      keepAlive.destroy();
    } finally {
      await lock.end();
      await server.close();
      await owner.close();
    }
  });

  it('cuts off work still running after drainTimeoutMs', async () => {
    const server = await startTestServer({}, { tuning: { drainTimeoutMs: 300 } });
    const lock = new pg.Client({ connectionString: server.database.url });
    await lock.connect();
    try {
      const { chatId, otherChatId, alice, bob } = await groupOfThree(server);
      const socket = await connectedClient(server.wsUrl, bob.accessToken);
      await lock.query('BEGIN');
      await lock.query('SELECT 1 FROM "Chat" WHERE "id" = ANY($1::uuid[]) FOR UPDATE', [[chatId, otherChatId]]);
      const heldHttp = request(server.url, { path: '/graphql', method: 'POST', token: alice.accessToken, body: sendBody(chatId, 'cut-http') }).catch(
        (error: NodeJS.ErrnoException) => error.code,
      );
      const heldSocket = sendOver(socket.client, otherChatId, 'cut-socket');
      await expect.poll(() => waitingForLocks(lock), { timeout: 5000, interval: 10 }).toBe(2);

      const startedAt = performance.now();
      const closing = server.close();
      // Both are cut off after the timeout, the socket with 1001 and the request's connection at once.
      expect(await heldSocket).toMatchObject({ kind: 'refused', detail: '1001' });
      expect(await heldHttp).toBe('ECONNRESET');
      const cutAfterMs = performance.now() - startedAt;
      expect(cutAfterMs).toBeGreaterThanOrEqual(290);
      expect(cutAfterMs).toBeLessThan(3000);
      // The database is closed only once its statements have ended (PostgreSQL's own timeouts bound those).
      await lock.query('ROLLBACK');
      await lock.end(); // before close() drops the database
      await closing;
    } finally {
      await lock.end().catch(() => undefined);
      await server.close();
    }
  });
});

describe('the server process', () => {
  it('on SIGTERM under load answers every send, exits 0, and the reopened database holds exactly the acknowledged messages', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'payamak-shutdown-'));
    try {
      const proc = runServer(dataDir);
      const url = await proc.listening;
      const server = { url, graphqlUrl: `${url}/graphql`, wsUrl: `${url.replace('http', 'ws')}/graphql` };
      const { chatId, alice, bob } = await groupOfThree(server);
      const socket = await connectedClient(server.wsUrl, bob.accessToken);
      // A load balancer in front: it polls /readyz and stops sending to this instance once it answers 503. (A client
      // that connects at the very instant the listener closes is reset by the kernel; no server can accept it. In
      // process, the test above sends until the end: there its connects and the server's accepts share one event loop.)
      const balancer = readinessPoller(server.url);
      const overHttp = httpLoad(server.graphqlUrl, alice.accessToken, chatId, () => balancer.ejected);
      const overSocket = socketLoad(socket, chatId);
      // Load is established, not timed: on a busy machine twenty sends may take far longer than usual.
      await expect.poll(() => Math.min(overHttp.acked, overSocket.acked), { timeout: 60_000, interval: 10 }).toBeGreaterThanOrEqual(20);

      proc.child.kill('SIGTERM');
      expect(await proc.exited, proc.output()).toBe(0);
      balancer.stop();
      const outcomes = [...(await overHttp.stop()), ...(await overSocket.stop())];
      expect(outcomes.filter((o) => o.kind === 'refused' && o.detail === '503').length).toBeGreaterThan(0);
      expect(outcomes.filter((o) => o.kind === 'bad')).toEqual([]);
      // Nothing logged a warning or an error (a 57P03 from PostgreSQL would, as would a failed fan-out), but one:
      // pg-pool's end() resolves before its connections have closed, so stopping embedded PostgreSQL right after
      // can end one of them (57P01, "idle database connection failed"); no statement is running then.
      const logged = proc
        .output()
        .split('\n')
        .filter((line) => /"level":(40|50|60)/.test(line) || line.includes('57P0'));
      expect(logged.filter((line) => !line.includes('"msg":"idle database connection failed"'))).toEqual([]);
      expect(existsSync(path.join(dataDir, 'postgres', 'postmaster.pid'))).toBe(false);

      const database = await openDatabase({ dataDir, logger: pino({ level: 'silent' }) });
      try {
        const stored = await database.prisma.message.findMany({ where: { chatId, clientId: { not: null } }, select: { clientId: true } });
        const acked = outcomes.filter((o) => o.kind === 'acked').map((o) => o.clientId);
        expect(stored.map((m) => m.clientId).sort()).toEqual(acked.sort());
      } finally {
        await database.close();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 120_000);

  it('exits at once on a second signal, and embedded PostgreSQL stops with it', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'payamak-shutdown-'));
    try {
      const proc = runServer(dataDir);
      await proc.listening;
      // Idle first: SIGTERM to exit.
      proc.child.kill('SIGTERM');
      expect(await proc.exited, proc.output()).toBe(0);

      const again = runServer(dataDir);
      const againUrl = await again.listening;
      // A request whose body never comes keeps the first shutdown waiting (up to its 10 s timeout).
      const stalled = await stalledRequest(againUrl);
      again.child.kill('SIGTERM');
      await expect.poll(async () => (await fetch(`${againUrl}/readyz`).catch(() => null))?.status, { timeout: 5000, interval: 20 }).toBe(503);
      const startedAt = performance.now();
      again.child.kill('SIGTERM');
      expect(await again.exited).toBe(1);
      expect(performance.now() - startedAt).toBeLessThan(2000);
      stalled.destroy();
      await expect.poll(() => existsSync(path.join(dataDir, 'postgres', 'postmaster.pid')), { timeout: 10_000, interval: 50 }).toBe(false);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 120_000);
});

// --- helpers -----------------------------------------------------------------

type Endpoints = { url: string; graphqlUrl: string; wsUrl: string };

/** How a send ended: acknowledged (stored), refused before it ran (not stored), or anything else (a failure of the test). */
interface Outcome {
  clientId: string;
  kind: 'acked' | 'refused' | 'bad';
  detail: string;
}

/** Alice, Bob and Carol in two groups, registered through the API (the spawned server has no TestServer to hand to createUser). */
async function groupOfThree(server: Pick<Endpoints, 'graphqlUrl'>) {
  const alice = await registerUser(server, { username: uniqueUsername('alice'), displayName: 'alice' });
  const bob = await registerUser(server, { username: uniqueUsername('bob'), displayName: 'bob' });
  const carol = await registerUser(server, { username: uniqueUsername('carol'), displayName: 'carol' });
  // Two chats: sends to one chat queue behind each other for its row lock; those to two both reach PostgreSQL.
  return {
    chatId: await createGroup(server, alice, [bob, carol], 'Shutdown'),
    otherChatId: await createGroup(server, alice, [bob, carol], 'Shutdown'),
    alice,
    bob,
    carol,
  };
}

function sendBody(chatId: string, clientId: string): string {
  return JSON.stringify({ query: SEND, variables: { input: { chatId, clientId, text: clientId } } });
}

/** Sends a message every few ms over HTTP, not waiting for answers (open loop), until stopped (or `paused()`). */
function httpLoad(graphqlUrl: string, token: string, chatId: string, paused: () => boolean = () => false) {
  const outcomes: Promise<Outcome>[] = [];
  const load = { acked: 0, stop };
  let next = 0;
  const send = async (clientId: string): Promise<Outcome> => {
    try {
      const response = await fetch(graphqlUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: sendBody(chatId, clientId),
      });
      const text = await response.text();
      if (response.status === 503) return { clientId, kind: 'refused', detail: '503' };
      const body = JSON.parse(text) as { data?: { sendMessage?: { clientId: string } }; errors?: unknown };
      if (response.status === 200 && body.errors === undefined && body.data?.sendMessage?.clientId === clientId) {
        load.acked += 1;
        return { clientId, kind: 'acked', detail: '200' };
      }
      return { clientId, kind: 'bad', detail: `${response.status} ${text.slice(0, 300)}` };
    } catch (error) {
      const code = (error as { cause?: { code?: string } }).cause?.code;
      // Nothing was sent: the listener had closed after the drain.
      if (code === 'ECONNREFUSED') return { clientId, kind: 'refused', detail: code };
      return { clientId, kind: 'bad', detail: code ?? String(error) };
    }
  };
  const timer = setInterval(() => {
    if (!paused()) outcomes.push(send(`http-${next++}`));
  }, SEND_EVERY_MS);
  function stop(): Promise<Outcome[]> {
    clearInterval(timer);
    return Promise.all(outcomes);
  }
  return load;
}

/** A graphql-ws client with its connection open, which notes when the server closes it. */
async function connectedClient(wsUrl: string, token: string): Promise<{ client: Client; closed: boolean }> {
  const state = { client: undefined as unknown as Client, closed: false };
  await new Promise<void>((resolve, reject) => {
    state.client = createClient({
      url: wsUrl,
      webSocketImpl: WebSocket,
      lazy: false,
      retryAttempts: 0,
      onNonLazyError: () => undefined,
      connectionParams: { authorization: `Bearer ${token}` },
      on: {
        connected: () => resolve(),
        closed: () => {
          state.closed = true;
          reject(new Error('closed before connecting'));
        },
      },
    });
  });
  return state;
}

/** Sends one message over the socket; refused means the socket closed with 1001 before an answer. */
function sendOver(client: Client, chatId: string, clientId: string): Promise<Outcome> {
  return new Promise((resolve) => {
    let answer: { data?: { sendMessage?: { clientId?: string } } | null; errors?: unknown } | undefined;
    client.subscribe(
      { query: SEND, variables: { input: { chatId, clientId, text: clientId } } },
      {
        next: (value) => void (answer = value as typeof answer),
        error: (error) => {
          const code = (error as { code?: unknown }).code;
          resolve(code === 1001 ? { clientId, kind: 'refused', detail: '1001' } : { clientId, kind: 'bad', detail: JSON.stringify(error) ?? String(error) });
        },
        complete: () =>
          resolve(
            answer?.errors === undefined && answer?.data?.sendMessage?.clientId === clientId
              ? { clientId, kind: 'acked', detail: 'next' }
              : { clientId, kind: 'bad', detail: JSON.stringify(answer) },
          ),
      },
    );
  });
}

/** Sends a message every few ms over one socket until the server closes it (a client would then reconnect elsewhere). */
function socketLoad(socket: { client: Client; closed: boolean }, chatId: string) {
  const outcomes: Promise<Outcome>[] = [];
  const load = { acked: 0, stop };
  let next = 0;
  const timer = setInterval(() => {
    if (socket.closed) return;
    outcomes.push(
      sendOver(socket.client, chatId, `ws-${next++}`).then((outcome) => {
        if (outcome.kind === 'acked') load.acked += 1;
        return outcome;
      }),
    );
  }, SEND_EVERY_MS);
  const stopWatching = socket.client.on('closed', () => void (socket.closed = true));
  async function stop(): Promise<Outcome[]> {
    clearInterval(timer);
    const all = await Promise.all(outcomes);
    stopWatching();
    await socket.client.dispose();
    return all;
  }
  return load;
}

/** What a load balancer does: polls /readyz (every 20 ms here) and ejects the instance at the first non-200. */
function readinessPoller(base: string) {
  const poller = { ejected: false, stop: () => clearInterval(timer) };
  const timer = setInterval(() => {
    void fetch(`${base}/readyz`).then(
      (response) => {
        if (response.status !== 200) poller.ejected = true;
        return response.body?.cancel();
      },
      () => void (poller.ejected = true),
    );
  }, 20);
  return poller;
}

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: unknown;
  /** The request went out on a connection that had served an earlier one. */
  reused: boolean;
}

/** One request with node:http, whose headers (Connection) fetch does not show. */
function request(base: string, options: { path: string; method?: string; token?: string; body?: string; agent?: http.Agent }): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const outgoing = http.request(
      new URL(options.path, base),
      {
        method: options.method ?? 'GET',
        agent: options.agent ?? false,
        headers: {
          ...(options.body === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(options.body) }),
          ...(options.token === undefined ? {} : { authorization: `Bearer ${options.token}` }),
        },
      },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (text += chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode!,
            headers: response.headers,
            body: text ? (JSON.parse(text) as unknown) : null,
            reused: outgoing.reusedSocket,
          }),
        );
        response.on('error', reject);
      },
    );
    outgoing.on('error', reject);
    outgoing.end(options.body);
  });
}

/** A POST whose body never comes; resolves once the server has taken it (its 100 Continue). */
function stalledRequest(base: string): Promise<http.ClientRequest> {
  return new Promise((resolve, reject) => {
    const outgoing = http.request(new URL('/graphql', base), {
      method: 'POST',
      agent: false,
      headers: { 'content-type': 'application/json', 'content-length': 100, expect: '100-continue' },
    });
    outgoing.on('continue', () => resolve(outgoing));
    outgoing.on('error', reject);
    outgoing.flushHeaders();
  });
}

/** The status of a WebSocket upgrade that the server refuses (or 101 when it accepts). */
function upgradeStatus(wsUrl: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(wsUrl, 'graphql-transport-ws');
    socket.on('unexpected-response', (_request, response) => {
      resolve(response.statusCode ?? 0);
      socket.terminate();
    });
    socket.on('open', () => {
      resolve(101);
      socket.terminate();
    });
    socket.on('error', (error) => reject(error));
  });
}

async function waitingForLocks(client: pg.Client): Promise<number> {
  const { rows } = await client.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
  );
  return rows[0]!.n;
}

const children = new Set<ChildProcess>();
afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
});

/** The real entry point on embedded PostgreSQL in `dataDir`, as src/index.test.ts runs it, without rate limits. */
function runServer(dataDir: string) {
  const entry = runEntry(
    {
      NODE_ENV: 'development',
      LOG_LEVEL: 'warn',
      PORT: '0',
      METRICS_PORT: '0',
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      UPLOAD_DIR: path.join(dataDir, 'uploads'),
      RATE_LIMIT_API: '0',
      RATE_LIMIT_AUTH: '0',
      RATE_LIMIT_MESSAGES: '0',
      RATE_LIMIT_CONNECT: '0',
    },
    children,
  );
  return { ...entry, output: () => `${entry.output().stdout}\n${entry.output().stderr}` };
}
