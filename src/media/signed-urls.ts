import { createHmac, timingSafeEqual } from 'node:crypto';

/** Which bytes of a file a URL serves: the file, its thumbnail, a video's poster. */
export type FileVariant = 'original' | 'thumbnail' | 'poster';

/** Options for {@link UrlSigner}. */
export interface UrlSignerOptions {
  /** HMAC-SHA256 key; at least 32 bytes. */
  secret: string;
  /** How long a URL works at least; default 3,600 s. */
  ttlSeconds?: number;
  /**
   * Expiries are rounded up to a multiple of this, so the same file gets the
   * same URL for a while and browsers can cache it; default 300 s. A URL thus
   * works for ttlSeconds to ttlSeconds + bucketSeconds.
   */
  bucketSeconds?: number;
  /** Clock in ms (tests); default Date.now. */
  now?: () => number;
}

export type Verdict = 'valid' | 'expired' | 'invalid';

/**
 * Signed, expiring file URLs: `sig` is HMAC-SHA256 over id, variant and expiry
 * with a server secret, so a URL works only for the file and variant it was made
 * for, until `exp`, and cannot be made up or altered by a client.
 */
export class UrlSigner {
  readonly #key: Buffer;
  readonly #ttl: number;
  readonly #bucket: number;
  readonly #now: () => number;

  constructor(options: UrlSignerOptions) {
    if (Buffer.byteLength(options.secret) < 32) throw new Error('The file URL secret must be at least 32 bytes');
    this.#key = Buffer.from(options.secret);
    this.#ttl = options.ttlSeconds ?? 3600;
    this.#bucket = options.bucketSeconds ?? 300;
    this.#now = options.now ?? Date.now;
  }

  /** When a URL made now stops working, in Unix seconds: ttlSeconds from now, rounded up to bucketSeconds. */
  expiry(): number {
    const seconds = Math.floor(this.#now() / 1000) + this.#ttl;
    return Math.ceil(seconds / this.#bucket) * this.#bucket;
  }

  /**
   * `/files/<id>`, `/files/<id>/thumbnail` or `/files/<id>/poster`, with `exp`
   * (Unix seconds; default {@link expiry}) and `sig`. Pass the same `exp` for
   * the URLs of one file that a client is told expire together.
   */
  path(id: string, variant: FileVariant, exp: number = this.expiry()): string {
    const route = variant === 'original' ? `/files/${encodeURIComponent(id)}` : `/files/${encodeURIComponent(id)}/${variant}`;
    return `${route}?exp=${exp}&sig=${this.#sign(id, variant, exp).toString('base64url')}`;
  }

  /** Checks a URL's `exp` and `sig` (as received, untrusted), in constant time. */
  verify(id: string, variant: FileVariant, exp: unknown, sig: unknown): Verdict {
    if (typeof exp !== 'string' || !/^\d{1,12}$/.test(exp) || typeof sig !== 'string' || !/^[\w-]{43}$/.test(sig)) return 'invalid';
    const expected = this.#sign(id, variant, Number(exp));
    const given = Buffer.from(sig, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return 'invalid';
    return Number(exp) * 1000 < this.#now() ? 'expired' : 'valid';
  }

  /**
   * A signed link of another purpose than a file (e.g. `export`): `exp` (Unix
   * seconds, exactly `ttlSeconds` from now, not bucketed) and `sig`, over the
   * purpose, the id and the expiry, so it works only for what it was made for.
   */
  link(purpose: string, id: string, ttlSeconds: number): { exp: number; sig: string } {
    const exp = Math.floor(this.#now() / 1000) + ttlSeconds;
    return { exp, sig: this.#signLink(purpose, id, exp).toString('base64url') };
  }

  /** Checks a {@link link}'s `exp` and `sig` (as received, untrusted), in constant time. */
  verifyLink(purpose: string, id: string, exp: unknown, sig: unknown): Verdict {
    if (typeof exp !== 'string' || !/^\d{1,12}$/.test(exp) || typeof sig !== 'string' || !/^[\w-]{43}$/.test(sig)) return 'invalid';
    const expected = this.#signLink(purpose, id, Number(exp));
    const given = Buffer.from(sig, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return 'invalid';
    return Number(exp) * 1000 < this.#now() ? 'expired' : 'valid';
  }

  #signLink(purpose: string, id: string, exp: number): Buffer {
    // Apart from file URLs (`payamak-file`), so no link signs a file URL or the other way round.
    if (purpose === 'file' || !/^[a-z]+$/.test(purpose)) throw new Error(`Not a link purpose: ${purpose}`);
    return createHmac('sha256', this.#key).update(`payamak-link-${purpose}\n${id}\n${exp}`).digest();
  }

  #sign(id: string, variant: FileVariant, exp: number): Buffer {
    return createHmac('sha256', this.#key).update(`payamak-file\n${id}\n${variant}\n${exp}`).digest();
  }
}
