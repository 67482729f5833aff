import type { PrismaClient } from '../../generated/prisma/client.js';
import { decodeTimeCursor, encodeTimeCursor, pageSize, toPage } from '../../lib/pagination.js';
import { cleanSearchQuery } from '../../lib/search-text.js';
import type { Viewer } from '../../lib/viewer.js';
import { requireReader, type ChatLoaders, type ChatsService, type Reader } from '../chats/index.js';
import type { MessageRecord } from '../messages/index.js';
import { cleanSenderId, type SearchMessagesArgs } from './search.inputs.js';
import { choosePlan, estimateSql, readEstimate, searchSql, type ReadRange, type SearchPlan } from './search.plan.js';
import { snippetOf } from './search.snippet.js';
import type { MessageSearchConnection } from './search.types.js';

/** Options for {@link SearchService}. */
export interface SearchServiceOptions {
  /** Tests: always this plan, whatever the statistics say; default: the cheaper by the planner's estimate (search.plan.ts). */
  plan?: SearchPlan;
}

/** Cursors of search hits name this list, so a cursor of another list is refused. */
const CURSOR_KIND = 'search';

export class SearchService {
  readonly #plan: SearchPlan | undefined;

  constructor(
    private readonly prisma: PrismaClient,
    private readonly chats: ChatsService,
    options: SearchServiceOptions = {},
  ) {
    this.#plan = options.plan;
  }

  /**
   * searchMessages: the viewer's messages with every word of the query,
   * newest first, in every chat they read (or in `chatId`, NOT_FOUND unless
   * they read it), within what they read of each (membership periods, minus
   * what they cleared), never deleted ones, ones deleted for them, or SYSTEM
   * messages.
   */
  async messages(viewer: Viewer, loaders: ChatLoaders, args: SearchMessagesArgs): Promise<MessageSearchConnection> {
    const query = cleanSearchQuery(args.query, 'query');
    const senderId = cleanSenderId(args.senderId);
    const size = pageSize(args.first);
    const before = decodeTimeCursor(CURSOR_KIND, args.after);
    const readers = args.chatId ? [await requireReader(loaders, viewer, args.chatId)] : await this.chats.readers(viewer);
    const ranges = readers.flatMap(rangesOf);
    let rows: MessageRecord[] = [];
    if (ranges.length > 0) {
      const spec = { viewerId: viewer.id, query: query.text, ranges, senderId, before, limit: size + 1 };
      rows = await this.prisma.$queryRaw<MessageRecord[]>(searchSql(await this.#planFor(query.text, ranges, size + 1, senderId !== null), spec));
    }
    const page = toPage(rows, size, before !== undefined);
    const edges = page.nodes.map((node) => ({
      cursor: encodeTimeCursor(CURSOR_KIND, node.createdAt, node.id),
      node,
      snippet: snippetOf(node.text ?? '', query.words),
    }));
    return {
      edges,
      pageInfo: {
        hasNextPage: page.hasNextPage,
        hasPreviousPage: page.hasPreviousPage,
        startCursor: edges[0]?.cursor ?? null,
        endCursor: edges.at(-1)?.cursor ?? null,
      },
    };
  }

  async #planFor(query: string, ranges: readonly ReadRange[], want: number, bySender: boolean): Promise<SearchPlan> {
    if (this.#plan) return this.#plan;
    const estimate = readEstimate(await this.prisma.$queryRaw<{ 'QUERY PLAN': unknown }[]>(estimateSql(query)));
    // Without an estimate (a plan shape this code does not know), the index: never slower than reading every chat.
    return estimate ? choosePlan(estimate, ranges, want, bySender) : 'index';
  }
}

/** The seq ranges a reader reads of their chat, with about how many messages each holds. */
function rangesOf({ chat, ranges }: Reader): ReadRange[] {
  const rowsUpTo = (toSeq: number | null, fromSeq: number) => Math.max(0, (toSeq ?? chat.lastSeq) - fromSeq);
  if (ranges === null) return [{ chatId: chat.id, fromSeq: 0, toSeq: null, rows: chat.lastSeq }];
  return ranges.map((range) => ({ chatId: chat.id, fromSeq: range.fromSeq, toSeq: range.toSeq, rows: rowsUpTo(range.toSeq, range.fromSeq) }));
}
