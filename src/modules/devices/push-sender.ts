import type { DevicePlatform, PushContent } from './device.types.js';
import type { DevicePush } from './push-payloads.js';

/** A device as the senders need it. */
export interface DeviceTarget {
  id: string;
  userId: string;
  sessionId: string;
  platform: DevicePlatform;
  token: string;
  appId: string | null;
  content: PushContent;
  p256dh: string | null;
  auth: string | null;
}

/**
 * How one attempt went: `gone` removes the device (the vendor says the token
 * is dead), `retry` tries again later (5xx, 429, unreachable), `failed` is
 * given up (a request the vendor will never accept).
 */
export type SendOutcome =
  | { status: 'sent' }
  | {
      status: 'gone' | 'retry' | 'failed';
      reason: string;
      /** For logs: never a token or an endpoint's path. */
      details?: Record<string, unknown>;
    };

/** Sends pushes to one platform's devices. */
export interface PlatformSender {
  send(target: DeviceTarget, push: DevicePush): Promise<SendOutcome>;
  /** Releases connections, if the sender keeps any. */
  close?(): void;
}
