import type { NotificationsService } from './notifications.service.js';

// What this module adds to every resolver's context (graphql/context.ts).
declare module '../../graphql/context.js' {
  interface Services {
    notifications: NotificationsService;
    /** For clients' PushManager.subscribe(). */
    vapidPublicKey: string;
  }
}

export { Notification, NotificationConnection, NotificationType, type NotificationRecord } from './notification.types.js';
export { NotificationsService, type NotificationsOptions } from './notifications.service.js';
export { defineNotificationJobs } from './notifications.jobs.js';
export { NotificationsResolver } from './notifications.resolver.js';
export { NotificationTopic, type NotificationPayload } from './notification.topics.js';
