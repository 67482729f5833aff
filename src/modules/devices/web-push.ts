import { readFile, writeFile, mkdir } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import webpush from 'web-push';
import { type PushEndpointGuard, PushEndpointRefusedError, pinnedLookup, type CheckedPushEndpoint } from './push-endpoint.js';
import { webPushPayload, type DevicePush } from './push-payloads.js';
import type { DeviceTarget, PlatformSender, SendOutcome } from './push-sender.js';

export interface PushTarget {
  endpoint: string;
  p256dh: string;
  auth: string;
}

export interface PushOptions {
  /** Seconds the push service keeps an undelivered message. */
  ttlSeconds: number;
  /** A later push with the same topic replaces an undelivered earlier one (RFC 8030 §5.4). */
  topic?: string;
  urgency?: 'very-low' | 'low' | 'normal' | 'high';
}

/**
 * Sends one encrypted push to `endpoint.url`, connecting only to `endpoint.address`.
 * Resolves with the push service's status; rejects only when it could not be reached.
 */
export interface PushSender {
  send(endpoint: CheckedPushEndpoint, target: Omit<PushTarget, 'endpoint'>, payload: string, options: PushOptions): Promise<{ statusCode: number }>;
  /** Releases pooled connections, if the sender keeps any. */
  close?(): void;
}

export interface VapidKeys {
  publicKey: string;
  privateKey: string;
  subject: string;
}

/** Web Push (RFC 8291 encryption, RFC 8292 VAPID) through the `web-push` package. */
export class WebPushSender implements PushSender {
  // Every socket in these pools was opened through pinnedLookup, so reusing one
  // still reaches an address that passed the check.
  readonly #agents = { 'https:': new https.Agent({ keepAlive: true }), 'http:': new http.Agent({ keepAlive: true }) };

  constructor(private readonly vapid: VapidKeys) {}

  send(endpoint: CheckedPushEndpoint, target: Omit<PushTarget, 'endpoint'>, payload: string, options: PushOptions): Promise<{ statusCode: number }> {
    // web-push encrypts and signs; we send ourselves because its sendNotification
    // speaks https only (a local push service in tests is http) and connects to
    // whatever DNS says at that moment, where we must connect to the checked address.
    const request = webpush.generateRequestDetails({ endpoint: endpoint.url, keys: { p256dh: target.p256dh, auth: target.auth } }, payload, {
      vapidDetails: this.vapid,
      TTL: options.ttlSeconds,
      urgency: options.urgency ?? 'normal',
      ...(options.topic ? { topic: options.topic } : {}),
    });
    const url = new URL(request.endpoint);
    const agent = url.protocol === 'https:' ? this.#agents['https:'] : this.#agents['http:'];
    const transport = url.protocol === 'https:' ? https : http;
    return new Promise((resolve, reject) => {
      // No redirect is followed (node:http never does): a 3xx is just a failed push,
      // so a push service cannot bounce the server to an address that was not checked.
      const outgoing = transport.request(
        url,
        {
          method: request.method,
          headers: request.headers as http.OutgoingHttpHeaders,
          agent,
          lookup: pinnedLookup(endpoint),
          signal: AbortSignal.timeout(10_000),
        },
        (response) => {
          response.resume(); // the body is not needed; draining it frees the socket for reuse
          resolve({ statusCode: response.statusCode ?? 0 });
        },
      );
      outgoing.on('error', reject);
      outgoing.end(request.body ?? undefined);
    });
  }

  close(): void {
    this.#agents['https:'].destroy();
    this.#agents['http:'].destroy();
  }
}

/** VAPID keys from the environment, or generated once and kept in `dataDir/vapid.json`. */
export async function loadVapidKeys(config: { publicKey?: string; privateKey?: string; subject: string }, dataDir: string): Promise<VapidKeys> {
  if (config.publicKey && config.privateKey) return { publicKey: config.publicKey, privateKey: config.privateKey, subject: config.subject };
  const file = path.join(dataDir, 'vapid.json');
  try {
    const stored = JSON.parse(await readFile(file, 'utf8')) as { publicKey: string; privateKey: string };
    return { ...stored, subject: config.subject };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const keys = webpush.generateVAPIDKeys();
  await mkdir(dataDir, { recursive: true });
  try {
    await writeFile(file, JSON.stringify(keys), { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return loadVapidKeys(config, dataDir); // another process wrote it first
  }
  return { ...keys, subject: config.subject };
}

/**
 * Web Push devices: the endpoint is checked again before every attempt (its
 * name may point somewhere else since it was registered); one refused for
 * good (not public, not a URL) is removed like one the service says is gone.
 */
export class WebPushPlatform implements PlatformSender {
  constructor(
    private readonly sender: PushSender,
    private readonly guard: PushEndpointGuard,
  ) {}

  async send(target: DeviceTarget, push: DevicePush): Promise<SendOutcome> {
    let statusCode: number;
    try {
      const endpoint = await this.guard.check(target.token);
      const options: PushOptions =
        push.kind === 'cleared'
          ? { ttlSeconds: 3600, urgency: 'normal' }
          : {
              ttlSeconds: push.notice.ttlSeconds,
              urgency: push.notice.urgency,
              // RFC 8030 topics are at most 32 base64url characters: an id without dashes fits.
              ...(push.notice.collapseKey ? { topic: push.notice.collapseKey.replaceAll('-', '') } : {}),
            };
      ({ statusCode } = await this.sender.send(
        endpoint,
        { p256dh: target.p256dh ?? '', auth: target.auth ?? '' },
        JSON.stringify(webPushPayload(push)),
        options,
      ));
    } catch (error) {
      // A DNS failure may be passing: retried like an unreachable service.
      if (error instanceof PushEndpointRefusedError) {
        // The endpoint's path is the device's capability: only where it pointed is logged.
        return {
          status: error.refusal === 'unresolved' ? 'retry' : 'gone',
          reason: `endpoint ${error.refusal}`,
          details: { refusal: error.refusal, ...error.details },
        };
      }
      return { status: 'retry', reason: (error as Error).message };
    }
    if (statusCode >= 200 && statusCode < 300) return { status: 'sent' };
    if (statusCode === 404 || statusCode === 410) return { status: 'gone', reason: String(statusCode) };
    if (statusCode === 429 || statusCode >= 500) return { status: 'retry', reason: String(statusCode) };
    return { status: 'failed', reason: String(statusCode) };
  }

  close(): void {
    this.sender.close?.();
  }
}
