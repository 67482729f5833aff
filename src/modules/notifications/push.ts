import { readFile, writeFile, mkdir } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import webpush from 'web-push';
import type { PrismaClient } from '../../generated/prisma/client.js';
import type { Logger } from '../../lib/logger.js';
import { PushEndpointGuard, PushEndpointRefusedError, pinnedLookup, type CheckedPushEndpoint } from './push-endpoint.js';

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

/** A push to try again later: what the job queue stores (JSON). */
export interface PushRetry {
  subscriptionId: string;
  body: string;
  options: PushOptions;
  /** Attempts made so far. */
  attempt: number;
}

/**
 * Where retries wait: the job queue in the server (services.ts), so a retry
 * survives a restart and runs on one instance; it calls
 * {@link PushDispatcher.retry} when `delayMs` has passed.
 */
export interface PushRetries {
  later(retry: PushRetry, delayMs: number): Promise<void>;
}

/** Options for {@link PushDispatcher}. */
export interface PushDispatcherOptions {
  /** Waits before each retry of a failed push; default 2 s, 10 s, 60 s. */
  retryDelaysMs?: number[];
  /** Required for retries (none without it). */
  retries?: PushRetries;
  /**
   * Checks each endpoint again right before every attempt; a refused one is
   * removed. Default: a strict guard (https, public addresses only);
   * {@link PushDispatcher.useEndpointGuard} replaces it.
   */
  endpointGuard?: PushEndpointGuard;
}

/**
 * Delivers pushes to every device of some users, in the background: callers
 * never wait for push services. 404/410 means the subscription is gone: it is
 * deleted, and so is one whose host now resolves to a non-public address.
 * 429, 5xx and unreachable services are retried with backoff, through
 * {@link PushRetries}.
 */
export class PushDispatcher {
  readonly #retryDelaysMs: number[];
  readonly #retries: PushRetries | undefined;
  #guard: PushEndpointGuard;
  #closed = false;

  constructor(
    private readonly prisma: PrismaClient,
    private readonly sender: PushSender,
    private readonly logger: Logger,
    options: PushDispatcherOptions = {},
  ) {
    this.#retryDelaysMs = options.retryDelaysMs ?? [2_000, 10_000, 60_000];
    this.#retries = options.retries;
    this.#guard = options.endpointGuard ?? new PushEndpointGuard();
  }

  /**
   * Sends only where `guard` allows. NotificationsService installs the guard it
   * registers endpoints with, so registration and sending apply one policy.
   */
  useEndpointGuard(guard: PushEndpointGuard): void {
    this.#guard = guard;
  }

  /** Queues a push to every registered device of these users; returns at once. */
  pushToUsers(userIds: string[], payload: object, options: PushOptions): void {
    if (userIds.length === 0 || this.#closed) return;
    void (async () => {
      const targets = await this.prisma.pushSubscription.findMany({
        where: { userId: { in: userIds } },
        select: { id: true, endpoint: true, p256dh: true, auth: true },
      });
      const body = JSON.stringify(payload);
      for (const target of targets) void this.#deliver(target, body, options, 0).catch((error: unknown) => this.#deliveryFailed(target.id, error));
    })().catch((error: unknown) => this.logger.error({ err: error }, 'could not look up push subscriptions'));
  }

  async #deliver(target: PushTarget & { id: string }, body: string, options: PushOptions, attempt: number): Promise<void> {
    let statusCode: number | undefined;
    try {
      // Checked on every attempt: the name may point somewhere else since it was registered.
      const endpoint = await this.#guard.check(target.endpoint);
      ({ statusCode } = await this.sender.send(endpoint, target, body, options));
    } catch (error) {
      if (error instanceof PushEndpointRefusedError && error.refusal !== 'unresolved') {
        await this.prisma.pushSubscription.deleteMany({ where: { id: target.id } });
        // The endpoint's path is the device's capability: log only where it pointed.
        this.logger.warn({ subscriptionId: target.id, refusal: error.refusal, ...error.details }, 'push endpoint refused; subscription removed');
        return;
      }
      // A DNS failure may be passing: retried like an unreachable service.
      const err = error instanceof PushEndpointRefusedError ? { refusal: error.refusal, ...error.details } : { err: error };
      this.logger.warn({ ...err, subscriptionId: target.id, attempt }, 'push service unreachable');
    }
    if (statusCode !== undefined && statusCode >= 200 && statusCode < 300) return;
    if (statusCode === 404 || statusCode === 410) {
      await this.prisma.pushSubscription.deleteMany({ where: { id: target.id } });
      this.logger.info({ subscriptionId: target.id, statusCode }, 'push subscription expired; removed');
      return;
    }
    const retryable = statusCode === undefined || statusCode === 429 || statusCode >= 500;
    const delay = this.#retryDelaysMs[attempt];
    if (!retryable || delay === undefined || this.#retries === undefined || this.#closed) {
      this.logger.warn({ subscriptionId: target.id, statusCode, attempt }, 'push dropped');
      return;
    }
    await this.#retries.later({ subscriptionId: target.id, body, options, attempt: attempt + 1 }, delay);
  }

  /** A retry come due (the job queue calls it): to the subscription as it is now, unless it was removed meanwhile. */
  async retry(retry: PushRetry): Promise<void> {
    const target = await this.prisma.pushSubscription.findUnique({
      where: { id: retry.subscriptionId },
      select: { id: true, endpoint: true, p256dh: true, auth: true },
    });
    if (target === null) return;
    // Thrown, not dropped: the queue runs the job again (here or on another instance).
    if (this.#closed) throw new Error('push dispatcher is closed');
    await this.#deliver(target, retry.body, retry.options, retry.attempt);
  }

  #deliveryFailed(subscriptionId: string, error: unknown): void {
    this.logger.error({ err: error, subscriptionId }, 'push could not be sent or queued for retry');
  }

  close(): void {
    this.#closed = true;
    this.sender.close?.();
  }
}
