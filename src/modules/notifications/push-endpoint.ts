import { lookup as dnsLookup } from 'node:dns/promises';
import type { LookupAddress } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';

const MAX_ENDPOINT_LENGTH = 2048;

/** Resolves a host name to all of its addresses, like `dns.promises.lookup(host, { all: true })`. */
export type PushEndpointLookup = (hostname: string, options: { all: true }) => Promise<LookupAddress[]>;

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
export interface CheckedPushEndpoint {
  /** The endpoint, normalised by WHATWG URL: what is stored and sent to. */
  url: string;
  /** The host name, without IPv6 brackets: kept for TLS SNI, the certificate check and Host. */
  hostname: string;
  /** The checked address; connecting anywhere else would let DNS rebinding bypass the check. */
  address: string;
  family: 4 | 6;
}

/**
 * Why an endpoint was refused: `invalid` (not an acceptable URL) and
 * `forbidden` (resolves to a non-public address) will not get better;
 * `unresolved` (DNS failed) may be temporary.
 */
export type PushEndpointRefusal = 'invalid' | 'forbidden' | 'unresolved';

/** An endpoint the server must not send to. `message` is safe to show the client. */
export class PushEndpointRefusedError extends Error {
  constructor(
    readonly refusal: PushEndpointRefusal,
    message: string,
    /** For logs: the host and, when forbidden, the offending address and its ipaddr.js range. No path: it holds the device's token. */
    readonly details: { host?: string; address?: string; range?: string } = {},
  ) {
    super(message);
    this.name = 'PushEndpointRefusedError';
  }
}

/** What {@link classifyAddress} makes of one address. */
export interface AddressVerdict {
  allowed: boolean;
  /** ipaddr.js's range name: `unicast` for a public address, else e.g. `private`, `carrierGradeNat`, `loopback`. */
  range: string;
  /** The address to connect to: an IPv4-mapped IPv6 address is replaced by the IPv4 address inside it. */
  address: string;
  family: 4 | 6;
}

/**
 * Whether the server may send to this IP address: only ipaddr.js's `unicast`
 * range (plus `loopback` when `allowLoopback`), so private, CGNAT, link-local,
 * unique-local, multicast, unspecified, reserved, broadcast, 6to4, Teredo,
 * NAT64 and any range ipaddr.js learns later are refused without a list here.
 */
export function classifyAddress(raw: string, { allowLoopback = false }: { allowLoopback?: boolean } = {}): AddressVerdict {
  // Only canonical literals come here (WHATWG URL or the resolver normalised them): ipaddr.parse
  // would also read "2130706433" or "0x7f.1" as IPv4, so a non-literal must not reach it.
  if (isIP(raw) === 0) return { allowed: false, range: 'invalid', address: raw, family: 4 };
  let parsed = ipaddr.parse(raw);
  // ::ffff:127.0.0.1 reaches 127.0.0.1: judge (and connect to) the IPv4 address inside.
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) parsed = (parsed as ipaddr.IPv6).toIPv4Address();
  const range = parsed.range();
  const allowed = range === 'unicast' || (allowLoopback && range === 'loopback');
  return { allowed, range, address: parsed.toString(), family: parsed.kind() === 'ipv4' ? 4 : 6 };
}

/**
 * Decides which push endpoints the server may POST to, at registration and
 * again before every send: a name can be re-pointed at an internal address
 * after it was registered. Every address the host resolves to must be public.
 */
export class PushEndpointGuard {
  readonly #allowInsecure: boolean;
  readonly #lookup: PushEndpointLookup;

  constructor(options: PushEndpointGuardOptions = {}) {
    this.#allowInsecure = options.allowInsecure ?? false;
    this.#lookup = options.lookup ?? dnsLookup;
  }

  /** The endpoint and the address to connect to; rejects with {@link PushEndpointRefusedError}. */
  async check(raw: string): Promise<CheckedPushEndpoint> {
    const url = this.#parse(raw);
    const hostname = url.hostname.replace(/^\[|\]$/g, '');
    const addresses = isIP(hostname) !== 0 ? [hostname] : await this.#resolve(hostname);
    let first: AddressVerdict | undefined;
    for (const address of addresses) {
      const verdict = classifyAddress(address, { allowLoopback: this.#allowInsecure });
      if (!verdict.allowed) {
        throw new PushEndpointRefusedError('forbidden', 'endpoint must be a public push service; its host is not a public address', {
          host: hostname,
          address,
          range: verdict.range,
        });
      }
      first ??= verdict;
    }
    if (!first) throw new PushEndpointRefusedError('unresolved', 'endpoint host could not be resolved', { host: hostname });
    return { url: url.toString(), hostname, address: first.address, family: first.family };
  }

  #parse(raw: string): URL {
    if (raw.length > MAX_ENDPOINT_LENGTH) throw new PushEndpointRefusedError('invalid', `endpoint must be at most ${MAX_ENDPOINT_LENGTH} characters`);
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new PushEndpointRefusedError('invalid', 'endpoint must be a URL');
    }
    if (this.#allowInsecure ? url.protocol !== 'https:' && url.protocol !== 'http:' : url.protocol !== 'https:') {
      throw new PushEndpointRefusedError('invalid', this.#allowInsecure ? 'endpoint must be an http(s) URL' : 'endpoint must be an https URL');
    }
    return url;
  }

  async #resolve(hostname: string): Promise<string[]> {
    try {
      return (await this.#lookup(hostname, { all: true })).map((entry) => entry.address);
    } catch {
      throw new PushEndpointRefusedError('unresolved', 'endpoint host could not be resolved', { host: hostname });
    }
  }
}

/**
 * A `lookup` for `http.request` that answers every query with the checked
 * address, so the socket goes where the check looked while the URL's host
 * name still drives SNI, certificate validation and the Host header.
 */
export function pinnedLookup(pinned: Pick<CheckedPushEndpoint, 'address' | 'family'>): LookupFunction {
  return (_hostname, options, callback) => {
    // net asks with `all: true` when it races address families (autoSelectFamily, on by default in Node 20).
    if (options.all) callback(null, [{ address: pinned.address, family: pinned.family }]);
    else callback(null, pinned.address, pinned.family);
  };
}
