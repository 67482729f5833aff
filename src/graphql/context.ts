import type { Logger } from '../lib/logger.js';
import type { AuthFailure, Viewer } from '../lib/viewer.js';

/**
 * The long-lived services, one property per feature. Empty here: each module
 * adds its own in its index.ts (`declare module '../../graphql/context.js'`),
 * so this layer names no feature and imports no module, and
 * server/services.ts, which builds them, is checked against all of them.
 */
// biome-ignore lint/suspicious/noEmptyInterface: each module adds its members (declaration merging)
export interface Services {}

/** The per-request (or per-event) DataLoaders, declared by each module beside its Services. */
// biome-ignore lint/suspicious/noEmptyInterface: each module adds its members (declaration merging)
export interface Loaders {}

/**
 * One set of loaders for everyone who renders the same subscription event:
 * made by the first who needs it, used by the rest. Loaders are made without a
 * viewer (a key names the viewer wherever the answer depends on one), so the
 * members of a group rendering one message batch their sender, status and
 * reaction reads into one statement each instead of one per member.
 */
export interface SharedLoaders {
  loaders?: Loaders;
}

/** What every resolver receives, over HTTP and WebSocket alike. */
export interface Context {
  viewer: Viewer | null;
  /** Why a presented token gave no viewer; null when none was presented or it was fine. */
  authFailure: AuthFailure | null;
  services: Services;
  readonly loaders: Loaders;
  /**
   * Drops the loaders (new ones are made on next use) and refills
   * {@link responseNodesLeft}. A subscription's context lives as long as the
   * subscription: its caches are dropped after setting it up and after each
   * event (see server/shared-subscriptions.ts), so no event sees stale members,
   * an idle socket holds none, and each event is counted on its own. With
   * `shared`, the next loaders are the event's, shared with its other renderers.
   */
  renewLoaders(shared?: SharedLoaders): void;
  /**
   * List items the response may still carry: MAX_RESPONSE_NODES at the start
   * (Infinity when 0, off). graphql/response-limit.ts subtracts each list's
   * length as it resolves; below zero the operation fails.
   */
  responseNodesLeft: number;
  /** MAX_RESPONSE_NODES, for the refusal's message; 0 when off. */
  readonly maxResponseNodes: number;
  readonly logger: Logger;
  requestId: string;
  /** The caller's address (X-Forwarded-For is believed only with TRUST_PROXY). */
  clientIp: string;
  /** The request's User-Agent header (the upgrade request's, over WebSocket); null when none was sent. Kept on sessions started here. */
  userAgent: string | null;
  /** `scheme://host[:port]` the client reached us at; absolute URLs (signed file URLs) start with it. Null when unknown. */
  origin: string | null;
}
