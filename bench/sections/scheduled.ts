/**
 * Section 8: scheduled messages. How late a scheduled message arrives (its
 * sendAt → the newMessage frame at a subscribed member), with the server
 * idle and with 200 ordinary sends/s running into other chats. The job queue
 * polls once a second for jobs come due, so about a second is the expected
 * worst case when idle; the issue's bound is 2 s.
 */
import type { Client } from 'graphql-ws';
import type { BenchContext } from '../lib/context.js';
import type { Member } from '../lib/delivery.js';
import { graphql, postJson } from '../lib/http.js';
import { progress } from '../lib/report.js';
import { createGroup, insertUsers, sessionsFor } from '../lib/seed.js';
import { Samples, fmt, nowMs, sleep, type Summary } from '../lib/stats.js';
import { benchClient } from '../lib/transports.js';

const SCHEDULE = 'mutation Schedule($input: ScheduleMessageInput!) { scheduleMessage(input: $input) { id sendAt } }';
const SEND = 'mutation Send($input: SendMessageInput!) { sendMessage(input: $input) { id } }';
const NEW_MESSAGES = 'subscription New($chatId: ID) { newMessage(chatId: $chatId) { id clientId } }';

const LOAD_RATE = 200;
const LOAD_CHATS = 10;
const LOAD_MAX_IN_FLIGHT = 128;

export interface ScheduledRun {
  label: string;
  scheduled: number;
  arrived: number;
  /** sendAt → newMessage at the member, in ms. */
  lateness: Summary;
  /** Ordinary sends/s achieved meanwhile (0 when idle). */
  loadRate: number;
  /** Their sendMessage latency, from when each was due. */
  loadLatency: Summary | null;
  loadErrors: number;
}

export interface ScheduledResults {
  runs: ScheduledRun[];
}

async function subscriber(wsUrl: string, member: Member, chatId: string, arrivals: Map<string, number>): Promise<Client> {
  let client: Client | undefined;
  await new Promise<void>((resolve, reject) => {
    client = benchClient(wsUrl, member.token, { onNonLazyError: reject, on: { connected: () => resolve() } });
  });
  client!.subscribe<{ newMessage: { clientId: string | null } }>(
    { query: NEW_MESSAGES, variables: { chatId } },
    {
      next: (result) => {
        const clientId = result.data?.newMessage.clientId;
        if (clientId?.startsWith('scheduled:')) arrivals.set(clientId.slice('scheduled:'.length), Date.now());
      },
      error: () => undefined,
      complete: () => undefined,
    },
  );
  return client!;
}

/** Ordinary sends at `rate`/s, open loop, until stopped: each pair's chat gets its share. */
function startLoad(url: string, pairs: { sender: Member; chatId: string }[], rate: number) {
  let sent = 0;
  let errors = 0;
  let inFlight = 0;
  // From when the schedule said to send (not when it left): a generator that falls behind does not hide the wait.
  const latency = new Samples();
  let stopped = false;
  const startedAt = nowMs();
  const done = (async () => {
    for (let i = 0; !stopped; i += 1) {
      const due = startedAt + (i * 1000) / rate;
      const wait = due - nowMs();
      if (wait > 0) await sleep(wait);
      if (inFlight >= LOAD_MAX_IN_FLIGHT) {
        errors += 1; // counted as not sent: the server is behind
        continue;
      }
      const pair = pairs[i % pairs.length]!;
      inFlight += 1;
      void postJson(
        `${url}/graphql`,
        { query: SEND, variables: { input: { chatId: pair.chatId, text: `load ${i}` } } },
        { authorization: `Bearer ${pair.sender.token}` },
      )
        .then((result) => {
          if (result.status === 200 && !result.body.includes('"errors"')) {
            sent += 1;
            latency.push(nowMs() - due);
          } else errors += 1;
        })
        .catch(() => void (errors += 1))
        .finally(() => void (inFlight -= 1));
    }
  })();
  return {
    async stop(): Promise<{ rate: number; errors: number; latency: Summary }> {
      stopped = true;
      await done;
      while (inFlight > 0) await sleep(20);
      return { rate: sent / ((nowMs() - startedAt) / 1000), errors, latency: latency.summary() };
    },
  };
}

async function run(
  ctx: BenchContext,
  label: string,
  count: number,
  spreadMs: number,
  sender: Member,
  chatId: string,
  arrivals: Map<string, number>,
  load: { pairs: { sender: Member; chatId: string }[] } | null,
): Promise<ScheduledRun> {
  const url = ctx.ours.url;
  // sendAt a few seconds ahead (SCHEDULE_MIN_LEAD_SECONDS is 2 in the bench), spread evenly over `spreadMs`.
  const firstAt = Date.now() + 4000;
  const sendAts = new Map<string, number>();
  for (let i = 0; i < count; i += 1) {
    const sendAt = new Date(firstAt + Math.round((i * spreadMs) / count));
    const data = await graphql<{ scheduleMessage: { id: string; sendAt: string } }>(
      url,
      SCHEDULE,
      { input: { chatId, text: `${label} ${i}`, sendAt } },
      sender.token,
    );
    sendAts.set(data.scheduleMessage.id, Date.parse(data.scheduleMessage.sendAt));
  }
  const generator = load ? startLoad(url, load.pairs, LOAD_RATE) : null;
  const deadline = firstAt + spreadMs + 15_000;
  while ([...sendAts.keys()].some((id) => !arrivals.has(id)) && Date.now() < deadline) await sleep(50);
  const achieved = generator ? await generator.stop() : { rate: 0, errors: 0, latency: null };
  const lateness = new Samples();
  for (const [id, sendAt] of sendAts) {
    const at = arrivals.get(id);
    if (at !== undefined) lateness.push(at - sendAt);
  }
  return {
    label,
    scheduled: count,
    arrived: lateness.count,
    lateness: lateness.summary(),
    loadRate: Math.round(achieved.rate),
    loadErrors: achieved.errors,
    loadLatency: achieved.latency,
  };
}

export async function scheduledSection(ctx: BenchContext): Promise<ScheduledResults> {
  const url = ctx.ours.url;
  progress(`scheduled: a group of 3 with a subscribed member; ${LOAD_CHATS} more pairs for ${LOAD_RATE} ordinary sends/s`);
  const ids = await insertUsers(ctx.pool, 3 + LOAD_CHATS * 2, `sched${Date.now().toString(36)}_`);
  const members = await sessionsFor(ctx.pool, ids, ctx.jwtSecret);
  const [sender, watcher, third] = members as [Member, Member, Member];
  const chatId = await createGroup(url, sender, [watcher, third], 'Scheduled');
  const pairs: { sender: Member; chatId: string }[] = [];
  for (let i = 0; i < LOAD_CHATS; i += 1) {
    const a = members[3 + 2 * i]!;
    const b = members[4 + 2 * i]!;
    pairs.push({ sender: a, chatId: await createGroup(url, a, [b], `Load ${i}`) });
  }
  const arrivals = new Map<string, number>();
  const wsUrl = `${url.replace('http', 'ws')}/graphql`;
  const client = await subscriber(wsUrl, watcher, chatId, arrivals);
  // The load's recipients are online too, as in the delivery section (offline ones would cost a notification per message).
  const recipients = await Promise.all(pairs.map((pair, i) => subscriber(wsUrl, members[4 + 2 * i]!, pair.chatId, new Map())));
  await sleep(200);
  const runs: ScheduledRun[] = [];
  try {
    progress('scheduled: 40 messages due over 8 s, server idle');
    runs.push(await run(ctx, 'idle', 40, 8000, sender, chatId, arrivals, null));
    progress(`scheduled: 80 messages due over 8 s, with ${LOAD_RATE} sends/s of ordinary messages`);
    runs.push(await run(ctx, 'under load', 80, 8000, sender, chatId, arrivals, { pairs }));
  } finally {
    await Promise.all([client, ...recipients].map((c) => c.dispose()));
  }

  const table = ctx.report.table('Scheduled messages: sendAt → newMessage at a member', [
    'server',
    'scheduled',
    'arrived',
    'p50 ms',
    'p99 ms',
    'max ms',
    'ordinary sends/s meanwhile',
    'their sendMessage p50 / p99 ms',
  ]);
  for (const r of runs) {
    table.add(
      r.label,
      r.scheduled,
      r.arrived,
      fmt(r.lateness.p50),
      fmt(r.lateness.p99),
      fmt(r.lateness.max),
      r.loadRate === 0 ? '—' : `${r.loadRate}${r.loadErrors ? ` (${r.loadErrors} not sent)` : ''}`,
      r.loadLatency ? `${fmt(r.loadLatency.p50)} / ${fmt(r.loadLatency.p99)}` : '—',
    );
  }
  ctx.report.print(table);
  const idle = runs[0]!;
  ctx.report.target(
    'scheduled send within 2 s of sendAt, idle (p99, all arrived)',
    `p99 ${fmt(idle.lateness.p99)} ms, ${idle.arrived}/${idle.scheduled}`,
    idle.arrived === idle.scheduled && idle.lateness.p99 < 2000,
  );
  const loaded = runs[1]!;
  ctx.report.target(
    `scheduled send lateness p99 under ${LOAD_RATE} sends/s (reported; all arrived)`,
    `p99 ${fmt(loaded.lateness.p99)} ms, ${loaded.arrived}/${loaded.scheduled}, load ${loaded.loadRate}/s`,
    loaded.arrived === loaded.scheduled,
  );
  return { runs };
}
