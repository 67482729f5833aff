import { Prisma } from '../../generated/prisma/client.js';
import type { Viewer } from '../../lib/viewer.js';
import type { SeqRange } from '../chats/index.js';
import { tombstoneOf, type MessageRecord } from './message.record.js';
import type { MessageLoaders } from './messages.loaders.js';

export const hiddenKey = (userId: string, messageId: string) => `${userId}:${messageId}`;

/**
 * A message as the viewer sees it: a tombstone when they deleted it for
 * themself. Queries pass what they return through here; events need not,
 * since a message someone deleted for themself is no longer published to them.
 */
export async function viewOf(loaders: MessageLoaders, viewer: Viewer | null, message: MessageRecord): Promise<MessageRecord> {
  if (viewer === null) return message;
  const hidden = await loaders.hiddenFor.load(hiddenKey(viewer.id, message.id));
  return hidden === null ? message : tombstoneOf(message, hidden);
}

export function viewsOf(loaders: MessageLoaders, viewer: Viewer | null, messages: MessageRecord[]): Promise<MessageRecord[]> {
  return Promise.all(messages.map((message) => viewOf(loaders, viewer, message)));
}

/** Prisma's `where` for the messages of a reader's history (see requireReader); {} for all of them. */
export function historyWhere(ranges: readonly SeqRange[] | null) {
  if (ranges === null) return {};
  return { OR: ranges.map((range) => ({ seq: { gt: range.fromSeq, ...(range.toSeq === null ? {} : { lte: range.toSeq }) } })) };
}

/** The same as SQL on `m` (a Message), as `AND (...)`; empty for all of them. */
export function historySql(ranges: readonly SeqRange[] | null): Prisma.Sql {
  if (ranges === null) return Prisma.empty;
  if (ranges.length === 0) return Prisma.sql`AND FALSE`;
  const each = ranges.map((range) =>
    range.toSeq === null ? Prisma.sql`m."seq" > ${range.fromSeq}` : Prisma.sql`(m."seq" > ${range.fromSeq} AND m."seq" <= ${range.toSeq})`,
  );
  return Prisma.sql`AND (${Prisma.join(each, ' OR ')})`;
}
