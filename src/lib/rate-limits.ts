import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Env, RateLimit } from '../config/env.js';
import { rateLimited } from './errors.js';

/** What a caller learns from a counted request, for RateLimit headers. */
export interface LimitState {
  limit: number;
  remaining: number;
  windowSeconds: number;
  resetSeconds: number;
}

/**
 * One budget (N operations per window per key). `consume` throws RATE_LIMITED
 * with retryAfterSeconds, and `extensions.policy` naming the budget, when it is
 * spent. A limit configured as `0` is off: consume always passes and reports nothing.
 */
export class Limiter {
  readonly #limiter: RateLimiterAbstract | null;

  /**
   * @param policy `extensions.policy` of its refusals: the name of its
   *   variable without `RATE_LIMIT_` (`API`, `SIGNALS`, `INVITES_IP`); the
   *   counters' key prefix is made from it too.
   */
  constructor(
    readonly config: RateLimit | null,
    readonly policy: string,
    redis?: Redis,
  ) {
    this.#limiter = config ? createLimiter(`rl:${policy.toLowerCase().replaceAll('_', '-')}`, config.points, config.durationSeconds, redis) : null;
  }

  async consume(key: string, points = 1): Promise<LimitState | null> {
    if (!this.#limiter || !this.config) return null;
    try {
      const result = await this.#limiter.consume(key, points);
      return stateOf(this.config, result);
    } catch (error) {
      if (error instanceof RateLimiterRes) throw rateLimited(Math.max(1, Math.ceil(error.msBeforeNext / 1000)), this.policy);
      throw error;
    }
  }

  /**
   * Takes `points` at once only if they all fit in what is left; otherwise
   * throws RATE_LIMITED and takes nothing, so one oversized request does not
   * spend the rest of the window. (Two racing calls may both fit: a budget,
   * not a lock.)
   */
  async takeAll(key: string, points: number, policy = this.policy): Promise<void> {
    if (!this.#limiter || !this.config || points <= 0) return;
    const state = await this.#limiter.get(key);
    const used = state?.consumedPoints ?? 0;
    if (used + points > this.config.points) {
      const retryAfter = Math.max(1, Math.ceil((state?.msBeforeNext ?? this.config.durationSeconds * 1000) / 1000));
      const left = Math.max(0, this.config.points - used);
      throw rateLimited(retryAfter, policy, `This would use ${points} of the ${left} left of this budget; retry in ${retryAfter} s`);
    }
    await this.consume(key, points);
  }

  /** Gives back points consumed for work that turned out to cost nothing (e.g. a retried send). */
  async refund(key: string, points = 1): Promise<void> {
    await this.#limiter?.reward(key, points);
  }
}

/**
 * Failed logins per account (OWASP: lock out by account, not only by IP).
 * Five failures in 15 minutes lock the account for 1 minute; each further
 * lockout within a day doubles that, up to an hour. A lockout only delays: it
 * always ends, so an attacker cannot shut the owner out for good, and a
 * successful login clears the count.
 */
export class LoginLockout {
  readonly #failures: RateLimiterAbstract;
  readonly #lockouts: RateLimiterAbstract;
  static readonly attempts = 5;
  /** `extensions.policy` while an account is locked. */
  static readonly policy = 'LOGIN_LOCKOUT';

  constructor(redis?: Redis) {
    this.#failures = createLimiter('rl:login-failures', LoginLockout.attempts, 15 * 60, redis);
    this.#lockouts = createLimiter('rl:login-lockouts', 1_000_000, 24 * 3600, redis);
  }

  /** Throws RATE_LIMITED while the account is locked. */
  async check(username: string): Promise<void> {
    const state = await this.#failures.get(username);
    if (state && state.consumedPoints > LoginLockout.attempts) {
      throw rateLimited(Math.max(1, Math.ceil(state.msBeforeNext / 1000)), LoginLockout.policy);
    }
  }

  async failed(username: string): Promise<void> {
    let state: RateLimiterRes;
    try {
      state = await this.#failures.consume(username);
    } catch (error) {
      if (error instanceof RateLimiterRes) return; // already locked
      throw error;
    }
    if (state.remainingPoints > 0) return;
    const lockouts = (await this.#lockouts.consume(username)).consumedPoints;
    await this.#failures.block(username, Math.min(60 * 2 ** (lockouts - 1), 3600));
  }

  async succeeded(username: string): Promise<void> {
    await this.#failures.delete(username);
  }
}

/** The configured budgets (docs/api-contract.md: RATE_LIMIT_*), in memory or shared through Redis. */
export class RateLimits {
  readonly api: Limiter;
  readonly auth: Limiter;
  readonly messages: Limiter;
  readonly uploads: Limiter;
  /** Strangers added to groups, per adder (RATE_LIMIT_GROUP_ADDS). */
  readonly groupAdds: Limiter;
  /** WebSocket connections per user (RATE_LIMIT_CONNECT). */
  readonly connect: Limiter;
  /** `users(search:)` per user (RATE_LIMIT_USER_SEARCH). */
  readonly userSearch: Limiter;
  /** Data export links, and downloads of them, per user (RATE_LIMIT_DATA_EXPORT). */
  readonly dataExport: Limiter;
  /** Invite codes tried per user (RATE_LIMIT_INVITES) and per client address (RATE_LIMIT_INVITES_IP). */
  readonly invites: Limiter;
  readonly invitesIp: Limiter;
  /** reportMessage and reportUser per user (RATE_LIMIT_REPORTS). */
  readonly reports: Limiter;
  /** Typing and receipts per user (RATE_LIMIT_SIGNALS), spent instead of `api`. */
  readonly signals: Limiter;
  /** Refreshes per session, with a token we know (RATE_LIMIT_REFRESH). */
  readonly refresh: Limiter;
  /** Link previews fetched per sender (RATE_LIMIT_LINK_PREVIEWS); past it a message simply has none. */
  readonly linkPreviews: Limiter;
  readonly logins: LoginLockout;

  constructor(config: Env['rateLimits'], redis?: Redis) {
    this.api = new Limiter(config.api, 'API', redis);
    this.auth = new Limiter(config.auth, 'AUTH', redis);
    this.messages = new Limiter(config.messages, 'MESSAGES', redis);
    this.uploads = new Limiter(config.uploads, 'UPLOADS', redis);
    this.groupAdds = new Limiter(config.groupAdds, 'GROUP_ADDS', redis);
    this.connect = new Limiter(config.connect, 'CONNECT', redis);
    this.userSearch = new Limiter(config.userSearch, 'USER_SEARCH', redis);
    this.dataExport = new Limiter(config.dataExport, 'DATA_EXPORT', redis);
    this.invites = new Limiter(config.invites, 'INVITES', redis);
    this.invitesIp = new Limiter(config.invitesIp, 'INVITES_IP', redis);
    this.reports = new Limiter(config.reports, 'REPORTS', redis);
    this.signals = new Limiter(config.signals, 'SIGNALS', redis);
    this.refresh = new Limiter(config.refresh, 'REFRESH', redis);
    this.linkPreviews = new Limiter(config.linkPreviews, 'LINK_PREVIEWS', redis);
    this.logins = new LoginLockout(redis);
  }
}

function createLimiter(keyPrefix: string, points: number, duration: number, redis?: Redis): RateLimiterAbstract {
  const memory = new RateLimiterMemory({ keyPrefix, points, duration });
  // While Redis is unreachable each instance counts on its own rather than failing every request.
  return redis ? new RateLimiterRedis({ storeClient: redis, keyPrefix, points, duration, insuranceLimiter: memory }) : memory;
}

function stateOf(config: RateLimit, result: RateLimiterRes): LimitState {
  return {
    limit: config.points,
    remaining: Math.max(0, result.remainingPoints),
    windowSeconds: config.durationSeconds,
    resetSeconds: Math.ceil(result.msBeforeNext / 1000),
  };
}

/**
 * Headers of the IETF draft "RateLimit header fields for HTTP"
 * (draft-ietf-httpapi-ratelimit-headers): `RateLimit-Policy: 100;w=900` and
 * `RateLimit: limit=100, remaining=42, reset=317`.
 */
export function rateLimitHeaders(state: LimitState): Record<string, string> {
  return {
    'RateLimit-Policy': `${state.limit};w=${state.windowSeconds}`,
    RateLimit: `limit=${state.limit}, remaining=${state.remaining}, reset=${state.resetSeconds}`,
  };
}
