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
  // Promise chains rather than async functions and a second iterator: an idle
  // subscription then holds one pending promise, not suspended frames (memory per socket).
  const left = new Set<string>();
  let finished = false;
  const done: IteratorResult<T> = { value: undefined, done: true };

  const finish = async (): Promise<IteratorResult<T>> => {
    if (!finished) {
      finished = true;
      stopWatching();
      await source.return?.();
    }
    return done;
  };

  const stopWatching = pubsub.listen(Topic.Membership, userId, (event) => {
    if (event.change === 'LEFT') {
      left.add(event.chatId);
      if (event.chatId === chatId) void finish();
    } else {
      left.delete(event.chatId);
    }
  });

  const pull = (): Promise<IteratorResult<T>> =>
    source.next().then(
      (result) => {
        if (result.done || finished) return finish();
        const { chatId: eventChat } = result.value;
        if ((chatId === undefined || eventChat === chatId) && !left.has(eventChat)) return result;
        return pull();
      },
      (error: unknown) => finish().then(() => Promise.reject(error)),
    );

  return {
    next: pull,
    return: finish,
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}
