import type { Viewer } from '../../lib/viewer.js';
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
