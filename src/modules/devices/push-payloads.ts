/**
 * What a push looks like on the wire, per platform and per device's
 * `content` (README, "Mobile apps", shows each). Pure functions: the senders
 * add transport (HTTP/2, OAuth, encryption) and nothing else.
 */
import type { PushContent } from './device.types.js';

/** What notifications asks to be pushed, the same for every device of every platform. */
export interface PushNotice {
  /** A NotificationType: NEW_MESSAGE, MENTION, REACTION, ADDED_TO_GROUP, … */
  type: string;
  title: string;
  body: string;
  /** Ids to open the right screen: chatId, messageId, seq. */
  data: Record<string, string | number>;
  /** A later push with the same key replaces an earlier one still shown or undelivered: a chat's id, or a message's. */
  collapseKey?: string;
  urgency: 'high' | 'normal';
  ttlSeconds: number;
}

/** One device's push: a notice as its content setting shows it, or the silent "cleared" after a read elsewhere. */
export type DevicePush =
  | {
      kind: 'notice';
      notice: PushNotice;
      content: PushContent;
      /** NEW_MESSAGE: the chat's messages pushed to this device since it was last read (coalesced bursts included). */
      count: number | null;
      /** The user's unread messages (me.unread.messages), for the app icon. */
      badge: number;
    }
  | { kind: 'cleared'; chatId: string; badge: number };

/** HIDDEN shows only this: nothing of who or what. */
export function hiddenText(type: string): string {
  return type === 'NEW_MESSAGE' || type === 'MENTION' || type === 'REACTION' ? 'New message' : 'New notification';
}

/** The ids and counters every app may rely on, flat. */
function ids(push: Extract<DevicePush, { kind: 'notice' }>): Record<string, string | number> {
  return { type: push.notice.type, ...push.notice.data, ...(push.count === null ? {} : { count: push.count }) };
}

export interface ApnsRequest {
  headers: Record<string, string>;
  payload: object;
}

/**
 * APNs (HTTP/2 provider API): an alert, or for "cleared" a background push
 * (content-available, priority 5, which Apple requires for background pushes).
 */
export function apnsRequest(push: DevicePush, topic: string, now = Date.now()): ApnsRequest {
  if (push.kind === 'cleared') {
    return {
      headers: { 'apns-push-type': 'background', 'apns-priority': '5', 'apns-topic': topic, 'apns-expiration': String(Math.floor(now / 1000) + 3600) },
      payload: { aps: { 'content-available': 1, badge: push.badge }, type: 'cleared', chatId: push.chatId },
    };
  }
  const { notice } = push;
  const headers: Record<string, string> = {
    'apns-push-type': 'alert',
    'apns-priority': notice.urgency === 'high' ? '10' : '5',
    'apns-topic': topic,
    'apns-expiration': String(Math.floor(now / 1000) + notice.ttlSeconds),
  };
  if (notice.collapseKey) headers['apns-collapse-id'] = notice.collapseKey;
  const chatId = notice.data['chatId'];
  switch (push.content) {
    case 'FULL':
      return {
        headers,
        payload: {
          aps: { alert: { title: notice.title, body: notice.body }, badge: push.badge, sound: 'default', ...(chatId ? { 'thread-id': String(chatId) } : {}) },
          ...ids(push),
        },
      };
    case 'HIDDEN':
      return { headers, payload: { aps: { alert: { body: hiddenText(notice.type) }, badge: push.badge, sound: 'default' }, type: notice.type } };
    case 'IDS_ONLY':
      // mutable-content wakes the app's notification service extension, which fetches and shows the message;
      // the body is what iOS shows should the extension fail.
      return {
        headers,
        payload: { aps: { alert: { body: hiddenText(notice.type) }, badge: push.badge, sound: 'default', 'mutable-content': 1 }, ...ids(push) },
      };
  }
}

/** FCM HTTP v1: the `message` of messages:send. Data values are strings (FCM requires it). */
export function fcmMessage(push: DevicePush, token: string): object {
  if (push.kind === 'cleared') {
    return { token, data: strings({ type: 'cleared', chatId: push.chatId, badge: push.badge }), android: { priority: 'NORMAL', ttl: '3600s' } };
  }
  const { notice } = push;
  const android = {
    priority: notice.urgency === 'high' ? 'HIGH' : 'NORMAL',
    ttl: `${notice.ttlSeconds}s`,
    ...(notice.collapseKey ? { collapse_key: notice.collapseKey } : {}),
  };
  const shown = { ...(notice.collapseKey ? { tag: notice.collapseKey } : {}), notification_count: push.badge };
  switch (push.content) {
    case 'FULL':
      return {
        token,
        notification: { title: notice.title, body: notice.body },
        data: strings({ ...ids(push), badge: push.badge }),
        android: { ...android, notification: shown },
      };
    case 'HIDDEN':
      return {
        token,
        notification: { body: hiddenText(notice.type) },
        data: strings({ type: notice.type, badge: push.badge }),
        android: { ...android, notification: shown },
      };
    case 'IDS_ONLY':
      // A data message: the app is woken and shows what it fetched.
      return { token, data: strings({ ...ids(push), badge: push.badge }), android };
  }
}

/** Web Push: the JSON the service worker's `push` event reads (encrypted to the subscription's keys). */
export function webPushPayload(push: DevicePush): object {
  if (push.kind === 'cleared') return { type: 'cleared', chatId: push.chatId, badge: push.badge };
  const { notice } = push;
  const count = push.count === null ? {} : { count: push.count };
  switch (push.content) {
    case 'FULL':
      return { type: notice.type, title: notice.title, body: notice.body, data: notice.data, ...count, badge: push.badge };
    case 'HIDDEN':
      return { type: notice.type, body: hiddenText(notice.type), badge: push.badge };
    case 'IDS_ONLY':
      return { type: notice.type, data: notice.data, ...count, badge: push.badge };
  }
}

function strings(values: Record<string, string | number>): Record<string, string> {
  return Object.fromEntries(Object.entries(values).map(([key, value]) => [key, String(value)]));
}
