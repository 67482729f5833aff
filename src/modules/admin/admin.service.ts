import { constants } from 'node:fs';
import { access, mkdir, statfs } from 'node:fs/promises';
import type { PrismaClient } from '../../generated/prisma/client.js';
import type { Role } from '../../generated/prisma/enums.js';
import { badInput } from '../../lib/errors.js';
import { newestFirst, type Connection } from '../../lib/relay.js';
import { isUuid } from '../../lib/text.js';
import type { Viewer } from '../../lib/viewer.js';
import type { ConnectionRegistry } from '../../realtime/connections.js';
import { MESSAGE_SELECT, type MessageRecord } from '../messages/index.js';
import type { UserRecord } from '../users/index.js';
import type { AccountAdmin } from './admin.accounts.js';
import type { ActivityHour, AdminStats, AuditRecord, Health } from './admin.types.js';

/** adminActivity's widest window: a week of hours. */
export const MAX_ACTIVITY_HOURS = 168;
import { timedProbe } from '../../lib/probe.js';
import type { JobCounts } from '../../jobs/job-queue.js';
import type { PushPlatformStats } from '../devices/index.js';

/** What the admin service needs to know about the running server. */
export interface AdminEnvironment {
  pingDatabase(): Promise<number>;
  databaseMode: 'embedded' | 'external';
  /** Throws when the pub/sub is down; resolves with its latency in ms. */
  pingPubSub(): Promise<number>;
  uploadDir: string;
  version: string;
  startedAt: Date;
  onlineCount(): number;
  connections: ConnectionRegistry;
  /** The job queue's rows by state (src/jobs). */
  jobCounts(): Promise<JobCounts>;
  /** Pushes per platform on this instance since it started (modules/devices). */
  pushStats(): PushPlatformStats[];
}

export class AdminService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly env: AdminEnvironment,
    private readonly accounts: AccountAdmin,
  ) {}

  async stats(): Promise<AdminStats> {
    const since = new Date(Date.now() - 24 * 3600 * 1000);
    const [usersTotal, usersActive, chatsPrivate, chatsGroup, messagesTotal, messagesLast24h, notificationsTotal, notificationsUnread, files, openReports] =
      await Promise.all([
        this.prisma.user.count(),
        this.prisma.user.count({ where: { active: true } }),
        this.prisma.chat.count({ where: { kind: 'PRIVATE' } }),
        this.prisma.chat.count({ where: { kind: 'GROUP' } }),
        this.prisma.message.count(),
        this.prisma.message.count({ where: { createdAt: { gte: since } } }),
        this.prisma.notification.count(),
        this.prisma.notification.count({ where: { read: false } }),
        this.prisma.file.aggregate({ _count: { _all: true }, _sum: { size: true, thumbnailSize: true, posterSize: true } }),
        this.prisma.report.count({ where: { status: 'OPEN' } }),
      ]);
    return {
      usersTotal,
      usersActive,
      usersOnline: this.env.onlineCount(),
      chatsTotal: chatsPrivate + chatsGroup,
      chatsPrivate,
      chatsGroup,
      messagesTotal,
      messagesLast24h,
      filesCount: files._count._all,
      filesBytes: (files._sum.size ?? 0) + (files._sum.thumbnailSize ?? 0) + (files._sum.posterSize ?? 0),
      notificationsTotal,
      notificationsUnread,
      webSocketsOpen: this.env.connections.count,
      openReports,
    };
  }

  async health(): Promise<Health> {
    const [database, pubsub, uploads, jobs] = await Promise.all([
      timedProbe(() => this.env.pingDatabase()),
      timedProbe(() => this.env.pingPubSub()),
      this.#uploads(),
      // Unknown (null) rather than an error when the database does not answer: the database check says why.
      this.env.jobCounts().catch(() => null),
    ]);
    return {
      status: database.up && pubsub.up && uploads.check.up ? 'ok' : 'degraded',
      database,
      databaseMode: this.env.databaseMode,
      pubsub,
      uploads: uploads.check,
      uploadsFreeBytes: uploads.freeBytes,
      version: this.env.version,
      uptimeSeconds: Math.round((Date.now() - this.env.startedAt.getTime()) / 1000),
      jobs,
      push: this.env.pushStats(),
    };
  }

  /**
   * Messages per clock hour for the last `hours` hours, the current one
   * included, oldest first, with empty hours as 0 (a chart needs every bar).
   * The BRIN index on createdAt keeps it to the last week's blocks of the table.
   */
  async activity(hours: number): Promise<ActivityHour[]> {
    if (!Number.isInteger(hours) || hours < 1 || hours > MAX_ACTIVITY_HOURS) throw badInput(`hours must be 1–${MAX_ACTIVITY_HOURS}`, 'hours');
    const rows = await this.prisma.$queryRaw<{ hour: Date; messages: number }[]>`
      WITH span AS (SELECT date_trunc('hour', now()) - make_interval(hours => ${hours - 1}::int) AS since)
      SELECT h.hour, coalesce(c.n, 0)::int AS messages
      FROM span, generate_series(span.since, date_trunc('hour', now()), interval '1 hour') AS h(hour)
      LEFT JOIN (
        SELECT date_trunc('hour', m."createdAt") AS hour, count(*) AS n
        FROM "Message" m, span WHERE m."createdAt" >= span.since GROUP BY 1
      ) c ON c.hour = h.hour
      ORDER BY h.hour`;
    return rows;
  }

  /** Every message, or one chat's or one sender's; newest first. Each call is audited. */
  async messages(
    admin: Viewer,
    args: { chatId?: string | null; senderId?: string | null; first?: number | null; after?: string | null },
  ): Promise<Connection<MessageRecord>> {
    for (const [field, id] of [
      ['chatId', args.chatId],
      ['senderId', args.senderId],
    ] as const) {
      if (id && !isUuid(id)) throw badInput(`${field} is not a valid id`, field);
    }
    const page = newestFirst('admin-message', 'createdAt', args);
    const size = page.size;
    const rows = await this.prisma.message.findMany({
      where: {
        ...(args.chatId ? { chatId: args.chatId } : {}),
        ...(args.senderId ? { senderId: args.senderId } : {}),
        ...page.where,
      },
      orderBy: page.orderBy,
      take: page.take,
      select: MESSAGE_SELECT,
    });
    await this.accounts.audit(
      { admin },
      'READ_MESSAGES',
      args.chatId ?? args.senderId ?? null,
      {
        chatId: args.chatId ?? null,
        senderId: args.senderId ?? null,
        first: size,
        after: args.after ?? null,
        returned: Math.min(rows.length, size),
      },
      args.chatId ? 'Chat' : args.senderId ? 'User' : null,
    );
    return page.connection(rows);
  }

  setActive(admin: Viewer, userId: string, active: boolean): Promise<UserRecord> {
    return this.accounts.setActive({ admin }, userId, active);
  }

  async setRole(admin: Viewer, userId: string, role: Role): Promise<UserRecord> {
    return (await this.accounts.setRole({ admin }, userId, role)).user;
  }

  resetPassword(admin: Viewer, userId: string): Promise<string> {
    return this.accounts.resetPassword({ admin }, userId);
  }

  async auditLog(args: { first?: number | null; after?: string | null }): Promise<Connection<AuditRecord>> {
    const page = newestFirst('audit', 'createdAt', args);
    const rows = await this.prisma.adminAuditLog.findMany({ where: page.where, orderBy: page.orderBy, take: page.take });
    return page.connection(rows);
  }

  async #uploads(): Promise<{ check: { up: boolean; latencyMs: number | null; detail: string | null }; freeBytes: number | null }> {
    const started = performance.now();
    try {
      await mkdir(this.env.uploadDir, { recursive: true });
      await access(this.env.uploadDir, constants.W_OK);
      const stats = await statfs(this.env.uploadDir);
      const freeBytes = Number(stats.bavail) * Number(stats.bsize);
      return { check: { up: true, latencyMs: round(performance.now() - started), detail: null }, freeBytes };
    } catch (error) {
      return { check: { up: false, latencyMs: null, detail: (error as NodeJS.ErrnoException).code ?? 'unavailable' }, freeBytes: null };
    }
  }
}

const round = (ms: number) => Math.round(ms * 100) / 100;
