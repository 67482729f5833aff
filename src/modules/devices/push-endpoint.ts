import { PublicUrlGuard, UrlRefusedError, type CheckedUrl, type HostLookup, type UrlRefusal } from '../../lib/public-address.js';

// The address checks and the pinned connection are shared with every outbound request to a user's URL (lib/public-address.ts).
export { classifyAddress, pinnedLookup, type AddressVerdict } from '../../lib/public-address.js';

/** Resolves a host name to all of its addresses, like `dns.promises.lookup(host, { all: true })`. */
export type PushEndpointLookup = HostLookup;

/** Options for {@link PushEndpointGuard}. */
export interface PushEndpointGuardOptions {
  /**
   * Also accept http:// and loopback addresses (tests and development, where
   * the push service is a local stand-in). Private, CGNAT, link-local and every
   * other non-public address stay refused. Default false.
   */
  allowInsecure?: boolean;
  /**
   * Resolves endpoint host names. Tests replace it to make a name resolve to
   * any address without a DNS server. Default `dns.promises.lookup`.
   */
  lookup?: PushEndpointLookup;
}

/** An endpoint that passed the check, with the address a push to it must connect to. */
export type CheckedPushEndpoint = CheckedUrl;

/**
 * Why an endpoint was refused: `invalid` (not an acceptable URL) and
 * `forbidden` (resolves to a non-public address) will not get better;
 * `unresolved` (DNS failed) may be temporary.
 */
export type PushEndpointRefusal = UrlRefusal;

/** An endpoint the server must not send to. `message` is safe to show the client. */
export const PushEndpointRefusedError = UrlRefusedError;
export type PushEndpointRefusedError = UrlRefusedError;

/**
 * Decides which push endpoints the server may POST to, at registration and
 * again before every send: a name can be re-pointed at an internal address
 * after it was registered. Every address the host resolves to must be public.
 */
export class PushEndpointGuard extends PublicUrlGuard {
  constructor(options: PushEndpointGuardOptions = {}) {
    const allowInsecure = options.allowInsecure ?? false;
    super({
      name: 'endpoint',
      protocols: allowInsecure ? ['https:', 'http:'] : ['https:'],
      allowLoopback: allowInsecure,
      lookup: options.lookup,
      forbiddenMessage: 'endpoint must be a public push service; its host is not a public address',
    });
  }
}
