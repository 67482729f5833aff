/**
 * Section 4: the chat list. One user with 200 chats (100 private, 100 groups
 * of 5) of 1,000 messages each, seeded with SQL; `chats(first: 50)` with the
 * test suite's selection (members and their users, unread count, last message
 * and its sender). Latency against the Payamak child; SQL statements per
 * request from an in-process server's `onQuery` hook, with the DataLoaders
 * batching and with them loading one key per query (`tuning.disableDataLoaders`).
 */
import { print } from 'graphql';
import type { BenchContext } from '../lib/context.js';
import { startCountingServer } from '../lib/counting-server.js';
import { postJson } from '../lib/http.js';
import { progress } from '../lib/report.js';
import { insertUsers, registerUsers } from '../lib/seed.js';
import { Samples, fmt, nowMs, spread, type Summary } from '../lib/stats.js';

const CHATS = 200;
const MESSAGES_PER_CHAT = 1000;
const GROUP_SIZE = 5;

export interface ChatListResults {
  chats: number;
  messagesPerChat: number;
  seedSeconds: number;
  latency: Summary;
  statements: { batched: { first10: number[]; first50: number[] }; unbatched: { first10: number[]; first50: number[] } };
  unbatchedLatency: Summary;
  /** chats(first: 50) filtered or searched: latency against the child, statements in-process (batched). */
  filtered: { name: string; chats: number; latency: Summary; statements: number[] }[];
}

/**
 * The list as apps filter and search it. Seeded: odd chats are groups, even ones
 * private chats with a user named "Bench …"; every seventh is read to the end.
 */
interface ListShape {
  name: string;
  variables: { filter?: Record<string, unknown>; search?: string };
  /** Chats that match, of the seeded ones. */
  chats: number;
}
const UNFILTERED: ListShape = { name: 'unfiltered', variables: {}, chats: CHATS };
const FILTERED: ListShape[] = [
  { name: 'filter: { kind: GROUP }', variables: { filter: { kind: 'GROUP' } }, chats: CHATS / 2 },
  { name: 'filter: { unread: true }', variables: { filter: { unread: true } }, chats: CHATS - Math.floor(CHATS / 7) },
  { name: 'search: "Bench" (the other member\'s name)', variables: { search: 'Bench' }, chats: CHATS / 2 },
];

export async function chatListSection(ctx: BenchContext): Promise<ChatListResults> {
  // The test suite's own document: what a client's chat screen asks for.
  const { ChatsDocument } = await import('../../src/test/generated/graphql.js');
  const query = print(ChatsDocument);
  progress(`chat list: seeding ${CHATS} chats × ${MESSAGES_PER_CHAT} messages with SQL`);
  const seedStart = nowMs();
  const [viewer] = await registerUsers(ctx.ours.url, 1, `list${Date.now().toString(36)}_`);
  const others = await insertUsers(ctx.pool, CHATS, `listother${Date.now().toString(36)}_`);
  await seed(ctx, viewer!.userId, others);
  const seedSeconds = (nowMs() - seedStart) / 1000;

  /** One request of the list, filtered or not; throws unless it answered with the page and count the seed implies. */
  const ask = async (url: string, first: number, { name, variables, chats }: ListShape = UNFILTERED) => {
    const started = nowMs();
    const result = await postJson(`${url}/graphql`, { query, variables: { first, ...variables } }, { authorization: `Bearer ${viewer!.token}` });
    const elapsed = nowMs() - started;
    const body = JSON.parse(result.body) as { data?: { chats: { edges: unknown[]; totalCount: number } }; errors?: unknown[] };
    if (body.errors || body.data?.chats.edges.length !== Math.min(first, chats) || body.data.chats.totalCount !== chats) {
      throw new Error(`chats(first: ${first}, ${name}) answered wrongly: ${result.body.slice(0, 300)}`);
    }
    return elapsed;
  };
  const askFiltered = (url: string, shape: ListShape) => ask(url, 50, shape);

  progress('chat list: latency against the Payamak child');
  const requests = ctx.options.quick ? 50 : 200;
  for (let i = 0; i < 20; i++) await ask(ctx.ours.url, 50);
  const latency = new Samples();
  for (let i = 0; i < requests; i++) latency.push(await ask(ctx.ours.url, 50));
  const filteredLatency = new Map<string, Summary>();
  for (const shape of FILTERED) {
    for (let i = 0; i < 10; i++) await askFiltered(ctx.ours.url, shape);
    const samples = new Samples();
    for (let i = 0; i < requests / 2; i++) samples.push(await askFiltered(ctx.ours.url, shape));
    filteredLatency.set(shape.name, samples.summary());
  }

  progress('chat list: SQL statements per request, in-process, batched and unbatched');
  const counted = async (disableDataLoaders: boolean) => {
    const server = await startCountingServer(ctx, disableDataLoaders ? 'inprocess-unbatched' : 'inprocess-batched', { disableDataLoaders });
    try {
      const count = async (first: number) => {
        const out: number[] = [];
        for (let i = 0; i < 10; i++) out.push(await server.count(() => ask(server.url, first)));
        return out;
      };
      await ask(server.url, 50); // warm-up
      const result = { first10: await count(10), first50: await count(50) };
      const filtered = new Map<string, number[]>();
      if (!disableDataLoaders) {
        for (const shape of FILTERED) {
          await askFiltered(server.url, shape); // warm-up
          const out: number[] = [];
          for (let i = 0; i < 5; i++) out.push(await server.count(() => askFiltered(server.url, shape)));
          filtered.set(shape.name, out);
        }
      }
      const timing = new Samples();
      if (disableDataLoaders) for (let i = 0; i < (ctx.options.quick ? 10 : 30); i++) timing.push(await ask(server.url, 50));
      return { result, filtered, timing: timing.summary() };
    } finally {
      await server.close();
    }
  };
  const batched = await counted(false);
  const unbatched = await counted(true);

  const results: ChatListResults = {
    chats: CHATS,
    messagesPerChat: MESSAGES_PER_CHAT,
    seedSeconds,
    latency: latency.summary(),
    statements: { batched: batched.result, unbatched: unbatched.result },
    unbatchedLatency: unbatched.timing,
    filtered: FILTERED.map(({ name, chats }) => ({ name, chats, latency: filteredLatency.get(name)!, statements: batched.filtered.get(name)! })),
  };
  const table = ctx.report.table(
    `4. Chat list: chats(first: 50) for a user with ${CHATS} chats × ${MESSAGES_PER_CHAT} messages (seeded in ${fmt(seedSeconds)} s)`,
    ['loaders', 'requests', 'p50 ms', 'p99 ms', 'max ms', 'statements, first: 10', 'statements, first: 50'],
  );
  table.add(
    'batched (production), child process',
    requests,
    fmt(results.latency.p50),
    fmt(results.latency.p99),
    fmt(results.latency.max),
    spread(batched.result.first10),
    spread(batched.result.first50),
  );
  table.add(
    'one key per query (in-process, onQuery on)',
    results.unbatchedLatency.count,
    fmt(results.unbatchedLatency.p50),
    fmt(results.unbatchedLatency.p99),
    fmt(results.unbatchedLatency.max),
    spread(unbatched.result.first10),
    spread(unbatched.result.first50),
  );
  ctx.report.print(table);
  const filteredTable = ctx.report.table('4b. Chat list filtered and searched: chats(first: 50, …), the same selection, batched loaders', [
    'arguments',
    'chats matching',
    'requests',
    'p50 ms',
    'p99 ms',
    'max ms',
    'statements',
  ]);
  for (const row of results.filtered) {
    filteredTable.add(row.name, row.chats, row.latency.count, fmt(row.latency.p50), fmt(row.latency.p99), fmt(row.latency.max), spread(row.statements));
  }
  ctx.report.print(filteredTable);
  // DataLoader batches per tick: the last messages' senders sometimes resolve a tick after the members' users,
  // one statement more (the test suite allows 6–7 for the same reason). Growth with the page would be N+1.
  const constant = Math.max(...batched.result.first50) - Math.min(...batched.result.first10) <= 1;
  ctx.report.target(
    'chat list statement count constant',
    `batched: ${spread(batched.result.first10)} statements for 10 chats, ${spread(batched.result.first50)} for 50 (unbatched: ${spread(unbatched.result.first10)} and ${spread(unbatched.result.first50)})`,
    constant,
  );
  return results;
}

/**
 * 100 private chats (viewer + one other) and 100 groups (viewer + four
 * others), each with 1,000 messages from its members, newest chat first;
 * the viewer has read all but a few of each.
 */
async function seed(ctx: BenchContext, viewerId: string, others: string[]): Promise<void> {
  const client = await ctx.pool.connect();
  try {
    await client.query('BEGIN');
    await client.query(
      `CREATE TEMP TABLE bench_chat ON COMMIT DROP AS
       SELECT gen_random_uuid() AS id, n, other,
              CASE WHEN n % 2 = 0 THEN 'PRIVATE' ELSE 'GROUP' END::"ChatKind" AS kind
       FROM unnest($1::uuid[]) WITH ORDINALITY AS t(other, n)`,
      [others],
    );
    await client.query(
      `INSERT INTO "Chat" ("id", "kind", "title", "pairKey", "lastSeq", "rev", "createdAt", "updatedAt")
       SELECT id, kind,
              CASE WHEN kind = 'GROUP' THEN 'Group ' || n END,
              CASE WHEN kind = 'PRIVATE' THEN least($1::text, other::text) || ':' || greatest($1::text, other::text) END,
              $2::int, $2::int, now() - interval '30 days', now() - n * interval '1 minute'
       FROM bench_chat`,
      [viewerId, MESSAGES_PER_CHAT],
    );
    // The viewer, the chat's own other user, and for groups the next three others.
    await client.query(
      `INSERT INTO "ChatMember" ("chatId", "userId", "isAdmin", "joinedAt", "deliveredSeq", "readSeq")
       SELECT c.id, $1::uuid, c.kind = 'GROUP', now() - interval '30 days', $2::int, $2::int - (c.n % 7)::int FROM bench_chat c
       UNION ALL
       SELECT c.id, o.other, false, now() - interval '30 days' + o.k * interval '1 second', $2::int, $2::int
       FROM bench_chat c
       CROSS JOIN LATERAL (
         SELECT b.other, k FROM generate_series(0, CASE WHEN c.kind = 'GROUP' THEN $3::int - 2 ELSE 0 END) AS k
         JOIN bench_chat b ON b.n = ((c.n - 1 + k) % $4::int) + 1
       ) o`,
      [viewerId, MESSAGES_PER_CHAT, GROUP_SIZE, CHATS],
    );
    await client.query(
      `INSERT INTO "Message" ("id", "chatId", "seq", "rev", "senderId", "kind", "text", "createdAt")
       SELECT gen_random_uuid(), c.id, s, s, CASE WHEN s % 3 = 0 THEN $1::uuid ELSE c.other END, 'TEXT',
              'Seeded message ' || s || ' of chat ' || c.n,
              now() - c.n * interval '1 minute' - ($2::int - s) * interval '1 second'
       FROM bench_chat c CROSS JOIN generate_series(1, $2::int) AS s`,
      [viewerId, MESSAGES_PER_CHAT],
    );
    await client.query('COMMIT');
    await client.query('ANALYZE "Chat", "ChatMember", "Message"');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
