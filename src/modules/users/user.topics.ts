/**
 * The events of users: its payloads are plain JSON (dates as ISO strings), so the
 * Redis pub/sub carries them unchanged.
 */
import { topic } from '../../realtime/pubsub.js';

export interface PresencePayload {
  userId: string;
  status: 'ONLINE' | 'OFFLINE';
  lastSeenAt: string | null;
}

export const UserTopic = {
  /** Online and offline: to the people who share a chat with the user. */
  Presence: topic<PresencePayload>('PRESENCE'),
} as const;
