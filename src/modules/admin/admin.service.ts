import { constants } from 'node:fs';
import { access, mkdir, statfs } from 'node:fs/promises';
import type { PrismaClient } from '../../generated/prisma/client.js';
import type { Role } from '../../generated/prisma/enums.js';
import { badInput, notFound } from '../../lib/errors.js';
import type { Logger } from '../../lib/logger.js';
import { decodeTimeCursor, encodeTimeCursor, olderThan, pageSize, toPage } from '../../lib/pagination.js';
import { toConnection, type Connection } from '../../lib/relay.js';
import { isUuid } from '../../lib/text.js';
import type { Viewer } from '../../lib/viewer.js';
import type { ConnectionRegistry } from '../../realtime/connections.js';
import type { PubSub } from '../../realtime/pubsub.js';
import { EVERY_INSTANCE, Topic } from '../../realtime/topics.js';
import { MESSAGE_SELECT, type MessageRecord } from '../chats/index.js';
import { USER_SELECT, type UserRecord } from '../users/index.js';
import type { AdminStats, AuditRecord, Health } from './admin.types.js';

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
}

export class AdminService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly env: AdminEnvironment,
    private readonly logger: Logger,
    private readonly pubsub: PubSub,
  ) {}

  async stats(): Promise<AdminStats> {
    const since = new Date(Date.now() - 24 * 3600 * 1000);
    const [usersTotal, usersActive, chatsPrivate, chatsGroup, messagesTotal, messagesLast24h, notificationsTotal, notificationsUnread, files] =
      await Promise.all([
        this.prisma.user.count(),
        this.prisma.user.count({ where: { active: true } }),
        this.prisma.chat.count({ where: { kind: 'PRIVATE' } }),
        this.prisma.chat.count({ where: { kind: 'GROUP' } }),
        this.prisma.message.count(),
        this.prisma.message.count({ where: { createdAt: { gte: since } } }),
        this.prisma.notification.count(),
        this.prisma.notification.count({ where: { read: false } }),
        this.prisma.file.aggregate({ _count: { _all: true }, _sum: { size: true, thumbnailSize: true } }),
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
      filesBytes: (files._sum.size ?? 0) + (files._sum.thumbnailSize ?? 0),
      notificationsTotal,
      notificationsUnread,
      webSocketsOpen: this.env.connections.count,
    };
  }

  async health(): Promise<Health> {
    const [database, pubsub, uploads] = await Promise.all([
      check(() => this.env.pingDatabase()),
      check(() => this.env.pingPubSub()),
      this.#uploads(),
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
    };
  }

  /** Every message, or one chat's or one sender's; newest first. Each call is audited. */
  async messages(admin: Viewer, args: { chatId?: string | null; senderId?: string | null; first?: number | null; after?: string | null }): Promise<Connection<MessageRecord>> {
    const size = pageSize(args.first);
    for (const [field, id] of [['chatId', args.chatId], ['senderId', args.senderId]] as const) {
      if (id && !isUuid(id)) throw badInput(`${field} is not a valid id`, field);
    }
    const position = decodeTimeCursor('admin-message', args.after);
    const rows = await this.prisma.message.findMany({
      where: {
        ...(args.chatId ? { chatId: args.chatId } : {}),
        ...(args.senderId ? { senderId: args.senderId } : {}),
        ...olderThan('createdAt', position),
      },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: size + 1,
      select: MESSAGE_SELECT,
    });
    await this.#audit(admin, 'READ_MESSAGES', args.chatId ? 'Chat' : args.senderId ? 'User' : null, args.chatId ?? args.senderId ?? null, {
      chatId: args.chatId ?? null,
      senderId: args.senderId ?? null,
      first: size,
      after: args.after ?? null,
      returned: Math.min(rows.length, size),
    });
    return toConnection(toPage(rows, size, position !== undefined), (m) => encodeTimeCursor('admin-message', m.createdAt, m.id));
  }

  /**
   * Deactivating ends every session at once (refresh and access tokens) and
   * closes the user's sockets with 4403; reactivating lets them sign in again.
   */
  async setActive(admin: Viewer, userId: string, active: boolean): Promise<UserRecord> {
    const target = await this.#user(userId);
    if (userId === admin.id && !active) throw badInput('You cannot deactivate yourself', 'userId');
    const [user] = await this.prisma.$transaction([
      this.prisma.user.update({ where: { id: userId }, data: { active }, select: USER_SELECT }),
      ...(active ? [] : [this.prisma.session.updateMany({ where: { userId, revokedAt: null }, data: { revokedAt: new Date() } })]),
      this.#auditWrite(admin, active ? 'ACTIVATE_USER' : 'DEACTIVATE_USER', 'User', userId, { active, was: target.active }),
    ]);
    if (!active) {
      // Every instance closes the user's sockets (4403), not only this one.
      this.pubsub.publish(Topic.SocketsToClose, EVERY_INSTANCE, { userId, sessionIds: null, reason: 'ACCOUNT_DEACTIVATED' });
      this.logger.info({ userId }, 'user deactivated');
    }
    return user;
  }

  async setRole(admin: Viewer, userId: string, role: Role): Promise<UserRecord> {
    const target = await this.#user(userId);
    if (userId === admin.id && role !== 'ADMIN') throw badInput('You cannot remove your own admin role', 'userId');
    const [user] = await this.prisma.$transaction([
      this.prisma.user.update({ where: { id: userId }, data: { role }, select: USER_SELECT }),
      this.#auditWrite(admin, 'SET_USER_ROLE', 'User', userId, { role, was: target.role }),
    ]);
    if (role !== target.role) {
      // Operations check the role afresh anyway; closing the sockets also drops
      // subscriptions set up with the old rights. The client reconnects at once.
      this.pubsub.publish(Topic.SocketsToClose, EVERY_INSTANCE, { userId, sessionIds: null, reason: 'ROLE_CHANGED' });
    }
    return user;
  }

  async auditLog(args: { first?: number | null; after?: string | null }): Promise<Connection<AuditRecord>> {
    const size = pageSize(args.first);
    const position = decodeTimeCursor('audit', args.after);
    const rows = await this.prisma.adminAuditLog.findMany({
      where: olderThan('createdAt', position),
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: size + 1,
    });
    return toConnection(toPage(rows, size, position !== undefined), (r) => encodeTimeCursor('audit', r.createdAt, r.id));
  }

  async #user(userId: string): Promise<UserRecord> {
    const user = isUuid(userId) ? await this.prisma.user.findUnique({ where: { id: userId }, select: USER_SELECT }) : null;
    if (!user) throw notFound('User');
    return user;
  }

  #auditWrite(admin: Viewer, action: string, targetType: string | null, targetId: string | null, details: object) {
    return this.prisma.adminAuditLog.create({ data: { adminId: admin.id, action, targetType, targetId, details: JSON.stringify(details) } });
  }

  async #audit(admin: Viewer, action: string, targetType: string | null, targetId: string | null, details: object): Promise<void> {
    await this.#auditWrite(admin, action, targetType, targetId, details);
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

async function check(run: () => Promise<number>): Promise<{ up: boolean; latencyMs: number | null; detail: string | null }> {
  try {
    return { up: true, latencyMs: round(await run()), detail: null };
  } catch (error) {
    // A health answer names the failure, never its internals (hosts, SQL).
    return { up: false, latencyMs: null, detail: (error as { code?: string }).code ?? 'unavailable' };
  }
}

const round = (ms: number) => Math.round(ms * 100) / 100;
