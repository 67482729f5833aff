/**
 * Outbound requests to URLs users hand us (push endpoints, links to preview):
 * the server must reach only the public internet, never itself, its network
 * or a cloud's metadata service (SSRF). A URL passes when every address its
 * host resolves to is public; the request then connects to the address that
 * was checked ({@link pinnedLookup}), so DNS rebinding between the check and
 * the connection cannot move it elsewhere.
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import type { LookupAddress } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';

/** Resolves a host name to all of its addresses, like `dns.promises.lookup(host, { all: true })`. */
export type HostLookup = (hostname: string, options: { all: true }) => Promise<LookupAddress[]>;

/** Options for {@link PublicUrlGuard}. */
export interface PublicUrlGuardOptions {
  /** What the URL is called in refusals (`endpoint`, `link`). */
  name: string;
  /** Accepted schemes, with the colon (`https:`). */
  protocols: readonly string[];
  /**
   * Also accept loopback addresses (tests and development, where the other
   * side is a local stand-in). Private, CGNAT, link-local and every other
   * non-public address stay refused. Default false.
   */
  allowLoopback?: boolean;
  /**
   * Resolves host names. Tests replace it to make a name resolve to any
   * address without a DNS server. Default `dns.promises.lookup`.
   */
  lookup?: HostLookup;
  /** Longer URLs are refused as `invalid`; default 2,048 characters. */
  maxLength?: number;
  /** The refusal of a host that is not public; default "<name> must be on a public host". */
  forbiddenMessage?: string;
}

/** A URL that passed the check, with the address a request to it must connect to. */
export interface CheckedUrl {
  /** The URL, normalised by WHATWG URL: what is stored and requested. */
  url: string;
  /** The host name, without IPv6 brackets: kept for TLS SNI, the certificate check and Host. */
  hostname: string;
  /** The checked address; connecting anywhere else would let DNS rebinding bypass the check. */
  address: string;
  family: 4 | 6;
}

/**
 * Why a URL was refused: `invalid` (not an acceptable URL) and `forbidden`
 * (resolves to a non-public address) will not get better; `unresolved` (DNS
 * failed) may be temporary.
 */
export type UrlRefusal = 'invalid' | 'forbidden' | 'unresolved';

/** A URL the server must not request. `message` is safe to show the client. */
export class UrlRefusedError extends Error {
  constructor(
    readonly refusal: UrlRefusal,
    message: string,
    /** For logs: the host and, when forbidden, the offending address and its ipaddr.js range. No path: it may hold a secret (a device's token). */
    readonly details: { host?: string; address?: string; range?: string } = {},
  ) {
    super(message);
    this.name = 'UrlRefusedError';
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
 * Whether the server may connect to this IP address: only ipaddr.js's
 * `unicast` range (plus `loopback` when `allowLoopback`), so private, CGNAT,
 * link-local, unique-local, multicast, unspecified, reserved, broadcast, 6to4,
 * Teredo, NAT64 and any range ipaddr.js learns later are refused without a list here.
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
 * Decides which URLs the server may request: an accepted scheme, and every
 * address the host resolves to public. Check again before every request
 * (and every redirect): a name can be re-pointed at an internal address.
 */
export class PublicUrlGuard {
  readonly #name: string;
  readonly #protocols: readonly string[];
  readonly #allowLoopback: boolean;
  readonly #lookup: HostLookup;
  readonly #maxLength: number;
  readonly #forbidden: string;

  constructor(options: PublicUrlGuardOptions) {
    this.#name = options.name;
    this.#protocols = options.protocols;
    this.#allowLoopback = options.allowLoopback ?? false;
    this.#lookup = options.lookup ?? dnsLookup;
    this.#maxLength = options.maxLength ?? 2048;
    this.#forbidden = options.forbiddenMessage ?? `${options.name} must be on a public host`;
  }

  /** The URL and the address to connect to; rejects with {@link UrlRefusedError}. */
  async check(raw: string): Promise<CheckedUrl> {
    const url = this.#parse(raw);
    const hostname = url.hostname.replace(/^\[|\]$/g, '');
    const addresses = isIP(hostname) !== 0 ? [hostname] : await this.#resolve(hostname);
    let first: AddressVerdict | undefined;
    for (const address of addresses) {
      const verdict = classifyAddress(address, { allowLoopback: this.#allowLoopback });
      if (!verdict.allowed) throw new UrlRefusedError('forbidden', this.#forbidden, { host: hostname, address, range: verdict.range });
      first ??= verdict;
    }
    if (!first) throw new UrlRefusedError('unresolved', `${this.#name} host could not be resolved`, { host: hostname });
    return { url: url.toString(), hostname, address: first.address, family: first.family };
  }

  #parse(raw: string): URL {
    if (raw.length > this.#maxLength) throw new UrlRefusedError('invalid', `${this.#name} must be at most ${this.#maxLength} characters`);
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new UrlRefusedError('invalid', `${this.#name} must be a URL`);
    }
    if (!this.#protocols.includes(url.protocol)) {
      const schemes = this.#protocols.map((protocol) => protocol.replace(/:$/, ''));
      const named = schemes.length === 2 && schemes.includes('http') && schemes.includes('https') ? 'http(s)' : schemes.join(' or ');
      throw new UrlRefusedError('invalid', `${this.#name} must be an ${named} URL`);
    }
    return url;
  }

  async #resolve(hostname: string): Promise<string[]> {
    try {
      return (await this.#lookup(hostname, { all: true })).map((entry) => entry.address);
    } catch {
      throw new UrlRefusedError('unresolved', `${this.#name} host could not be resolved`, { host: hostname });
    }
  }
}

/**
 * A `lookup` for `http.request` that answers every query with the checked
 * address, so the socket goes where the check looked while the URL's host
 * name still drives SNI, certificate validation and the Host header.
 */
export function pinnedLookup(pinned: Pick<CheckedUrl, 'address' | 'family'>): LookupFunction {
  return (_hostname, options, callback) => {
    // net asks with `all: true` when it races address families (autoSelectFamily, on by default in Node 20).
    if (options.all) callback(null, [{ address: pinned.address, family: pinned.family }]);
    else callback(null, pinned.address, pinned.family);
  };
}
