/**
 * How a message search reads the database. Three plans, one answer; which is
 * cheap depends on how common the words are (bench/sections/search.ts has
 * the numbers, on a million messages):
 *
 * - `walk`: back in time from the newest message, a window at a time, across
 *   all the viewer's chats at once (Message(chatId, createdAt, id)), testing
 *   each message's stored vector, until a page of hits. A window is sized to
 *   hold about the messages a page needs at the words' share (f) of all
 *   messages, and each next one is four times longer: a common word reads a
 *   few dozen messages. If the walk reads far more than it expected, it
 *   stops, and an index plan finds the rest, older than where it stopped.
 *   For one sender's messages the walk is a single statement down their
 *   index, Message(senderId, createdAt, id).
 * - `index`: the GIN index on Message.searchVector finds the matches in the
 *   whole database; each is read to see whose chat it is in. A rare word
 *   costs nothing; every match costs a heap read (~5 µs when not cached).
 * - `indexInChats`: the same GIN matches, intersected (BitmapAnd) with the
 *   rows of the viewer's chats from an index on chatId before the heap is
 *   read: ~0.3 µs per message of those chats, and then only the viewer's
 *   matches are read. For words between rare and common.
 *
 * {@link choosePlan} costs the three from the planner's estimate of the
 * words' matches (its statistics of the column, read by EXPLAIN without
 * running anything). PostgreSQL is not left to choose between walking and
 * the index itself: it costs a GIN scan by its pages rather than by the
 * matches it gathers, and took one per chat for a word in 12% of the
 * messages (3 s). The walk tests `ts_match_vq` (the function behind `@@`),
 * which no index serves.
 */
import { Prisma } from '../../generated/prisma/client.js';
import type { TimePosition } from '../../lib/pagination.js';
import { MESSAGE_COLUMNS, type MessageRecord } from '../messages/index.js';

/** Messages a viewer reads in one chat: fromSeq < seq <= toSeq (toSeq null: onwards), and how many that is, about. */
export interface ReadRange {
  chatId: string;
  fromSeq: number;
  toSeq: number | null;
  rows: number;
}

/** The planner's estimates: messages with the words, and messages with any words at all. */
export interface MatchEstimate {
  matches: number;
  searchable: number;
}

export type SearchPlan = 'walk' | 'index' | 'indexInChats';

/** µs, measured on the benchmark's database: a message a walk reads; a walk's statement; a GIN match gathered; a heap read; a chat row in a bitmap. */
const COST = { walkedRow: 4, window: 1000, indexMatch: 0.5, heapRead: 5, chatRow: 0.3 } as const;

/** The words' share of all messages, by the estimate. */
export const shareOf = (estimate: MatchEstimate): number => (estimate.searchable > 0 ? Math.min(1, estimate.matches / estimate.searchable) : 1);

/** What the two index plans would cost, in µs. */
function indexCosts(estimate: MatchEstimate, ranges: readonly ReadRange[]): Record<Exclude<SearchPlan, 'walk'>, number> {
  const share = shareOf(estimate);
  const readable = ranges.reduce((sum, range) => sum + range.rows, 0);
  return {
    index: estimate.matches * (COST.indexMatch + COST.heapRead),
    indexInChats: estimate.matches * COST.indexMatch + readable * COST.chatRow + share * readable * COST.heapRead,
  };
}

/** The index plan for a search, or for what a walk left: the cheaper of the two. */
export function indexPlanFor(estimate: MatchEstimate, ranges: readonly ReadRange[]): Exclude<SearchPlan, 'walk'> {
  const costs = indexCosts(estimate, ranges);
  return costs.index <= costs.indexInChats ? 'index' : 'indexInChats';
}

/**
 * The cheapest plan for `want` rows (a page and one more). A walk reads about
 * want / f messages in two windows; for one sender's messages it is one
 * statement over their index instead ({@link senderSql}).
 */
export function choosePlan(estimate: MatchEstimate, ranges: readonly ReadRange[], want: number, bySender: boolean): SearchPlan {
  const share = shareOf(estimate);
  const readable = ranges.reduce((sum, range) => sum + range.rows, 0);
  const walked = share > 0 ? Math.min(readable, want / share) : readable;
  const walkCost = walked * COST.walkedRow + (bySender ? 1 : 2) * COST.window;
  const index = indexPlanFor(estimate, ranges);
  return walkCost < indexCosts(estimate, ranges)[index] ? 'walk' : index;
}

/** One search, as the SQL builders need it. */
export interface SearchSpec {
  viewerId: string;
  /** For payamak_search_query: the query as the client wrote it, trimmed. */
  query: string;
  ranges: readonly ReadRange[];
  senderId: string | null;
  /** Only messages older than this (the `after` cursor's position). */
  before: TimePosition | undefined;
  /** Rows to return: a page and one more, to tell whether there is a next page. */
  limit: number;
}

/**
 * What a viewer may find besides the words, the one place all plans take it
 * from: not deleted for everyone, not deleted for them, not a SYSTEM message
 * (those have no vector either), not expired (a disappearing message is
 * deleted by a sweep within a minute of its expiresAt; search does not wait
 * for it), from the sender asked for.
 */
function findable(spec: SearchSpec): Prisma.Sql {
  return Prisma.sql`m."deletedAt" IS NULL AND m."kind" <> 'SYSTEM' AND (m."expiresAt" IS NULL OR m."expiresAt" > now())
    AND NOT EXISTS (SELECT 1 FROM "MessageHidden" h WHERE h."userId" = ${spec.viewerId}::uuid AND h."messageId" = m."id")
    ${spec.senderId ? Prisma.sql`AND m."senderId" = ${spec.senderId}::uuid` : Prisma.empty}`;
}

const olderThan = (before: TimePosition | undefined) =>
  before ? Prisma.sql`AND (m."createdAt", m."id") < (${before.at}::timestamptz, ${before.id}::uuid)` : Prisma.empty;

/** The ranges as three arrays, for unnest(...) AS r("chatId", "fromSeq", "toSeq"). */
function rangeArrays(ranges: readonly ReadRange[]): Prisma.Sql {
  return Prisma.sql`unnest(${ranges.map((r) => r.chatId)}::uuid[], ${ranges.map((r) => r.fromSeq)}::int[], ${ranges.map((r) => r.toSeq)}::int[])
    AS r("chatId", "fromSeq", "toSeq")`;
}

/** The statement of an index plan: the page's messages, newest first. */
export function indexSql(plan: Exclude<SearchPlan, 'walk'>, spec: SearchSpec): Prisma.Sql {
  // Naming the chats lets PostgreSQL intersect the GIN matches with their rows; without it, it reads each match.
  const inChats = plan === 'indexInChats' ? Prisma.sql`AND m."chatId" = ANY(${spec.ranges.map((r) => r.chatId)}::uuid[])` : Prisma.empty;
  return Prisma.sql`
    SELECT ${MESSAGE_COLUMNS} FROM "Message" m
    WHERE m."searchVector" @@ payamak_search_query(${spec.query}) ${inChats}
      AND EXISTS (SELECT 1 FROM ${rangeArrays(spec.ranges)}
                  WHERE r."chatId" = m."chatId" AND m."seq" > r."fromSeq" AND (r."toSeq" IS NULL OR m."seq" <= r."toSeq"))
      AND ${findable(spec)} ${olderThan(spec.before)}
    ORDER BY m."createdAt" DESC, m."id" DESC LIMIT ${spec.limit}`;
}

/**
 * A walk of one sender's messages: newest first through
 * Message(senderId, createdAt, id), each tested, kept to the viewer's ranges,
 * until a page of hits. One statement: it reads the sender's messages,
 * however few of them are in the viewer's chats.
 */
export function senderSql(spec: SearchSpec & { senderId: string }): Prisma.Sql {
  return Prisma.sql`
    SELECT ${MESSAGE_COLUMNS} FROM "Message" m
    WHERE ts_match_vq(m."searchVector", payamak_search_query(${spec.query}))
      AND EXISTS (SELECT 1 FROM ${rangeArrays(spec.ranges)}
                  WHERE r."chatId" = m."chatId" AND m."seq" > r."fromSeq" AND (r."toSeq" IS NULL OR m."seq" <= r."toSeq"))
      AND ${findable(spec)} ${olderThan(spec.before)}
    ORDER BY m."createdAt" DESC, m."id" DESC LIMIT ${spec.limit}`;
}

/** One window of a walk: messages from `from` (null: from the beginning) up to `to` (exclusive; null: the spec's `before`). */
export interface Window {
  from: Date | null;
  to: Date | null;
}

/** A window's answer: its hits (none: a single row of nulls), and how many messages it read. */
export interface WindowRow extends Omit<MessageRecord, 'id'> {
  id: string | null;
  hit: boolean | null;
  examined: number;
}

/**
 * The statement of one walk window: every message of the viewer's ranges in
 * the window is tested; the newest hits come back, `spec.limit` at most,
 * with the count of messages read (one row even when nothing matched).
 */
export function windowSql(spec: SearchSpec, window: Window): Prisma.Sql {
  const upper = window.to ? Prisma.sql`AND m."createdAt" < ${window.to}::timestamptz` : olderThan(spec.before);
  const lower = window.from ? Prisma.sql`AND m."createdAt" >= ${window.from}::timestamptz` : Prisma.empty;
  return Prisma.sql`
    WITH tested AS MATERIALIZED (
      SELECT ${MESSAGE_COLUMNS}, (ts_match_vq(m."searchVector", payamak_search_query(${spec.query})) AND ${findable(spec)}) AS "hit"
      FROM "Message" m
      WHERE m."chatId" = ANY(${spec.ranges.map((r) => r.chatId)}::uuid[]) ${lower} ${upper}
        AND EXISTS (SELECT 1 FROM ${rangeArrays(spec.ranges)}
                    WHERE r."chatId" = m."chatId" AND m."seq" > r."fromSeq" AND (r."toSeq" IS NULL OR m."seq" <= r."toSeq")))
    SELECT h.*, c."examined"
    FROM (SELECT count(*)::int AS "examined" FROM tested) c
    LEFT JOIN LATERAL (SELECT * FROM tested WHERE "hit" ORDER BY "createdAt" DESC, "id" DESC LIMIT ${spec.limit}) h ON true`;
}

/** A walk's first window is at least this long; a next one at least a second and at most this many times longer than the last. */
const MIN_WINDOW_MS = 60_000;
const MIN_NEXT_WINDOW_MS = 1000;
const WINDOW_GROWTH = 4;
/** Windows are sized for this many times the messages they should need: a second statement costs more than a few more rows. */
const WINDOW_MARGIN = 1.5;
/** A walk reads at least this many messages before it gives way to the index. */
const MIN_WALK_BUDGET = 1000;
/** Sorts before every id: "older than (t, this)" is "older than t". */
export const FIRST_ID = '00000000-0000-0000-0000-000000000000';

/** How a walk went: a page of hits (or all there are), or the hits it found before it stopped, at `stoppedAt`. */
export type Walked = { done: true; hits: MessageRecord[] } | { done: false; hits: MessageRecord[]; stoppedAt: Date };

/** What a walk is told besides the search. */
export interface WalkOptions {
  /** The words' share of all messages (the estimate); null when unknown. */
  share: number | null;
  /** When the viewer's oldest chat was made: nothing is older. */
  oldest: Date;
  /** Messages to read before giving way to the index; default four times what it expects to need. */
  budget?: number | undefined;
}

/**
 * The walk: windows back in time from `before` (or now), joined end to end.
 * The first is sized to hold what a page needs at the words' share of
 * messages (and a margin), at the viewer's average rate of messages since
 * their oldest chat began; each next one for what is still missing, at the
 * share and the rate the walk has seen so far, but at most four times longer
 * than the last. It ends with a page of hits, at the chats' beginning, or
 * when it has read four times what it expected. `run` runs a window's
 * statement ({@link windowSql}); the window is given for tests and the benchmark.
 */
export async function walk(spec: SearchSpec, options: WalkOptions, run: (statement: Prisma.Sql, window: Window) => Promise<WindowRow[]>): Promise<Walked> {
  const hits: MessageRecord[] = [];
  const start = spec.before?.at ?? new Date();
  const readable = spec.ranges.reduce((sum, range) => sum + range.rows, 0);
  // Unknown share: as if every message matched; the windows grow from there.
  const expected = spec.limit / (options.share || 1);
  const budget = options.budget ?? Math.max(MIN_WALK_BUDGET, WINDOW_GROWTH * expected);
  const perMs = readable / Math.max(1, start.getTime() - options.oldest.getTime());
  let span = Math.max(MIN_WINDOW_MS, perMs > 0 ? (WINDOW_MARGIN * expected) / perMs : 0);
  let to: Date | null = null;
  let examined = 0;
  for (;;) {
    const upper = (to ?? start).getTime();
    const fromMs: number = upper - span;
    const from: Date | null = fromMs <= options.oldest.getTime() ? null : new Date(fromMs);
    const window = { from, to };
    const rows = await run(windowSql({ ...spec, limit: spec.limit - hits.length }, window), window);
    hits.push(...hitsOf(rows));
    const read = rows[0]?.examined ?? 0;
    examined += read;
    if (hits.length >= spec.limit || from === null) return { done: true, hits };
    if (examined >= budget) return { done: false, hits, stoppedAt: from };
    // What is still missing, at the share of hits and the messages per ms seen so far (a window one hit short needs little more).
    const seenShare = hits.length / Math.max(1, examined);
    const seenPerMs = read / span;
    const wanted = seenShare > 0 && seenPerMs > 0 ? (WINDOW_MARGIN * (spec.limit - hits.length)) / seenShare / seenPerMs : Number.POSITIVE_INFINITY;
    span = Math.min(WINDOW_GROWTH * span, Math.max(MIN_NEXT_WINDOW_MS, wanted));
    to = from;
  }
}

/** The hits of a window's rows, as messages. */
export function hitsOf(rows: readonly WindowRow[]): MessageRecord[] {
  return rows.filter((row): row is WindowRow & { id: string } => row.id !== null).map(({ examined: _examined, hit: _hit, ...message }) => message);
}

/**
 * The planner's estimates for {@link choosePlan}, from one EXPLAIN (nothing
 * is read): its first branch counts messages with the words, its second
 * messages with a vector at all.
 */
export function estimateSql(query: string): Prisma.Sql {
  return Prisma.sql`EXPLAIN (FORMAT JSON)
    SELECT 1 FROM "Message" m WHERE m."searchVector" @@ payamak_search_query(${query})
    UNION ALL SELECT 1 FROM "Message" m WHERE m."searchVector" IS NOT NULL`;
}

interface PlanNode {
  'Plan Rows': number;
  Plans?: PlanNode[];
}

/** Reads {@link estimateSql}'s answer; null if its shape is not the one expected. */
export function readEstimate(rows: readonly { 'QUERY PLAN': unknown }[]): MatchEstimate | null {
  const document = rows[0]?.['QUERY PLAN'];
  const plan = (Array.isArray(document) ? document[0] : undefined) as { Plan?: PlanNode } | undefined;
  const [matches, searchable] = plan?.Plan?.Plans ?? [];
  if (!matches || !searchable) return null;
  return { matches: matches['Plan Rows'], searchable: searchable['Plan Rows'] };
}
