import { Redis } from 'ioredis';
import type { Logger } from '../lib/logger.js';
import { flatString } from '../lib/text.js';
import { queueOf, type PubSub, type SubscribeOptions, type Topic } from './pubsub.js';

/** Options for {@link RedisPubSub}. */
export interface RedisPubSubOptions {
  url: string;
  logger: Logger;
  /** Channel prefix, so several deployments can share one Redis; default `payamak`. */
  prefix?: string;
  /** Events a subscriber may have waiting before it is cut off (see InProcessPubSub); default 1,000. */
  maxQueue?: number;
  /** Called when the subscriber connection drops: events may have been missed since. */
  onConnectionLost?(): void;
}

type Listener = (payload: unknown) => void;

/** Events remembered by their text, to hand one parsed object to all their local receivers. */
const RECENT_EVENTS = 256;

/**
 * Pub/sub across instances through Redis PUBLISH/SUBSCRIBE. Each instance
 * subscribes to a user's channel only while one of that user's subscriptions
 * is open on it, so a message fans out to the instances that need it and no
 * further. Order is kept per publishing instance (one connection, pipelined).
 */
export class RedisPubSub implements PubSub {
  readonly publisher: Redis;
  readonly #subscriber: Redis;
  readonly #listeners = new Map<string, Set<Listener>>();
  readonly #prefix: string;
  readonly #maxQueue: number;
  readonly #logger: Logger;
  #wasReady = false;
  readonly #recent = new Map<string, unknown>();

  constructor(options: RedisPubSubOptions) {
    this.#prefix = options.prefix ?? 'payamak';
    this.#maxQueue = options.maxQueue ?? 1000;
    this.#logger = options.logger;
    const common = {
      // Keep retrying for ever, but fail commands fast meanwhile instead of queueing without bound.
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false,
      retryStrategy: (attempt: number) => Math.min(attempt * 200, 2000),
      lazyConnect: false,
    };
    this.publisher = new Redis(options.url, { ...common, enableAutoPipelining: true, connectionName: 'payamak-pub' });
    // The subscriber must queue its SUBSCRIBEs until connected, and resubscribes by itself after a reconnect.
    this.#subscriber = new Redis(options.url, { ...common, enableOfflineQueue: true, connectionName: 'payamak-sub' });
    this.#subscriber.on('message', (channel: string, message: string) => this.#deliver(channel, message));
    this.#subscriber.on('ready', () => {
      if (this.#wasReady) this.#logger.warn('redis subscriber reconnected');
      this.#wasReady = true;
    });
    this.#subscriber.on('close', () => {
      if (!this.#wasReady) return;
      this.#logger.error('redis subscriber connection lost: live events may have been missed');
      options.onConnectionLost?.();
    });
    for (const client of [this.publisher, this.#subscriber]) {
      client.on('error', (error: Error) => this.#logger.warn({ err: error.message }, 'redis error'));
    }
  }

  publish<P>(topic: Topic<P>, userId: string, payload: P): void {
    this.#publish(this.#channel(topic, userId), JSON.stringify(payload));
  }

  publishMany<P>(topic: Topic<P>, userIds: Iterable<string>, payload: P): void {
    const message = JSON.stringify(payload);
    for (const userId of userIds) this.#publish(this.#channel(topic, userId), message);
  }

  subscribe<P>(topic: Topic<P>, userId: string, options?: SubscribeOptions<P>): AsyncIterableIterator<P> {
    return queueOf(this, topic, userId, this.#maxQueue, options);
  }

  listen<P>(topic: Topic<P>, userId: string, listener: (payload: P) => void, onError?: (error: Error) => void): () => void {
    const channel = flatString(this.#channel(topic, userId)); // kept for the listener's life
    let set = this.#listeners.get(channel);
    if (!set) {
      this.#listeners.set(channel, (set = new Set()));
      this.#subscriber.subscribe(channel).catch((error: unknown) => {
        this.#logger.error({ err: error, channel }, 'redis subscribe failed');
        onError?.(new Error('Live events are unavailable; reconnect'));
      });
    }
    const added = listener as Listener;
    set.add(added);
    return () => {
      set.delete(added);
      if (set.size === 0 && this.#listeners.get(channel) === set) {
        this.#listeners.delete(channel);
        this.#subscriber.unsubscribe(channel).catch(() => undefined);
      }
    };
  }

  async ping(): Promise<number> {
    const started = performance.now();
    await this.publisher.ping();
    return performance.now() - started;
  }

  get connected(): boolean {
    return this.publisher.status === 'ready' && this.#subscriber.status === 'ready';
  }

  listenerCount(topic: Topic<unknown>, userId: string): number {
    return this.#listeners.get(this.#channel(topic, userId))?.size ?? 0;
  }

  async close(): Promise<void> {
    this.#listeners.clear();
    this.#wasReady = false;
    await Promise.all([this.publisher.quit().catch(() => undefined), this.#subscriber.quit().catch(() => undefined)]);
  }

  #publish(channel: string, message: string): void {
    this.publisher.publish(channel, message).catch((error: unknown) => {
      // The message itself is stored; subscribers on other instances catch up with messages(afterSeq:).
      this.#logger.warn({ err: (error as Error).message, channel }, 'redis publish failed');
    });
  }

  #deliver(channel: string, message: string): void {
    const listeners = this.#listeners.get(channel);
    if (!listeners) return;
    // One event reaches each member's channel as the same text: parse it once, so
    // every local subscriber gets one payload object (and subscriptions can render it once).
    let payload = this.#recent.get(message);
    if (payload === undefined) {
      try {
        payload = JSON.parse(message) as unknown;
      } catch {
        this.#logger.error({ channel }, 'unreadable event on redis');
        return;
      }
      if (this.#recent.size >= RECENT_EVENTS) this.#recent.delete(this.#recent.keys().next().value!);
      this.#recent.set(message, payload);
    }
    for (const listener of [...listeners]) listener(payload);
  }

  #channel(topic: string, userId: string): string {
    return `${this.#prefix}:${topic}:${userId}`;
  }
}
