/**
 * What a push token looks like per platform, checked before anything is
 * stored: a token goes into an APNs URL path and an FCM request body, so
 * only the characters each vendor hands out are accepted.
 */
import { isAppId } from '../../config/env.js';
import { badInput } from '../../lib/errors.js';
import type { DevicePlatform } from './device.types.js';

/** APNs device tokens are 32 bytes (64 hex characters) today; Apple says they may grow. */
const APNS_TOKEN = /^[0-9a-fA-F]{64,200}$/;
/** FCM registration tokens: ~163 characters today, of base64url, ':' and '-'. */
const FCM_TOKEN = /^[A-Za-z0-9_:-]{100,4096}$/;
const LOCALE = /^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$/;

/** The token as stored (APNs tokens in lower case); a WEB_PUSH endpoint is checked by the endpoint guard instead. */
export function checkNativeToken(platform: Exclude<DevicePlatform, 'WEB_PUSH'>, token: string): string {
  if (platform === 'APNS') {
    if (!APNS_TOKEN.test(token)) throw badInput('An APNS token is 64 to 200 hexadecimal characters', 'token');
    return token.toLowerCase();
  }
  if (!FCM_TOKEN.test(token)) throw badInput('An FCM token is 100 to 4,096 characters of A-Z, a-z, 0-9, _, : and -', 'token');
  return token;
}

export function checkAppId(appId: string | null | undefined): string | null {
  if (appId === null || appId === undefined) return null;
  if (!isAppId(appId)) throw badInput('appId must be a reverse-DNS id like com.example.chat, at most 200 characters', 'appId');
  return appId;
}

export function checkLocale(locale: string | null | undefined): string | null {
  if (locale === null || locale === undefined) return null;
  if (locale.length > 35 || !LOCALE.test(locale)) throw badInput('locale must be a BCP 47 tag like fa-IR', 'locale');
  return locale;
}

/** A Web Push key: base64url of exactly `bytes` bytes (p256dh: 65, auth: 16). */
export function checkWebPushKey(value: string | null | undefined, bytes: number, field: string): string {
  if (value === null || value === undefined) throw badInput(`${field} is required for WEB_PUSH`, field);
  if (!/^[A-Za-z0-9_-]+={0,2}$/.test(value) || Buffer.from(value, 'base64url').length !== bytes) {
    throw badInput(`${field} must be ${bytes} bytes, base64url-encoded`, field);
  }
  return value;
}
