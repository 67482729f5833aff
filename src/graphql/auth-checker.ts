import type { AuthChecker } from 'type-graphql';
import { forbidden, unauthenticated } from '../lib/errors.js';
import type { Context } from './context.js';

const FAILURE_MESSAGES = {
  expired: 'Access token expired; refresh it',
  invalid: 'Access token is invalid',
  revoked: 'This session has ended; sign in again',
  deactivated: 'This account is deactivated',
} as const;

/**
 * `@Authorized()` needs a viewer; `@Authorized('ADMIN')` needs that role. Throws
 * instead of returning false so the client gets our codes, not type-graphql's.
 */
export const authChecker: AuthChecker<Context> = ({ context }, roles) => {
  if (!context.viewer) {
    throw unauthenticated(context.authFailure ? FAILURE_MESSAGES[context.authFailure] : 'Sign in to do this');
  }
  if (roles.length > 0 && !roles.includes(context.viewer.role)) throw forbidden('Admins only');
  return true;
};
