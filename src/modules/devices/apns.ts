/**
 * APNs over HTTP/2 with token authentication (Apple, "Sending notification
 * requests to APNs"): one connection per instance, kept open; each request
 * carries an ES256 JWT signed with the team's .p8 key, reused for 50 minutes
 * (Apple refuses tokens older than an hour, and new ones more often than
 * every 20 minutes).
 */
import { createPrivateKey, sign, type KeyObject } from 'node:crypto';
import http2 from 'node:http2';
import { apnsRequest } from './push-payloads.js';
import type { DevicePush } from './push-payloads.js';
import type { DeviceTarget, PlatformSender, SendOutcome } from './push-sender.js';

/** Options for {@link ApnsSender}. */
export interface ApnsSenderOptions {
  /** The .p8 key (PKCS#8 PEM, P-256). */
  key: string | KeyObject;
  keyId: string;
  teamId: string;
  /** e.g. https://api.push.apple.com */
  baseUrl: string;
  /** The topic (bundle id) for devices registered without an appId. */
  topic?: string;
  /**
   * Extra trusted CA certificates (PEM). TEST ONLY: lets tests run a local
   * HTTP/2 fake with a self-signed certificate; production trusts Apple's
   * certificate through the system store and never sets it.
   */
  ca?: string;
  /** How long one JWT is reused, in ms; default 50 minutes. */
  tokenTtlMs?: number;
  /** Per request, in ms; default 10,000. */
  timeoutMs?: number;
}

/** Reasons (400) that mean the token will never work for this app. */
const DEAD_TOKEN = new Set(['BadDeviceToken', 'DeviceTokenNotForTopic', 'Unregistered']);

export class ApnsSender implements PlatformSender {
  readonly #key: KeyObject;
  readonly #tokenTtlMs: number;
  readonly #timeoutMs: number;
  #jwt: { value: string; issuedAt: number } | undefined;
  #session: http2.ClientHttp2Session | undefined;

  constructor(private readonly options: ApnsSenderOptions) {
    this.#key = typeof options.key === 'string' ? createPrivateKey(options.key) : options.key;
    this.#tokenTtlMs = options.tokenTtlMs ?? 50 * 60 * 1000;
    this.#timeoutMs = options.timeoutMs ?? 10_000;
  }

  /** The provider token, signed again once it is older than `tokenTtlMs`. */
  token(now = Date.now()): string {
    if (this.#jwt && now - this.#jwt.issuedAt < this.#tokenTtlMs) return this.#jwt.value;
    const encode = (part: object) => Buffer.from(JSON.stringify(part)).toString('base64url');
    const unsigned = `${encode({ alg: 'ES256', kid: this.options.keyId })}.${encode({ iss: this.options.teamId, iat: Math.floor(now / 1000) })}`;
    // JOSE wants r‖s (64 bytes), not the DER that node signs by default.
    const signature = sign('sha256', Buffer.from(unsigned), { key: this.#key, dsaEncoding: 'ieee-p1363' }).toString('base64url');
    this.#jwt = { value: `${unsigned}.${signature}`, issuedAt: now };
    return this.#jwt.value;
  }

  async send(target: DeviceTarget, push: DevicePush): Promise<SendOutcome> {
    const topic = target.appId ?? this.options.topic;
    if (!topic) return { status: 'failed', reason: 'NoTopic' };
    const { headers, payload } = apnsRequest(push, topic);
    let response: { status: number; body: string };
    try {
      response = await this.#post(`/3/device/${target.token}`, headers, JSON.stringify(payload));
    } catch (error) {
      return { status: 'retry', reason: (error as Error).message };
    }
    if (response.status === 200) return { status: 'sent' };
    const reason = reasonOf(response.body) ?? String(response.status);
    if (response.status === 410 || (response.status === 400 && DEAD_TOKEN.has(reason))) return { status: 'gone', reason };
    if (response.status === 403 && (reason === 'ExpiredProviderToken' || reason === 'InvalidProviderToken')) {
      this.#jwt = undefined; // the retry signs a fresh one
      return { status: 'retry', reason };
    }
    if (response.status === 429 || response.status >= 500) return { status: 'retry', reason };
    return { status: 'failed', reason };
  }

  #post(path: string, headers: Record<string, string>, body: string): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const session = this.#connect();
      const request = session.request({
        ':method': 'POST',
        ':path': path,
        authorization: `bearer ${this.token()}`,
        'content-type': 'application/json',
        ...headers,
      });
      request.setTimeout(this.#timeoutMs, () => request.close(http2.constants.NGHTTP2_CANCEL));
      let status = 0;
      const chunks: Buffer[] = [];
      request.on('response', (responseHeaders) => {
        status = Number(responseHeaders[':status'] ?? 0);
      });
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => (status === 0 ? reject(new Error('APNs closed the stream')) : resolve({ status, body: Buffer.concat(chunks).toString('utf8') })));
      request.on('error', reject);
      request.end(body);
    });
  }

  /** One HTTP/2 connection, opened on first use and again after it closed (GOAWAY, network). */
  #connect(): http2.ClientHttp2Session {
    if (this.#session && !this.#session.closed && !this.#session.destroyed) return this.#session;
    const session = http2.connect(this.options.baseUrl, this.options.ca ? { ca: this.options.ca } : {});
    const forget = () => {
      if (this.#session === session) this.#session = undefined;
    };
    session.on('error', forget);
    session.on('goaway', forget);
    session.on('close', forget);
    // An idle connection must not keep the process alive.
    session.unref();
    this.#session = session;
    return session;
  }

  close(): void {
    this.#session?.close();
    this.#session = undefined;
  }
}

function reasonOf(body: string): string | undefined {
  try {
    const reason = (JSON.parse(body) as { reason?: unknown }).reason;
    return typeof reason === 'string' ? reason : undefined;
  } catch {
    return undefined;
  }
}
