/**
 * Builds the per-request context (graphql/context.ts declares it): the viewer
 * from the bearer token, the services, fresh loaders made on first use.
 */
import { randomUUID } from 'node:crypto';
import type { Sql } from '../db/sql.js';
import type { PrismaClient } from '../generated/prisma/client.js';
import type { Context, Loaders, Services, SharedLoaders } from '../graphql/context.js';
import type { Logger } from '../lib/logger.js';
import { flatString } from '../lib/text.js';
import type { AuthFailure, Viewer } from '../lib/viewer.js';
import { AuthFailureError } from '../modules/auth/index.js';
import { loaderMaker, type LoaderOptions } from './services.js';

export interface ContextFactoryDeps {
  services: Services;
  prisma: PrismaClient;
  sql: Sql;
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
export async function authenticate(services: Services, token: string | null): Promise<{ viewer: Viewer | null; authFailure: AuthFailure | null }> {
  if (token === null) return { viewer: null, authFailure: null };
  try {
    return { viewer: await services.auth.authenticate(token), authFailure: null };
  } catch (error) {
    if (error instanceof AuthFailureError) return { viewer: null, authFailure: error.failure };
    throw error;
  }
}

/** What the context knows of the request (or the socket's upgrade request). */
export interface RequestInfo {
  requestId?: string;
  clientIp: string;
  origin?: string | null;
  userAgent?: string | null;
}

/** A fresh context: new loaders every time, so nothing is cached across requests or events. */
export function createContext(deps: ContextFactoryDeps, auth: { viewer: Viewer | null; authFailure: AuthFailure | null }, request: RequestInfo): Context {
  return new RequestContext(deps, auth, request);
}

/** One maker per app (its deps object): the loaders' prototype is built once. */
const loaderMakers = new WeakMap<ContextFactoryDeps, () => Loaders>();

/**
 * A class, so the lazy getters live on its prototype rather than as closures
 * per context. No #private fields: Apollo shallow-copies the context for each
 * operation (prototype and own properties), which private fields do not survive.
 */
class RequestContext implements Context {
  readonly viewer: Viewer | null;
  readonly authFailure: AuthFailure | null;
  readonly services: Services;
  readonly requestId: string;
  readonly clientIp: string;
  readonly origin: string | null;
  readonly userAgent: string | null;
  responseNodesLeft: number;
  private madeLoaders: Loaders | undefined;
  private sharedLoaders: SharedLoaders | undefined;
  private madeLogger: Logger | undefined;

  constructor(
    private readonly deps: ContextFactoryDeps,
    auth: { viewer: Viewer | null; authFailure: AuthFailure | null },
    request: RequestInfo,
  ) {
    this.viewer = auth.viewer;
    this.authFailure = auth.authFailure;
    this.services = deps.services;
    this.requestId = request.requestId ?? flatString(randomUUID());
    this.clientIp = request.clientIp;
    this.origin = request.origin ?? null;
    this.userAgent = request.userAgent ?? null;
    this.responseNodesLeft = this.maxResponseNodes || Infinity;
  }

  get loaders(): Loaders {
    // Made on first use: a subscription event that resolves only scalars never builds any.
    if (this.madeLoaders) return this.madeLoaders;
    const shared = this.sharedLoaders;
    if (shared) return (this.madeLoaders = shared.loaders ??= this.newLoaders());
    return (this.madeLoaders = this.newLoaders());
  }

  private newLoaders(): Loaders {
    let make = loaderMakers.get(this.deps);
    if (!make) loaderMakers.set(this.deps, (make = loaderMaker(this.deps, this.deps.services, this.deps.loaderOptions)));
    return make();
  }

  renewLoaders(shared?: SharedLoaders): void {
    this.madeLoaders = undefined;
    this.sharedLoaders = shared;
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
