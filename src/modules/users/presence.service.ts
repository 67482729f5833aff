import type { Sql } from '../../db/sql.js';
import type { PrismaClient } from '../../generated/prisma/client.js';
import { badInput } from '../../lib/errors.js';
import type { Logger } from '../../lib/logger.js';
import type { Viewer } from '../../lib/viewer.js';
import type { PresenceStore } from '../../realtime/presence.js';
import type { PubSub } from '../../realtime/pubsub.js';
import { type PresencePayload, UserTopic } from './user.topics.js';

const MAX_WATCHED = 1024;

/** Who is told that user $1 went online or offline; $2: the announcement that they now hide their last seen. */
const PRESENCE_AUDIENCE = `
  SELECT DISTINCT other."userId"::text AS "userId"
  FROM "ChatMember" mine JOIN "ChatMember" other ON other."chatId" = mine."chatId"
  JOIN "User" them ON them."id" = other."userId"
  WHERE mine."userId" = $1::uuid AND other."userId" <> $1::uuid
    -- Those the user blocked are not told (modules/blocking).
    AND NOT EXISTS (SELECT 1 FROM "UserBlock" b WHERE b."blockerId" = $1::uuid AND b."blockedId" = other."userId")
    -- Last seen (users.policy.ts): nobody hears of a user who hides it, and one who hides theirs hears of no one.
    AND them."lastSeenVisibility" <> 'NOBODY'
    AND ($2::boolean OR EXISTS (SELECT 1 FROM "User" u WHERE u."id" = $1::uuid AND u."lastSeenVisibility" <> 'NOBODY'))`;

/** Options for {@link PresenceService}. */
export interface PresenceOptions {
  /**
   * How long a user whose last connection closed still counts as online, in
   * ms; a reconnect within it announces nothing. Phones drop and reopen
   * sockets all the time, and each announcement is a query and an event to
   * every co-member.
   * @defaultValue 5,000
   */
  offlineGraceMs?: number;
}

/**
 * Online/offline across a user's devices: ONLINE at the first connection,
 * OFFLINE (with lastSeenAt) once the last one has stayed closed for the grace
 * period. Only people who share a chat with the user are told, and only while
 * both show their last seen (privacy, users.policy.ts). A user who opens and
 * closes sockets in a loop thus costs co-members one ONLINE and, at the end,
 * one OFFLINE, not an event per cycle.
 */
export class PresenceService {
  readonly #graceMs: number;
  /** Users whose last connection here closed, waiting out the grace period before OFFLINE. */
  readonly #goingOffline = new Map<string, { timer: NodeJS.Timeout; at: Date }>();
  /** Per user, the last announcement still running (see {@link announce}). */
  readonly #announcing = new Map<string, Promise<void>>();

  constructor(
    private readonly prisma: PrismaClient,
    /** Who hears of a user going online or offline: a statement every connect and disconnect runs (src/db/sql.ts). */
    private readonly sql: Sql,
    private readonly pubsub: PubSub,
    readonly store: PresenceStore,
    private readonly logger: Logger,
    options: PresenceOptions = {},
  ) {
    this.#graceMs = options.offlineGraceMs ?? 5000;
  }

  async isOnline(userId: string): Promise<boolean> {
    return (await this.store.online([userId])).has(userId);
  }

  /** Which of these users are connected anywhere. */
  online(userIds: readonly string[]): Promise<Set<string>> {
    return this.store.online(userIds);
  }

  /** Which of these sessions hold a socket anywhere (a device's pushes wait while its own session does). */
  sessionsOnline(sessionIds: readonly string[]): Promise<Set<string>> {
    return this.store.sessionsOnline(sessionIds);
  }

  connected(userId: string, connectionId: string, sessionId: string): void {
    const pending = this.#goingOffline.get(userId);
    if (pending) {
      // Back within the grace period: to everyone else they never left.
      clearTimeout(pending.timer);
      this.#goingOffline.delete(userId);
    }
    (async () => {
      if (!(await this.store.connect({ userId, sessionId, connectionId })) || pending) return;
      await this.announce({ userId, status: 'ONLINE', lastSeenAt: null });
    })().catch((error: unknown) => this.logger.error({ err: error, userId }, 'could not announce presence'));
  }

  disconnected(userId: string, connectionId: string, sessionId: string): void {
    (async () => {
      if (!(await this.store.disconnect({ userId, sessionId, connectionId }))) return;
      if (this.#graceMs <= 0) return await this.#wentOffline(userId, new Date());
      const at = new Date();
      const timer = setTimeout(() => {
        this.#goingOffline.delete(userId);
        this.#wentOffline(userId, at).catch((error: unknown) => this.logger.error({ err: error, userId }, 'could not record going offline'));
      }, this.#graceMs);
      timer.unref();
      this.#goingOffline.set(userId, { timer, at });
    })().catch((error: unknown) => this.logger.error({ err: error, userId }, 'could not record going offline'));
  }

  /** Records now who is still waiting out the grace period (shutdown). */
  async flush(): Promise<void> {
    const pending = [...this.#goingOffline];
    this.#goingOffline.clear();
    await Promise.all(
      pending.map(([userId, { timer, at }]) => {
        clearTimeout(timer);
        return this.#wentOffline(userId, at).catch((error: unknown) => this.logger.error({ err: error, userId }, 'could not record going offline'));
      }),
    );
  }

  async #wentOffline(userId: string, at: Date): Promise<void> {
    // Connected meanwhile, perhaps to another instance: the user is online; say nothing.
    if (await this.isOnline(userId)) return;
    await this.prisma.user.update({ where: { id: userId }, data: { lastSeenAt: at } });
    if (await this.isOnline(userId)) return;
    await this.announce({ userId, status: 'OFFLINE', lastSeenAt: at.toISOString() });
  }

  subscribe(viewer: Viewer, userIds?: string[] | null): AsyncIterableIterator<PresencePayload> {
    if (userIds && userIds.length > MAX_WATCHED) throw badInput(`userIds takes at most ${MAX_WATCHED} ids`, 'userIds');
    const source = this.pubsub.subscribe(UserTopic.Presence, viewer.id);
    if (!userIds) return source;
    const wanted = new Set(userIds);
    return {
      async next() {
        for (;;) {
          const result = await source.next();
          if (result.done || wanted.has(result.value.userId)) return result;
        }
      },
      return: () => source.return!(),
      [Symbol.asyncIterator]() {
        return this;
      },
    };
  }

  /**
   * The user's privacy.lastSeen changed (updatePrivacy): co-members' open
   * subscriptions learn at once what a query now shows them. Hidden: OFFLINE
   * with no lastSeenAt. Shown again: the user's state (still online during the
   * grace period).
   */
  async lastSeenChanged(user: { id: string; lastSeenAt: Date | null }, hidden: boolean): Promise<void> {
    if (hidden) return this.announce({ userId: user.id, status: 'OFFLINE', lastSeenAt: null }, { hiding: true });
    if (this.#goingOffline.has(user.id) || (await this.isOnline(user.id))) return this.announce({ userId: user.id, status: 'ONLINE', lastSeenAt: null });
    await this.announce({ userId: user.id, status: 'OFFLINE', lastSeenAt: user.lastSeenAt?.toISOString() ?? null });
  }

  /**
   * Announcements about one user leave in the order they were made, each after
   * the one before: a hidden last seen is never overtaken by an ONLINE whose
   * recipients were chosen just before the user hid it.
   */
  private announce(payload: PresencePayload, options: { hiding?: boolean } = {}): Promise<void> {
    const { userId } = payload;
    const next = (this.#announcing.get(userId) ?? Promise.resolve()).then(() => this.#publish(payload, options));
    const settled = next.catch(() => undefined);
    this.#announcing.set(userId, settled);
    void settled.then(() => {
      if (this.#announcing.get(userId) === settled) this.#announcing.delete(userId);
    });
    return next;
  }

  /** `hiding`: the announcement that the user now hides their last seen, the only one sent while they do. */
  async #publish(payload: PresencePayload, { hiding = false }: { hiding?: boolean }): Promise<void> {
    // Privacy is decided here, when the event is published, for every instance at once: the payload is then the
    // same for everyone who receives it (PresenceEvent's fields are rendered once for all of them).
    const rows = await this.sql.query<{ userId: string }>(PRESENCE_AUDIENCE, [payload.userId, hiding], 'payamak_presence_audience');
    this.pubsub.publishMany(
      UserTopic.Presence,
      rows.map((r) => r.userId),
      payload,
    );
  }
}
