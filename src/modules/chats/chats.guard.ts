import type { PubSub, SubscribeOptions, Topic } from '../../realtime/pubsub.js';
import { ChatTopic } from './chat.topics.js';

/**
 * A user's events of `topic`, only of chats the user is in at delivery time,
 * and (with `chatId`) only that chat's. Leaving a chat drops its events already
 * in flight; a subscription to that one chat completes.
 */
export function guardByMembership<T extends { chatId: string }>(pubsub: PubSub, userId: string, topic: Topic<T>, chatId?: string): AsyncIterableIterator<T> {
  const membership = new Membership<T>(chatId);
  const events = pubsub.subscribe(topic, userId, membership);
  membership.watch(pubsub, userId, events);
  return events;
}

/**
 * The filter the subscription's own queue asks, not a stage of the stream: no
 * promise per event. A class rather than closures: an idle subscription holds
 * one small object and its membership listener (memory per socket is a
 * benchmark target).
 */
class Membership<T extends { chatId: string }> implements SubscribeOptions<T> {
  /** Chats left since subscribing; made on the first departure. */
  #left: Set<string> | undefined;
  #stopWatching: (() => void) | undefined;
  #ended = false;

  constructor(private readonly chatId: string | undefined) {}

  watch(pubsub: PubSub, userId: string, events: AsyncIterableIterator<T>): void {
    if (this.#ended) return;
    this.#stopWatching = pubsub.listen(ChatTopic.Membership, userId, (event) => {
      if (event.change === 'LEFT') {
        (this.#left ??= new Set()).add(event.chatId);
        if (event.chatId === this.chatId) void events.return?.();
      } else {
        this.#left?.delete(event.chatId);
      }
    });
  }

  accepts(event: T): boolean {
    return (this.chatId === undefined || event.chatId === this.chatId) && !this.#left?.has(event.chatId);
  }

  ended(): void {
    this.#ended = true;
    this.#stopWatching?.();
    this.#stopWatching = undefined;
  }
}
