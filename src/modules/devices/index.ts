import type { DeviceLoaders } from './devices.loaders.js';
import type { DevicesService } from './devices.service.js';

// What this module adds to every resolver's context (graphql/context.ts).
declare module '../../graphql/context.js' {
  interface Services {
    devices: DevicesService;
  }
  interface Loaders extends DeviceLoaders {}
}

export { Device, DevicePlatform, PushContent, RegisterDeviceInput, type DeviceRecord } from './device.types.js';
export { DevicesService, MAX_DEVICES } from './devices.service.js';
export { DevicesResolver, SessionDevicesResolver } from './devices.resolver.js';
export { createDeviceLoaders, type DeviceLoaders } from './devices.loaders.js';
export { defineDeviceJobs, queuedPushJobs } from './devices.jobs.js';
export {
  PushDelivery,
  type PushDeliveryOptions,
  type PushFlush,
  type PushJobs,
  type PushPlatformStats,
  type PushRetry,
} from './push-delivery.js';
export { type DevicePush, type PushNotice, apnsRequest, fcmMessage, webPushPayload } from './push-payloads.js';
export type { DeviceTarget, PlatformSender, SendOutcome } from './push-sender.js';
export { ApnsSender, type ApnsSenderOptions } from './apns.js';
export { FcmSender, type FcmSenderOptions, type ServiceAccountKey } from './fcm.js';
export { loadNativeSenders } from './push-credentials.js';
export { WebPushPlatform, WebPushSender, loadVapidKeys, type PushSender, type PushOptions, type VapidKeys } from './web-push.js';
export {
  PushEndpointGuard,
  PushEndpointRefusedError,
  type CheckedPushEndpoint,
  type PushEndpointGuardOptions,
  type PushEndpointLookup,
} from './push-endpoint.js';
