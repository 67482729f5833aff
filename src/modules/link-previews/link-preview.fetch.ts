import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { pinnedLookup, type PublicUrlGuard, UrlRefusedError } from '../../lib/public-address.js';

/** Limits of one preview's requests (the page, then its image). */
export interface LinkFetchLimits {
  /** Redirects followed per request, each checked like the first URL; default 3. */
  maxRedirects: number;
  /** Bytes of HTML read; a longer page gives no preview. Default 1 MB. */
  maxPageBytes: number;
  /** Bytes of the og:image read; a larger one gives a preview without an image. Default 5 MB. */
  maxImageBytes: number;
}

export const DEFAULT_FETCH_LIMITS: LinkFetchLimits = { maxRedirects: 3, maxPageBytes: 1_000_000, maxImageBytes: 5_000_000 };

/** Why a fetch gave nothing; each is an ordinary outcome (the message stays without a preview), never an error of the send. */
export type LinkFetchFailure = 'refused' | 'redirects' | 'status' | 'type' | 'too-large' | 'timeout' | 'network';

export class LinkFetchError extends Error {
  constructor(
    readonly reason: LinkFetchFailure,
    message: string,
    /** For logs: the host, and for a refusal the address and range (never the path, which may carry a token). */
    readonly details: Record<string, string | undefined> = {},
  ) {
    super(message);
    this.name = 'LinkFetchError';
  }
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const HTML_TYPES = new Set(['text/html', 'application/xhtml+xml']);

/** A page that was read: where it ended up after redirects, its bytes, and the charset its Content-Type names. */
export interface FetchedPage {
  url: string;
  body: Buffer;
  charset: string | undefined;
}

/**
 * GETs users' links for previews without reaching anything but the public
 * internet: every URL, and every redirect's target, passes the guard
 * (lib/public-address.ts) and the socket connects to the very address it
 * checked. What is read is bounded in bytes and, through `signal`, in time.
 */
export class LinkFetcher {
  constructor(
    private readonly guard: PublicUrlGuard,
    private readonly limits: LinkFetchLimits = DEFAULT_FETCH_LIMITS,
  ) {}

  /** The page at `url` when it is HTML; `type` for anything else (no preview, not an error). */
  async page(url: string, signal: AbortSignal): Promise<FetchedPage> {
    const { response, url: finalUrl } = await this.#get(url, signal, 'text/html,application/xhtml+xml;q=0.9');
    const [mime, ...params] = (response.headers['content-type'] ?? '').split(';').map((part) => part.trim().toLowerCase());
    if (!HTML_TYPES.has(mime ?? '')) {
      response.destroy();
      throw new LinkFetchError('type', `not HTML (${mime || 'no content type'})`);
    }
    const charset = params
      .find((param) => param.startsWith('charset='))
      ?.slice('charset='.length)
      .replace(/^"|"$/g, '');
    return { url: finalUrl, body: await this.#read(response, this.limits.maxPageBytes, signal), charset };
  }

  /** The response at `url` (an image), as a stream the caller must read or destroy; its size checked against maxImageBytes by Content-Length. */
  async image(url: string, signal: AbortSignal): Promise<IncomingMessage> {
    const { response } = await this.#get(url, signal, 'image/webp,image/png,image/jpeg,image/gif;q=0.9');
    const mime = (response.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (!mime.startsWith('image/')) {
      response.destroy();
      throw new LinkFetchError('type', `not an image (${mime || 'no content type'})`);
    }
    if (Number(response.headers['content-length'] ?? 0) > this.limits.maxImageBytes) {
      response.destroy();
      throw new LinkFetchError('too-large', `image larger than ${this.limits.maxImageBytes} bytes`);
    }
    return response;
  }

  get maxImageBytes(): number {
    return this.limits.maxImageBytes;
  }

  /** A 200 response for `url`, after at most maxRedirects redirects, each target checked again. */
  async #get(url: string, signal: AbortSignal, accept: string): Promise<{ response: IncomingMessage; url: string }> {
    let current = url;
    for (let redirects = 0; ; redirects += 1) {
      let checked: Awaited<ReturnType<PublicUrlGuard['check']>>;
      try {
        checked = await this.guard.check(current);
      } catch (error) {
        if (error instanceof UrlRefusedError) throw new LinkFetchError('refused', error.message, { refusal: error.refusal, ...error.details });
        throw error;
      }
      const response = await request(checked, signal, accept);
      const status = response.statusCode ?? 0;
      if (REDIRECTS.has(status)) {
        response.destroy();
        const location = response.headers.location;
        if (!location) throw new LinkFetchError('status', `redirect (${status}) without a Location`, { host: checked.hostname });
        if (redirects >= this.limits.maxRedirects)
          throw new LinkFetchError('redirects', `more than ${this.limits.maxRedirects} redirects`, { host: checked.hostname });
        try {
          current = new URL(location, checked.url).toString();
        } catch {
          throw new LinkFetchError('status', 'redirect to something that is not a URL', { host: checked.hostname });
        }
        continue;
      }
      if (status !== 200) {
        response.destroy();
        throw new LinkFetchError('status', `status ${status}`, { host: checked.hostname });
      }
      return { response, url: checked.url };
    }
  }

  /** The whole body, refused past `maxBytes` (by Content-Length before reading, else as it arrives). */
  async #read(response: IncomingMessage, maxBytes: number, signal: AbortSignal): Promise<Buffer> {
    if (Number(response.headers['content-length'] ?? 0) > maxBytes) {
      response.destroy();
      throw new LinkFetchError('too-large', `page larger than ${maxBytes} bytes`);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    try {
      for await (const chunk of response as AsyncIterable<Buffer>) {
        size += chunk.byteLength;
        if (size > maxBytes) throw new LinkFetchError('too-large', `page larger than ${maxBytes} bytes`);
        chunks.push(chunk);
      }
    } catch (error) {
      response.destroy();
      throw asFetchError(error, signal);
    }
    return Buffer.concat(chunks);
  }
}

/** One GET to the checked address; rejects with a LinkFetchError. */
function request(checked: Awaited<ReturnType<PublicUrlGuard['check']>>, signal: AbortSignal, accept: string): Promise<IncomingMessage> {
  const client = checked.url.startsWith('https:') ? https : http;
  return new Promise((resolve, reject) => {
    const req = client.get(checked.url, {
      lookup: pinnedLookup(checked),
      signal,
      // A socket of its own: a pooled one may have been opened to another address for the same name.
      agent: false,
      headers: { accept, 'accept-encoding': 'identity', 'user-agent': 'PayamakLinkPreview/1.0 (+link previews)' },
    });
    req.once('response', resolve);
    req.once('error', (error) => reject(asFetchError(error, signal)));
  });
}

/** What went wrong on the wire, as a LinkFetchError: past the deadline, or the connection's own failure. */
export function asFetchError(error: unknown, signal: AbortSignal): LinkFetchError {
  if (error instanceof LinkFetchError) return error;
  if (signal.aborted) return new LinkFetchError('timeout', 'took too long');
  return new LinkFetchError('network', (error as NodeJS.ErrnoException | undefined)?.code ?? 'connection failed');
}
