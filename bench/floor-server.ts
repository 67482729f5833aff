/**
 * The floor (docs/design.md "Performance: the floor and the targets"): the same
 * work as Payamak's send path with nothing in between. HTTP POST of JSON, one
 * PostgreSQL transaction, a JSON frame to each member's WebSocket. No
 * GraphQL, no auth, no framework. Run as a child process by bench/index.ts:
 *
 *   node --import tsx bench/floor-server.ts            (needs FLOOR_DATABASE_URL)
 *   node --import tsx bench/floor-server.ts --no-db    (WebSockets only: broadcast and connection counts)
 *
 * Routes: POST /setup {chats: {chatId: userIds[]}}; POST /send {chatId,
 * senderId, text, clientId}; POST /broadcast {userIds, rate, durationMs, tag,
 * text} (a server-side, clock-scheduled fan-out of one payload, for the raw
 * WebSocket floor); WebSocket /ws?user=<id>&sub=<subscription id>.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { WebSocketServer, type WebSocket } from 'ws';
import { floorSend } from './lib/floor-tx.js';
import { nowMs } from './lib/stats.js';

const withDb = !process.argv.includes('--no-db');
const databaseUrl = process.env['FLOOR_DATABASE_URL'];
if (withDb && !databaseUrl) throw new Error('FLOOR_DATABASE_URL is required (or --no-db)');
// Same pool size as Payamak's (pg's default, 10).
const pool = withDb ? new pg.Pool({ connectionString: databaseUrl, max: 10 }) : undefined;

/** userId → its sockets, each with the subscription id its frames carry. */
const sockets = new Map<string, Set<{ ws: WebSocket; sub: string }>>();
const members = new Map<string, string[]>();

function frame(sub: string, messageJson: string): string {
  return `{"id":"${sub}","type":"next","payload":{"data":{"newMessage":${messageJson}}}}`;
}

function deliver(userIds: readonly string[], messageJson: string): void {
  for (const userId of userIds) {
    const set = sockets.get(userId);
    if (!set) continue;
    for (const { ws, sub } of set) ws.send(frame(sub, messageJson));
  }
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString()) as Record<string, unknown>;
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

async function broadcast(body: Record<string, unknown>): Promise<number> {
  const userIds = body['userIds'] as string[];
  const rate = body['rate'] as number;
  const durationMs = body['durationMs'] as number;
  const tag = body['tag'] as string;
  const text = body['text'] as string;
  const total = Math.round((rate * durationMs) / 1000);
  const start = nowMs();
  const chatId = randomUUID();
  let sent = 0;
  while (sent < total) {
    const now = nowMs();
    if (now - start > durationMs * 3 + 5_000) break; // bounded even if the loop starves
    while (sent < total && start + (sent * 1000) / rate <= now) {
      const scheduled = start + (sent * 1000) / rate;
      const message = {
        id: randomUUID(),
        chatId,
        seq: sent + 1,
        senderId: chatId,
        kind: 'TEXT',
        text,
        clientId: `${tag}.${sent}.${scheduled.toFixed(3)}`,
        createdAt: new Date().toISOString(),
      };
      deliver(userIds, JSON.stringify(message));
      sent++;
    }
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  return sent;
}

const server = createServer((req, res) => {
  void (async () => {
    try {
      if (req.method === 'GET' && req.url === '/healthz') return reply(res, 200, { status: 'ok' });
      if (req.method !== 'POST') return reply(res, 404, { error: 'not found' });
      const body = await readJson(req);
      if (req.url === '/send') {
        if (!pool) return reply(res, 400, { error: 'no database' });
        const chatId = body['chatId'] as string;
        const message = await floorSend(pool, chatId, body['senderId'] as string, body['text'] as string, body['clientId'] as string);
        deliver(members.get(chatId) ?? [], JSON.stringify(message));
        return reply(res, 200, { id: message.id, seq: message.seq, createdAt: message.createdAt });
      }
      if (req.url === '/setup') {
        for (const [chatId, userIds] of Object.entries(body['chats'] as Record<string, string[]>)) members.set(chatId, userIds);
        return reply(res, 200, { ok: true });
      }
      if (req.url === '/broadcast') return reply(res, 200, { sent: await broadcast(body) });
      return reply(res, 404, { error: 'not found' });
    } catch (error) {
      reply(res, 500, { error: error instanceof Error ? error.message : String(error) });
    }
  })();
});

const wss = new WebSocketServer({ server, path: '/ws' });
wss.on('connection', (ws, req) => {
  const params = new URL(req.url ?? '/', 'http://x').searchParams;
  const userId = params.get('user') ?? '';
  const entry = { ws, sub: params.get('sub') ?? '1' };
  const set = sockets.get(userId) ?? new Set();
  sockets.set(userId, set);
  set.add(entry);
  ws.on('close', () => {
    set.delete(entry);
    if (set.size === 0) sockets.delete(userId);
  });
  ws.on('error', () => undefined);
});

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  process.stdout.write(`floor listening on http://127.0.0.1:${port}\n`);
});

const stop = () => {
  for (const client of wss.clients) client.terminate();
  server.close();
  void pool?.end().finally(() => process.exit(0));
  if (!pool) process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
