/**
 * Section 9: message search. A database of 1,000,000 messages across 1,000
 * groups, generated with SQL (generate_series, in time order, as chats
 * interleave in life), and one user who is a member of 50 of them;
 * `searchMessages(first: 20)` through the GraphQL HTTP API for a very common
 * word, a rare one and a prefix (and a word between, for the record), with
 * p50/p99, the plan the server chose, the SQL time of each of the three
 * plans (search.plan.ts) and the EXPLAIN ANALYZE of the chosen one.
 *
 *   npm run bench -- --only=search                 1,000,000 messages (seeding takes minutes)
 *   npm run bench -- --only=search --quick         100,000 messages, fewer requests
 *   npm run bench -- --only=search --search-messages=300000
 */
// The plans' SQL comes from the server's own builders, whose module declares GraphQL types: the polyfill first.
import 'reflect-metadata';
import type { Prisma } from '../../src/generated/prisma/client.js';
import {
  choosePlan,
  estimateSql,
  indexSql,
  readEstimate,
  shareOf,
  walk,
  type MatchEstimate,
  type ReadRange,
  type SearchPlan,
  type SearchSpec,
  type WalkOptions,
  type WindowRow,
} from '../../src/modules/search/search.plan.js';
import type { BenchContext } from '../lib/context.js';
import { startCountingServer } from '../lib/counting-server.js';
import { postJson } from '../lib/http.js';
import { progress } from '../lib/report.js';
import { insertUsers, registerUsers } from '../lib/seed.js';
import { Samples, fmt, nowMs, spread, type Summary } from '../lib/stats.js';

const CHATS = 1000;
const VIEWER_CHATS = 50;
const MEMBERS_PER_CHAT = 4;
const OTHER_USERS = 2000;
const PAGE = 20;

/** What a client's search screen asks for. */
const SEARCH = `query Search($query: String!, $first: Int) {
  searchMessages(query: $query, first: $first) {
    edges { cursor snippet node { id chatId seq text createdAt sender { id displayName } } }
    pageInfo { hasNextPage endCursor }
  }
}`;

/**
 * The queries measured, and how often their words occur in the seeded text:
 * the common word starts a quarter of the messages and is the vocabulary's
 * most frequent word besides; the rare one is in 1 message of 20,000; the
 * prefix matches three words that are each in 1 of 150.
 */
const CASES = [
  { name: 'very common word', query: 'سلام', judged: true },
  { name: 'rare word', query: 'zanzibar', judged: true },
  { name: 'prefix', query: 'payam', judged: true },
  // Between the plans' strengths: too common for the index to be cheap, too rare for the walk to stop early.
  { name: 'word in 5% of messages', query: 'امروز', judged: false },
] as const;

export interface SearchCase {
  name: string;
  query: string;
  /** Messages with the words in the whole database, and among the viewer's. */
  matches: number;
  viewerMatches: number;
  hits: number;
  plan: SearchPlan;
  latency: Summary;
  /** EXPLAIN (ANALYZE) execution time of each plan's statement, ms. */
  executionMs: Record<SearchPlan, number>;
  explain: string;
  /** SQL statements per request, three requests (in-process). */
  statements?: number[];
}

export interface SearchResults {
  messages: number;
  chats: number;
  viewerChats: number;
  viewerMessages: number;
  seedSeconds: number;
  sizes: Record<string, string>;
  /** `{ me { id } }` from the same client: what any request costs. */
  baseline: Summary;
  cases: SearchCase[];
}

export async function searchSection(ctx: BenchContext): Promise<SearchResults> {
  const messages = ctx.options.searchMessages ?? (ctx.options.quick ? 100_000 : 1_000_000);
  const requests = ctx.options.quick ? 50 : 200;
  const prefix = `search${Date.now().toString(36)}_`;
  progress(`search: seeding ${messages.toLocaleString('en')} messages across ${CHATS} chats with SQL`);
  const seedStart = nowMs();
  const [viewer] = await registerUsers(ctx.ours.url, 1, prefix);
  const others = await insertUsers(ctx.pool, OTHER_USERS, `${prefix}other`);
  await seed(ctx, viewer!.userId, others, messages);
  const seedSeconds = (nowMs() - seedStart) / 1000;
  const sizes = await relationSizes(ctx);
  progress(
    `search: seeded in ${fmt(seedSeconds)} s (${Object.entries(sizes)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')})`,
  );

  const { ranges, oldest } = await viewerRanges(ctx, viewer!.userId);
  const viewerMessages = ranges.reduce((sum, r) => sum + r.rows, 0);
  const ask = async (query: string, base = ctx.ours.url) => {
    const started = nowMs();
    const result = await postJson(`${base}/graphql`, { query: SEARCH, variables: { query, first: PAGE } }, { authorization: `Bearer ${viewer!.token}` });
    const elapsed = nowMs() - started;
    const body = JSON.parse(result.body) as { data?: { searchMessages: { edges: unknown[] } }; errors?: unknown[] };
    if (body.errors || !body.data) throw new Error(`searchMessages(${query}) failed: ${result.body.slice(0, 300)}`);
    return { elapsed, hits: body.data.searchMessages.edges.length };
  };

  // Every request's own cost (HTTP, the token's session, GraphQL), for scale: the same client, the same server.
  const me = async () => {
    const started = nowMs();
    const result = await postJson(`${ctx.ours.url}/graphql`, { query: '{ me { id } }' }, { authorization: `Bearer ${viewer!.token}` });
    if (result.status !== 200) throw new Error(`me failed: ${result.body.slice(0, 300)}`);
    return nowMs() - started;
  };
  for (let i = 0; i < 20; i++) await me();
  const baseline = new Samples();
  for (let i = 0; i < requests; i++) baseline.push(await me());

  const cases: SearchCase[] = [];
  for (const { name, query } of CASES) {
    progress(`search: ${name} ("${query}"), ${requests} requests`);
    let hits = 0;
    for (let i = 0; i < 20; i++) hits = (await ask(query)).hits;
    const latency = new Samples();
    for (let i = 0; i < requests; i++) latency.push((await ask(query)).elapsed);
    const counted = await ctx.pool.query<{ matches: number; viewer: number }>(
      `SELECT count(*)::int AS "matches", count(*) FILTER (WHERE "chatId" = ANY($2::uuid[]))::int AS "viewer"
       FROM "Message" WHERE "searchVector" @@ payamak_search_query($1)`,
      [query, ranges.map((r) => r.chatId)],
    );
    const estimate = await estimateOf(ctx, query);
    const plan = choosePlan(estimate, ranges, PAGE + 1, false);
    const spec = { viewerId: viewer!.userId, query, ranges, senderId: null, before: undefined, limit: PAGE + 1 };
    const explained: Record<SearchPlan, { ms: number; text: string }> = {
      walk: await explainWalk(ctx, spec, { share: shareOf(estimate), oldest }),
      index: await explain(ctx, indexSql('index', spec)),
      indexInChats: await explain(ctx, indexSql('indexInChats', spec)),
    };
    cases.push({
      name,
      query,
      matches: counted.rows[0]!.matches,
      viewerMatches: counted.rows[0]!.viewer,
      hits,
      plan,
      latency: latency.summary(),
      executionMs: { walk: explained.walk.ms, index: explained.index.ms, indexInChats: explained.indexInChats.ms },
      explain: explained[plan].text,
    });
  }

  progress('search: SQL statements per request, in-process');
  const counting = await startCountingServer(ctx, 'inprocess-search');
  try {
    for (const c of cases) {
      await ask(c.query, counting.url); // warm-up
      c.statements = [];
      for (let i = 0; i < 3; i++) c.statements.push(await counting.count(() => ask(c.query, counting.url)));
    }
  } finally {
    await counting.close();
  }

  const table = ctx.report.table(
    `9. Search: searchMessages(first: ${PAGE}) over ${messages.toLocaleString('en')} messages in ${CHATS} chats, a member of ${VIEWER_CHATS} ` +
      `(${viewerMessages.toLocaleString('en')} messages; seeded in ${fmt(seedSeconds)} s)`,
    ['query', 'matches (all / mine)', 'plan', 'requests', 'p50 ms', 'p99 ms', 'max ms', 'SQL statements', 'SQL ms: walk (all windows) / index / indexInChats'],
  );
  const floor = baseline.summary();
  table.add('for scale: { me { id } }', '', '', floor.count, fmt(floor.p50), fmt(floor.p99), fmt(floor.max), '', '');
  for (const c of cases) {
    table.add(
      `${c.name}: "${c.query}"`,
      `${c.matches.toLocaleString('en')} / ${c.viewerMatches.toLocaleString('en')}`,
      c.plan,
      c.latency.count,
      fmt(c.latency.p50),
      fmt(c.latency.p99),
      fmt(c.latency.max),
      c.statements ? spread(c.statements) : '',
      `${fmt(c.executionMs.walk)} / ${fmt(c.executionMs.index)} / ${fmt(c.executionMs.indexInChats)}`,
    );
  }
  ctx.report.print(table);
  for (const c of cases) process.stdout.write(`\nEXPLAIN (ANALYZE, BUFFERS) of "${c.query}" (${c.name}), plan ${c.plan}:\n\n${c.explain}\n`);
  const judged = cases.filter((c) => CASES.find((k) => k.query === c.query)?.judged);
  ctx.report.target(
    `search p99 < 50 ms for a common word, a rare one, a prefix (${messages.toLocaleString('en')} messages, member of ${VIEWER_CHATS} chats)`,
    judged.map((c) => `${c.name} ${fmt(c.latency.p99)} ms`).join(', '),
    judged.every((c) => c.latency.p99 < 50),
  );
  return { messages, chats: CHATS, viewerChats: VIEWER_CHATS, viewerMessages, seedSeconds, sizes, baseline: floor, cases };
}

/**
 * The chats, members and messages, in one transaction. Messages come in time
 * order, 30 s apart, each in a random chat (so a chat's messages are spread
 * over the table, as they are in life), with seq and rev numbered per chat;
 * their text is 4 to 12 words from a skewed vocabulary of 20,000 (a few
 * dozen real Persian and English words, then made-up ones in both scripts).
 * Foreign keys are not checked while seeding (session_replication_role):
 * the rows reference what the same transaction made.
 */
async function seed(ctx: BenchContext, viewerId: string, others: string[], messages: number): Promise<void> {
  const client = await ctx.pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SET LOCAL session_replication_role = replica');
    await client.query(
      `CREATE TEMP TABLE bench_chat ON COMMIT DROP AS
       SELECT g AS n, gen_random_uuid() AS id FROM generate_series(1, $1::int) AS g`,
      [CHATS],
    );
    await client.query(`INSERT INTO "Chat" ("id", "kind", "title", "createdAt", "updatedAt")
       SELECT id, 'GROUP', 'Search group ' || n, now() - interval '400 days', now() FROM bench_chat`);
    await client.query(`CREATE TEMP TABLE bench_user ON COMMIT DROP AS SELECT n, id FROM unnest($1::uuid[]) WITH ORDINALITY AS t(id, n)`, [others]);
    // Four others in every chat; the viewer in the first VIEWER_CHATS.
    await client.query(
      `INSERT INTO "ChatMember" ("chatId", "userId", "joinedAt")
       SELECT c.id, u.id, now() - interval '400 days'
       FROM bench_chat c CROSS JOIN generate_series(0, $1::int - 1) AS k JOIN bench_user u ON u.n = (c.n * $1::int + k) % $2::int + 1
       UNION ALL
       SELECT c.id, $3::uuid, now() - interval '400 days' FROM bench_chat c WHERE c.n <= $4::int`,
      [MEMBERS_PER_CHAT, others.length, viewerId, VIEWER_CHATS],
    );
    await client.query(
      `INSERT INTO "Message" ("id", "chatId", "seq", "rev", "senderId", "kind", "text", "createdAt")
       SELECT gen_random_uuid(), c.id, m.seq, m.seq, u.id, 'TEXT', m.text, now() - ($1::int - m.i) * interval '30 seconds'
       FROM (
         SELECT i, chat, row_number() OVER (PARTITION BY chat ORDER BY i)::int AS seq,
                (CASE WHEN i % 4 = 0 THEN 'سلام ' ELSE '' END)
                || (CASE WHEN i % 50 = 1 THEN (ARRAY['payamak', 'payamha', 'payami'])[1 + i % 3] || ' ' ELSE '' END)
                || (CASE WHEN i % 20000 = 7 THEN 'zanzibar ' ELSE '' END)
                || (SELECT string_agg(
                      CASE WHEN k <= 40
                        THEN (ARRAY['سلام', 'خوبی', 'ممنون', 'کجا', 'امروز', 'فردا', 'جلسه', 'ساعت', 'باشه', 'دوستان',
                                    'خانه', 'کار', 'پروژه', 'لطفا', 'مرسی', 'می‌خواهم', 'كتاب', 'علي', 'قرار', 'شب',
                                    'the', 'and', 'meeting', 'today', 'tomorrow', 'thanks', 'hello', 'project', 'please', 'where',
                                    'when', 'ok', 'call', 'lunch', 'coffee', 'office', 'file', 'send', 'team', 'update'])[k]
                        WHEN k % 2 = 0 THEN translate(substr(md5(k::text), 1, 3 + k % 6), '0123456789abcdef', 'ابپتثجچحخدذرزسشص')
                        ELSE translate(substr(md5(k::text), 1, 3 + k % 6), '0123456789', 'ghijklmnop') END, ' ')
                    FROM (SELECT 1 + floor(20000 * power(random(), 4))::int AS k FROM generate_series(1, 4 + (i * 7) % 9)) w) AS text
         FROM (SELECT i, 1 + floor(random() * $2::int)::int AS chat FROM generate_series(1, $1::int) AS i) s
       ) m
       JOIN bench_chat c ON c.n = m.chat
       JOIN bench_user u ON u.n = (m.chat * $3::int + m.i % $3::int) % $4::int + 1
       ORDER BY m.i`,
      [messages, CHATS, MEMBERS_PER_CHAT, others.length],
    );
    await client.query(`UPDATE "Chat" c SET "lastSeq" = s."lastSeq", "rev" = s."lastSeq", "updatedAt" = s."at"
       FROM (SELECT "chatId", max("seq") AS "lastSeq", max("createdAt") AS "at" FROM "Message" GROUP BY "chatId") s
       WHERE s."chatId" = c."id" AND c."id" IN (SELECT id FROM bench_chat)`);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
  await ctx.pool.query('VACUUM ANALYZE "Chat", "ChatMember", "Message"');
}

async function relationSizes(ctx: BenchContext): Promise<Record<string, string>> {
  const { rows } = await ctx.pool.query<{ name: string; size: string }>(
    `SELECT c.relname AS "name", pg_size_pretty(pg_relation_size(c.oid)) AS "size"
     FROM pg_class c WHERE c.relname IN ('Message', 'Message_searchVector_idx', 'Message_chatId_createdAt_id_idx') ORDER BY c.relname`,
  );
  return Object.fromEntries(rows.map((r) => [r.name, r.size]));
}

/** The viewer's ranges, as SearchService makes them for a member since a chat's start, and when their oldest chat began. */
async function viewerRanges(ctx: BenchContext, viewerId: string): Promise<{ ranges: ReadRange[]; oldest: Date }> {
  const { rows } = await ctx.pool.query<{ chatId: string; lastSeq: number; createdAt: Date }>(
    `SELECT m."chatId"::text AS "chatId", c."lastSeq", c."createdAt" FROM "ChatMember" m JOIN "Chat" c ON c."id" = m."chatId" WHERE m."userId" = $1::uuid`,
    [viewerId],
  );
  const ranges = rows.map((r) => ({ chatId: r.chatId, fromSeq: 0, toSeq: null, rows: r.lastSeq }));
  return { ranges, oldest: new Date(Math.min(...rows.map((r) => r.createdAt.getTime()))) };
}

/** The planner's estimate the server chooses its plan by (search.plan.ts). */
async function estimateOf(ctx: BenchContext, query: string): Promise<MatchEstimate> {
  const sql = estimateSql(query);
  const { rows } = await ctx.pool.query<{ 'QUERY PLAN': unknown }>(sql.text, sql.values as unknown[]);
  const estimate = readEstimate(rows);
  if (!estimate) throw new Error('EXPLAIN answered in a shape search.plan.ts does not read');
  return estimate;
}

/** A walk as the server runs it (search.plan.ts), each window's statement explained: the windows' time, and their plans. */
async function explainWalk(ctx: BenchContext, spec: SearchSpec, options: WalkOptions): Promise<{ ms: number; text: string }> {
  const statements: Prisma.Sql[] = [];
  await walk(spec, options, async (statement) => {
    statements.push(statement);
    return (await ctx.pool.query<WindowRow>(statement.text, statement.values as unknown[])).rows;
  });
  const explained = [];
  for (const statement of statements) explained.push(await explain(ctx, statement));
  return {
    ms: explained.reduce((sum, e) => sum + e.ms, 0),
    text: explained.map((e, i) => `window ${i + 1} of ${explained.length}:\n${e.text}`).join('\n\n'),
  };
}

async function explain(ctx: BenchContext, statement: Prisma.Sql): Promise<{ ms: number; text: string }> {
  // Twice: the first warms the buffers, as the requests before it warmed them for the server.
  const run = () => ctx.pool.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, BUFFERS) ${statement.text}`, statement.values as unknown[]);
  await run();
  const { rows } = await run();
  const lines = rows.map((r) => r['QUERY PLAN']);
  const execution = lines.find((l) => l.startsWith('Execution Time'));
  return { ms: Number(execution?.match(/[\d.]+/)?.[0] ?? Number.NaN), text: lines.join('\n') };
}
