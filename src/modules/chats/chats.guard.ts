import type { PubSub } from '../../realtime/pubsub.js';
import { ChatTopic } from './chat.topics.js';

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
  return new MembershipGuard(pubsub, userId, source, chatId);
}

const DONE: IteratorResult<never> = { value: undefined, done: true };

/**
 * A class with promise chains rather than closures and async functions: an
 * idle subscription then holds one small object and one pending promise
 * (memory per socket is a benchmark target).
 */
class MembershipGuard<T extends { chatId: string }> implements AsyncIterableIterator<T> {
  /** Chats left since subscribing; made on the first departure. */
  #left: Set<string> | undefined;
  #finished = false;
  readonly #stopWatching: () => void;

  constructor(
    pubsub: PubSub,
    userId: string,
    private readonly source: AsyncIterableIterator<T>,
    private readonly chatId: string | undefined,
  ) {
    this.#stopWatching = pubsub.listen(ChatTopic.Membership, userId, (event) => {
      if (event.change === 'LEFT') {
        (this.#left ??= new Set()).add(event.chatId);
        if (event.chatId === chatId) void this.return();
      } else {
        this.#left?.delete(event.chatId);
      }
    });
  }

  next(): Promise<IteratorResult<T>> {
    return this.source.next().then(
      (result) => {
        if (result.done || this.#finished) return this.return();
        const { chatId: eventChat } = result.value;
        if ((this.chatId === undefined || eventChat === this.chatId) && !this.#left?.has(eventChat)) return result;
        return this.next();
      },
      (error: unknown) => this.return().then(() => Promise.reject(error)),
    );
  }

  async return(): Promise<IteratorResult<T>> {
    if (!this.#finished) {
      this.#finished = true;
      this.#stopWatching();
      await this.source.return?.();
    }
    return DONE;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}
