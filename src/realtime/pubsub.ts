import { flatString } from '../lib/text.js';

/**
 * A topic's name, carrying (as a type only) the payload its publishers and
 * subscribers agree on. The module that owns an event declares its topic
 * beside its payload type (`topic<MessagePayload>('NEW_MESSAGE')`): this layer
 * carries JSON it does not know.
 */
export type Topic<P> = string & { readonly [payloadOf]?: P };
declare const payloadOf: unique symbol;

/** Declares a topic; names must be unique across the modules (they are the pub/sub's channel names). */
export const topic = <P>(name: string): Topic<P> => name as Topic<P>;

/** The address of events every instance acts on, whoever is connected (e.g. sockets to close). */
export const EVERY_INSTANCE = '*';

/**
 * Per-user event fan-out. Every event is addressed to one user's topic; a
 * subscription listens to its viewer's topic only. Payloads are JSON-safe
 * (ISO date strings), so a Redis implementation can carry them unchanged.
 */
export interface PubSub {
  publish<P>(topic: Topic<P>, userId: string, payload: P): void;
  /** Publishes the same payload to several users' topics. */
  publishMany<P>(topic: Topic<P>, userIds: Iterable<string>, payload: P): void;
  subscribe<P>(topic: Topic<P>, userId: string, options?: SubscribeOptions<P>): AsyncIterableIterator<P>;
  /**
   * Calls `listener` with each event of the topic, synchronously, until the
   * returned function is called. For internal watchers: no queue, no iterator.
   * `onError`: the transport could not start listening (Redis).
   */
  listen<P>(topic: Topic<P>, userId: string, listener: (payload: P) => void, onError?: (error: Error) => void): () => void;
  /** Live subscriptions to one user's topic on this instance (tests wait on it before publishing). */
  listenerCount(topic: Topic<unknown>, userId: string): number;
  /** Round trip to the transport in ms; rejects when it is down. */
  ping(): Promise<number>;
  close(): Promise<void>;
}

/**
 * What a subscriber decides without a stage of its own in the stream: a stage
 * would cost a promise per event per subscriber, and a group's message is
 * one event per member.
 */
export interface SubscribeOptions<P> {
  /** Asked as an event arrives and again as it is handed over: false drops it. */
  accepts?(payload: P): boolean;
  /** Called once when the subscription ends, however it ends. */
  ended?(): void;
}

/** Options for {@link InProcessPubSub}. */
export interface InProcessPubSubOptions {
  /**
   * Events a subscriber may have waiting before it is cut off with an error;
   * default 1,000. A client that falls this far behind reconnects and catches up
   * from the database (`messages(afterSeq:)`), instead of the server buffering
   * without bound.
   */
  maxQueue?: number;
}

export class SubscriberOverflowError extends Error {
  constructor() {
    super('Subscriber fell too far behind; reconnect and catch up');
  }
}

type Listener = (payload: unknown) => void;

/** Pub/sub inside one process: no I/O, synchronous delivery into per-subscriber queues. */
export class InProcessPubSub implements PubSub {
  readonly #listeners = new Map<string, Set<Listener>>();
  readonly #maxQueue: number;

  constructor(options: InProcessPubSubOptions = {}) {
    this.#maxQueue = options.maxQueue ?? 1000;
  }

  publish<P>(topic: Topic<P>, userId: string, payload: P): void {
    const listeners = this.#listeners.get(key(topic, userId));
    if (!listeners) return;
    for (const listener of [...listeners]) listener(payload);
  }

  publishMany<P>(topic: Topic<P>, userIds: Iterable<string>, payload: P): void {
    for (const userId of userIds) this.publish(topic, userId, payload);
  }

  subscribe<P>(topic: Topic<P>, userId: string, options?: SubscribeOptions<P>): AsyncIterableIterator<P> {
    return queueOf(this, topic, userId, this.#maxQueue, options);
  }

  listen<P>(topic: Topic<P>, userId: string, listener: (payload: P) => void): () => void {
    const topicKey = flatString(key(topic, userId)); // kept for the listener's life
    let set = this.#listeners.get(topicKey);
    if (!set) this.#listeners.set(topicKey, (set = new Set()));
    const added = listener as Listener;
    set.add(added);
    return () => {
      set.delete(added);
      if (set.size === 0 && this.#listeners.get(topicKey) === set) this.#listeners.delete(topicKey);
    };
  }

  listenerCount(topic: Topic<unknown>, userId: string): number {
    return this.#listeners.get(key(topic, userId))?.size ?? 0;
  }

  /** Number of live subscriptions (the fuzz test checks that none are left behind). */
  get subscriptionCount(): number {
    let count = 0;
    for (const set of this.#listeners.values()) count += set.size;
    return count;
  }

  async ping(): Promise<number> {
    return 0;
  }

  async close(): Promise<void> {
    this.#listeners.clear();
  }
}

const key = (topic: string, userId: string) => `${topic}:${userId}`;

/** A subscription as an async iterator over {@link PubSub.listen}, with a bounded queue. */
export function queueOf<P>(pubsub: Pick<PubSub, 'listen'>, topic: Topic<P>, userId: string, maxQueue: number, options?: SubscribeOptions<P>): QueueIterator<P> {
  let stop = (): void => undefined;
  const iterator = new QueueIterator<P>(
    maxQueue,
    () => {
      stop();
      options?.ended?.();
    },
    options?.accepts ? options : undefined,
  );
  stop = pubsub.listen(
    topic,
    userId,
    (payload) => iterator.push(payload),
    (error) => iterator.fail(error),
  );
  return iterator;
}

/** A push-fed async iterator with a bounded queue; `return()` unsubscribes. */
export class QueueIterator<T> implements AsyncIterableIterator<T> {
  readonly #queue: T[] = [];
  #waiting: ((result: IteratorResult<T>) => void) | undefined;
  #failWaiting: ((error: Error) => void) | undefined;
  #error: Error | undefined;
  #done = false;

  constructor(
    private readonly maxQueue: number,
    private readonly onEnd: () => void,
    private readonly filter?: Pick<SubscribeOptions<T>, 'accepts'>,
  ) {}

  push(value: T): void {
    if (this.#done || this.#error) return;
    if (this.filter?.accepts && !this.filter.accepts(value)) return;
    if (this.#waiting) {
      const resolve = this.#waiting;
      this.#waiting = this.#failWaiting = undefined;
      resolve({ value, done: false });
      return;
    }
    if (this.#queue.length >= this.maxQueue) {
      this.fail(new SubscriberOverflowError());
      return;
    }
    this.#queue.push(value);
  }

  /** Ends the iterator with an error after what is queued has been read. */
  fail(error: Error): void {
    if (this.#done) return;
    this.#error = error;
    this.onEnd();
    if (this.#failWaiting) {
      const reject = this.#failWaiting;
      this.#waiting = this.#failWaiting = undefined;
      this.#done = true;
      reject(error);
    }
  }

  next(): Promise<IteratorResult<T>> {
    while (this.#queue.length > 0) {
      const value = this.#queue.shift()!;
      // Asked again: what was true when it arrived may not be now (a chat left meanwhile).
      if (!this.filter?.accepts || this.filter.accepts(value)) return Promise.resolve({ value, done: false });
    }
    if (this.#error) {
      this.#done = true;
      return Promise.reject(this.#error);
    }
    if (this.#done) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => {
      this.#waiting = resolve;
      this.#failWaiting = reject;
    });
  }

  return(): Promise<IteratorResult<T>> {
    if (!this.#done) {
      this.#done = true;
      this.#queue.length = 0;
      if (!this.#error) this.onEnd();
      const resolve = this.#waiting;
      this.#waiting = this.#failWaiting = undefined;
      resolve?.({ value: undefined, done: true });
    }
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}
