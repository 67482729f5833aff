/**
 * FCM HTTP v1 (POST /v1/projects/{project}/messages:send) with an OAuth2
 * access token from the service account's key by the JWT bearer flow
 * (RFC 7523). The assertion is signed here with node:crypto (RS256): a few
 * lines against google-auth-library's dependency tree, and the same code
 * runs against the test's fake token endpoint.
 */
import { createPrivateKey, sign, type KeyObject } from 'node:crypto';
import { fcmMessage } from './push-payloads.js';
import type { DevicePush } from './push-payloads.js';
import type { DeviceTarget, PlatformSender, SendOutcome } from './push-sender.js';

/** The fields of a Google service-account JSON key that the flow needs. */
export interface ServiceAccountKey {
  project_id: string;
  client_email: string;
  private_key: string;
  private_key_id?: string;
  token_uri?: string;
}

/** Options for {@link FcmSender}. */
export interface FcmSenderOptions {
  serviceAccount: ServiceAccountKey;
  /** e.g. https://fcm.googleapis.com */
  baseUrl: string;
  /** The OAuth2 token endpoint; default the key's token_uri, else Google's. */
  tokenUrl?: string;
  /** Per request, in ms; default 10,000. */
  timeoutMs?: number;
}

const SCOPE = 'https://www.googleapis.com/auth/firebase.messaging';
const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token';

export class FcmSender implements PlatformSender {
  readonly #key: KeyObject;
  readonly #tokenUrl: string;
  readonly #timeoutMs: number;
  #accessToken: { value: string; expiresAt: number } | undefined;
  #fetching: Promise<string> | undefined;

  constructor(private readonly options: FcmSenderOptions) {
    this.#key = createPrivateKey(options.serviceAccount.private_key);
    this.#tokenUrl = options.tokenUrl ?? options.serviceAccount.token_uri ?? GOOGLE_TOKEN_URL;
    this.#timeoutMs = options.timeoutMs ?? 10_000;
  }

  /** A valid access token: cached until a minute before it expires; concurrent callers share one exchange. */
  async accessToken(now = Date.now()): Promise<string> {
    if (this.#accessToken && now < this.#accessToken.expiresAt - 60_000) return this.#accessToken.value;
    this.#fetching ??= this.#exchange(now).finally(() => {
      this.#fetching = undefined;
    });
    return this.#fetching;
  }

  async #exchange(now: number): Promise<string> {
    const { client_email, private_key_id } = this.options.serviceAccount;
    const iat = Math.floor(now / 1000);
    const encode = (part: object) => Buffer.from(JSON.stringify(part)).toString('base64url');
    const unsigned = `${encode({ alg: 'RS256', typ: 'JWT', ...(private_key_id ? { kid: private_key_id } : {}) })}.${encode({
      iss: client_email,
      scope: SCOPE,
      aud: this.#tokenUrl,
      iat,
      exp: iat + 3600,
    })}`;
    const assertion = `${unsigned}.${sign('sha256', Buffer.from(unsigned), this.#key).toString('base64url')}`;
    const response = await fetch(this.#tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion }),
      signal: AbortSignal.timeout(this.#timeoutMs),
    });
    const body = (await response.json().catch(() => ({}))) as { access_token?: string; expires_in?: number; error?: string };
    if (!response.ok || typeof body.access_token !== 'string') throw new Error(`FCM token exchange failed: ${response.status} ${body.error ?? ''}`.trim());
    this.#accessToken = { value: body.access_token, expiresAt: now + (body.expires_in ?? 3600) * 1000 };
    return body.access_token;
  }

  async send(target: DeviceTarget, push: DevicePush): Promise<SendOutcome> {
    let response: Response;
    let body: { error?: { status?: string; message?: string; details?: { errorCode?: string }[] } };
    try {
      const token = await this.accessToken();
      response = await fetch(`${this.options.baseUrl}/v1/projects/${encodeURIComponent(this.options.serviceAccount.project_id)}/messages:send`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ message: fcmMessage(push, target.token) }),
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
      body = (await response.json().catch(() => ({}))) as typeof body;
    } catch (error) {
      return { status: 'retry', reason: (error as Error).message };
    }
    if (response.ok) return { status: 'sent' };
    const code = body.error?.details?.find((detail) => typeof detail.errorCode === 'string')?.errorCode ?? body.error?.status ?? String(response.status);
    if (response.status === 404 || code === 'UNREGISTERED') return { status: 'gone', reason: code };
    if (response.status === 401) {
      this.#accessToken = undefined; // revoked or expired early: the retry exchanges again
      return { status: 'retry', reason: code };
    }
    if (response.status === 429 || response.status >= 500) return { status: 'retry', reason: code };
    return { status: 'failed', reason: code };
  }
}
