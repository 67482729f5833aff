/**
 * Section 1 (a, b): the pieces of the floor on their own. A raw `ws` server
 * fanning the same JSON out to the same numbers of raw `ws` clients, and raw
 * `pg` transactions shaped like Payamak's on the same PostgreSQL.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import WebSocket from 'ws';
import type { BenchContext } from '../lib/context.js';
import { MESSAGE_TEXT, Tally, parseClientId } from '../lib/delivery.js';
import { floorSend } from '../lib/floor-tx.js';
import { postJson } from '../lib/http.js';
import { progress } from '../lib/report.js';
import { insertChats, insertUsers } from '../lib/seed.js';
import { Samples, fmt, nowMs, sleep, type Summary } from '../lib/stats.js';

export interface BroadcastResult {
  receivers: number;
  rate: number;
  sent: number;
  expected: number;
  delivered: number;
  duplicates: number;
  e2e: Summary;
}

export const FANOUTS = [1, 10, 100] as const;
export const RATES = [100, 500, 1000] as const;

export async function rawWebSocketFloor(ctx: BenchContext): Promise<BroadcastResult[]> {
  const table = ctx.report.table('1a. Floor: raw ws server broadcasting to raw ws clients (server-side schedule)', [
    'clients',
    'rate msg/s',
    'frames/s',
    'delivered/expected',
    'e2e p50 ms',
    'e2e p99 ms',
    'e2e max ms',
  ]);
  const results: BroadcastResult[] = [];
  const wsBase = ctx.floor.url.replace('http', 'ws');
  for (const receivers of FANOUTS) {
    progress(`1a raw ws: ${receivers} client${receivers === 1 ? '' : 's'}`);
    const userIds = Array.from({ length: receivers }, (_, k) => `bcast${receivers}_${k}`);
    let tally: Tally | undefined;
    const sockets = await Promise.all(
      userIds.map(
        (userId, r) =>
          new Promise<WebSocket>((resolve, reject) => {
            const socket = new WebSocket(`${wsBase}/ws?user=${userId}&sub=${randomUUID()}`);
            socket.on('message', (data) => {
              const at = nowMs();
              const message = (JSON.parse(String(data)) as { payload: { data: { newMessage: { clientId: string; chatId: string; seq: number } } } }).payload
                .data.newMessage;
              const { tag, index, scheduled } = parseClientId(message.clientId);
              if (tally && tag === tally.tag) tally.record(r, index, scheduled, message.chatId, message.seq, at);
            });
            socket.once('open', () => resolve(socket));
            socket.once('error', reject);
          }),
      ),
    );
    const broadcast = async (rate: number, durationMs: number, tag: string) => {
      const { body } = await postJson(`${ctx.floor.url}/broadcast`, { userIds, rate, durationMs, tag, text: MESSAGE_TEXT }, {}, durationMs * 4 + 10_000);
      return (JSON.parse(body) as { sent: number }).sent;
    };
    try {
      await broadcast(500, 500, 'warmup');
      for (const rate of RATES) {
        const durationMs = Math.min(ctx.runMs, 1000); // the server's own clock schedule: steady in a second
        tally = new Tally(`b${receivers}x${rate}`, Math.round((rate * durationMs) / 1000), receivers, () => true);
        const sent = await broadcast(rate, durationMs, tally.tag);
        const expected = sent * receivers;
        const deadline = nowMs() + 5_000;
        while (tally.delivered < expected && nowMs() < deadline) await sleep(5);
        const result: BroadcastResult = {
          receivers,
          rate,
          sent,
          expected,
          delivered: tally.delivered,
          duplicates: tally.duplicates,
          e2e: tally.e2e.summary(),
        };
        results.push(result);
        table.add(receivers, rate, rate * receivers, `${result.delivered}/${result.expected}`, fmt(result.e2e.p50), fmt(result.e2e.p99), fmt(result.e2e.max));
      }
    } finally {
      for (const socket of sockets) socket.terminate();
    }
  }
  ctx.report.print(table);
  return results;
}

export interface PgResult {
  name: string;
  /** msg/s target, or 'saturation' (closed loop, 16 concurrent). */
  rate: number | 'saturation';
  chats: number;
  transactions: number;
  perSecond: number;
  latency: Summary;
  errors: number;
}

/** BEGIN; UPDATE "Chat" … lastSeq + 1 RETURNING; INSERT "Message"; COMMIT, on a pool of 10 like Payamak's. */
export async function rawPgFloor(ctx: BenchContext): Promise<PgResult[]> {
  const table = ctx.report.table('1b. Floor: raw pg transactions shaped like ours (pool of 10, durable commits)', [
    'load',
    'chats',
    'transactions',
    'tx/s',
    'p50 ms',
    'p99 ms',
    'max ms',
    'errors',
  ]);
  const pool = new pg.Pool({ connectionString: ctx.databaseUrl, max: 10 });
  const [sender] = await insertUsers(ctx.pool, 1, `pgfloor${Date.now()}_`);
  const chatIds = await insertChats(ctx.pool, 21, 'pg floor ');
  const hot = chatIds.slice(0, 1);
  const spread = chatIds.slice(1);
  const results: PgResult[] = [];
  let counter = 0;
  const one = async (chats: string[], samples: Samples, scheduled: number): Promise<boolean> => {
    const i = counter++;
    try {
      await floorSend(pool, chats[i % chats.length]!, sender!, MESSAGE_TEXT, `pg.${i}`);
      samples.push(nowMs() - scheduled);
      return true;
    } catch {
      return false;
    }
  };
  const closedLoop = async (name: string, chats: string[], durationMs: number): Promise<PgResult> => {
    const samples = new Samples();
    let errors = 0;
    const start = nowMs();
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (nowMs() - start < durationMs) if (!(await one(chats, samples, nowMs()))) errors++;
      }),
    );
    const elapsed = nowMs() - start;
    return {
      name,
      rate: 'saturation',
      chats: chats.length,
      transactions: samples.count,
      perSecond: (samples.count * 1000) / elapsed,
      latency: samples.summary(),
      errors,
    };
  };
  const openLoop = async (name: string, chats: string[], rate: number, durationMs: number): Promise<PgResult> => {
    const samples = new Samples();
    const total = Math.round((rate * durationMs) / 1000);
    const pending: Promise<boolean>[] = [];
    const start = nowMs();
    for (let i = 0; i < total && nowMs() - start < durationMs + 10_000; ) {
      const now = nowMs();
      while (i < total && start + (i * 1000) / rate <= now) pending.push(one(chats, samples, start + (i++ * 1000) / rate));
      await sleep(1);
    }
    const errors = (await Promise.all(pending)).filter((ok) => !ok).length;
    const elapsed = nowMs() - start;
    return { name, rate, chats: chats.length, transactions: samples.count, perSecond: (samples.count * 1000) / elapsed, latency: samples.summary(), errors };
  };

  try {
    progress('1b raw pg');
    await closedLoop('warm-up', spread, 500);
    results.push(await openLoop('500 tx/s, open loop', spread, 500, ctx.runMs));
    results.push(await closedLoop('saturation (16 concurrent)', spread, ctx.runMs));
    results.push(await closedLoop('saturation (16 concurrent)', hot, ctx.runMs));
  } finally {
    await pool.end();
  }
  for (const r of results) table.add(r.name, r.chats, r.transactions, fmt(r.perSecond), fmt(r.latency.p50), fmt(r.latency.p99), fmt(r.latency.max), r.errors);
  ctx.report.print(table);
  return results;
}
