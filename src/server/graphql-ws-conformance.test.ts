/**
 * The graphql-transport-ws protocol
 * (https://github.com/enisdenjo/graphql-ws/blob/master/PROTOCOL.md) as our own
 * adapter (graphql-ws-adapter.ts, in place of graphql-ws' `useServer`) must
 * keep it: the close codes of graphql-ws' own server tests, tried with raw
 * sockets against the real server. Covered elsewhere: 1001 when the server
 * closes (shutdown.test.ts, "close() under load"), 4408 for a socket that never
 * sends connection_init (security/attacks.test.ts, 3 s), 4401/4403 for bad and
 * ended sessions (server.test.ts, security/audit.test.ts).
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { Duplex } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { MessageTopic } from '../modules/messages/index.js';
import { createPrivateChat, sendText } from '../test/chats.js';
import { createUser, type TestUser } from '../test/factories.js';
import { OnNewMessageDocument } from '../test/generated/graphql.js';
import { LiveSubscription, expectNoErrors, startTestServer, waitForListeners, wsClient, type TestServer } from '../test/server.js';

let server: TestServer;
let alice: TestUser;
const cleanups: (() => unknown)[] = [];

beforeAll(async () => {
  server = await startTestServer();
  alice = await createUser(server);
});
afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await server?.close();
});

type Message = { type: string; id?: string; payload?: unknown };

/** A raw socket that records what the server sends and how it closed. */
class RawSocket {
  readonly socket: WebSocket;
  readonly messages: Message[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  readonly #opened: Promise<void>;
  #waiters: (() => void)[] = [];

  constructor(url: string, protocol: string | null = 'graphql-transport-ws') {
    this.socket = protocol === null ? new WebSocket(url) : new WebSocket(url, protocol);
    this.closed = new Promise((resolve) => this.socket.on('close', (code, reason) => resolve({ code, reason: String(reason) })));
    this.#opened = new Promise((resolve, reject) => {
      this.socket.once('open', () => resolve());
      this.socket.once('error', reject);
    });
    this.socket.on('message', (data) => {
      this.messages.push(JSON.parse(String(data)) as Message);
      for (const wake of this.#waiters.splice(0)) wake();
    });
    cleanups.push(() => this.socket.terminate());
  }

  async send(message: Message | string): Promise<void> {
    await this.#opened;
    this.socket.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  /** Resolves with the first message of `type` (failing if the socket closes first). */
  async next(type: string): Promise<Message> {
    const deadline = Date.now() + 5000;
    for (;;) {
      const found = this.messages.find((m) => m.type === type);
      if (found) return found;
      if (this.socket.readyState === WebSocket.CLOSED) throw new Error(`closed before a ${type} message: ${JSON.stringify(await this.closed)}`);
      if (Date.now() > deadline) throw new Error(`no ${type} message within 5 s`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 100);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }
}

/** A raw socket past connection_ack, signed in as `user`. */
async function acked(user: TestUser, on: TestServer = server): Promise<RawSocket> {
  const raw = new RawSocket(on.wsUrl);
  await raw.send({ type: 'connection_init', payload: { authorization: `Bearer ${user.accessToken}` } });
  await raw.next('connection_ack');
  return raw;
}

const NEW_MESSAGES = 'subscription { newMessage { id text } }';

describe('graphql-transport-ws close codes', () => {
  it('4400 for a message that is not JSON, of an unknown type, or a subscribe without a query', async () => {
    const notJson = await acked(alice);
    await notJson.send('{ not json');
    expect(await notJson.closed).toEqual({ code: 4400, reason: 'Invalid message received' });

    const unknown = await acked(alice);
    await unknown.send({ type: 'subscribe_please', id: '1' });
    expect((await unknown.closed).code).toBe(4400);

    const noQuery = await acked(alice);
    await noQuery.send({ type: 'subscribe', id: '1', payload: { variables: {} } });
    expect((await noQuery.closed).code).toBe(4400);
  });

  it('4401 for a subscribe before connection_ack', async () => {
    const early = new RawSocket(server.wsUrl);
    await early.send({ type: 'subscribe', id: '1', payload: { query: '{ me { id } }' } });
    expect(await early.closed).toEqual({ code: 4401, reason: 'Unauthorized' });
    expect(early.messages).toEqual([]);
  });

  it('4409 for a subscribe with the id of a running subscription', async () => {
    const raw = await acked(alice);
    await raw.send({ type: 'subscribe', id: 'same', payload: { query: NEW_MESSAGES } });
    await raw.send({ type: 'subscribe', id: 'same', payload: { query: NEW_MESSAGES } });
    expect(await raw.closed).toEqual({ code: 4409, reason: 'Subscriber for same already exists' });
  });

  it('4429 for a second connection_init, before or after the ack', async () => {
    const init = { type: 'connection_init', payload: { authorization: `Bearer ${alice.accessToken}` } };
    const twice = new RawSocket(server.wsUrl);
    await twice.send(init);
    await twice.send(init);
    expect(await twice.closed).toEqual({ code: 4429, reason: 'Too many initialisation requests' });

    const again = await acked(alice);
    await again.send(init);
    expect(await again.closed).toEqual({ code: 4429, reason: 'Too many initialisation requests' });
  });

  it('4406 for a socket without the graphql-transport-ws subprotocol; an unknown one is not agreed to', async () => {
    const none = new RawSocket(server.wsUrl, null);
    expect(await none.closed).toEqual({ code: 4406, reason: 'Subprotocol not acceptable' });

    // The legacy subscriptions-transport-ws protocol: the handshake names no protocol back, and the socket is closed.
    const legacy = await rawUpgrade(server, 'graphql-ws');
    expect(legacy).toEqual({ status: 101, protocol: undefined, close: { code: 4406, reason: 'Subprotocol not acceptable' } });
  });

  it('4500 when handling a message fails unexpectedly (the database, here), and the server goes on', async () => {
    const broken = await startTestServer();
    try {
      const user = await createUser(broken);
      const raw = await acked(user, broken);
      // Every operation reads the socket's session first (a socket follows its session): make that read fail.
      await broken.database.prisma.$executeRawUnsafe('ALTER TABLE "Session" RENAME TO "SessionGone"');
      try {
        await raw.send({ type: 'subscribe', id: '1', payload: { query: '{ me { id } }' } });
        expect(await raw.closed).toEqual({ code: 4500, reason: 'Internal server error' });
      } finally {
        await broken.database.prisma.$executeRawUnsafe('ALTER TABLE "SessionGone" RENAME TO "Session"');
      }
      const healthy = await acked(user, broken);
      await healthy.send({ type: 'subscribe', id: '1', payload: { query: '{ me { id } }' } });
      expect((await healthy.next('next')).payload).toEqual({ data: { me: { id: user.user.id } } });
    } finally {
      await broken.close();
    }
  });

  it('answers a ping with a pong carrying its payload', async () => {
    const raw = await acked(alice);
    await raw.send({ type: 'ping', payload: { at: 1 } });
    expect(await raw.next('pong')).toEqual({ type: 'pong', payload: { at: 1 } });
  });
});

describe('a client that does not read its socket', () => {
  it('is closed with 1013 once the server holds more than 4 MiB for it, and other sockets are served', async () => {
    const [bob, reader] = await Promise.all([createUser(server), createUser(server)]);
    const chatId = await createPrivateChat(server, bob, reader);
    // 50 subscriptions (the most a socket may hold) to every new message: each 60 KB message is 3 MB for this socket.
    const slow = await acked(reader);
    for (let i = 0; i < 50; i++) await slow.send({ type: 'subscribe', id: `s${i}`, payload: { query: NEW_MESSAGES } });
    await waitForListeners(server, MessageTopic.NewMessage, reader.user.id, 50);
    // A reader that keeps up: when it has every message, the server has handed the slow socket each of them too.
    const healthy = wsClient(server, bob.accessToken);
    cleanups.push(() => healthy.dispose());
    const live = new LiveSubscription(healthy, OnNewMessageDocument, { chatId });
    await waitForListeners(server, MessageTopic.NewMessage, bob.user.id);

    slow.socket.pause(); // stops reading: the kernel's buffers fill, then the server's
    const count = 10;
    for (let i = 0; i < count; i++) expectNoErrors(await sendText(server, bob, chatId, `${i} ${'x'.repeat(60_000)}`));
    await live.waitFor(count);
    slow.socket.resume();
    expect(await slow.closed).toEqual({ code: 1013, reason: 'Too slow: reconnect and catch up with messages(afterSeq:)' });
    // What it read before the close is less than what it was sent.
    expect(slow.messages.filter((m) => m.type === 'next').length).toBeLessThan(50 * count);
    expect(live.events).toHaveLength(count);
  });
});

/**
 * An upgrade request by hand, asking for `protocol`: the status, the protocol
 * the server agreed to, and the close frame it sent first (if any).
 */
function rawUpgrade(on: TestServer, protocol: string): Promise<{ status: number; protocol?: string; close?: { code: number; reason: string } }> {
  return new Promise((resolve, reject) => {
    const request = http.request(`${on.url}/graphql`, {
      headers: {
        connection: 'Upgrade',
        upgrade: 'websocket',
        'sec-websocket-version': '13',
        'sec-websocket-key': randomBytes(16).toString('base64'),
        'sec-websocket-protocol': protocol,
      },
    });
    request.on('response', (response) => resolve({ status: response.statusCode ?? 0 }));
    request.on('upgrade', (response, socket: Duplex, head: Buffer) => {
      let bytes = head;
      const status = response.statusCode ?? 0;
      const agreed = response.headers['sec-websocket-protocol'];
      const read = () => {
        // A server's frames are unmasked; a close frame's payload is the code (2 bytes) and the reason (< 124 bytes).
        if (bytes.length < 2 || bytes.length < 2 + (bytes[1]! & 0x7f)) return;
        socket.destroy();
        if ((bytes[0]! & 0x0f) !== 0x8) return reject(new Error(`first frame is not a close frame: opcode ${bytes[0]! & 0x0f}`));
        const payload = bytes.subarray(2, 2 + (bytes[1]! & 0x7f));
        resolve({ status, protocol: agreed, close: { code: payload.readUInt16BE(0), reason: payload.subarray(2).toString() } });
      };
      socket.on('data', (chunk: Buffer) => {
        bytes = Buffer.concat([bytes, chunk]);
        read();
      });
      socket.on('error', reject);
      read();
    });
    request.on('error', reject);
    request.end();
  });
}
