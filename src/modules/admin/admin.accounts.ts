import type { PrismaClient } from '../../generated/prisma/client.js';
import type { Role } from '../../generated/prisma/enums.js';
import { badInput, notFound } from '../../lib/errors.js';
import type { Logger } from '../../lib/logger.js';
import { isUuid } from '../../lib/text.js';
import type { Viewer } from '../../lib/viewer.js';
import type { PubSub } from '../../realtime/pubsub.js';
import { USER_SELECT, type UserRecord } from '../users/index.js';
import { AuthTopic, hashPassword, temporaryPassword } from '../auth/index.js';
import { EVERY_INSTANCE } from '../../realtime/pubsub.js';

/** Who changes an account: an admin through the API, or an operator at the command line (audited without an admin id). */
export type AccountActor = { admin: Viewer } | { cli: true };

/**
 * The writes admins make to accounts, shared by the admin API and
 * `npm run admin`, so both audit, end sessions and close sockets alike. The
 * sockets are closed through the pub/sub: every instance of a server closes
 * its own (the CLI's pub/sub reaches them only with REDIS_URL; without it a
 * running server notices at the socket's next operation, or its sweep).
 */
export class AccountAdmin {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly pubsub: PubSub,
    private readonly logger: Logger,
  ) {}

  /** Deactivating ends every session at once and closes the user's sockets (4403); reactivating lets them sign in again. */
  async setActive(actor: AccountActor, userId: string, active: boolean): Promise<UserRecord> {
    const target = await this.user(userId);
    if ('admin' in actor && userId === actor.admin.id && !active) throw badInput('You cannot deactivate yourself', 'userId');
    // Its owner deleted it (deleteAccount): there is no account left to let back in.
    if (active && target.deletedAt !== null) throw badInput('This account was deleted by its owner', 'userId');
    const [user] = await this.prisma.$transaction([
      this.prisma.user.update({ where: { id: userId }, data: { active }, select: USER_SELECT }),
      ...(active ? [] : [this.prisma.session.updateMany({ where: { userId, revokedAt: null }, data: { revokedAt: new Date() } })]),
      this.audit(actor, active ? 'ACTIVATE_USER' : 'DEACTIVATE_USER', userId, { active, was: target.active }),
    ]);
    if (!active) {
      this.pubsub.publish(AuthTopic.SocketsToClose, EVERY_INSTANCE, { userId, sessionIds: null, reason: 'ACCOUNT_DEACTIVATED' });
      this.logger.info({ userId }, 'user deactivated');
    }
    return user;
  }

  /**
   * Changes a role. Operations check the role afresh anyway; the user's sockets
   * are closed too, so subscriptions set up with the old rights end, and the
   * client reconnects at once. With `endSessions` (the CLI's promote) every
   * session ends as well: the new admin signs in again, knowingly.
   */
  async setRole(
    actor: AccountActor,
    userId: string,
    role: Role,
    options: { endSessions?: boolean } = {},
  ): Promise<{ user: UserRecord; endedSessions: number }> {
    const target = await this.user(userId);
    if ('admin' in actor && userId === actor.admin.id && role !== 'ADMIN') throw badInput('You cannot remove your own admin role', 'userId');
    const [user, , ended] = await this.prisma.$transaction([
      this.prisma.user.update({ where: { id: userId }, data: { role }, select: USER_SELECT }),
      this.audit(actor, 'SET_USER_ROLE', userId, { role, was: target.role }),
      ...(options.endSessions ? [this.prisma.session.updateMany({ where: { userId, revokedAt: null }, data: { revokedAt: new Date() } })] : []),
    ]);
    const endedSessions = ended?.count ?? 0;
    if (role !== target.role || endedSessions > 0) {
      this.pubsub.publish(AuthTopic.SocketsToClose, EVERY_INSTANCE, {
        userId,
        sessionIds: null,
        reason: endedSessions > 0 ? 'SESSION_REVOKED' : 'ROLE_CHANGED',
      });
    }
    return { user, endedSessions };
  }

  /**
   * Gives the account a temporary password, returned once (it is stored only
   * as its argon2 hash), and makes its owner change it at the next sign-in
   * (`mustChangePassword`). Every session ends and the sockets close; the
   * account's recovery codes end too, since an admin reset is for an account
   * whose owner lost control of it. Not for one's own account (changePassword)
   * nor for a deleted one.
   */
  async resetPassword(actor: AccountActor, userId: string): Promise<string> {
    const target = await this.user(userId);
    if ('admin' in actor && userId === actor.admin.id) throw badInput('Change your own password with changePassword', 'userId');
    if (target.deletedAt !== null) throw badInput('This account was deleted by its owner', 'userId');
    const password = temporaryPassword();
    const passwordHash = await hashPassword(password);
    const now = new Date();
    await this.prisma.$transaction([
      this.prisma.user.update({ where: { id: userId }, data: { passwordHash, mustChangePassword: true }, select: { id: true } }),
      this.prisma.session.updateMany({ where: { userId, revokedAt: null }, data: { revokedAt: now } }),
      this.prisma.recoveryCode.deleteMany({ where: { userId } }),
      // The password itself is never written anywhere but to the admin's answer.
      this.audit(actor, 'RESET_PASSWORD', userId, {}),
    ]);
    this.pubsub.publish(AuthTopic.SocketsToClose, EVERY_INSTANCE, { userId, sessionIds: null, reason: 'SESSION_REVOKED' });
    this.logger.info({ userId }, 'password reset by an admin; every session ended');
    return password;
  }

  /** The account of a user id or (for the CLI) a username; NOT_FOUND otherwise. */
  async user(idOrUsername: string, by: 'id' | 'username' = 'id'): Promise<UserRecord> {
    const user =
      by === 'username'
        ? await this.prisma.user.findUnique({ where: { username: idOrUsername }, select: USER_SELECT })
        : isUuid(idOrUsername)
          ? await this.prisma.user.findUnique({ where: { id: idOrUsername }, select: USER_SELECT })
          : null;
    if (!user) throw notFound('User');
    return user;
  }

  /** An audit row, for admins' writes and reads alike; `db`: a transaction to write it in (default: its own statement). */
  audit(
    actor: AccountActor,
    action: string,
    targetId: string | null,
    details: object,
    targetType: string | null = 'User',
    db: Pick<PrismaClient, 'adminAuditLog'> = this.prisma,
  ) {
    return db.adminAuditLog.create({
      data: {
        adminId: 'admin' in actor ? actor.admin.id : null,
        action: 'admin' in actor ? action : `CLI_${action}`,
        targetType,
        targetId,
        details: JSON.stringify(details),
      },
    });
  }
}
