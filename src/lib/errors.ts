import { GraphQLError } from 'graphql';

/** The codes a client can see in `extensions.code` (docs/api-contract.md, "Conventions"). */
export const ErrorCode = {
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN',
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  NOT_FOUND: 'NOT_FOUND',
  CONFLICT: 'CONFLICT',
  RATE_LIMITED: 'RATE_LIMITED',
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  UNSUPPORTED_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  INTERNAL_SERVER_ERROR: 'INTERNAL_SERVER_ERROR',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

const CLIENT_CODES = new Set<string>(Object.values(ErrorCode));

/** An error the client caused (or may see): its message and code are shown as they are. */
export class AppError extends GraphQLError {
  constructor(code: ErrorCode, message: string, extensions: Record<string, unknown> = {}) {
    super(message, { extensions: { ...extensions, code } });
    this.name = 'AppError';
  }

  get code(): ErrorCode {
    return this.extensions['code'] as ErrorCode;
  }
}

/**
 * `extensions.reason` of every UNAUTHENTICATED error (docs/api-contract.md,
 * "Wave 2, mobile apps"), so a client decides what to do without reading the
 * message: TOKEN_EXPIRED refresh and retry; TOKEN_INVALID (none sent, or not
 * one of ours) refresh once, else sign in; SESSION_REVOKED, REFRESH_REUSED and
 * ACCOUNT_DEACTIVATED sign in (the last is refused until an admin reactivates
 * the account). INVALID_CREDENTIALS, beside the contract's five, is a wrong
 * username, password or recovery code at sign-in: show the form again.
 */
export const AuthReason = {
  TOKEN_EXPIRED: 'TOKEN_EXPIRED',
  TOKEN_INVALID: 'TOKEN_INVALID',
  SESSION_REVOKED: 'SESSION_REVOKED',
  REFRESH_REUSED: 'REFRESH_REUSED',
  ACCOUNT_DEACTIVATED: 'ACCOUNT_DEACTIVATED',
  INVALID_CREDENTIALS: 'INVALID_CREDENTIALS',
} as const;
export type AuthReason = (typeof AuthReason)[keyof typeof AuthReason];

const AUTH_REASON_MESSAGES: Record<AuthReason, string> = {
  TOKEN_EXPIRED: 'Access token expired; refresh it',
  TOKEN_INVALID: 'Sign in to do this',
  SESSION_REVOKED: 'This session has ended; sign in again',
  REFRESH_REUSED: 'Refresh token was already used; the session has been ended',
  ACCOUNT_DEACTIVATED: 'This account is deactivated',
  INVALID_CREDENTIALS: 'Wrong username or password',
};

/** UNAUTHENTICATED always says why (`extensions.reason`): the type makes every caller name one. */
export const unauthenticated = (reason: AuthReason, message = AUTH_REASON_MESSAGES[reason]) => new AppError(ErrorCode.UNAUTHENTICATED, message, { reason });
export const forbidden = (message = 'You are not allowed to do this', extensions: Record<string, unknown> = {}) =>
  new AppError(ErrorCode.FORBIDDEN, message, extensions);

/** `extensions.reason` of the FORBIDDEN answered while an admin's temporary password awaits changePassword. */
export const PASSWORD_CHANGE_REQUIRED = 'PASSWORD_CHANGE_REQUIRED';
/** `field` names the argument or input field at fault, so a form can show the error beside it. */
export const badInput = (message: string, field?: string) => new AppError(ErrorCode.BAD_USER_INPUT, message, field === undefined ? {} : { field });
export const notFound = (what: string) => new AppError(ErrorCode.NOT_FOUND, `${what} not found`);
export const conflict = (message: string, field?: string) => new AppError(ErrorCode.CONFLICT, message, field === undefined ? {} : { field });
/** `policy` names the budget that ran out (docs/api-contract.md: RATE_LIMITED carries extensions.policy). */
export const rateLimited = (retryAfterSeconds: number, policy?: string, message?: string) =>
  new AppError(ErrorCode.RATE_LIMITED, message ?? `Too many requests; retry in ${retryAfterSeconds} s`, {
    retryAfterSeconds,
    ...(policy === undefined ? {} : { policy }),
  });

/** True when the code is one of ours, i.e. safe to show the client as it is. */
export function isClientErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && CLIENT_CODES.has(code) && code !== ErrorCode.INTERNAL_SERVER_ERROR;
}

/**
 * A unique-constraint violation: Prisma's P2002, PostgreSQL's 23505 inside a
 * failed raw query (P2010), or pg's own error with that code (src/db/sql.ts).
 * Checked without importing Prisma or pg here.
 */
export function isUniqueViolation(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, meta } = error as { code?: unknown; meta?: { code?: unknown; driverAdapterError?: { cause?: { kind?: unknown } } } };
  if (code === 'P2002' || code === '23505') return true;
  return code === 'P2010' && (meta?.code === '23505' || meta?.driverAdapterError?.cause?.kind === 'UniqueConstraintViolation');
}

/** `extensions.reason` of a refusal for size: cost, depth, aliases, tokens or response size (docs/api-contract.md, "Conventions"). */
export const QUERY_TOO_COMPLEX = 'QUERY_TOO_COMPLEX';

/** A query refused for its size: BAD_USER_INPUT with `extensions.reason` QUERY_TOO_COMPLEX. */
export const queryTooComplex = (message: string, extensions: Record<string, unknown> = {}) =>
  new AppError(ErrorCode.BAD_USER_INPUT, message, { ...extensions, reason: QUERY_TOO_COMPLEX });
