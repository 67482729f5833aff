import type { Redis } from 'ioredis';

/**
 * Who is connected, counted per connection so a user with several devices (on
 * several instances) stays online until the last one goes.
 */
export interface PresenceStore {
  /** Records a connection; true when it is the user's first anywhere. */
  connect(userId: string, connectionId: string): Promise<boolean>;
  /** Forgets a connection; true when it was the user's last anywhere. */
  disconnect(userId: string, connectionId: string): Promise<boolean>;
  /** Which of these users have a connection open anywhere. */
  online(userIds: readonly string[]): Promise<Set<string>>;
  /** Users connected to this instance. */
  readonly localCount: number;
  close(): Promise<void>;
}

/** Presence inside one process. */
export class LocalPresence implements PresenceStore {
  readonly #connections = new Map<string, Set<string>>();

  async connect(userId: string, connectionId: string): Promise<boolean> {
    let own = this.#connections.get(userId);
    if (!own) this.#connections.set(userId, (own = new Set()));
    own.add(connectionId);
    return own.size === 1;
  }

  async disconnect(userId: string, connectionId: string): Promise<boolean> {
    const own = this.#connections.get(userId);
    if (!own?.delete(connectionId)) return false;
    if (own.size > 0) return false;
    this.#connections.delete(userId);
    return true;
  }

  async online(userIds: readonly string[]): Promise<Set<string>> {
    return new Set(userIds.filter((id) => this.#connections.has(id)));
  }

  get localCount(): number {
    return this.#connections.size;
  }

  async close(): Promise<void> {
    this.#connections.clear();
  }
}

/** Options for {@link RedisPresence}. */
export interface RedisPresenceOptions {
  /** A connection is forgotten this long after its instance last vouched for it, in ms (30,000). */
  ttlMs?: number;
  /** How often this instance vouches for its connections, in ms (10,000). */
  heartbeatMs?: number;
  prefix?: string;
}

/**
 * Presence shared by every instance through Redis: a sorted set per user of
 * connection ids scored by expiry. Each instance refreshes its own
 * connections; those of an instance that died expire by themselves, so a
 * crash cannot leave anyone online for ever.
 */
export class RedisPresence implements PresenceStore {
  readonly #local = new Map<string, string>(); // connectionId -> userId
  readonly #ttlMs: number;
  readonly #prefix: string;
  readonly #timer: NodeJS.Timeout;

  constructor(
    private readonly redis: Redis,
    options: RedisPresenceOptions = {},
  ) {
    this.#ttlMs = options.ttlMs ?? 30_000;
    this.#prefix = options.prefix ?? 'payamak';
    this.#timer = setInterval(() => void this.#heartbeat().catch(() => undefined), options.heartbeatMs ?? 10_000);
    this.#timer.unref();
  }

  async connect(userId: string, connectionId: string): Promise<boolean> {
    this.#local.set(connectionId, userId);
    const now = Date.now();
    const key = this.#key(userId);
    const results = await this.redis
      .multi()
      .zremrangebyscore(key, '-inf', now)
      .zadd(key, now + this.#ttlMs, connectionId)
      .zcard(key)
      .pexpire(key, this.#ttlMs * 2)
      .exec();
    return results?.[2]?.[1] === 1;
  }

  async disconnect(userId: string, connectionId: string): Promise<boolean> {
    if (!this.#local.delete(connectionId)) return false;
    const key = this.#key(userId);
    const results = await this.redis.multi().zrem(key, connectionId).zremrangebyscore(key, '-inf', Date.now()).zcard(key).exec();
    return results?.[2]?.[1] === 0;
  }

  async online(userIds: readonly string[]): Promise<Set<string>> {
    if (userIds.length === 0) return new Set();
    const now = Date.now();
    const pipeline = this.redis.pipeline();
    for (const id of userIds) pipeline.zcount(this.#key(id), now, '+inf');
    const results = (await pipeline.exec()) ?? [];
    return new Set(userIds.filter((_, i) => Number(results[i]?.[1] ?? 0) > 0));
  }

  get localCount(): number {
    return new Set(this.#local.values()).size;
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    const entries = [...this.#local];
    this.#local.clear();
    if (entries.length === 0) return;
    const pipeline = this.redis.pipeline();
    for (const [connectionId, userId] of entries) pipeline.zrem(this.#key(userId), connectionId);
    await pipeline.exec().catch(() => undefined);
  }

  async #heartbeat(): Promise<void> {
    if (this.#local.size === 0) return;
    const expiry = Date.now() + this.#ttlMs;
    const pipeline = this.redis.pipeline();
    for (const [connectionId, userId] of this.#local) {
      pipeline.zadd(this.#key(userId), expiry, connectionId).pexpire(this.#key(userId), this.#ttlMs * 2);
    }
    await pipeline.exec();
  }

  #key(userId: string): string {
    return `${this.#prefix}:presence:${userId}`;
  }
}
