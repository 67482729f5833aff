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
export {
  PushEndpointGuard,
  PushEndpointRefusedError,
  type CheckedPushEndpoint,
  type PushEndpointGuardOptions,
  type PushEndpointLookup,
} from './push-endpoint.js';
export { defineNotificationJobs, queuedPushRetries } from './notifications.jobs.js';
export {
  PushDispatcher,
  WebPushSender,
  loadVapidKeys,
  type PushRetries,
  type PushRetry,
  type PushSender,
  type PushTarget,
  type PushOptions,
  type VapidKeys,
} from './push.js';
export { NotificationsResolver } from './notifications.resolver.js';
export { NotificationTopic, type NotificationPayload } from './notification.topics.js';
