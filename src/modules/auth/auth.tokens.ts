import { createHash, createSecretKey, randomBytes, type KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';

/** Claims we put in an access token, beside iss, aud, iat, exp. */
export interface AccessClaims {
  /** user id */
  sub: string;
  /** session id: revoking the session ends the token before it expires */
  sid: string;
}

/** Options for {@link TokenIssuer}. */
export interface TokenIssuerOptions {
  secret: string;
  /** Access token lifetime in seconds; default 900 (15 min). */
  accessTtlSeconds?: number;
  /** Refresh token and session lifetime in seconds; default 30 days. */
  refreshTtlSeconds?: number;
}

const ISSUER = 'payamak';
const AUDIENCE = 'payamak-api';

export class InvalidTokenError extends Error {
  constructor(readonly reason: 'expired' | 'invalid') {
    super(reason === 'expired' ? 'Access token expired' : 'Access token is invalid');
  }
}

/** How many verified access tokens {@link TokenIssuer} remembers (about 350 bytes each). */
const VERIFIED_TOKENS_KEPT = 2048;

/** Signs and verifies access tokens (HS256, pinned) and mints opaque refresh tokens. */
export class TokenIssuer {
  readonly accessTtlSeconds: number;
  readonly refreshTtlSeconds: number;
  /**
   * The secret as a KeyObject, made once. Given a string, jsonwebtoken first
   * tries to parse it as a PEM public key on every call, and fails, before
   * making this same key: ~0.5 ms per request, most of `me`'s CPU time.
   */
  readonly #secret: KeyObject;
  /**
   * Tokens verified lately, with their claims and expiry: an app sends the same
   * token with every request for its 15 minutes, and checking its HMAC and
   * claims again costs about 3% of a send's CPU. The same bytes verify the same
   * way under one secret, so only the expiry is checked again. Bounded, oldest
   * out first; a refused token is never kept.
   */
  readonly #verified = new Map<string, AccessClaims & { expiresAtMs: number }>();

  constructor(options: TokenIssuerOptions) {
    this.#secret = createSecretKey(Buffer.from(options.secret));
    this.accessTtlSeconds = options.accessTtlSeconds ?? 15 * 60;
    this.refreshTtlSeconds = options.refreshTtlSeconds ?? 30 * 24 * 3600;
  }

  signAccess(claims: AccessClaims): string {
    return jwt.sign({ sid: claims.sid }, this.#secret, {
      algorithm: 'HS256',
      subject: claims.sub,
      issuer: ISSUER,
      audience: AUDIENCE,
      expiresIn: this.accessTtlSeconds,
    });
  }

  /** Throws InvalidTokenError; never trusts the token's own `alg`. */
  verifyAccess(token: string): AccessClaims {
    const known = this.#verified.get(token);
    if (known) {
      // jsonwebtoken's own rule: expired once the clock reaches `exp`.
      if (Date.now() >= known.expiresAtMs) {
        this.#verified.delete(token);
        throw new InvalidTokenError('expired');
      }
      return { sub: known.sub, sid: known.sid };
    }
    const claims = this.#verify(token);
    if (this.#verified.size >= VERIFIED_TOKENS_KEPT) this.#verified.delete(this.#verified.keys().next().value!);
    this.#verified.set(token, claims);
    return { sub: claims.sub, sid: claims.sid };
  }

  #verify(token: string): AccessClaims & { expiresAtMs: number } {
    let payload: string | jwt.JwtPayload;
    try {
      payload = jwt.verify(token, this.#secret, { algorithms: ['HS256'], issuer: ISSUER, audience: AUDIENCE });
    } catch (error) {
      throw new InvalidTokenError(error instanceof jwt.TokenExpiredError ? 'expired' : 'invalid');
    }
    if (typeof payload === 'string' || typeof payload.sub !== 'string' || typeof payload['sid'] !== 'string' || typeof payload.exp !== 'number') {
      throw new InvalidTokenError('invalid');
    }
    return { sub: payload.sub, sid: payload['sid'], expiresAtMs: payload.exp * 1000 };
  }

  /** A fresh refresh token and the hash we store in its place. */
  mintRefresh(): { token: string; hash: string; expiresAt: Date } {
    const token = randomBytes(32).toString('base64url');
    return { token, hash: hashRefreshToken(token), expiresAt: new Date(Date.now() + this.refreshTtlSeconds * 1000) };
  }
}

export function hashRefreshToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
