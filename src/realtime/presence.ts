import type { Redis } from 'ioredis';

/** One open connection: whose, and of which session (a signed-in device). */
export interface PresenceConnection {
  userId: string;
  sessionId: string;
  connectionId: string;
}

/**
 * Who is connected, counted per connection so a user with several devices (on
 * several instances) stays online until the last one goes. Sessions are
 * counted the same way: a device's pushes depend on whether its own session
 * holds a socket, not on whether the user has one anywhere.
 */
export interface PresenceStore {
  /** Records a connection; true when it is the user's first anywhere. */
  connect(connection: PresenceConnection): Promise<boolean>;
  /** Forgets a connection; true when it was the user's last anywhere. */
  disconnect(connection: PresenceConnection): Promise<boolean>;
  /** Which of these users have a connection open anywhere. */
  online(userIds: readonly string[]): Promise<Set<string>>;
  /** Which of these sessions have a connection open anywhere. */
  sessionsOnline(sessionIds: readonly string[]): Promise<Set<string>>;
  /** Users connected to this instance. */
  readonly localCount: number;
  close(): Promise<void>;
}

/** Presence inside one process. */
export class LocalPresence implements PresenceStore {
  readonly #users = new Map<string, Set<string>>();
  readonly #sessions = new Map<string, Set<string>>();

  async connect({ userId, sessionId, connectionId }: PresenceConnection): Promise<boolean> {
    add(this.#sessions, sessionId, connectionId);
    return add(this.#users, userId, connectionId) === 1;
  }

  async disconnect({ userId, sessionId, connectionId }: PresenceConnection): Promise<boolean> {
    remove(this.#sessions, sessionId, connectionId);
    return remove(this.#users, userId, connectionId);
  }

  async online(userIds: readonly string[]): Promise<Set<string>> {
    return new Set(userIds.filter((id) => this.#users.has(id)));
  }

  async sessionsOnline(sessionIds: readonly string[]): Promise<Set<string>> {
    return new Set(sessionIds.filter((id) => this.#sessions.has(id)));
  }

  get localCount(): number {
    return this.#users.size;
  }

  async close(): Promise<void> {
    this.#users.clear();
    this.#sessions.clear();
  }
}

/** Adds a connection to a key's set; returns the set's size after. */
function add(map: Map<string, Set<string>>, key: string, connectionId: string): number {
  let own = map.get(key);
  if (!own) map.set(key, (own = new Set()));
  own.add(connectionId);
  return own.size;
}

/** Removes a connection; true when it was the key's last. */
function remove(map: Map<string, Set<string>>, key: string, connectionId: string): boolean {
  const own = map.get(key);
  if (!own?.delete(connectionId)) return false;
  if (own.size > 0) return false;
  map.delete(key);
  return true;
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
 * Presence shared by every instance through Redis: a sorted set per user, and
 * one per session, of connection ids scored by expiry. Each instance
 * refreshes its own connections; those of an instance that died expire by
 * themselves, so a crash cannot leave anyone online (or a phone silenced)
 * for ever.
 */
export class RedisPresence implements PresenceStore {
  readonly #local = new Map<string, PresenceConnection>(); // by connectionId
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

  async connect(connection: PresenceConnection): Promise<boolean> {
    const { userId, sessionId, connectionId } = connection;
    this.#local.set(connectionId, connection);
    const now = Date.now();
    const key = this.#key(userId);
    const session = this.#sessionKey(sessionId);
    const results = await this.redis
      .multi()
      .zremrangebyscore(key, '-inf', now)
      .zadd(key, now + this.#ttlMs, connectionId)
      .zcard(key)
      .pexpire(key, this.#ttlMs * 2)
      .zremrangebyscore(session, '-inf', now)
      .zadd(session, now + this.#ttlMs, connectionId)
      .pexpire(session, this.#ttlMs * 2)
      .exec();
    return results?.[2]?.[1] === 1;
  }

  async disconnect({ userId, sessionId, connectionId }: PresenceConnection): Promise<boolean> {
    if (!this.#local.delete(connectionId)) return false;
    const key = this.#key(userId);
    const results = await this.redis
      .multi()
      .zrem(key, connectionId)
      .zremrangebyscore(key, '-inf', Date.now())
      .zcard(key)
      .zrem(this.#sessionKey(sessionId), connectionId)
      .exec();
    return results?.[2]?.[1] === 0;
  }

  online(userIds: readonly string[]): Promise<Set<string>> {
    return this.#live(userIds, (id) => this.#key(id));
  }

  sessionsOnline(sessionIds: readonly string[]): Promise<Set<string>> {
    return this.#live(sessionIds, (id) => this.#sessionKey(id));
  }

  get localCount(): number {
    return new Set([...this.#local.values()].map((c) => c.userId)).size;
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    const entries = [...this.#local.values()];
    this.#local.clear();
    if (entries.length === 0) return;
    const pipeline = this.redis.pipeline();
    for (const { userId, sessionId, connectionId } of entries) {
      pipeline.zrem(this.#key(userId), connectionId).zrem(this.#sessionKey(sessionId), connectionId);
    }
    await pipeline.exec().catch(() => undefined);
  }

  async #live(ids: readonly string[], keyOf: (id: string) => string): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const now = Date.now();
    const pipeline = this.redis.pipeline();
    for (const id of ids) pipeline.zcount(keyOf(id), now, '+inf');
    const results = (await pipeline.exec()) ?? [];
    return new Set(ids.filter((_, i) => Number(results[i]?.[1] ?? 0) > 0));
  }

  async #heartbeat(): Promise<void> {
    if (this.#local.size === 0) return;
    const expiry = Date.now() + this.#ttlMs;
    const pipeline = this.redis.pipeline();
    for (const { userId, sessionId, connectionId } of this.#local.values()) {
      for (const key of [this.#key(userId), this.#sessionKey(sessionId)]) pipeline.zadd(key, expiry, connectionId).pexpire(key, this.#ttlMs * 2);
    }
    await pipeline.exec();
  }

  #key(userId: string): string {
    return `${this.#prefix}:presence:${userId}`;
  }

  #sessionKey(sessionId: string): string {
    return `${this.#prefix}:presence:session:${sessionId}`;
  }
}
