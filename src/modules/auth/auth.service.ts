import DataLoader from 'dataloader';
import type { Sql } from '../../db/sql.js';
import type { PrismaClient } from '../../generated/prisma/client.js';
import type { Role } from '../../generated/prisma/enums.js';
import { AuthReason, badInput, conflict, forbidden, isUniqueViolation, notFound, unauthenticated } from '../../lib/errors.js';
import type { Logger } from '../../lib/logger.js';
import type { RateLimits } from '../../lib/rate-limits.js';
import { isUuid } from '../../lib/text.js';
import type { AuthFailure, Viewer } from '../../lib/viewer.js';
import type { PubSub } from '../../realtime/pubsub.js';
import { USER_SELECT, checkPassword, cleanDisplayName, normalizeUsername, type UserRecord } from '../users/index.js';
import { burnPasswordCheck, hashPassword, verifyPassword } from './auth.passwords.js';
import { RECOVERY_CODE_COUNT, hashRecoveryCode, newRecoveryCode } from './auth.recovery.js';
import { InvalidTokenError, hashRefreshToken, type AccessClaims, type TokenIssuer } from './auth.tokens.js';
import type { LoginInput, RegisterInput } from './auth.types.js';
import { AuthTopic, type SocketsToClosePayload } from './auth.topics.js';
import { EVERY_INSTANCE } from '../../realtime/pubsub.js';

export interface AuthResult {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
  user: UserRecord;
  /** An admin set a temporary password: only changePassword (and me) work until it is changed. */
  mustChangePassword: boolean;
}

/** A live session as mySessions shows it. */
export interface SessionRecord {
  id: string;
  current: boolean;
  createdAt: Date;
  lastUsedAt: Date;
  userAgent: string | null;
  ip: string | null;
}

export class AuthFailureError extends Error {
  constructor(readonly failure: AuthFailure) {
    super(failure);
  }
}

const MAX_TOKEN_LENGTH = 4096;

/** What a request needs of its session: the session and its user, joined (AuthService.viewerOfSession). */
interface SessionCheckRow {
  id: string;
  userId: string;
  revoked: boolean;
  active: boolean;
  role: Role;
  mustChangePassword: boolean;
}

const SESSION_CHECK = `
  SELECT s."id"::text AS "id", s."userId"::text AS "userId", s."revokedAt" IS NOT NULL AS "revoked", u."active", u."role"::text AS "role",
    u."mustChangePassword"
  FROM "Session" s JOIN "User" u ON u."id" = s."userId"
  WHERE s."id" = ANY($1::uuid[])`;

/** How long a deleted account's username stays reserved (deleteAccount), in days. */
export const USERNAME_RESERVED_DAYS = 30;

/**
 * Live sessions one account may hold. A sign-in beyond it ends the session
 * unused the longest, so mySessions stays a short list and a leaked password
 * cannot pile up sessions without bound.
 */
export const MAX_SESSIONS_PER_USER = 50;

/** Who is calling: the address for per-IP limits; both are kept on a new session (mySessions). */
export interface ClientInfo {
  ip: string;
  /** The User-Agent header, as sent. */
  userAgent?: string | null;
}

/** Options for {@link AuthService}. */
export interface AuthServiceOptions {
  /** REFRESH_GRACE_SECONDS: how long a rotated refresh token still answers a retry (30; 0 is off). */
  refreshGraceSeconds?: number;
}

export class AuthService {
  /**
   * Session checks asked for in one turn of the event loop go as one
   * statement: a reconnect storm (every socket of an instance that restarted)
   * or a burst of requests pays one round trip, not one each. Never cached: each
   * check reads the session as the database says now.
   */
  readonly #sessionChecks = new DataLoader<string, SessionCheckRow | null>(
    async (sessionIds) => {
      const rows = await this.sql.query<SessionCheckRow>(SESSION_CHECK, [sessionIds], 'payamak_session_check');
      const byId = new Map(rows.map((row) => [row.id, row]));
      return sessionIds.map((id) => byId.get(id) ?? null);
    },
    { cache: false, batchScheduleFn: (dispatch) => setImmediate(dispatch), maxBatchSize: 1000 },
  );

  constructor(
    private readonly prisma: PrismaClient,
    /** For the session check every request makes (src/db/sql.ts). */
    private readonly sql: Sql,
    private readonly tokens: TokenIssuer,
    private readonly limits: RateLimits,
    private readonly logger: Logger,
    private readonly pubsub: PubSub,
    private readonly options: AuthServiceOptions = {},
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
    return this.startSession(user, client);
  }

  async login(input: LoginInput, client: ClientInfo): Promise<AuthResult> {
    await this.limits.auth.consume(`ip:${client.ip}`);
    const username = input.username.trim().toLowerCase();
    if (input.password.length > 1024 || username.length > 64) throw unauthenticated(AuthReason.INVALID_CREDENTIALS);
    await this.limits.logins.check(username);
    const found = await this.prisma.user.findUnique({ where: { username }, select: { ...USER_SELECT, passwordHash: true, mustChangePassword: true } });
    // A deleted account answers as no account does (its password is gone too).
    if (!found || found.deletedAt !== null) {
      await burnPasswordCheck(input.password);
      await this.limits.logins.failed(username);
      throw unauthenticated(AuthReason.INVALID_CREDENTIALS);
    }
    const { passwordHash, mustChangePassword, ...user } = found;
    if (!(await verifyPassword(passwordHash, input.password))) {
      await this.limits.logins.failed(username);
      throw unauthenticated(AuthReason.INVALID_CREDENTIALS);
    }
    await this.limits.logins.succeeded(username);
    // Said only to someone who knows the password, so it reveals nothing to a guesser.
    if (!user.active) throw forbidden('This account is deactivated', { reason: AuthReason.ACCOUNT_DEACTIVATED });
    return this.startSession(user, client, mustChangePassword);
  }

  /**
   * Exchanges a refresh token for a new pair. Each token works once: presenting
   * a rotated token again means it was stolen (or the client is confused), so
   * the whole session is revoked (REFRESH_REUSED) and both parties must sign in
   * again. Except within REFRESH_GRACE_SECONDS of its rotation, while the pair
   * it was exchanged for is still unused: then the answer was most likely lost
   * on a flaky network and this is the client's retry, so it gets a new pair
   * of the same session and the unused one is discarded (presenting that later
   * is reuse). The grace counts from the first rotation, so retries cannot
   * stretch it. A token we know spends its session's budget (RATE_LIMIT_REFRESH);
   * one we do not, the caller's address's sign-in budget (RATE_LIMIT_AUTH).
   */
  async refresh(refreshToken: string, client: ClientInfo): Promise<AuthResult> {
    const stored =
      refreshToken.length > MAX_TOKEN_LENGTH
        ? null
        : await this.prisma.refreshToken.findUnique({
            where: { tokenHash: hashRefreshToken(refreshToken) },
            select: {
              id: true,
              expiresAt: true,
              session: { select: { id: true, revokedAt: true, user: { select: { ...USER_SELECT, mustChangePassword: true } } } },
            },
          });
    if (!stored) {
      await this.limits.auth.consume(`ip:${client.ip}`);
      throw unauthenticated(AuthReason.TOKEN_INVALID, 'Refresh token is invalid');
    }
    const { session } = stored;
    await this.limits.refresh.consume(`session:${session.id}`);
    const { mustChangePassword, ...user } = session.user;
    if (!user.active) throw unauthenticated(AuthReason.ACCOUNT_DEACTIVATED);
    if (session.revokedAt) throw unauthenticated(AuthReason.SESSION_REVOKED);
    const now = new Date();
    if (stored.expiresAt <= now) throw unauthenticated(AuthReason.TOKEN_EXPIRED, 'Refresh token expired; sign in again');

    const next = this.tokens.mintRefresh();
    const graceMs = (this.options.refreshGraceSeconds ?? 30) * 1000;
    const outcome = await this.prisma.$transaction(async (tx) => {
      // The session's row lock puts its refreshes in a line: a retry waits for
      // the request it repeats, then sees what that one did.
      const [locked] = await tx.$queryRaw<{ revoked: boolean }[]>`
        SELECT "revokedAt" IS NOT NULL AS "revoked" FROM "Session" WHERE "id" = ${session.id}::uuid FOR UPDATE`;
      if (!locked || locked.revoked) return 'revoked' as const;
      const token = await tx.refreshToken.findUniqueOrThrow({ where: { id: stored.id }, select: { rotatedAt: true, successorId: true, discardedAt: true } });
      if (token.discardedAt) return 'reused' as const;
      if (token.rotatedAt) {
        if (now.getTime() - token.rotatedAt.getTime() > graceMs || !token.successorId) return 'reused' as const;
        const successor = await tx.refreshToken.findUnique({ where: { id: token.successorId }, select: { rotatedAt: true, discardedAt: true } });
        // Its pair was used: the client got that answer, so this is someone else.
        if (!successor || successor.rotatedAt || successor.discardedAt) return 'reused' as const;
        await tx.refreshToken.update({ where: { id: token.successorId }, data: { discardedAt: now } });
      }
      const created = await tx.refreshToken.create({ data: { sessionId: session.id, tokenHash: next.hash, expiresAt: next.expiresAt }, select: { id: true } });
      await tx.refreshToken.update({ where: { id: stored.id }, data: { rotatedAt: token.rotatedAt ?? now, successorId: created.id } });
      await tx.session.update({ where: { id: session.id }, data: { lastUsedAt: now, expiresAt: next.expiresAt } });
      return token.rotatedAt ? ('retried' as const) : ('rotated' as const);
    });
    if (outcome === 'revoked') throw unauthenticated(AuthReason.SESSION_REVOKED);
    if (outcome === 'reused') {
      const ended = await this.prisma.session.updateMany({ where: { id: session.id, revokedAt: null }, data: { revokedAt: now } });
      if (ended.count > 0) this.closeSockets({ userId: user.id, sessionIds: [session.id], reason: 'SESSION_REVOKED' });
      this.logger.warn({ userId: user.id, sessionId: session.id }, 'refresh token reused; session revoked');
      throw unauthenticated(AuthReason.REFRESH_REUSED);
    }
    if (outcome === 'retried') this.logger.info({ userId: user.id, sessionId: session.id }, 'refresh retried within the grace');
    return {
      accessToken: this.tokens.signAccess({ sub: user.id, sid: session.id }),
      refreshToken: next.token,
      expiresIn: this.tokens.accessTtlSeconds,
      user,
      mustChangePassword,
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
      this.prisma.user.update({ where: { id: viewer.id }, data: { passwordHash, mustChangePassword: false } }),
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
    if (!user || user.deletedAt !== null) throw unauthenticated(AuthReason.SESSION_REVOKED);
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
    // Our own signed tokens carry the id; a malformed one must not fail the batch it would join.
    const session = isUuid(sessionId) ? await this.#sessionChecks.load(sessionId) : null;
    if (!session || session.userId !== userId || session.revoked) throw new AuthFailureError('revoked');
    if (!session.active) throw new AuthFailureError('deactivated');
    return session.mustChangePassword ? { id: userId, role: session.role, sessionId, mustChangePassword: true } : { id: userId, role: session.role, sessionId };
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

  /**
   * A new session for an account whose credentials were checked (or a test
   * factory's account): its first token pair. Past MAX_SESSIONS_PER_USER live
   * sessions, the one unused the longest ends (and its sockets close).
   */
  async startSession(user: UserRecord, client?: ClientInfo, mustChangePassword = false): Promise<AuthResult> {
    const refresh = this.tokens.mintRefresh();
    const session = await this.prisma.session.create({
      data: {
        userId: user.id,
        expiresAt: refresh.expiresAt,
        userAgent: cleanUserAgent(client?.userAgent),
        ip: client ? client.ip.slice(0, 64) : null,
        refreshTokens: { create: { tokenHash: refresh.hash, expiresAt: refresh.expiresAt } },
      },
      select: { id: true },
    });
    const evicted = await this.prisma.$queryRaw<{ id: string }[]>`
      UPDATE "Session" SET "revokedAt" = now()
      WHERE "id" IN (
        SELECT "id" FROM "Session"
        WHERE "userId" = ${user.id}::uuid AND "revokedAt" IS NULL AND "expiresAt" > now()
        ORDER BY "lastUsedAt" DESC, "createdAt" DESC
        OFFSET ${MAX_SESSIONS_PER_USER})
      RETURNING "id"::text AS "id"`;
    if (evicted.length > 0) {
      this.closeSockets({ userId: user.id, sessionIds: evicted.map((row) => row.id), reason: 'SESSION_REVOKED' });
      this.logger.info({ userId: user.id, ended: evicted.length }, 'sessions over the cap ended');
    }
    return {
      accessToken: this.tokens.signAccess({ sub: user.id, sid: session.id }),
      refreshToken: refresh.token,
      expiresIn: this.tokens.accessTtlSeconds,
      user,
      mustChangePassword,
    };
  }

  /** The viewer's live sessions (not ended, not expired), newest first: at most MAX_SESSIONS_PER_USER. */
  async sessions(viewer: Viewer): Promise<SessionRecord[]> {
    const rows = await this.prisma.session.findMany({
      where: { userId: viewer.id, revokedAt: null, expiresAt: { gt: new Date() } },
      select: { id: true, createdAt: true, lastUsedAt: true, userAgent: true, ip: true },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: MAX_SESSIONS_PER_USER,
    });
    return rows.map((row) => ({ ...row, current: row.id === viewer.sessionId }));
  }

  /**
   * Ends one of the viewer's sessions: its tokens stop working and its sockets
   * close at once (4403 SESSION_REVOKED); the current one works as logout.
   * False when it had already ended; someone else's is NOT_FOUND.
   */
  async revokeSession(viewer: Viewer, sessionId: string): Promise<boolean> {
    const session = isUuid(sessionId) ? await this.prisma.session.findUnique({ where: { id: sessionId }, select: { userId: true } }) : null;
    if (!session || session.userId !== viewer.id) throw notFound('Session');
    const ended = await this.prisma.session.updateMany({
      where: { id: sessionId, revokedAt: null, expiresAt: { gt: new Date() } },
      data: { revokedAt: new Date() },
    });
    if (ended.count === 0) return false;
    this.closeSockets({ userId: viewer.id, sessionIds: [sessionId], reason: 'SESSION_REVOKED' });
    return true;
  }

  /**
   * A new set of RECOVERY_CODE_COUNT single-use codes, replacing any earlier
   * set; only their hashes are kept, so this answer is the only time they are
   * seen. The password is asked again as deleteAccount asks it.
   */
  async createRecoveryCodes(viewer: Viewer, password: string, client: ClientInfo): Promise<string[]> {
    await this.confirmPassword(viewer, password, client);
    const codes = Array.from({ length: RECOVERY_CODE_COUNT }, newRecoveryCode);
    await this.prisma.$transaction([
      this.prisma.recoveryCode.deleteMany({ where: { userId: viewer.id } }),
      this.prisma.recoveryCode.createMany({ data: codes.map((code) => ({ userId: viewer.id, codeHash: hashRecoveryCode(code)! })) }),
    ]);
    this.logger.info({ userId: viewer.id }, 'recovery codes created');
    return codes;
  }

  /**
   * Signed out: a recovery code sets a new password (the rules of register)
   * and ends every session of the account. Budgeted like sign-in: the
   * address's RATE_LIMIT_AUTH, and the account's lockout, which wrong codes
   * feed as wrong passwords do. A code works once; a wrong username and a
   * wrong code answer alike (INVALID_CREDENTIALS).
   */
  async resetPasswordWithRecoveryCode(username: string, code: string, newPassword: string, client: ClientInfo): Promise<boolean> {
    await this.limits.auth.consume(`ip:${client.ip}`);
    const name = username.trim().toLowerCase();
    const refused = () => unauthenticated(AuthReason.INVALID_CREDENTIALS, 'Wrong username or recovery code');
    if (name.length > 64) throw refused();
    const password = checkPassword(newPassword, 'newPassword');
    await this.limits.logins.check(name);
    const codeHash = hashRecoveryCode(code);
    const user = await this.prisma.user.findUnique({ where: { username: name }, select: { id: true, active: true, deletedAt: true } });
    const held =
      codeHash !== null && user && user.deletedAt === null
        ? await this.prisma.recoveryCode.findFirst({ where: { userId: user.id, codeHash, usedAt: null }, select: { id: true } })
        : null;
    if (!user || !held) {
      await this.limits.logins.failed(name);
      throw refused();
    }
    await this.limits.logins.succeeded(name);
    // Said only to someone holding a code, as login says it only to someone holding the password.
    if (!user.active) throw forbidden('This account is deactivated', { reason: AuthReason.ACCOUNT_DEACTIVATED });
    const passwordHash = await hashPassword(password);
    const now = new Date();
    await this.prisma.$transaction(async (tx) => {
      // Taken under its guard, so two racing resets with one code cannot both pass.
      const used = await tx.recoveryCode.updateMany({ where: { id: held.id, usedAt: null }, data: { usedAt: now } });
      if (used.count === 0) throw refused();
      await tx.user.update({ where: { id: user.id }, data: { passwordHash, mustChangePassword: false } });
      await tx.session.updateMany({ where: { userId: user.id, revokedAt: null }, data: { revokedAt: now } });
    });
    this.closeSockets({ userId: user.id, sessionIds: null, reason: 'SESSION_REVOKED' });
    this.logger.info({ userId: user.id }, 'password reset with a recovery code; every session ended');
    return true;
  }
}

/** The User-Agent to keep: control characters dropped, at most 256 characters; null when nothing is left. */
function cleanUserAgent(raw: string | null | undefined): string | null {
  if (typeof raw !== 'string') return null;
  const cleaned = raw
    .replace(/[\u0000-\u001f\u007f-\u009f]/g, '')
    .trim()
    .slice(0, 256);
  return cleaned === '' ? null : cleaned;
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
