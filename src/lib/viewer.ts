import type { Role } from '../generated/prisma/enums.js';
import { AuthReason } from './errors.js';

/** Who is making a request, established from a verified access token. */
export interface Viewer {
  readonly id: string;
  readonly role: Role;
  /** The session (device) the access token belongs to. */
  readonly sessionId: string;
  /**
   * An admin set a temporary password (adminResetPassword): until
   * changePassword, only the operations marked for it run (graphql/auth-checker.ts).
   * Absent: false.
   */
  readonly mustChangePassword?: boolean;
}

export const isAdmin = (viewer: Viewer | null): boolean => viewer?.role === 'ADMIN';

/** Why a presented access token gave no viewer (the auth checker turns it into a message). */
export type AuthFailure = 'expired' | 'invalid' | 'revoked' | 'deactivated';

/** The `extensions.reason` (and WebSocket close reason) of each failure. */
export const REASON_OF_FAILURE: Record<AuthFailure, AuthReason> = {
  expired: AuthReason.TOKEN_EXPIRED,
  invalid: AuthReason.TOKEN_INVALID,
  revoked: AuthReason.SESSION_REVOKED,
  deactivated: AuthReason.ACCOUNT_DEACTIVATED,
};
