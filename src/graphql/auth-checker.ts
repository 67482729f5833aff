import { Extensions, type AuthChecker } from 'type-graphql';
import { AuthReason, PASSWORD_CHANGE_REQUIRED, forbidden, unauthenticated } from '../lib/errors.js';
import { REASON_OF_FAILURE } from '../lib/viewer.js';
import type { Context } from './context.js';

const FAILURE_MESSAGES = {
  expired: 'Access token expired; refresh it',
  invalid: 'Access token is invalid',
  revoked: 'This session has ended; sign in again',
  deactivated: 'This account is deactivated',
} as const;

/** The field extension {@link AllowedDuringPasswordChange} sets. */
const DURING_PASSWORD_CHANGE = 'allowedDuringPasswordChange';

/**
 * Marks a root field a viewer who must change their password (an admin reset
 * it, adminResetPassword) may still call; every other `@Authorized` root field
 * answers FORBIDDEN with `extensions.reason` PASSWORD_CHANGE_REQUIRED. Public
 * fields (login, refreshToken, logout) need no mark: the checker never runs for them.
 */
export const AllowedDuringPasswordChange = () => Extensions({ [DURING_PASSWORD_CHANGE]: true });

/**
 * `@Authorized()` needs a viewer; `@Authorized('ADMIN')` needs that role. Throws
 * instead of returning false so the client gets our codes, not type-graphql's.
 */
export const authChecker: AuthChecker<Context> = ({ context, info }, roles) => {
  const { viewer, authFailure } = context;
  if (!viewer) {
    throw authFailure ? unauthenticated(REASON_OF_FAILURE[authFailure], FAILURE_MESSAGES[authFailure]) : unauthenticated(AuthReason.TOKEN_INVALID);
  }
  // Root fields only: what `me` selects is checked as part of `me`.
  if (viewer.mustChangePassword && info.path.prev === undefined && info.parentType.getFields()[info.fieldName]?.extensions?.[DURING_PASSWORD_CHANGE] !== true) {
    throw forbidden('Change your password first: an admin set a temporary one', { reason: PASSWORD_CHANGE_REQUIRED });
  }
  if (roles.length > 0 && !roles.includes(viewer.role)) throw forbidden('Admins only');
  return true;
};
