/**
 * How a message search reads the database. Two plans, the same answer:
 *
 * - `index`: the GIN index on Message.searchVector finds every message with
 *   the words, across all chats, and those of the viewer's chats are sorted
 *   newest first. Its cost is the word's matches in the whole database:
 *   nothing for a rare word, ~0.3 µs per match for a common one (a word in
 *   60% of a million messages took 200 ms before a single row was read).
 * - `walk`: each chat the viewer reads is read newest first through
 *   Message(chatId, createdAt, id), testing the stored vector, until a page
 *   of hits: ~1.5 µs per message read, and a common word needs few. A rare
 *   one would read every message of every chat.
 *
 * {@link choosePlan} takes the cheaper by the planner's estimate of how many
 * messages have the words (its statistics of the column, read by EXPLAIN
 * without running anything). The walk keeps the GIN index out of its way
 * (`ts_match_vq`, the function behind `@@`, is not an indexable operator):
 * PostgreSQL costs a GIN scan by its pages, not by the matches it must
 * gather, and took one per chat for a word in 12% of messages (3 s).
 */
import { Prisma } from '../../generated/prisma/client.js';
import type { TimePosition } from '../../lib/pagination.js';
import { MESSAGE_COLUMNS } from '../messages/index.js';

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

export type SearchPlan = 'walk' | 'index';

/** Measured on the benchmark's database (bench/sections/search.ts): µs per message a walk reads, per index match gathered. */
const WALK_ROW_US = 1.5;
const INDEX_MATCH_US = 0.3;

/**
 * The cheaper plan for `want` hits: a walk reads, per chat, about want / f
 * messages (f: the share of messages with the words) or the whole chat; the
 * index gathers every match in the database, then reads the viewer's. A
 * sender's messages are one stream (their index), not one per chat.
 */
export function choosePlan(estimate: MatchEstimate, ranges: readonly ReadRange[], want: number, bySender: boolean): SearchPlan {
  const share = estimate.searchable > 0 ? Math.min(1, estimate.matches / estimate.searchable) : 1;
  const perStream = share > 0 ? want / share : Number.POSITIVE_INFINITY;
  const readable = ranges.reduce((sum, range) => sum + range.rows, 0);
  const walked = bySender ? Math.min(perStream, readable) : ranges.reduce((sum, range) => sum + Math.min(range.rows, perStream), 0);
  const indexed = estimate.matches * INDEX_MATCH_US + share * readable * WALK_ROW_US;
  return walked * WALK_ROW_US < indexed ? 'walk' : 'index';
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
 * What a viewer may find besides the words, the one place both plans take it
 * from: not deleted for everyone, not deleted for them, not a SYSTEM message
 * (those have no vector either). Disappearing messages (Message.expiresAt)
 * add their test here: `AND (m."expiresAt" IS NULL OR m."expiresAt" > now())`.
 */
function visibleTo(viewerId: string): Prisma.Sql {
  return Prisma.sql`m."deletedAt" IS NULL AND m."kind" <> 'SYSTEM'
    AND NOT EXISTS (SELECT 1 FROM "MessageHidden" h WHERE h."userId" = ${viewerId}::uuid AND h."messageId" = m."id")`;
}

const olderThan = (before: TimePosition | undefined) =>
  before ? Prisma.sql`AND (m."createdAt", m."id") < (${before.at}::timestamptz, ${before.id}::uuid)` : Prisma.empty;
const fromSender = (senderId: string | null) => (senderId ? Prisma.sql`AND m."senderId" = ${senderId}::uuid` : Prisma.empty);

/** The ranges as three arrays, for unnest(...) AS r("chatId", "fromSeq", "toSeq"). */
function rangeArrays(ranges: readonly ReadRange[]): Prisma.Sql {
  return Prisma.sql`unnest(${ranges.map((r) => r.chatId)}::uuid[], ${ranges.map((r) => r.fromSeq)}::int[], ${ranges.map((r) => r.toSeq)}::int[])
    AS r("chatId", "fromSeq", "toSeq")`;
}

/** A message inside one of the viewer's ranges (a correlated test on m). */
function inRanges(ranges: readonly ReadRange[]): Prisma.Sql {
  return Prisma.sql`m."chatId" = ANY(${ranges.map((r) => r.chatId)}::uuid[])
    AND EXISTS (SELECT 1 FROM ${rangeArrays(ranges)}
                WHERE r."chatId" = m."chatId" AND m."seq" > r."fromSeq" AND (r."toSeq" IS NULL OR m."seq" <= r."toSeq"))`;
}

/** The statement for a plan: the messages of the page, newest first, as MESSAGE_COLUMNS. */
export function searchSql(plan: SearchPlan, spec: SearchSpec): Prisma.Sql {
  const words = Prisma.sql`payamak_search_query(${spec.query})`;
  const rest = Prisma.sql`${visibleTo(spec.viewerId)} ${fromSender(spec.senderId)} ${olderThan(spec.before)}`;
  if (plan === 'index') {
    return Prisma.sql`
      SELECT ${MESSAGE_COLUMNS} FROM "Message" m
      WHERE m."searchVector" @@ ${words} AND ${inRanges(spec.ranges)} AND ${rest}
      ORDER BY m."createdAt" DESC, m."id" DESC LIMIT ${spec.limit}`;
  }
  if (spec.senderId) {
    // One stream, the sender's messages newest first (Message(senderId, createdAt, id)), kept to the viewer's ranges.
    return Prisma.sql`
      SELECT ${MESSAGE_COLUMNS} FROM "Message" m
      WHERE ts_match_vq(m."searchVector", ${words}) AND ${inRanges(spec.ranges)} AND ${rest}
      ORDER BY m."createdAt" DESC, m."id" DESC LIMIT ${spec.limit}`;
  }
  // Each range's newest hits, then the newest of those. A range over a whole chat (a member since its start, never
  // cleared) is spelled out so that the seq test is a filter of the walk: as a condition on its own, PostgreSQL
  // guessed it kept a ninth of the chat and read the whole chat by seq, then sorted it, rather than walk.
  return Prisma.sql`
    SELECT x.* FROM ${rangeArrays(spec.ranges)}
    CROSS JOIN LATERAL (
      SELECT ${MESSAGE_COLUMNS} FROM "Message" m
      WHERE m."chatId" = r."chatId"
        AND (r."fromSeq" = 0 AND r."toSeq" IS NULL OR m."seq" > r."fromSeq" AND (r."toSeq" IS NULL OR m."seq" <= r."toSeq"))
        AND ts_match_vq(m."searchVector", ${words}) AND ${rest}
      ORDER BY m."createdAt" DESC, m."id" DESC LIMIT ${spec.limit}) x
    ORDER BY x."createdAt" DESC, x."id" DESC LIMIT ${spec.limit}`;
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
