import { Prisma } from '../../generated/prisma/client.js';
import { forbidden } from '../../lib/errors.js';
import { CANNOT_ADD, CANNOT_MESSAGE, type Tx } from '../chats/index.js';

export { CANNOT_ADD, CANNOT_MESSAGE };

export const cannotMessage = () => forbidden(CANNOT_MESSAGE);
export const cannotAdd = () => forbidden(CANNOT_ADD);

/**
 * True when `chatId` is a private chat with a block in either direction
 * between `userId` and its other member; false for groups. The SQL function
 * (migration 20261201130608_user_blocks) is the single definition: the send
 * paths meet it inside `payamak_append_message` (sendMessage,
 * sendMediaMessage, forwardMessage), and a statement that already runs under
 * the chat's lock can fold it in (setReaction), so neither costs a round trip.
 */
export const blockedInChat = (chatId: Prisma.Sql, userId: Prisma.Sql): Prisma.Sql => Prisma.sql`"payamak_blocked_in_chat"(${chatId}, ${userId})`;

/** {@link blockedInChat} as a statement of its own, for a path with no statement to fold it into. */
export async function requireNotBlocked(db: Pick<Tx, '$queryRaw'>, chatId: string, userId: string): Promise<void> {
  const [row] = await db.$queryRaw<{ blocked: boolean }[]>`
    SELECT ${blockedInChat(Prisma.sql`${chatId}::uuid`, Prisma.sql`${userId}::uuid`)} AS "blocked"`;
  if (row?.blocked) throw cannotMessage();
}
