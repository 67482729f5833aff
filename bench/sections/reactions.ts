/**
 * Section 7: a reaction storm. Ten members of one group, every one of them
 * online (messageUpdated with the per-viewer reaction fields, and newMessage),
 * react to one message over HTTP: (1) at saturation, closed loop, three calls
 * in flight per member, each cycling through six emojis so that every call is
 * a change; with sendMessage into the same group at the same concurrency for
 * comparison; (2) at a fixed 50 reactions/s, open loop, setReaction → the
 * messageUpdated frame at every member. Every member must get every change
 * once, in rev order.
 */
import type { Client } from 'graphql-ws';
import type { BenchContext } from '../lib/context.js';
import type { Member } from '../lib/delivery.js';
import { graphql, postJson } from '../lib/http.js';
import { startCountingServer } from '../lib/counting-server.js';
import { cpuTimeMs } from '../lib/proc.js';
import { progress } from '../lib/report.js';
import { createGroup, insertUsers, sessionsFor } from '../lib/seed.js';
import { Samples, fmt, nowMs, sleep, spread, type Summary } from '../lib/stats.js';
import { benchClient } from '../lib/transports.js';

const MEMBERS = 10;
const IN_FLIGHT_PER_MEMBER = 3;
const FIXED_RATE = 50;
// Six, more than the calls a member has in flight: the emoji asked for is never the one already set.
const EMOJIS = ['👍', '❤️', '😂', '😮', '😢', '🙏'] as const;

const SET_REACTION = 'mutation React($messageId: ID!, $emoji: String!) { setReaction(messageId: $messageId, emoji: $emoji) { id rev } }';
const SEND_MESSAGE = 'mutation Send($input: SendMessageInput!) { sendMessage(input: $input) { id seq rev } }';
// What a chat screen holds of a message's reactions: rendered per viewer.
const UPDATES = 'subscription Updates($chatId: ID) { messageUpdated(chatId: $chatId) { id rev myReaction reactions { emoji count reactedByMe } } }';
const NEW_MESSAGES = 'subscription New($chatId: ID) { newMessage(chatId: $chatId) { id seq text } }';

interface Saturation {
  durationMs: number;
  calls: number;
  /** Calls that changed the message (took a rev). */
  changes: number;
  perSecond: number;
  mutation: Summary;
  serverCpuMsPer: number;
}

export interface ReactionResults {
  members: number;
  reactions: Saturation & { delivered: number; expected: number; inOrder: boolean };
  messages: Saturation;
  fixedRate: {
    rate: number;
    achievedRate: number;
    mutation: Summary;
    /** setReaction sent → messageUpdated frame, at every member. */
    e2e: Summary;
    delivered: number;
    expected: number;
    inOrder: boolean;
    serverCpuMsPer: number;
  };
  /** SQL statements per call, everything it set off included (every member's event rendered), five calls each. */
  statements: { setReaction: number[]; sendMessage: number[] };
}

/** One member's sockets: what arrived, by rev, and when. */
interface Receiver {
  client: Client;
  revs: number[];
  at: Map<number, number>;
  messages: number;
  failed: string | null;
}

async function openReceiver(wsUrl: string, member: Member, chatId: string): Promise<Receiver> {
  const receiver: Receiver = { client: undefined as unknown as Client, revs: [], at: new Map(), messages: 0, failed: null };
  await new Promise<void>((resolve, reject) => {
    receiver.client = benchClient(wsUrl, member.token, { onNonLazyError: reject, on: { connected: () => resolve() } });
  });
  const fail = (why: string) => {
    receiver.failed ??= why;
  };
  receiver.client.subscribe<{ messageUpdated: { rev: number } }>(
    { query: UPDATES, variables: { chatId } },
    {
      next: (result) => {
        const rev = result.data?.messageUpdated.rev;
        if (rev === undefined) return fail(`messageUpdated without data: ${JSON.stringify(result.errors ?? null).slice(0, 200)}`);
        receiver.revs.push(rev);
        receiver.at.set(rev, nowMs());
      },
      error: (error) => fail(`messageUpdated error: ${JSON.stringify(error).slice(0, 200)}`),
      complete: () => fail('messageUpdated completed'),
    },
  );
  receiver.client.subscribe(
    { query: NEW_MESSAGES, variables: { chatId } },
    { next: () => void receiver.messages++, error: (error) => fail(`newMessage error: ${String(error)}`), complete: () => undefined },
  );
  return receiver;
}

/** Every rev in (from, to] exactly once, in increasing order, at every receiver. */
function checkDelivery(receivers: Receiver[], from: number, to: number) {
  let delivered = 0;
  let inOrder = true;
  for (const receiver of receivers) {
    const got = receiver.revs.filter((rev) => rev > from && rev <= to);
    delivered += got.length;
    if (got.length !== to - from || got.some((rev, i) => rev !== from + 1 + i)) inOrder = false;
  }
  return { delivered, expected: receivers.length * (to - from), inOrder };
}

async function waitForRev(receivers: Receiver[], rev: number, timeoutMs = 20_000): Promise<void> {
  const deadline = nowMs() + timeoutMs;
  while (receivers.some((r) => !r.at.has(rev) && r.failed === null) && nowMs() < deadline) await sleep(20);
}

export async function reactionsSection(ctx: BenchContext): Promise<ReactionResults> {
  const url = ctx.ours.url;
  progress(`reactions: ${MEMBERS} members (SQL rows and sessions), a group and a message through the API, every member online`);
  const ids = await insertUsers(ctx.pool, MEMBERS, `react${Date.now().toString(36)}_`);
  const members = await sessionsFor(ctx.pool, ids, ctx.jwtSecret);
  const chatId = await createGroup(url, members[0]!, members.slice(1), 'Reaction storm');
  const sent = await graphql<{ sendMessage: { id: string } }>(url, SEND_MESSAGE, { input: { chatId, text: 'react to this' } }, members[0]!.token);
  const messageId = sent.sendMessage.id;
  const wsUrl = `${url.replace('http', 'ws')}/graphql`;
  const receivers = await Promise.all(members.map((member) => openReceiver(wsUrl, member, chatId)));
  await sleep(200); // graphql-ws acknowledges no subscribe: let the server register them

  const chatRev = async () => (await ctx.pool.query<{ rev: number }>('SELECT "rev" FROM "Chat" WHERE "id" = $1', [chatId])).rows[0]!.rev;
  const nextEmoji = members.map(() => 0);
  const react = async (m: number, base = url): Promise<number> => {
    const turn = nextEmoji[m]!;
    nextEmoji[m] = turn + 1;
    const emoji = EMOJIS[turn % EMOJIS.length]!;
    const result = await postJson(
      `${base}/graphql`,
      { query: SET_REACTION, variables: { messageId, emoji } },
      { authorization: `Bearer ${members[m]!.token}` },
    );
    const body = JSON.parse(result.body) as { data?: { setReaction: { rev: number } }; errors?: unknown[] };
    if (!body.data || body.errors) throw new Error(`setReaction: HTTP ${result.status} ${result.body.slice(0, 300)}`);
    return body.data.setReaction.rev;
  };
  const sendOne = async (m: number, i: number, base = url): Promise<void> => {
    const result = await postJson(
      `${base}/graphql`,
      { query: SEND_MESSAGE, variables: { input: { chatId, text: `message ${i}` } } },
      { authorization: `Bearer ${members[m]!.token}` },
    );
    if (result.status !== 200 || result.body.includes('"errors"')) throw new Error(`sendMessage: HTTP ${result.status} ${result.body.slice(0, 300)}`);
  };

  /** Closed loop: IN_FLIGHT_PER_MEMBER workers per member for `durationMs`. */
  const saturate = async (durationMs: number, call: (m: number, i: number) => Promise<unknown>) => {
    const latency = new Samples();
    const cpuBefore = await cpuTimeMs(ctx.ours.pid);
    const started = nowMs();
    let calls = 0;
    await Promise.all(
      Array.from({ length: MEMBERS * IN_FLIGHT_PER_MEMBER }, async (_, w) => {
        while (nowMs() - started < durationMs) {
          const t0 = nowMs();
          await call(w % MEMBERS, calls++);
          latency.push(nowMs() - t0);
        }
      }),
    );
    const elapsed = nowMs() - started;
    return { elapsed, calls, latency: latency.summary(), cpu: (await cpuTimeMs(ctx.ours.pid)) - cpuBefore };
  };

  const saturationMs = ctx.options.quick ? 2000 : 5000;
  progress(`reactions: warm-up, then setReaction at saturation for ${saturationMs / 1000} s (${MEMBERS * IN_FLIGHT_PER_MEMBER} in flight)`);
  await saturate(1000, (m) => react(m));
  await waitForRev(receivers, await chatRev());
  const revBefore = await chatRev();
  const storm = await saturate(saturationMs, (m) => react(m));
  const revAfter = await chatRev();
  await waitForRev(receivers, revAfter);
  const changes = revAfter - revBefore;
  const reactions = {
    durationMs: storm.elapsed,
    calls: storm.calls,
    changes,
    perSecond: (changes * 1000) / storm.elapsed,
    mutation: storm.latency,
    serverCpuMsPer: storm.cpu / Math.max(1, changes),
    ...checkDelivery(receivers, revBefore, revAfter),
  };

  const sendMs = ctx.options.quick ? 1500 : 3000;
  progress(`reactions: sendMessage into the same group at saturation for ${sendMs / 1000} s, for comparison`);
  const messagesBefore = receivers.map((r) => r.messages);
  const sends = await saturate(sendMs, (m, i) => sendOne(m, i));
  const messages = {
    durationMs: sends.elapsed,
    calls: sends.calls,
    changes: sends.calls,
    perSecond: (sends.calls * 1000) / sends.elapsed,
    mutation: sends.latency,
    serverCpuMsPer: sends.cpu / Math.max(1, sends.calls),
  };
  const deadline = nowMs() + 10_000;
  while (receivers.some((r, k) => r.messages - messagesBefore[k]! < sends.calls) && nowMs() < deadline) await sleep(20);

  const fixedMs = ctx.options.quick ? 4000 : 10_000;
  progress(`reactions: ${FIXED_RATE} reactions/s for ${fixedMs / 1000} s (open loop), setReaction → messageUpdated at every member`);
  const fixedFrom = await chatRev();
  const sentAt = new Map<number, number>();
  const mutation = new Samples();
  const count = Math.round((FIXED_RATE * fixedMs) / 1000);
  const cpuBefore = await cpuTimeMs(ctx.ours.pid);
  const started = nowMs();
  const inFlight: Promise<void>[] = [];
  for (let i = 0; i < count; i++) {
    const due = started + (i * 1000) / FIXED_RATE;
    const wait = due - nowMs();
    if (wait > 0) await sleep(wait);
    inFlight.push(
      (async () => {
        const t0 = nowMs();
        const rev = await react(i % MEMBERS);
        mutation.push(nowMs() - t0);
        sentAt.set(rev, t0);
      })(),
    );
  }
  await Promise.all(inFlight);
  const achievedRate = (count * 1000) / (nowMs() - started);
  const fixedTo = await chatRev();
  await waitForRev(receivers, fixedTo);
  const fixedCpu = (await cpuTimeMs(ctx.ours.pid)) - cpuBefore;
  const e2e = new Samples();
  for (const receiver of receivers) {
    for (const [rev, t0] of sentAt) {
      const at = receiver.at.get(rev);
      if (at !== undefined) e2e.push(at - t0);
    }
  }
  const fixedRate = {
    rate: FIXED_RATE,
    achievedRate,
    mutation: mutation.summary(),
    e2e: e2e.summary(),
    serverCpuMsPer: fixedCpu / Math.max(1, fixedTo - fixedFrom),
    ...checkDelivery(receivers, fixedFrom, fixedTo),
  };
  for (const receiver of receivers) void receiver.client.dispose();
  const failures = receivers.flatMap((r) => (r.failed ? [r.failed] : []));

  progress('reactions: SQL statements per setReaction and per sendMessage with every member subscribed, in-process');
  const statements = { setReaction: [] as number[], sendMessage: [] as number[] };
  const counting = await startCountingServer(ctx, 'inprocess-reactions');
  const countingReceivers: Receiver[] = [];
  try {
    const countingWs = `${counting.url.replace('http', 'ws')}/graphql`;
    countingReceivers.push(...(await Promise.all(members.map((member) => openReceiver(countingWs, member, chatId)))));
    await sleep(300);
    // What one change costs the database: the mutation, and every member's messageUpdated (or newMessage) rendered.
    const reactAndDeliver = async (m: number) => waitForRev(countingReceivers, await react(m, counting.url));
    const sendAndDeliver = async (m: number, i: number) => {
      const before = countingReceivers.map((r) => r.messages);
      await sendOne(m, i, counting.url);
      const until = nowMs() + 10_000;
      while (countingReceivers.some((r, k) => r.messages === before[k]) && nowMs() < until) await sleep(5);
    };
    await reactAndDeliver(0); // warm-up
    await sendAndDeliver(0, -1);
    for (let i = 1; i <= 5; i++) {
      statements.setReaction.push(await counting.count(() => reactAndDeliver(i % MEMBERS), 300));
      statements.sendMessage.push(await counting.count(() => sendAndDeliver(i % MEMBERS, -1 - i), 300));
    }
  } finally {
    for (const receiver of countingReceivers) void receiver.client.dispose();
    await counting.close();
  }
  if (failures.length > 0) ctx.report.note(`reactions: subscriptions failed: ${failures.join('; ')}`);

  const results: ReactionResults = { members: MEMBERS, reactions, messages, fixedRate, statements };
  const table = ctx.report.table(
    `7. Reaction storm: one message in a group of ${MEMBERS}, every member online (messageUpdated with myReaction and reactions { emoji count reactedByMe }, and newMessage)`,
    [
      'run',
      'changes',
      'per s',
      'mutation p50 ms',
      'mutation p99 ms',
      'e2e p50 ms',
      'e2e p99 ms',
      'delivered/expected, in rev order',
      'server CPU ms/change',
      'SQL statements per call, delivery included',
    ],
  );
  const delivered = (d: { delivered: number; expected: number; inOrder: boolean }) =>
    `${d.delivered}/${d.expected}${d.inOrder ? ', in order' : ', NOT EXACTLY ONCE IN ORDER'}`;
  table.add(
    `setReaction, saturation (${MEMBERS * IN_FLIGHT_PER_MEMBER} in flight)`,
    changes,
    fmt(reactions.perSecond),
    fmt(reactions.mutation.p50),
    fmt(reactions.mutation.p99),
    '–',
    '–',
    delivered(reactions),
    fmt(reactions.serverCpuMsPer),
    spread(statements.setReaction),
  );
  table.add(
    `sendMessage, saturation (${MEMBERS * IN_FLIGHT_PER_MEMBER} in flight), same group`,
    messages.changes,
    fmt(messages.perSecond),
    fmt(messages.mutation.p50),
    fmt(messages.mutation.p99),
    '–',
    '–',
    '',
    fmt(messages.serverCpuMsPer),
    spread(statements.sendMessage),
  );
  table.add(
    `setReaction at ${FIXED_RATE}/s`,
    fixedTo - fixedFrom,
    fmt(fixedRate.achievedRate),
    fmt(fixedRate.mutation.p50),
    fmt(fixedRate.mutation.p99),
    fmt(fixedRate.e2e.p50),
    fmt(fixedRate.e2e.p99),
    delivered(fixedRate),
    fmt(fixedRate.serverCpuMsPer),
    spread(statements.setReaction),
  );
  ctx.report.print(table);
  ctx.report.target(
    'every reaction change delivered once, in rev order, to every online member',
    `${delivered(reactions)} at saturation; ${delivered(fixedRate)} at ${FIXED_RATE}/s`,
    reactions.inOrder && fixedRate.inOrder && failures.length === 0,
  );
  ctx.report.note(
    `reactions: at saturation ${fmt(reactions.perSecond)} reactions/s vs ${fmt(messages.perSecond)} messages/s into the same group ` +
      `(${fmt((100 * reactions.perSecond) / messages.perSecond)}%); ${reactions.calls - changes} of ${reactions.calls} calls changed nothing`,
  );
  return results;
}
