/**
 * The events of notifications: its payloads are plain JSON (dates as ISO strings), so the
 * Redis pub/sub carries them unchanged.
 */
import type { Jsonify } from '../../lib/json.js';
import { topic } from '../../realtime/pubsub.js';
import type { NotificationRecord } from './notification.types.js';

/** A notification as published: its record as JSON. */
export type NotificationPayload = Jsonify<NotificationRecord>;

export const NotificationTopic = {
  /** A notification was stored or updated: to its user. */
  Notification: topic<NotificationPayload>('NOTIFICATION'),
} as const;
