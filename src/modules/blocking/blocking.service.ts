import type { PrismaClient } from '../../generated/prisma/client.js';
import { badInput, notFound } from '../../lib/errors.js';
import { decodeTimeCursor, encodeTimeCursor, pageSize, toPage } from '../../lib/pagination.js';
import { toConnection, type Connection } from '../../lib/relay.js';
import { isUuid } from '../../lib/text.js';
import type { Viewer } from '../../lib/viewer.js';
import type { ChatBlocksPort } from '../chats/index.js';
import { USER_SELECT, type UserRecord } from '../users/index.js';

/** blockedUsers' cursors name this list. */
const BLOCKED = 'blocked';

/**
 * Blocks: a row per (blocker, blocked). What a block refuses is decided where
 * it is refused: the send paths through `payamak_blocked_in_chat`
 * (blocking.policy.ts), chats through {@link ChatBlocksPort}, which this
 * implements, and what the blocked user sees of the blocker in
 * users.policy.ts. Nothing tells the blocked user.
 */
export class BlockingService implements ChatBlocksPort {
  constructor(private readonly prisma: PrismaClient) {}

  /** Idempotent: blocking someone already blocked is true again and changes nothing (the first block's time stays). */
  async block(viewer: Viewer, userId: string): Promise<boolean> {
    await this.#requireOther(viewer, userId);
    await this.prisma.userBlock.createMany({ data: [{ blockerId: viewer.id, blockedId: userId }], skipDuplicates: true });
    return true;
  }

  /** True when a block was lifted; false when there was none (nothing changes). */
  async unblock(viewer: Viewer, userId: string): Promise<boolean> {
    await this.#requireOther(viewer, userId);
    const { count } = await this.prisma.userBlock.deleteMany({ where: { blockerId: viewer.id, blockedId: userId } });
    return count > 0;
  }

  /** The users the viewer blocked, the latest block first. */
  async list(viewer: Viewer, args: { first?: number | null; after?: string | null }): Promise<Connection<UserRecord>> {
    const size = pageSize(args.first);
    const position = decodeTimeCursor(BLOCKED, args.after);
    const rows = await this.prisma.userBlock.findMany({
      where: {
        blockerId: viewer.id,
        ...(position && { OR: [{ createdAt: { lt: position.at } }, { createdAt: position.at, blockedId: { lt: position.id } }] }),
      },
      orderBy: [{ createdAt: 'desc' }, { blockedId: 'desc' }],
      take: size + 1,
      select: { createdAt: true, blocked: { select: USER_SELECT } },
    });
    const connection = toConnection(toPage(rows, size, position !== undefined), (row) => encodeTimeCursor(BLOCKED, row.createdAt, row.blocked.id));
    return { ...connection, edges: connection.edges.map(({ cursor, node }) => ({ cursor, node: node.blocked })) };
  }

  async between(userId: string, otherId: string): Promise<boolean> {
    const found = await this.prisma.userBlock.findFirst({
      where: {
        OR: [
          { blockerId: userId, blockedId: otherId },
          { blockerId: otherId, blockedId: userId },
        ],
      },
      select: { blockerId: true },
    });
    return found !== null;
  }

  async anyBlocks(userIds: readonly string[], userId: string): Promise<boolean> {
    if (userIds.length === 0) return false;
    const found = await this.prisma.userBlock.findFirst({ where: { blockedId: userId, blockerId: { in: [...userIds] } }, select: { blockerId: true } });
    return found !== null;
  }

  async #requireOther(viewer: Viewer, userId: string): Promise<void> {
    if (userId === viewer.id) throw badInput('You cannot block yourself', 'userId');
    const user = isUuid(userId) ? await this.prisma.user.findUnique({ where: { id: userId }, select: { id: true } }) : null;
    if (!user) throw notFound('User');
  }
}
