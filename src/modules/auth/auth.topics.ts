/**
 * The events of sessions: its payloads are plain JSON (dates as ISO strings), so the
 * Redis pub/sub carries them unchanged.
 */
import { topic } from '../../realtime/pubsub.js';

export interface SocketsToClosePayload {
  userId: string;
  /** The sessions whose sockets close; null for all of the user's. */
  sessionIds: string[] | null;
  /** Sockets of this session stay open (a password change keeps the caller's own). */
  exceptSessionId?: string | null;
  /** Sent as the close reason, so the client can tell why. */
  reason: 'SESSION_REVOKED' | 'ACCOUNT_DEACTIVATED' | 'ROLE_CHANGED';
}

export const AuthTopic = {
  /**
   * Sockets to close on every instance: a session ended, an account was
   * deactivated or a role changed. Published to EVERY_INSTANCE, not to a user.
   */
  SocketsToClose: topic<SocketsToClosePayload>('SOCKETS_TO_CLOSE'),
} as const;
