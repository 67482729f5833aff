import type { PrismaClient } from '../../generated/prisma/client.js';
import type { Role } from '../../generated/prisma/enums.js';
import { badInput, conflict, forbidden, isUniqueViolation, unauthenticated } from '../../lib/errors.js';
import type { Logger } from '../../lib/logger.js';
import type { RateLimits } from '../../lib/rate-limits.js';
import type { AuthFailure, Viewer } from '../../lib/viewer.js';
import type { PubSub } from '../../realtime/pubsub.js';
import { USER_SELECT, checkPassword, cleanDisplayName, normalizeUsername, type UserRecord } from '../users/index.js';
import { burnPasswordCheck, hashPassword, verifyPassword } from './auth.passwords.js';
import { InvalidTokenError, hashRefreshToken, type AccessClaims, type TokenIssuer } from './auth.tokens.js';
import type { LoginInput, RegisterInput } from './auth.types.js';
import { AuthTopic, type SocketsToClosePayload } from './auth.topics.js';
import { EVERY_INSTANCE } from '../../realtime/pubsub.js';

export interface AuthResult {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
  user: UserRecord;
}

export class AuthFailureError extends Error {
  constructor(readonly failure: AuthFailure) {
    super(failure);
  }
}

const MAX_TOKEN_LENGTH = 4096;

/** How long a deleted account's username stays reserved (deleteAccount), in days. */
export const USERNAME_RESERVED_DAYS = 30;

/** Who is calling, for per-IP limits. */
export interface ClientInfo {
  ip: string;
}

export class AuthService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly tokens: TokenIssuer,
    private readonly limits: RateLimits,
    private readonly logger: Logger,
    private readonly pubsub: PubSub,
  ) {}

  async register(input: RegisterInput, client: ClientInfo): Promise<AuthResult> {
    await this.limits.auth.consume(`ip:${client.ip}`);
    const username = normalizeUsername(input.username);
    const password = checkPassword(input.password);
    const displayName = cleanDisplayName(input.displayName);
    const passwordHash = await hashPassword(password);
    const create = () => this.prisma.user.create({ data: { username, displayName, passwordHash }, select: USER_SELECT });
    let user: UserRecord;
    try {
      user = await create();
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      // Held by an account deleted long enough ago: its tombstone lets go of the name, and it is this one's.
      if (!(await releaseUsername(this.prisma, username, 'reserved'))) throw conflict('That username is taken', 'username');
      try {
        user = await create();
      } catch (again) {
        if (isUniqueViolation(again)) throw conflict('That username is taken', 'username');
        throw again;
      }
    }
    this.logger.info({ userId: user.id }, 'user registered');
    return this.startSession(user);
  }

  async login(input: LoginInput, client: ClientInfo): Promise<AuthResult> {
    await this.limits.auth.consume(`ip:${client.ip}`);
    const username = input.username.trim().toLowerCase();
    if (input.password.length > 1024 || username.length > 64) throw unauthenticated('Wrong username or password');
    await this.limits.logins.check(username);
    const found = await this.prisma.user.findUnique({ where: { username }, select: { ...USER_SELECT, passwordHash: true } });
    // A deleted account answers as no account does (its password is gone too).
    if (!found || found.deletedAt !== null) {
      await burnPasswordCheck(input.password);
      await this.limits.logins.failed(username);
      throw unauthenticated('Wrong username or password');
    }
    const { passwordHash, ...user } = found;
    if (!(await verifyPassword(passwordHash, input.password))) {
      await this.limits.logins.failed(username);
      throw unauthenticated('Wrong username or password');
    }
    await this.limits.logins.succeeded(username);
    // Said only to someone who knows the password, so it reveals nothing to a guesser.
    if (!user.active) throw forbidden('This account is deactivated');
    return this.startSession(user);
  }

  /**
   * Exchanges a refresh token for a new pair. Each token works once: presenting a
   * rotated token again means it was stolen (or the client is confused), so the
   * whole session is revoked and both parties must sign in again.
   */
  async refresh(refreshToken: string, client: ClientInfo): Promise<AuthResult> {
    await this.limits.auth.consume(`ip:${client.ip}`);
    if (refreshToken.length > MAX_TOKEN_LENGTH) throw unauthenticated('Refresh token is invalid');
    const hash = hashRefreshToken(refreshToken);
    const now = new Date();
    const stored = await this.prisma.refreshToken.findUnique({
      where: { tokenHash: hash },
      select: { id: true, expiresAt: true, rotatedAt: true, session: { select: { id: true, revokedAt: true, user: { select: USER_SELECT } } } },
    });
    if (!stored || stored.session.revokedAt) throw unauthenticated('Refresh token is invalid');
    if (stored.expiresAt <= now) throw unauthenticated('Refresh token expired');
    const { session } = stored;
    if (!session.user.active) throw forbidden('This account is deactivated');

    const next = this.tokens.mintRefresh();
    const rotated = await this.prisma.$transaction(async (tx) => {
      // The guard on rotatedAt makes two concurrent refreshes with one token race
      // on a single row: exactly one wins, the other is treated as reuse.
      const claimed = await tx.refreshToken.updateMany({ where: { id: stored.id, rotatedAt: null }, data: { rotatedAt: now } });
      if (claimed.count === 0) return false;
      await tx.refreshToken.create({ data: { sessionId: session.id, tokenHash: next.hash, expiresAt: next.expiresAt } });
      await tx.session.update({ where: { id: session.id }, data: { lastUsedAt: now, expiresAt: next.expiresAt } });
      return true;
    });
    if (!rotated) {
      await this.prisma.session.update({ where: { id: session.id }, data: { revokedAt: now } });
      this.logger.warn({ userId: session.user.id, sessionId: session.id }, 'refresh token reused; session revoked');
      throw unauthenticated('Refresh token was already used; the session has been ended');
    }
    return {
      accessToken: this.tokens.signAccess({ sub: session.user.id, sid: session.id }),
      refreshToken: next.token,
      expiresIn: this.tokens.accessTtlSeconds,
      user: session.user,
    };
  }

  /** Ends the session the refresh token belongs to. False when there was none to end. */
  async logout(refreshToken: string): Promise<boolean> {
    if (refreshToken.length > MAX_TOKEN_LENGTH) return false;
    const stored = await this.prisma.refreshToken.findUnique({
      where: { tokenHash: hashRefreshToken(refreshToken) },
      select: { sessionId: true, session: { select: { userId: true } } },
    });
    if (!stored) return false;
    const ended = await this.prisma.session.updateMany({
      where: { id: stored.sessionId, revokedAt: null },
      data: { revokedAt: new Date() },
    });
    if (ended.count === 0) return false;
    this.closeSockets({ userId: stored.session.userId, sessionIds: [stored.sessionId], reason: 'SESSION_REVOKED' });
    return true;
  }

  /**
   * Closes the sockets of ended sessions on every instance, at once (4403, the
   * reason as close text). graphql-ws' client retries 4403 with fresh
   * connectionParams, and a session that really ended then gets 4401, final.
   */
  closeSockets(payload: SocketsToClosePayload): void {
    this.pubsub.publish(AuthTopic.SocketsToClose, EVERY_INSTANCE, payload);
  }

  /** Keeps the caller's session; every other session of the user ends. */
  async changePassword(viewer: Viewer, currentPassword: string, newPassword: string): Promise<boolean> {
    const user = await this.prisma.user.findUniqueOrThrow({ where: { id: viewer.id }, select: { passwordHash: true } });
    if (currentPassword.length > 1024 || !(await verifyPassword(user.passwordHash, currentPassword))) {
      throw badInput('Current password is wrong', 'currentPassword');
    }
    checkPassword(newPassword, 'newPassword');
    if (newPassword === currentPassword) throw badInput('The new password must differ from the current one', 'newPassword');
    const passwordHash = await hashPassword(newPassword);
    const now = new Date();
    await this.prisma.$transaction([
      this.prisma.user.update({ where: { id: viewer.id }, data: { passwordHash } }),
      this.prisma.session.updateMany({
        where: { userId: viewer.id, id: { not: viewer.sessionId }, revokedAt: null },
        data: { revokedAt: now },
      }),
    ]);
    this.closeSockets({ userId: viewer.id, sessionIds: null, exceptSessionId: viewer.sessionId, reason: 'SESSION_REVOKED' });
    return true;
  }

  /**
   * Asks a signed-in user for their password again (deleteAccount): a wrong one
   * is BAD_USER_INPUT on `field`, as changePassword answers, and counts
   * against the account's sign-in lockout, so a stolen access token cannot
   * guess the password here faster than at login; the per-IP sign-in budget
   * (RATE_LIMIT_AUTH) is spent too.
   */
  async confirmPassword(viewer: Viewer, password: string, client: ClientInfo, field = 'password'): Promise<void> {
    await this.limits.auth.consume(`ip:${client.ip}`);
    const user = await this.prisma.user.findUnique({ where: { id: viewer.id }, select: { username: true, passwordHash: true, deletedAt: true } });
    if (!user || user.deletedAt !== null) throw unauthenticated();
    await this.limits.logins.check(user.username);
    if (password.length > 1024 || !(await verifyPassword(user.passwordHash, password))) {
      await this.limits.logins.failed(user.username);
      throw badInput('The password is wrong', field);
    }
    await this.limits.logins.succeeded(user.username);
  }

  /**
   * Turns a bearer token into a viewer, checking what a JWT alone cannot: that
   * the session is still open and the account still active.
   */
  async authenticate(accessToken: string): Promise<Viewer> {
    if (accessToken.length > MAX_TOKEN_LENGTH) throw new AuthFailureError('invalid');
    let claims: AccessClaims;
    try {
      claims = this.tokens.verifyAccess(accessToken);
    } catch (error) {
      if (error instanceof InvalidTokenError) throw new AuthFailureError(error.reason);
      throw error;
    }
    return this.viewerOfSession(claims.sub, claims.sid);
  }

  /**
   * The viewer of a live session as the database says now: role included, so
   * a socket that authenticated an hour ago acts with today's rights. Throws
   * AuthFailureError when the session ended or the account was deactivated.
   * The access token's expiry is not checked here: a socket follows its
   * session, not the token it connected with.
   */
  async viewerOfSession(userId: string, sessionId: string): Promise<Viewer> {
    // One statement on every request: the session and its user, joined.
    const [session] = await this.prisma.$queryRaw<{ userId: string; revoked: boolean; active: boolean; role: Role }[]>`
      SELECT s."userId"::text AS "userId", s."revokedAt" IS NOT NULL AS "revoked", u."active", u."role"::text AS "role"
      FROM "Session" s JOIN "User" u ON u."id" = s."userId"
      WHERE s."id" = ${sessionId}::uuid`;
    if (!session || session.userId !== userId || session.revoked) throw new AuthFailureError('revoked');
    if (!session.active) throw new AuthFailureError('deactivated');
    return { id: userId, role: session.role, sessionId };
  }

  /** Of these sessions, those that must not stay connected, and why. */
  async staleSessions(sessionIds: string[]): Promise<Map<string, 'revoked' | 'deactivated'>> {
    const rows = await this.prisma.$queryRaw<{ id: string; revoked: boolean; active: boolean }[]>`
      SELECT s."id"::text AS "id", s."revokedAt" IS NOT NULL AS "revoked", u."active"
      FROM "Session" s JOIN "User" u ON u."id" = s."userId"
      WHERE s."id" = ANY(${[...new Set(sessionIds)]}::uuid[]) AND (s."revokedAt" IS NOT NULL OR NOT u."active")`;
    return new Map(rows.map((row) => [row.id, row.active ? 'revoked' : 'deactivated']));
  }

  /**
   * Makes the account named by ADMIN_USERNAME/ADMIN_PASSWORD exist as an active
   * admin with that password (created, or promoted and its password reset).
   */
  async ensureAdmin(rawUsername: string, password: string): Promise<UserRecord> {
    const username = normalizeUsername(rawUsername);
    checkPassword(password, 'ADMIN_PASSWORD');
    const passwordHash = await hashPassword(password);
    const { user, promoted, endedSessions } = await ensureAdminAccount(this.prisma, username, passwordHash);
    if (promoted) {
      // Whoever registered the name first may hold a session: it must not become an admin session.
      this.closeSockets({ userId: user.id, sessionIds: null, reason: 'SESSION_REVOKED' });
      this.logger.warn(
        { userId: user.id, username, endedSessions },
        'ADMIN_USERNAME named an existing account: promoted it, set its password and ended all its sessions',
      );
    } else {
      this.logger.info({ userId: user.id, username }, 'admin account ensured');
    }
    return user;
  }

  /** A new session for an account whose credentials were checked (or a test factory's account): its first token pair. */
  async startSession(user: UserRecord): Promise<AuthResult> {
    const refresh = this.tokens.mintRefresh();
    const session = await this.prisma.session.create({
      data: {
        userId: user.id,
        expiresAt: refresh.expiresAt,
        refreshTokens: { create: { tokenHash: refresh.hash, expiresAt: refresh.expiresAt } },
      },
      select: { id: true },
    });
    return {
      accessToken: this.tokens.signAccess({ sub: user.id, sid: session.id }),
      refreshToken: refresh.token,
      expiresIn: this.tokens.accessTtlSeconds,
      user,
    };
  }
}

/**
 * Creates the admin account, or makes an existing account of that name an
 * active admin with this password. Promoting an account that was not an admin
 * ends all its sessions in the same transaction: registration is open, so the
 * name may have been taken by someone else before the operator set it.
 */
export async function ensureAdminAccount(
  prisma: PrismaClient,
  username: string,
  passwordHash: string,
): Promise<{ user: UserRecord; promoted: boolean; endedSessions: number }> {
  // The operator names the admin: a deleted account holding the name lets go of it at once.
  await releaseUsername(prisma, username, 'any');
  return prisma.$transaction(async (tx) => {
    const existing = await tx.user.findUnique({ where: { username }, select: { id: true, role: true } });
    if (!existing) {
      const user = await tx.user.create({ data: { username, displayName: username, passwordHash, role: 'ADMIN' }, select: USER_SELECT });
      return { user, promoted: false, endedSessions: 0 };
    }
    const user = await tx.user.update({ where: { id: existing.id }, data: { passwordHash, role: 'ADMIN', active: true }, select: USER_SELECT });
    if (existing.role === 'ADMIN') return { user, promoted: false, endedSessions: 0 };
    const ended = await tx.session.updateMany({ where: { userId: existing.id, revokedAt: null }, data: { revokedAt: new Date() } });
    return { user, promoted: true, endedSessions: ended.count };
  });
}

/**
 * Frees a username a deleted account holds: its tombstone row (kept so its
 * messages keep a sender) is renamed to `~` and its id in base64, a name no
 * registration can take (usernames are a–z, 0–9, `_` and `.`). `reserved`:
 * only once the account was deleted USERNAME_RESERVED_DAYS ago; `any`: at
 * once. Done when the name is wanted, so no periodic job is needed. True when
 * a row let go of the name.
 */
export async function releaseUsername(prisma: Pick<PrismaClient, '$executeRaw'>, username: string, which: 'reserved' | 'any'): Promise<boolean> {
  const before = which === 'any' ? new Date() : new Date(Date.now() - USERNAME_RESERVED_DAYS * 24 * 3600 * 1000);
  const renamed = await prisma.$executeRaw`
    UPDATE "User" SET "username" = '~' || encode(uuid_send("id"), 'base64')
    WHERE "username" = ${username} AND "deletedAt" IS NOT NULL AND "deletedAt" <= ${before}`;
  return renamed > 0;
}
