import { Prisma, type PrismaClient } from '../../generated/prisma/client.js';
import type { Logger } from '../../lib/logger.js';
import type { DevicePlatform } from './device.types.js';
import type { DevicePush, PushNotice } from './push-payloads.js';
import type { DeviceTarget, PlatformSender, SendOutcome } from './push-sender.js';

/** A push to try again later: what the job queue stores (JSON). */
export interface PushRetry {
  deviceId: string;
  push: DevicePush;
  /** Attempts made so far. */
  attempt: number;
}

/** A coalescing window that closed with messages folded into it: one push for them. */
export interface PushFlush {
  deviceId: string;
  chatId: string;
}

/**
 * Where later work waits: the job queue in the server (devices.jobs.ts), so
 * it survives a restart and runs on one instance.
 */
export interface PushJobs {
  retry(retry: PushRetry, delayMs: number): Promise<void>;
  /** At most one pending flush per device and chat: adding again replaces it. */
  flush(flush: PushFlush, at: Date): Promise<void>;
}

/** Options for {@link PushDelivery}. */
export interface PushDeliveryOptions {
  /** One sender per configured platform; devices of the others get nothing. */
  senders: Partial<Record<DevicePlatform, PlatformSender>>;
  /** Which sessions hold a socket anywhere (the presence store). */
  sessionsOnline(sessionIds: readonly string[]): Promise<Set<string>>;
  /** The user's unread messages: every push carries it as the badge. */
  badge(userId: string): Promise<number>;
  jobs: PushJobs;
  /** At most one NEW_MESSAGE push per chat per device this often, in ms; 0 is off. Default 3,000. */
  coalesceMs?: number;
  /** Waits before each retry of a failed push; default 2 s, 10 s, 60 s. */
  retryDelaysMs?: number[];
}

/** Per platform, since this instance started: what adminHealth shows. */
export interface PushPlatformStats {
  platform: DevicePlatform;
  /** A sender is configured (APNS_*, FCM_*; Web Push always). */
  configured: boolean;
  sent: number;
  /** Attempts that did not succeed: 5xx, 429, unreachable, refused. */
  failed: number;
  /** Pushes given up: out of retries, or refused for good. */
  dropped: number;
  /** Devices removed because the vendor said the token is gone (410, Unregistered, UNREGISTERED). */
  removed: number;
}

const PLATFORMS: readonly DevicePlatform[] = ['APNS', 'FCM', 'WEB_PUSH'];

/**
 * Pushes to devices, never in the caller's way: every method returns at once
 * and works in the background. A device gets a push only while its session
 * is live (the delivery query joins Session, so however a session ends, its
 * devices get nothing from that moment) and, for what the user would
 * otherwise see live, only while that session holds no socket.
 */
export class PushDelivery {
  readonly #coalesceMs: number;
  readonly #retryDelaysMs: number[];
  readonly #stats = new Map<DevicePlatform, PushPlatformStats>();
  readonly #running = new Set<Promise<void>>();
  #closed = false;

  constructor(
    private readonly prisma: PrismaClient,
    private readonly logger: Logger,
    private readonly options: PushDeliveryOptions,
  ) {
    this.#coalesceMs = options.coalesceMs ?? 3000;
    this.#retryDelaysMs = options.retryDelaysMs ?? [2_000, 10_000, 60_000];
    for (const platform of PLATFORMS) {
      this.#stats.set(platform, { platform, configured: options.senders[platform] !== undefined, sent: 0, failed: 0, dropped: 0, removed: 0 });
    }
  }

  /**
   * A notice for these users' devices. `onlyOffline`: only devices whose own
   * session holds no socket (what the app would show live). `coalesce` (with
   * a chatId in the notice's data): NEW_MESSAGE's window, one push per chat
   * per device per PUSH_COALESCE_MS, the rest folded into one at its end.
   */
  notify(userIds: readonly string[], notice: PushNotice, options: { onlyOffline: boolean; coalesce?: boolean }): void {
    if (userIds.length === 0 || this.#closed) return;
    this.#background('notify', () => this.#notify(userIds, notice, options));
  }

  /**
   * The user read these chats on one session: their other devices that were
   * pushed anything of them since the last read get a silent "cleared", so
   * the notifications shown there go away. The windows (and counts) end.
   */
  cleared(userId: string, chatIds: readonly string[], readingSessionId?: string): void {
    if (chatIds.length === 0 || this.#closed) return;
    const readAt = new Date();
    this.#background('cleared', async () => {
      // A window a message folded into after the read stays: its follow-up push is about that message.
      const rows = await this.prisma.$queryRaw<{ deviceId: string; chatId: string; sessionId: string }[]>`
        DELETE FROM "DevicePushWindow" w USING "Device" d
        WHERE w."deviceId" = d."id" AND d."userId" = ${userId}::uuid AND w."chatId" = ANY(${[...chatIds]}::uuid[])
          AND w."updatedAt" <= ${readAt}
        RETURNING w."deviceId"::text AS "deviceId", w."chatId"::text AS "chatId", d."sessionId"::text AS "sessionId"`;
      const others = rows.filter((row) => row.sessionId !== readingSessionId);
      if (others.length === 0) return;
      const targets = new Map((await this.#targets(Prisma.sql`d."id" = ANY(${others.map((row) => row.deviceId)}::uuid[])`)).map((t) => [t.id, t]));
      if (targets.size === 0) return;
      const badge = await this.options.badge(userId);
      await Promise.all(
        others.map((row) => {
          const target = targets.get(row.deviceId);
          return target ? this.#deliver(target, { kind: 'cleared', chatId: row.chatId, badge }, 0) : undefined;
        }),
      );
    });
  }

  /** A retry come due (the job queue calls it): to the device as it is now, unless it or its session is gone. */
  async retry(retry: PushRetry): Promise<void> {
    // Thrown, not dropped: the queue runs the job again (here or on another instance).
    if (this.#closed) throw new Error('push delivery is closed');
    const [target] = await this.#targets(Prisma.sql`d."id" = ${retry.deviceId}::uuid`);
    if (target) await this.#deliver(target, retry.push, retry.attempt);
  }

  /** A coalescing window closed (the job queue calls it): one push for what folded into it, with the count. */
  async flush({ deviceId, chatId }: PushFlush): Promise<void> {
    if (this.#closed) throw new Error('push delivery is closed');
    // The notice as it was (RETURNING sees the new row, whose notice is cleared).
    const [row] = await this.prisma.$queryRaw<{ count: number; notice: PushNotice | null }[]>`
      UPDATE "DevicePushWindow" w
      SET "pending" = false, "notice" = NULL, "until" = now() + ${this.#coalesceMs} * interval '1 millisecond', "updatedAt" = now()
      FROM (SELECT "notice" FROM "DevicePushWindow" WHERE "deviceId" = ${deviceId}::uuid AND "chatId" = ${chatId}::uuid AND "pending" FOR UPDATE) old
      WHERE w."deviceId" = ${deviceId}::uuid AND w."chatId" = ${chatId}::uuid
      RETURNING w."count", old."notice"`;
    if (!row?.notice) return;
    const [target] = await this.#targets(Prisma.sql`d."id" = ${deviceId}::uuid`);
    // Connected meanwhile: the app has the messages live.
    if (!target || (await this.options.sessionsOnline([target.sessionId])).has(target.sessionId)) return;
    const badge = await this.options.badge(target.userId);
    await this.#deliver(target, { kind: 'notice', notice: row.notice, content: target.content, count: row.count, badge }, 0);
  }

  stats(): PushPlatformStats[] {
    return PLATFORMS.map((platform) => ({ ...this.#stats.get(platform)! }));
  }

  /** Resolves once no push work started here is still running (tests wait on it: a positive signal that nothing more is coming). */
  async idle(): Promise<void> {
    while (this.#running.size > 0) await Promise.allSettled([...this.#running]);
  }

  close(): void {
    this.#closed = true;
    for (const sender of Object.values(this.options.senders)) sender?.close?.();
  }

  async #notify(userIds: readonly string[], notice: PushNotice, { onlyOffline, coalesce = false }: { onlyOffline: boolean; coalesce?: boolean }) {
    let targets = await this.#targets(Prisma.sql`d."userId" = ANY(${[...new Set(userIds)]}::uuid[])`);
    if (onlyOffline && targets.length > 0) {
      const online = await this.options.sessionsOnline([...new Set(targets.map((t) => t.sessionId))]);
      targets = targets.filter((t) => !online.has(t.sessionId));
    }
    if (targets.length === 0) return;
    const chatId = typeof notice.data['chatId'] === 'string' ? notice.data['chatId'] : undefined;
    const counts = new Map<string, number>();
    let now = targets;
    if (chatId !== undefined && coalesce) {
      const windows = await this.#fold(targets, chatId, notice);
      now = [];
      for (const target of targets) {
        const window = windows.get(target.id);
        if (!window) continue;
        if (window.pending) await this.options.jobs.flush({ deviceId: target.id, chatId }, window.until);
        else {
          counts.set(target.id, window.count);
          now.push(target);
        }
      }
    } else if (chatId !== undefined) {
      // Not counted, but remembered: a read of the chat clears this push too.
      await this.prisma.$executeRaw`
        INSERT INTO "DevicePushWindow" ("deviceId", "chatId", "count", "pending", "until")
        SELECT id, ${chatId}::uuid, 0, false, now() FROM unnest(${targets.map((t) => t.id)}::uuid[]) AS id
        ON CONFLICT DO NOTHING`;
    }
    const badges = new Map<string, Promise<number>>();
    const badgeOf = (userId: string) => {
      let badge = badges.get(userId);
      if (!badge) badges.set(userId, (badge = this.options.badge(userId)));
      return badge;
    };
    await Promise.all(
      now.map(async (target) => {
        const push: DevicePush = { kind: 'notice', notice, content: target.content, count: counts.get(target.id) ?? null, badge: await badgeOf(target.userId) };
        await this.#deliver(target, push, 0);
      }),
    );
  }

  /**
   * One statement for every device: counts the message, and either opens a
   * window (send now) or folds it into the open one (`pending`: sent when it
   * closes, with the latest notice).
   */
  async #fold(targets: DeviceTarget[], chatId: string, notice: PushNotice) {
    const rows = await this.prisma.$queryRaw<{ deviceId: string; count: number; pending: boolean; until: Date }[]>`
      INSERT INTO "DevicePushWindow" AS w ("deviceId", "chatId", "count", "pending", "until", "updatedAt")
      SELECT id, ${chatId}::uuid, 1, false, now() + ${this.#coalesceMs} * interval '1 millisecond', now()
      FROM unnest(${targets.map((t) => t.id)}::uuid[]) AS id
      ON CONFLICT ("deviceId", "chatId") DO UPDATE SET
        "count" = w."count" + 1,
        "pending" = w."until" > now(),
        "notice" = CASE WHEN w."until" > now() THEN ${JSON.stringify(notice)}::jsonb ELSE NULL END,
        "until" = CASE WHEN w."until" > now() THEN w."until" ELSE EXCLUDED."until" END,
        "updatedAt" = now()
      RETURNING "deviceId"::text AS "deviceId", "count", "pending", "until"`;
    return new Map(rows.map((row) => [row.deviceId, row]));
  }

  async #deliver(target: DeviceTarget, push: DevicePush, attempt: number): Promise<void> {
    const sender = this.options.senders[target.platform];
    if (!sender) return;
    const stats = this.#stats.get(target.platform)!;
    const outcome: SendOutcome = await sender.send(target, push).catch((error: unknown) => ({ status: 'retry', reason: (error as Error).message }) as const);
    // Never the token: for APNs and FCM it is the device's address, for Web Push a capability.
    const fields = { deviceId: target.id, platform: target.platform, attempt };
    if (outcome.status === 'sent') {
      stats.sent += 1;
      return;
    }
    stats.failed += 1;
    if (outcome.status === 'gone') {
      stats.removed += 1;
      await this.prisma.device.deleteMany({ where: { id: target.id } });
      this.logger.info({ ...fields, reason: outcome.reason, ...outcome.details }, 'push token is gone; device removed');
      return;
    }
    const delay = this.#retryDelaysMs[attempt];
    if (outcome.status === 'failed' || delay === undefined || this.#closed) {
      stats.dropped += 1;
      this.logger.warn({ ...fields, reason: outcome.reason, ...outcome.details }, 'push dropped');
      return;
    }
    this.logger.warn({ ...fields, reason: outcome.reason, ...outcome.details, delay }, 'push failed; retried later');
    await this.options.jobs.retry({ deviceId: target.id, push, attempt: attempt + 1 }, delay);
  }

  /** Devices of live sessions (not revoked, not expired, the account active) on configured platforms. */
  async #targets(where: Prisma.Sql): Promise<DeviceTarget[]> {
    const platforms = PLATFORMS.filter((platform) => this.options.senders[platform] !== undefined);
    if (platforms.length === 0) return [];
    return this.prisma.$queryRaw<DeviceTarget[]>`
      SELECT d."id"::text AS "id", d."userId"::text AS "userId", d."sessionId"::text AS "sessionId", d."platform"::text AS "platform",
             d."token", d."appId", d."content"::text AS "content", d."p256dh", d."auth"
      FROM "Device" d JOIN "Session" s ON s."id" = d."sessionId" JOIN "User" u ON u."id" = d."userId"
      WHERE ${where} AND s."revokedAt" IS NULL AND s."expiresAt" > now() AND u."active"
        AND d."platform"::text = ANY(${platforms}::text[])`;
  }

  #background(what: string, work: () => Promise<void>): void {
    const running = work().catch((error: unknown) => this.logger.error({ err: error, what }, 'push could not be sent or queued'));
    this.#running.add(running);
    void running.finally(() => this.#running.delete(running));
  }
}
