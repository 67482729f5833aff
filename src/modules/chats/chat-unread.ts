import { Prisma } from '../../generated/prisma/client.js';

/**
 * A member's unread count, as SQL over a `"ChatMember" m` joined to its
 * `"Chat" c`: the messages above where they have read (or above where their
 * history starts, for someone added back), less the SYSTEM messages among
 * them; at least 1 while they marked the chat unread.
 *
 * The one definition behind `Chat.unreadCount`, the chat list's
 * `filter: { unread }` and `me.unread` (modules/unread). SYSTEM messages
 * ("Alice added Bob") move the chat's activity but are not something to
 * read, so they are subtracted here rather than kept out of a second
 * counter: readSeq stays the only read position, and every writer of it
 * (markRead, sending, markAllChatsRead, …) stays right without knowing this
 * rule. They are few (membership and title changes), and the partial index
 * `Message_system_seq_idx` (migration 20261201142500) holds only them, so the
 * subtraction reads the SYSTEM messages above the watermark and nothing else.
 */
export const UNREAD_COUNT_SQL = Prisma.sql`GREATEST(
  c."lastSeq" - GREATEST(m."readSeq", m."historyFromSeq") - (
    SELECT count(*)::int FROM "Message" s
    WHERE s."chatId" = m."chatId" AND s."kind" = 'SYSTEM' AND s."seq" > GREATEST(m."readSeq", m."historyFromSeq")
  ),
  CASE WHEN m."markedUnread" THEN 1 ELSE 0 END)`;

/** On a `"ChatMember" m`: muted now (a mute with mutedUntil ends by itself); the SQL twin of `isMuted`. */
export const MUTED_NOW_SQL = Prisma.sql`(m."muted" AND (m."mutedUntil" IS NULL OR m."mutedUntil" > now()))`;
