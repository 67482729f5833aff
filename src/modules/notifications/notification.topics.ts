/**
 * The events of notifications: its payloads are plain JSON (dates as ISO strings), so the
 * Redis pub/sub carries them unchanged.
 */
import { topic } from '../../realtime/pubsub.js';

export interface NotificationPayload {
  id: string;
  type: string;
  title: string;
  body: string | null;
  data: string | null;
  count: number;
  read: boolean;
  createdAt: string;
  updatedAt: string;
}

export const NotificationTopic = {
  /** A notification was stored or updated: to its user. */
  Notification: topic<NotificationPayload>('NOTIFICATION'),
} as const;
