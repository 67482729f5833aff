export { Notification, NotificationConnection, NotificationType, type NotificationRecord } from './notification.types.js';
export { NotificationsService, type NotificationsOptions } from './notifications.service.js';
export { PushEndpointGuard, PushEndpointRefusedError, type CheckedPushEndpoint, type PushEndpointGuardOptions, type PushEndpointLookup } from './push-endpoint.js';
export { PushDispatcher, WebPushSender, loadVapidKeys, type PushSender, type PushTarget, type PushOptions, type VapidKeys } from './push.js';
export { NotificationsResolver } from './notifications.resolver.js';
