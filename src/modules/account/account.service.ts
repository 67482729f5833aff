import type { Writable } from 'node:stream';
import type { PrismaClient } from '../../generated/prisma/client.js';
import { AppError, AuthReason, ErrorCode, unauthenticated } from '../../lib/errors.js';
import type { Logger } from '../../lib/logger.js';
import type { Limiter } from '../../lib/rate-limits.js';
import { isUuid } from '../../lib/text.js';
import type { Viewer } from '../../lib/viewer.js';
import type { UrlSigner } from '../../media/signed-urls.js';
import type { AuthService, ClientInfo } from '../auth/index.js';
import type { ChatsService } from '../chats/index.js';
import type { FilesService } from '../files/index.js';
import type { DataExporter } from './account.export.js';

/** What a deleted account is called wherever it still shows: the sender of its messages, a private chat's title. */
export const DELETED_ACCOUNT_NAME = 'Deleted account';

/** An unusable password hash: argon2 verifies nothing against it. */
const NO_PASSWORD = '!deleted';

/** Options for {@link AccountService}. */
export interface AccountServiceOptions {
  /** `PUBLIC_URL`: the base of export links. Unset: the origin each request came in on. */
  publicUrl?: string;
  /** How long an export link works, in seconds; default 600 (10 minutes). */
  exportLinkTtlSeconds?: number;
}

/** What the export route does with a link: refuse it (403 forged, 404 gone, 410 expired, 429 too many), or write the zip. */
export type ExportOpening =
  | { status: 403 | 404 | 410 }
  | { status: 429; retryAfterSeconds: number }
  | { status: 200; fileName: string; write(out: Writable): Promise<void> };

/**
 * Leaving for good, and taking one's data along: deleteAccount and
 * requestDataExport. It composes the features that own what an account has
 * (auth's sessions, chats' memberships, files' bytes) and writes the rest of
 * the account's rows in one transaction.
 */
export class AccountService {
  readonly #publicUrl: string | undefined;
  readonly #ttl: number;

  constructor(
    private readonly prisma: PrismaClient,
    private readonly parts: { auth: AuthService; chats: ChatsService; files: FilesService },
    private readonly signer: UrlSigner,
    private readonly exporter: DataExporter,
    private readonly exports: Limiter,
    private readonly logger: Logger,
    options: AccountServiceOptions = {},
  ) {
    this.#publicUrl = options.publicUrl?.replace(/\/+$/, '');
    this.#ttl = options.exportLinkTtlSeconds ?? 600;
  }

  /**
   * Deletes the viewer's account, after their password (a wrong one is
   * BAD_USER_INPUT, and counts as a failed sign-in). In one transaction the
   * account becomes a tombstone: "Deleted account", no about, avatar,
   * password, privacy settings, notifications, push subscriptions or blocks,
   * every session ended (its sockets close at once, everywhere). Then it
   * leaves each group as leaveChat does (the SYSTEM message still names it,
   * an heir becomes admin where it was the last admin), and its files go,
   * bytes included. Its messages stay in the chats they were sent to, from
   * "Deleted account"; its private chats stay the other person's. The
   * username stays reserved for 30 days (auth.service.ts, releaseUsername).
   */
  async deleteAccount(viewer: Viewer, password: string, client: ClientInfo): Promise<boolean> {
    const { auth, chats, files } = this.parts;
    await auth.confirmPassword(viewer, password, client);
    const userId = viewer.id;
    const now = new Date();
    const name = await this.prisma.$transaction(async (tx) => {
      // The user's row lock: two devices deleting at once delete once.
      const [me] = await tx.$queryRaw<{ displayName: string }[]>`
        SELECT "displayName" FROM "User" WHERE "id" = ${userId}::uuid AND "deletedAt" IS NULL FOR UPDATE`;
      if (!me) return null;
      await tx.user.update({
        where: { id: userId },
        data: {
          deletedAt: now,
          active: false,
          displayName: DELETED_ACCOUNT_NAME,
          about: null,
          avatarId: null,
          lastSeenAt: null,
          passwordHash: NO_PASSWORD,
          role: 'USER',
          lastSeenVisibility: 'CHATS',
          profilePhotoVisibility: 'EVERYONE',
          aboutVisibility: 'CHATS',
          groupAddsVisibility: 'EVERYONE',
          readReceipts: true,
          mustChangePassword: false,
        },
        select: { id: true },
      });
      await tx.session.updateMany({ where: { userId, revokedAt: null }, data: { revokedAt: now } });
      await tx.refreshToken.deleteMany({ where: { session: { userId } } });
      await tx.recoveryCode.deleteMany({ where: { userId } });
      await tx.device.deleteMany({ where: { userId } });
      await tx.notification.deleteMany({ where: { userId } });
      await tx.userBlock.deleteMany({ where: { OR: [{ blockerId: userId }, { blockedId: userId }] } });
      await tx.messageHidden.deleteMany({ where: { userId } });
      // Nothing is sent in its name any more; the jobs find no row and do nothing.
      await tx.scheduledMessage.deleteMany({ where: { senderId: userId } });
      // Asking to join, or invited: nobody may let a deleted account in.
      await tx.chatJoinRequest.deleteMany({ where: { userId } });
      await tx.chatInvite.deleteMany({ where: { inviteeId: userId } });
      // The memberships left (private chats, and groups until it has left them) notify nobody any more.
      await tx.chatMember.updateMany({
        where: { userId },
        data: { muted: false, mutedUntil: null, archived: false, pinnedAt: null, notifyLevel: 'NONE', markedUnread: false },
      });
      return me.displayName;
    });
    // Deleted a moment ago by another of its sessions.
    if (name === null) throw unauthenticated(AuthReason.SESSION_REVOKED);
    auth.closeSockets({ userId, sessionIds: null, reason: 'SESSION_REVOKED' });
    const groups = await chats.leaveEveryGroup(userId, name);
    const removedFiles = await files.deleteEverythingOf(userId);
    // Its former memberships: nobody reads them any more, and nobody adds a deleted account back.
    await this.prisma.chatMembershipPeriod.deleteMany({ where: { userId } });
    this.logger.info({ userId, groups, files: removedFiles }, 'account deleted');
    return true;
  }

  /**
   * A link to a zip of the viewer's data (account.export.ts), for a download
   * without a token: signed for this user, working for 10 minutes. Each user
   * may ask for RATE_LIMIT_DATA_EXPORT links (3 an hour), and download as
   * many times, counted apart.
   */
  async requestExport(viewer: Viewer, origin: string | null): Promise<string> {
    await this.exports.takeAll(`link:${viewer.id}`, 1, 'DATA_EXPORT');
    const { exp, sig } = this.signer.link('export', viewer.id, this.#ttl);
    return `${this.#publicUrl ?? origin ?? ''}/exports/${viewer.id}?exp=${exp}&sig=${sig}`;
  }

  /**
   * For `GET /exports/:userId`: the signature first (403 forged, 410 expired,
   * without touching the database), then the account (404 once deleted),
   * then the download budget (429).
   */
  async openExport(userId: string, exp: unknown, sig: unknown): Promise<ExportOpening> {
    const verdict = this.signer.verifyLink('export', userId, exp, sig);
    if (verdict === 'invalid') return { status: 403 };
    if (verdict === 'expired') return { status: 410 };
    const owner = isUuid(userId) ? await this.prisma.user.findUnique({ where: { id: userId }, select: { id: true, username: true, deletedAt: true } }) : null;
    if (!owner || owner.deletedAt !== null) return { status: 404 };
    try {
      await this.exports.takeAll(`download:${userId}`, 1, 'DATA_EXPORT');
    } catch (error) {
      if (error instanceof AppError && error.code === ErrorCode.RATE_LIMITED) {
        return { status: 429, retryAfterSeconds: Number(error.extensions['retryAfterSeconds']) };
      }
      throw error;
    }
    const day = new Date().toISOString().slice(0, 10);
    return {
      status: 200,
      fileName: `payamak-${owner.username}-${day}.zip`,
      write: (out) => this.exporter.write(owner, out),
    };
  }
}
