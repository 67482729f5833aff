/**
 * Section 3: idle connections. Ramps authenticated graphql-ws connections,
 * each holding a `newMessage` and a `presence` subscription, into a fresh
 * Payamak process, and the same number of raw `ws` connections into a fresh
 * raw server; reports resident memory per connection, connect times and
 * Payamak's event-loop delay (prom-client's, from /metrics).
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Client } from 'graphql-ws';
import WebSocket from 'ws';
import { printHeapTop } from '../heap-top.js';
import type { BenchContext } from '../lib/context.js';
import { graphql, scrapeMetrics } from '../lib/http.js';
import { cpuTimeMs, openFilesLimit, rssBytes, type ServerChild } from '../lib/proc.js';
import { progress } from '../lib/report.js';
import { insertUsers, sessionsFor } from '../lib/seed.js';
import { Samples, fmt, nowMs, sleep, type Summary } from '../lib/stats.js';
import { NEW_MESSAGE_SUBSCRIPTION, SEND_MESSAGE_MUTATION, benchClient } from '../lib/transports.js';

const TARGET = 10_000;
const CONCURRENCY = 200;
/** Descriptors besides the sockets: files, database connections, the HTTP agent. */
const FD_HEADROOM = 1_000;
const PRESENCE_SUBSCRIPTION = 'subscription OnPresence { presence { userId status lastSeenAt } }';
/** Connections checked at the end to prove their two subscriptions live. */
const SAMPLE = 20;
/** How long the connections sit idle before the last RSS reading. */
const IDLE_MS = 10_000;

export interface RampResult {
  server: 'raw ws' | 'ours';
  connections: number;
  rampSeconds: number;
  connect: Summary;
  rssBeforeBytes: number;
  rssAfterBytes: number;
  rssPerConnectionBytes: number;
  /** Payamak: RSS per connection again after 10 s idle, once V8 has returned the ramp's garbage. */
  rssIdlePerConnectionBytes?: number;
  heapPerConnectionBytes?: number;
  /** CPU time per connection during the ramp: the server's, and the load generator's (this process: the clients). */
  serverCpuPerConnectionMs: number;
  clientCpuPerConnectionMs: number;
  failures: number;
}

export interface ConnectionResults {
  target: number;
  count: number;
  limitNote: string;
  raw: RampResult;
  ours: RampResult & {
    eventLoopRamp: EventLoop;
    eventLoopIdle: EventLoop;
    liveness: { presence: number; newMessage: number; sample: number };
  };
}

interface EventLoop {
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

/** Runs `open` for `count` items, `concurrency` at a time, timing each; bounded by `deadlineMs`. */
async function ramp(
  count: number,
  deadlineMs: number,
  serverPid: number,
  open: (i: number) => Promise<void>,
): Promise<{ times: Samples; failures: number; seconds: number; serverCpuMs: number; clientCpuMs: number }> {
  const times = new Samples();
  const serverCpuBefore = await cpuTimeMs(serverPid);
  const clientCpuBefore = process.cpuUsage();
  let failures = 0;
  let next = 0;
  const start = nowMs();
  const worker = async () => {
    while (next < count && nowMs() - start < deadlineMs) {
      const i = next++;
      const t0 = nowMs();
      try {
        await open(i);
        times.push(nowMs() - t0);
      } catch {
        failures++;
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const seconds = (nowMs() - start) / 1000;
  const client = process.cpuUsage(clientCpuBefore);
  return { times, failures, seconds, serverCpuMs: (await cpuTimeMs(serverPid)) - serverCpuBefore, clientCpuMs: (client.user + client.system) / 1000 };
}

/** What both ramps report: connections, connect times, RSS before and after. */
function rampFigures(server: RampResult['server'], run: Awaited<ReturnType<typeof ramp>>, connected: number, rssBefore: number, rssAfter: number): RampResult {
  return {
    server,
    connections: connected,
    rampSeconds: run.seconds,
    connect: run.times.summary(),
    rssBeforeBytes: rssBefore,
    rssAfterBytes: rssAfter,
    rssPerConnectionBytes: (rssAfter - rssBefore) / connected,
    serverCpuPerConnectionMs: run.serverCpuMs / connected,
    clientCpuPerConnectionMs: run.clientCpuMs / connected,
    failures: run.failures,
  };
}

/**
 * `--heap-snapshot`: the server writes a snapshot on SIGUSR2 (bench/heap-top.ts
 * compares the one with the idle connections against the one before them).
 * Resolves with the new file once its size stops changing.
 */
async function takeHeapSnapshot(pid: number, dir: string, what: string): Promise<string | undefined> {
  progress(`connections: heap snapshot ${what}`);
  const before = new Set(await readdir(dir));
  process.kill(pid, 'SIGUSR2');
  const deadline = nowMs() + 120_000;
  let last = -1;
  while (nowMs() < deadline) {
    await sleep(1000);
    const file = (await readdir(dir)).find((f) => f.endsWith('.heapsnapshot') && !before.has(f));
    if (!file) continue;
    const size = (await stat(path.join(dir, file))).size;
    if (size > 0 && size === last) return path.join(dir, file);
    last = size;
  }
  progress('connections: no heap snapshot within 2 minutes');
  return undefined;
}

/** RSS once it stops moving: three reads 250 ms apart within 0.5% (at most `maxMs`). */
async function settledRss(pid: number, maxMs = 4_000): Promise<number> {
  const deadline = nowMs() + maxMs;
  const reads: number[] = [await rssBytes(pid)];
  while (nowMs() < deadline) {
    await sleep(250);
    reads.push(await rssBytes(pid));
    const last = reads.slice(-3);
    if (last.length === 3 && Math.max(...last) - Math.min(...last) <= Math.max(...last) * 0.005) break;
  }
  return reads.at(-1)!;
}

function eventLoop(metrics: Map<string, number>): EventLoop {
  const ms = (name: string) => (metrics.get(name) ?? NaN) * 1000;
  return { p50Ms: ms('nodejs_eventloop_lag_p50_seconds'), p99Ms: ms('nodejs_eventloop_lag_p99_seconds'), maxMs: ms('nodejs_eventloop_lag_max_seconds') };
}

export async function connectionsSection(ctx: BenchContext): Promise<ConnectionResults> {
  const ownLimit = await openFilesLimit('self');
  const rawServer = await ctx.startFloor('raw-ws', ['--no-db']);
  let count: number;
  let limitNote: string;
  let raw: RampResult;
  try {
    const childLimit = await openFilesLimit(rawServer.pid);
    count = Math.min(TARGET, ownLimit - FD_HEADROOM, childLimit - FD_HEADROOM);
    if (ctx.options.quick) count = Math.min(count, 2_000);
    if (ctx.options.connections) count = Math.min(count, ctx.options.connections);
    limitNote = `open-files limit: load generator ${ownLimit}, servers ${childLimit} (raised to the hard limit)`;
    if (count < TARGET) ctx.report.note(`connections: ${count} instead of ${TARGET} (${limitNote})`);
    progress(`connections: ${count} raw ws connections`);
    raw = await rampRaw(rawServer, count);
  } finally {
    await rawServer.kill();
  }

  // One user per connection, each with a session and a token from the server's own issuer.
  progress(`connections: seeding ${count + SAMPLE + 1} users and sessions`);
  const userIds = await insertUsers(ctx.pool, count + 1, `conn${Date.now().toString(36)}_`);
  const members = await sessionsFor(ctx.pool, userIds, ctx.jwtSecret);
  const prober = members.pop()!;
  // The last connections ramped share a group with the prober: its presence and its message must reach them.
  const sample = members.slice(-SAMPLE);
  const { rows } = await ctx.pool.query<{ id: string }>(
    `INSERT INTO "Chat" ("id", "kind", "title") VALUES (gen_random_uuid(), 'GROUP', 'liveness') RETURNING "id"::text AS "id"`,
  );
  const chatId = rows[0]!.id;
  await ctx.pool.query(`INSERT INTO "ChatMember" ("chatId", "userId") SELECT $1::uuid, u FROM unnest($2::uuid[]) AS u`, [
    chatId,
    [prober.userId, ...sample.map((m) => m.userId)],
  ]);

  const snapshotDir = path.join(ctx.tmp, 'heap');
  if (ctx.options.heapSnapshot) await mkdir(snapshotDir, { recursive: true });
  const server = await ctx.startPayamak(
    'payamak-connections',
    ctx.options.heapSnapshot ? [`--heapsnapshot-signal=SIGUSR2`, `--diagnostic-dir=${snapshotDir}`] : [],
  );
  const clients: Client[] = [];
  try {
    progress(`connections: ${count} graphql-ws connections with 2 subscriptions each`);
    await sleep(1000);
    await scrapeMetrics(server.metricsUrl); // prom-client resets its event-loop histogram at every scrape
    const rssBefore = await settledRss(server.pid);
    const heapBefore = (await scrapeMetrics(server.metricsUrl)).get('nodejs_heap_size_used_bytes') ?? NaN;
    const baseline = ctx.options.heapSnapshot ? await takeHeapSnapshot(server.pid, snapshotDir, 'before the ramp') : undefined;
    const seen = { presence: new Set<number>(), newMessage: new Set<number>() };
    const sampleStart = members.length - SAMPLE;
    const wsUrl = `${server.url.replace('http', 'ws')}/graphql`;
    const result = await ramp(members.length, 45_000, server.pid, (i) => {
      const member = members[i]!;
      return new Promise<void>((resolve, reject) => {
        const client = benchClient(wsUrl, member.token, {
          onNonLazyError: (error) => reject(error instanceof Error ? error : new Error('connect failed')),
          on: { connected: () => resolve() },
        });
        clients.push(client);
        client.subscribe(
          { query: NEW_MESSAGE_SUBSCRIPTION },
          { next: () => i >= sampleStart && seen.newMessage.add(i), error: () => undefined, complete: () => undefined },
        );
        client.subscribe(
          { query: PRESENCE_SUBSCRIPTION },
          { next: () => i >= sampleStart && seen.presence.add(i), error: () => undefined, complete: () => undefined },
        );
      });
    });
    const rampMetrics = await waitForConnections(server, members.length - result.failures);
    const rssAfter = await settledRss(server.pid);
    const heapAfter = (await scrapeMetrics(server.metricsUrl)).get('nodejs_heap_size_used_bytes') ?? NaN;
    await sleep(3000);
    const idleMetrics = await scrapeMetrics(server.metricsUrl);
    // V8's memory reducer collects once the process has been quiet for ~8 s: what an idle socket really costs.
    await sleep(IDLE_MS - 3000);
    const rssIdle = await settledRss(server.pid);
    if (baseline) {
      const idle = await takeHeapSnapshot(server.pid, snapshotDir, `of ${members.length - result.failures} idle connections`);
      if (idle) await printHeapTop(idle, members.length - result.failures, { baseline, count: 30 });
    }

    // Liveness: the prober comes online (presence) and sends a message (newMessage) to the sample.
    const proberClient = benchClient(wsUrl, prober.token, {
      onNonLazyError: () => undefined, // the server is killed at the end: not news
    });
    clients.push(proberClient);
    proberClient.subscribe({ query: PRESENCE_SUBSCRIPTION }, { next: () => undefined, error: () => undefined, complete: () => undefined });
    await sleep(300);
    await graphql(server.url, SEND_MESSAGE_MUTATION, { input: { chatId, text: 'liveness', clientId: randomUUID() } }, prober.token);
    const deadline = nowMs() + 5_000;
    while ((seen.presence.size < SAMPLE || seen.newMessage.size < SAMPLE) && nowMs() < deadline) await sleep(20);

    const connected = members.length - result.failures;
    const ours: ConnectionResults['ours'] = {
      ...rampFigures('ours', result, connected, rssBefore, rssAfter),
      rssIdlePerConnectionBytes: (rssIdle - rssBefore) / connected,
      heapPerConnectionBytes: (heapAfter - heapBefore) / connected,
      eventLoopRamp: eventLoop(rampMetrics),
      eventLoopIdle: eventLoop(idleMetrics),
      liveness: { presence: seen.presence.size, newMessage: seen.newMessage.size, sample: SAMPLE },
    };
    report(ctx, raw, ours, count, limitNote);
    return { target: TARGET, count, limitNote, raw, ours };
  } finally {
    // Killed rather than drained (draining would make it record every user going offline), unless it is being
    // profiled: --cpu-prof writes its profile only on a clean exit.
    if (ctx.options.serverNodeArgs.some((arg) => arg.startsWith('--cpu-prof'))) await server.stop(60_000);
    else await server.kill();
    for (const client of clients) void client.dispose();
  }
}

async function rampRaw(server: ServerChild, count: number): Promise<RampResult> {
  const url = `${server.url.replace('http', 'ws')}/ws`;
  const sockets: WebSocket[] = [];
  await sleep(500);
  const rssBefore = await settledRss(server.pid);
  try {
    const result = await ramp(count, 30_000, server.pid, (i) => {
      return new Promise<void>((resolve, reject) => {
        const socket = new WebSocket(`${url}?user=raw${i}&sub=${randomUUID()}`);
        sockets.push(socket);
        socket.once('open', () => resolve());
        socket.once('error', reject);
      });
    });
    const rssAfter = await settledRss(server.pid);
    const connected = count - result.failures;
    return rampFigures('raw ws', result, connected, rssBefore, rssAfter);
  } finally {
    for (const socket of sockets) socket.terminate();
  }
}

/** Waits (≤ 15 s) until the server counts `expected` open graphql-ws connections; returns that scrape. */
async function waitForConnections(server: ServerChild, expected: number): Promise<Map<string, number>> {
  const deadline = nowMs() + 15_000;
  for (;;) {
    const metrics = await scrapeMetrics(server.metricsUrl);
    if ((metrics.get('websocket_connections') ?? 0) >= expected || nowMs() > deadline) return metrics;
    await sleep(250);
  }
}

function report(ctx: BenchContext, raw: RampResult, ours: ConnectionResults['ours'], count: number, limitNote: string): void {
  const table = ctx.report.table(`3. Connections: ${count} idle connections ramped ${CONCURRENCY} at a time (${limitNote})`, [
    'server',
    'connected',
    'ramp s',
    'connect p50 ms',
    'connect p99 ms',
    'server CPU ms/conn',
    'clients CPU ms/conn',
    'RSS before MB',
    'RSS after MB',
    'RSS per connection KB',
    `after ${IDLE_MS / 1000} s idle KB`,
    'ours/raw',
  ]);
  const kb = (b: number) => fmt(b / 1024);
  const mb = (b: number) => fmt(b / 2 ** 20);
  table.add(
    'raw ws (no subscriptions)',
    raw.connections,
    fmt(raw.rampSeconds),
    fmt(raw.connect.p50),
    fmt(raw.connect.p99),
    fmt(raw.serverCpuPerConnectionMs),
    fmt(raw.clientCpuPerConnectionMs),
    mb(raw.rssBeforeBytes),
    mb(raw.rssAfterBytes),
    kb(raw.rssPerConnectionBytes),
    '–',
    '',
  );
  table.add(
    'ours (graphql-ws, newMessage + presence)',
    ours.connections,
    fmt(ours.rampSeconds),
    fmt(ours.connect.p50),
    fmt(ours.connect.p99),
    fmt(ours.serverCpuPerConnectionMs),
    fmt(ours.clientCpuPerConnectionMs),
    mb(ours.rssBeforeBytes),
    mb(ours.rssAfterBytes),
    kb(ours.rssPerConnectionBytes),
    kb(ours.rssIdlePerConnectionBytes ?? NaN),
    `${fmt((ours.rssIdlePerConnectionBytes ?? NaN) / raw.rssPerConnectionBytes)}×`,
  );
  ctx.report.print(table);
  const loop = ctx.report.table('3. Payamak event-loop delay (prom-client monitorEventLoopDelay via /metrics; includes its 10 ms sampling interval)', [
    'window',
    'p50 ms',
    'p99 ms',
    'max ms',
  ]);
  loop.add('during the ramp', fmt(ours.eventLoopRamp.p50Ms), fmt(ours.eventLoopRamp.p99Ms), fmt(ours.eventLoopRamp.maxMs));
  loop.add(`idle, ${ours.connections} connections, 3 s`, fmt(ours.eventLoopIdle.p50Ms), fmt(ours.eventLoopIdle.p99Ms), fmt(ours.eventLoopIdle.maxMs));
  ctx.report.print(loop);
  ctx.report.note(
    `connections: heap per connection ${kb(ours.heapPerConnectionBytes ?? NaN)} KB; liveness of the last ${ours.liveness.sample} connections: ` +
      `presence ${ours.liveness.presence}/${ours.liveness.sample}, newMessage ${ours.liveness.newMessage}/${ours.liveness.sample}`,
  );
  // Issue 20's figures: 10 KB per idle connection (the first round's was 20 KB), connect p99 within 2× of raw ws.
  ctx.report.target(
    '≤ 10 KB RSS per idle connection with two subscriptions, after 10 s idle',
    `${kb(ours.rssIdlePerConnectionBytes ?? NaN)} KB after ${IDLE_MS / 1000} s idle, ${kb(ours.rssPerConnectionBytes)} KB right after the ramp ` +
      `(raw ws: ${kb(raw.rssPerConnectionBytes)} KB) at ${ours.connections} connections`,
    (ours.rssIdlePerConnectionBytes ?? Infinity) <= 10 * 1024,
  );
  ctx.report.target(
    'connect p99 while ramping within 2× of the raw ws server',
    `${fmt(ours.connect.p99)} ms vs ${fmt(raw.connect.p99)} ms (${fmt(ours.connect.p99 / raw.connect.p99)}×)`,
    ours.connect.p99 <= 2 * raw.connect.p99,
  );
}
