import type { PrismaClient } from '../../generated/prisma/client.js';
import { decodeTimeCursor, encodeTimeCursor, pageSize, toPage } from '../../lib/pagination.js';
import { toConnection } from '../../lib/relay.js';
import { cleanSearchQuery } from '../../lib/search-text.js';
import type { Viewer } from '../../lib/viewer.js';
import { requireReader, type ChatLoaders, type ChatsService, type ReadableChat, type Reader } from '../chats/index.js';
import type { MessageRecord } from '../messages/index.js';
import { cleanSenderId, type SearchMessagesArgs } from './search.inputs.js';
import {
  FIRST_ID,
  choosePlan,
  estimateSql,
  indexPlanFor,
  indexSql,
  readEstimate,
  senderSql,
  shareOf,
  walk,
  type ReadRange,
  type SearchPlan,
  type SearchSpec,
  type WindowRow,
} from './search.plan.js';
import { snippetOf } from './search.snippet.js';
import type { MessageSearchConnection } from './search.types.js';

/** Options for {@link SearchService}. */
export interface SearchServiceOptions {
  /** Tests: always this plan first, whatever the statistics say; default: the cheapest by the planner's estimate (search.plan.ts). */
  plan?: SearchPlan;
  /** Tests: messages a walk reads before it gives way to the index; default: four times what it expects to need. */
  walkBudget?: number;
}

/** Cursors of search hits name this list, so a cursor of another list is refused. */
const CURSOR_KIND = 'search';
export class SearchService {
  readonly #plan: SearchPlan | undefined;
  readonly #walkBudget: number | undefined;

  constructor(
    private readonly prisma: PrismaClient,
    private readonly chats: ChatsService,
    options: SearchServiceOptions = {},
  ) {
    this.#plan = options.plan;
    this.#walkBudget = options.walkBudget;
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
    const chats = args.chatId ? [readableOf(await requireReader(loaders, viewer, args.chatId))] : await this.chats.readable(viewer);
    const ranges = chats.flatMap(rangesOf);
    const oldest = new Date(Math.min(...chats.map((chat) => chat.createdAt.getTime())));
    const rows = ranges.length === 0 ? [] : await this.#search({ viewerId: viewer.id, query: query.text, ranges, senderId, before, limit: size + 1 }, oldest);
    const connection = toConnection(toPage(rows, size, before !== undefined), (node) => encodeTimeCursor(CURSOR_KIND, node.createdAt, node.id));
    return { ...connection, edges: connection.edges.map((edge) => ({ ...edge, snippet: snippetOf(edge.node.text ?? '', query.words) })) };
  }

  /** The rows of one page (and one more), by the cheapest plan (search.plan.ts). */
  async #search(spec: SearchSpec, oldest: Date): Promise<MessageRecord[]> {
    const estimate = this.#plan ? null : readEstimate(await this.prisma.$queryRaw<{ 'QUERY PLAN': unknown }[]>(estimateSql(spec.query)));
    // Without an estimate (a plan shape this code does not know), the index that reads the viewer's matches only.
    const plan = this.#plan ?? (estimate ? choosePlan(estimate, spec.ranges, spec.limit, spec.senderId !== null) : 'indexInChats');
    if (plan !== 'walk') return this.#index(plan, spec);
    if (spec.senderId) return this.prisma.$queryRaw<MessageRecord[]>(senderSql({ ...spec, senderId: spec.senderId }));
    const walked = await walk(spec, { share: estimate ? shareOf(estimate) : null, oldest, budget: this.#walkBudget }, (sql) =>
      this.prisma.$queryRaw<WindowRow[]>(sql),
    );
    if (walked.done) return walked.hits;
    // The walk read far more than it expected: the index finds the rest, all older than where it stopped.
    const rest = await this.#index(estimate ? indexPlanFor(estimate, spec.ranges) : 'indexInChats', {
      ...spec,
      before: { at: walked.stoppedAt, id: FIRST_ID },
      limit: spec.limit - walked.hits.length,
    });
    return [...walked.hits, ...rest];
  }

  #index(plan: Exclude<SearchPlan, 'walk'>, spec: SearchSpec): Promise<MessageRecord[]> {
    return this.prisma.$queryRaw<MessageRecord[]>(indexSql(plan, spec));
  }
}

const readableOf = ({ chat, ranges }: Reader): ReadableChat => ({ chatId: chat.id, lastSeq: chat.lastSeq, createdAt: chat.createdAt, ranges });

/** The seq ranges read of a chat, with about how many messages each holds. */
function rangesOf({ chatId, lastSeq, ranges }: ReadableChat): ReadRange[] {
  if (ranges === null) return [{ chatId, fromSeq: 0, toSeq: null, rows: lastSeq }];
  return ranges.map((range) => ({ chatId, fromSeq: range.fromSeq, toSeq: range.toSeq, rows: Math.max(0, (range.toSeq ?? lastSeq) - range.fromSeq) }));
}
