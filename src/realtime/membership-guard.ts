import type { PubSub } from './pubsub.js';
import { Topic } from './topics.js';

/**
 * Wraps a user's event stream so it only yields events of chats the user is in
 * at delivery time, and (with `chatId`) only that chat's. Leaving a chat drops
 * its events already in flight; a subscription to that one chat completes.
 */
export function guardByMembership<T extends { chatId: string }>(
  pubsub: PubSub,
  userId: string,
  source: AsyncIterableIterator<T>,
  chatId?: string,
): AsyncIterableIterator<T> {
  const left = new Set<string>();
  const membership = pubsub.subscribe(Topic.Membership, userId);
  let finished = false;

  const finish = async (): Promise<IteratorResult<T>> => {
    if (!finished) {
      finished = true;
      await membership.return?.();
      await source.return?.();
    }
    return { value: undefined, done: true };
  };

  void (async () => {
    for await (const event of membership) {
      if (event.change === 'LEFT') {
        left.add(event.chatId);
        if (event.chatId === chatId) void finish();
      } else {
        left.delete(event.chatId);
      }
    }
  })().catch(() => undefined);

  return {
    async next() {
      for (;;) {
        let result: IteratorResult<T>;
        try {
          result = await source.next();
        } catch (error) {
          await finish();
          throw error;
        }
        if (result.done || finished) return finish();
        const { chatId: eventChat } = result.value;
        if ((chatId === undefined || eventChat === chatId) && !left.has(eventChat)) return result;
      }
    },
    return: finish,
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}
