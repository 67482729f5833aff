/**
 * The account feed: which of a user's chats changed since a token, so a device
 * back from hours offline learns it in one call instead of paging every chat.
 *
 * A chat row's changeStamp (a change every member sees: a message, an edit, a
 * rename) and a member row's (a change for that member alone: read state, a
 * deletion for me, joining) hold the id of the transaction that made the
 * change; a ChatMembershipPeriod's, the leaving. The cost grows with the
 * viewer's chats, not with the groups' sizes: no row is written per member per
 * message.
 *
 * Transaction ids are handed out at start but commit in any order, so the
 * token keeps a floor: the oldest transaction still running when a pass began
 * (pg_snapshot_xmin). Whatever commits later has an id at or above it and is
 * read by the next pass; a chat may come twice across passes, never not at all.
 *
 * A chat the viewer deleted (deleteChat) keeps its place in the same order: a
 * member row hidden by deletedSeq, or a latest period marked deleted, with the
 * deletion's stamp. It comes as one of removedChatIds, on the same pages and
 * by the same token rules, so a device learns of the deletion as it learns of
 * any change. A pass from the beginning (no token) leaves such chats out: a
 * device starting afresh holds none of them.
 */
import { Prisma, type PrismaClient } from '../../generated/prisma/client.js';
import { pageSize } from '../../lib/pagination.js';
import { isUuid } from '../../lib/text.js';
import type { Viewer } from '../../lib/viewer.js';
import { CHAT_COLUMNS, type ChatRecord } from './chat.types.js';

/** How long a token stays valid (the contract: 30 days). */
export const TOKEN_LIFETIME_MS = 30 * 24 * 3600 * 1000;

export interface ChatChangesResult {
  chats: ChatRecord[];
  removedChatIds: string[];
  nextToken: string;
  hasMore: boolean;
  resyncRequired: boolean;
}

/** Where a client is in the feed. */
interface Token {
  /** Changes with a stamp at or above this are read in this pass. */
  floor: bigint;
  /** Within a pass: the last (stamp, chatId) handed out. */
  after: { stamp: bigint; chatId: string } | null;
  /** The floor of the next pass, taken when this one began. */
  next: bigint;
  /** When this pass began (ms): tokens expire. */
  issuedAt: number;
}

const encodeToken = (token: Token): string =>
  Buffer.from(
    JSON.stringify(['cc', String(token.floor), token.after ? [String(token.after.stamp), token.after.chatId] : null, String(token.next), token.issuedAt]),
  ).toString('base64url');

function decodeToken(raw: string): Token | null {
  if (raw.length > 300 || !/^[A-Za-z0-9_-]+$/.test(raw)) return null;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
    if (!Array.isArray(parsed) || parsed.length !== 5 || parsed[0] !== 'cc') return null;
    const [, floor, after, next, issuedAt] = parsed as unknown[];
    const big = (value: unknown) => (typeof value === 'string' && /^\d{1,19}$/.test(value) ? BigInt(value) : null);
    const floorValue = big(floor);
    const nextValue = big(next);
    if (floorValue === null || nextValue === null || typeof issuedAt !== 'number' || !Number.isSafeInteger(issuedAt)) return null;
    let position: Token['after'] = null;
    if (after !== null) {
      if (!Array.isArray(after) || after.length !== 2 || big(after[0]) === null || typeof after[1] !== 'string' || !isUuid(after[1])) return null;
      position = { stamp: big(after[0])!, chatId: after[1] };
    }
    return { floor: floorValue, after: position, next: nextValue, issuedAt };
  } catch {
    return null;
  }
}

interface ChangedChat extends ChatRecord {
  stamp: bigint;
  toSeq: number | null;
  toRev: number | null;
  clearedSeq: number;
  removed: boolean;
}

export async function chatChanges(
  prisma: PrismaClient,
  viewer: Viewer,
  since: string | null | undefined,
  first: number | null | undefined,
): Promise<ChatChangesResult> {
  const size = pageSize(first);
  const [snapshot] = await prisma.$queryRaw<{ xmin: bigint; xmax: bigint }[]>`
    SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint AS "xmin", pg_snapshot_xmax(pg_current_snapshot())::text::bigint AS "xmax"`;
  const now = Date.now();
  const fresh: Token = { floor: 0n, after: null, next: snapshot!.xmin, issuedAt: now };
  let token = fresh;
  if (since !== null && since !== undefined) {
    const decoded = decodeToken(since);
    if (!decoded || now - decoded.issuedAt > TOKEN_LIFETIME_MS || decoded.issuedAt > now + 60_000 || decoded.next > snapshot!.xmax) {
      return { chats: [], removedChatIds: [], nextToken: encodeToken({ ...fresh, floor: snapshot!.xmin }), hasMore: false, resyncRequired: true };
    }
    // A new pass starts from where the last one said the next would.
    token = decoded.after === null ? { floor: decoded.next, after: null, next: snapshot!.xmin, issuedAt: now } : decoded;
  }
  const after = token.after ? Prisma.sql`AND (mine."stamp", c."id") > (${token.after.stamp}, ${token.after.chatId}::uuid)` : Prisma.empty;
  const fromTheBeginning = token.floor === 0n;
  const rows = await prisma.$queryRaw<ChangedChat[]>`
    WITH mine AS (
      SELECT m."chatId", GREATEST(m."changeStamp", c."changeStamp") AS "stamp",
             NULL::timestamptz AS "leftAt", NULL::int AS "toSeq", NULL::int AS "toRev", m."clearedSeq",
             (m."deletedSeq" IS NOT NULL AND c."lastSeq" <= m."deletedSeq") AS "removed"
      FROM "ChatMember" m JOIN "Chat" c ON c."id" = m."chatId"
      WHERE m."userId" = ${viewer.id}::uuid
      UNION ALL
      (SELECT DISTINCT ON (p."chatId") p."chatId", p."changeStamp", p."leftAt", p."toSeq", p."toRev", p."clearedSeq",
              p."deletedAt" IS NOT NULL
       FROM "ChatMembershipPeriod" p
       WHERE p."userId" = ${viewer.id}::uuid
         AND NOT EXISTS (SELECT 1 FROM "ChatMember" m WHERE m."chatId" = p."chatId" AND m."userId" = p."userId")
       ORDER BY p."chatId", p."leftAt" DESC)
    )
    SELECT ${CHAT_COLUMNS}, mine."stamp", mine."leftAt", mine."toSeq", mine."toRev", mine."clearedSeq", mine."removed"
    FROM mine JOIN "Chat" c ON c."id" = mine."chatId"
    WHERE mine."stamp" >= ${token.floor} ${after} AND NOT (mine."removed" AND ${fromTheBeginning})
    ORDER BY mine."stamp", c."id"
    LIMIT ${size + 1}`;
  const page = rows.slice(0, size);
  const hasMore = rows.length > size;
  const last = page.at(-1);
  const nextToken =
    hasMore && last
      ? encodeToken({ ...token, after: { stamp: BigInt(last.stamp), chatId: last.id } })
      : encodeToken({ floor: token.next, after: null, next: token.next, issuedAt: token.issuedAt });
  const chats = page
    .filter((row) => !row.removed)
    .map(({ stamp: _stamp, toSeq, toRev, removed: _removed, ...chat }) =>
      chat.leftAt === null || chat.leftAt === undefined
        ? { ...chat, leftAt: null }
        : { ...chat, lastSeq: toSeq ?? chat.lastSeq, rev: toRev ?? chat.rev, updatedAt: chat.leftAt },
    );
  const removedChatIds = page.filter((row) => row.removed).map((row) => row.id);
  return { chats, removedChatIds, nextToken, hasMore, resyncRequired: false };
}
