import { randomUUID } from 'node:crypto';
import type { PrismaClient } from '../generated/prisma/client.js';
import type { Logger } from '../lib/logger.js';
import { flatString } from '../lib/text.js';
import type { Viewer } from '../lib/viewer.js';
import { AuthFailureError, type AuthFailure } from '../modules/auth/index.js';
import { createLoaders, type LoaderOptions, type Loaders, type Services } from '../modules/index.js';

/** What every resolver receives, over HTTP and WebSocket alike. */
export interface Context {
  viewer: Viewer | null;
  /** Why a presented token gave no viewer; null when none was presented or it was fine. */
  authFailure: AuthFailure | null;
  services: Services;
  prisma: PrismaClient;
  readonly loaders: Loaders;
  /**
   * Drops the loaders (new ones are made on next use) and refills
   * {@link responseNodesLeft}. A subscription's context lives as long as the
   * subscription: its caches are dropped after setting it up and after each
   * event (see server/shared-subscriptions.ts), so no event sees stale members,
   * an idle socket holds none, and each event is counted on its own.
   */
  renewLoaders(): void;
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
  /** `scheme://host[:port]` the client reached us at; absolute URLs (signed file URLs) start with it. Null when unknown. */
  origin: string | null;
}

export interface ContextFactoryDeps {
  services: Services;
  prisma: PrismaClient;
  logger: Logger;
  /** Passed to every context's loaders; the default batches. */
  loaderOptions?: LoaderOptions;
  /** MAX_RESPONSE_NODES: list items one response (one subscription event) may carry; 0 or unset is no limit. */
  maxResponseNodes?: number;
}

/** Strips an optional `Bearer ` prefix; null when nothing usable was sent. */
export function bearerToken(header: unknown): string | null {
  if (typeof header !== 'string') return null;
  const token = header.replace(/^Bearer\s+/i, '').trim();
  return token === '' ? null : token;
}

/** Resolves the viewer of a token, or the reason it gives none. */
export async function authenticate(
  services: Services,
  token: string | null,
): Promise<{ viewer: Viewer | null; authFailure: AuthFailure | null }> {
  if (token === null) return { viewer: null, authFailure: null };
  try {
    return { viewer: await services.auth.authenticate(token), authFailure: null };
  } catch (error) {
    if (error instanceof AuthFailureError) return { viewer: null, authFailure: error.failure };
    throw error;
  }
}

/** A fresh context: new loaders every time, so nothing is cached across requests or events. */
export function createContext(
  deps: ContextFactoryDeps,
  auth: { viewer: Viewer | null; authFailure: AuthFailure | null },
  request: { requestId?: string; clientIp: string; origin?: string | null },
): Context {
  return new RequestContext(deps, auth, request);
}

/**
 * A class, so the lazy getters live on its prototype rather than as closures
 * per context. No #private fields: Apollo shallow-copies the context for each
 * operation (prototype and own properties), which private fields do not survive.
 */
class RequestContext implements Context {
  readonly viewer: Viewer | null;
  readonly authFailure: AuthFailure | null;
  readonly services: Services;
  readonly prisma: PrismaClient;
  readonly requestId: string;
  readonly clientIp: string;
  readonly origin: string | null;
  responseNodesLeft: number;
  private madeLoaders: Loaders | undefined;
  private madeLogger: Logger | undefined;

  constructor(
    private readonly deps: ContextFactoryDeps,
    auth: { viewer: Viewer | null; authFailure: AuthFailure | null },
    request: { requestId?: string; clientIp: string; origin?: string | null },
  ) {
    this.viewer = auth.viewer;
    this.authFailure = auth.authFailure;
    this.services = deps.services;
    this.prisma = deps.prisma;
    this.requestId = request.requestId ?? flatString(randomUUID());
    this.clientIp = request.clientIp;
    this.origin = request.origin ?? null;
    this.responseNodesLeft = this.maxResponseNodes || Infinity;
  }

  get loaders(): Loaders {
    // Made on first use: a subscription event that resolves only scalars never builds any.
    return (this.madeLoaders ??= createLoaders(this.deps.prisma, this.deps.services, this.deps.loaderOptions));
  }

  renewLoaders(): void {
    this.madeLoaders = undefined;
    this.responseNodesLeft = this.maxResponseNodes || Infinity;
  }

  get maxResponseNodes(): number {
    return this.deps.maxResponseNodes ?? 0;
  }

  get logger(): Logger {
    // Made on first use too: most operations log nothing.
    return (this.madeLogger ??= this.deps.logger.child({ requestId: this.requestId, ...(this.viewer ? { userId: this.viewer.id } : {}) }));
  }
}
