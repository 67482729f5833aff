import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server as HttpServer } from 'node:http';
import { GraphQLError, getOperationAST, getVariableValues, parse, specifiedRules, validate, type DocumentNode, type GraphQLSchema } from 'graphql';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Context } from '../graphql/context.js';
import { authenticate, bearerToken, createContext, type ContextFactoryDeps } from './context.js';
import { REASON_OF_FAILURE } from '../lib/viewer.js';
import { AuthFailureError } from '../modules/auth/index.js';
import { formatError, isClientError, withoutSuggestions } from '../graphql/errors.js';
import { QUERY_LIMITS, checkCost, checkVariables, limitRules, tooManyTokens } from '../graphql/limits.js';
import { AppError, ErrorCode, unauthenticated } from '../lib/errors.js';
import type { RateLimits } from '../lib/rate-limits.js';
import { spendBudget } from './budgets.js';
import { flatString } from '../lib/text.js';
import type { Viewer } from '../lib/viewer.js';
import type { ConnectionRegistry } from '../realtime/connections.js';
import type { PubSub } from '../realtime/pubsub.js';
import { serveGraphqlWs, type GraphqlWsServer } from './graphql-ws-adapter.js';
import { rootFieldOf } from './apollo-plugins.js';
import type { Metrics } from './metrics.js';
import { sharedSubscribe } from './shared-subscriptions.js';
import { AuthTopic } from '../modules/auth/index.js';
import { EVERY_INSTANCE } from '../realtime/pubsub.js';
import { SocketClose } from './close-codes.js';

/** What we keep on each connection once `connection_init` is accepted. */
type ConnectionState = {
  viewer?: Viewer;
  /** Read from the upgrade request in onConnect; the request itself is not kept. */
  clientIp?: string;
  /** The upgrade request's User-Agent (at most 256 characters), for sessions started over the socket. */
  userAgent?: string | null;
  origin?: string | null;
  /** Names this socket in presence, which counts connections, not users. */
  connectionId?: string;
  /** Ids of this socket's running subscriptions. */
  subscriptions?: Set<string>;
  /** Shared by the socket's subscriptions (their loaders are dropped after every event). */
  subscriptionContext?: Context;
};

/** Options for {@link attachWebSocketServer}; defaults in parentheses. */
export interface WebSocketOptions extends ContextFactoryDeps {
  httpServer: HttpServer;
  schema: GraphQLSchema;
  metrics: Metrics;
  connections: ConnectionRegistry;
  /** RATE_LIMIT_API (or RATE_LIMIT_SIGNALS, budgets.ts): every operation over the socket counts, as over HTTP. RATE_LIMIT_CONNECT: accepted connections per user. */
  limits: Pick<RateLimits, 'api' | 'signals' | 'connect'>;
  /** Carries the sockets to close when sessions end anywhere ({@link AuthTopic.SocketsToClose}). */
  pubsub: PubSub;
  /** Sockets one IP address may hold open before `connection_init` (WS_MAX_PENDING_PER_IP, 50); 0 is no cap. */
  maxPendingPerIp?: number;
  /** The client's address for an upgrade request (default: the TCP peer; app.ts applies TRUST_PROXY). */
  clientIpOf?: (request: IncomingMessage) => string;
  /** Keep-alive ping interval in ms (12,000): a peer that misses a pong is dropped. */
  keepAliveMs?: number;
  /** Time allowed for `connection_init` after the socket opens, in ms (3,000). */
  connectionInitTimeoutMs?: number;
  /** Largest message a client may send, in bytes (1 MiB, like the HTTP body limit). */
  maxPayloadBytes?: number;
  /** Subscriptions one socket may hold (50). */
  maxSubscriptionsPerSocket?: number;
  /** Sockets one user may hold across devices (10); the oldest is closed to admit another. */
  maxSocketsPerUser?: number;
  /** Unsent bytes a socket may queue before it is cut off as a slow consumer (4 MiB). */
  maxBufferedBytes?: number;
  /** How often sockets of deactivated users and ended sessions are closed, in ms (60,000). */
  sweepIntervalMs?: number;
  /** Distinct valid documents kept parsed and validated, by query text (1,000). */
  documentCacheSize?: number;
  /** Validation rules run beside graphql-js' own and the query limits (none): NoSchemaIntrospectionCustomRule when introspection is off. */
  validationRules?: typeof specifiedRules;
  /** Drops "Did you mean …?" (schema names) from validation errors, as Apollo's `hideSchemaDetailsFromClientErrors` (false). */
  hideSchemaDetails?: boolean;
}

/**
 * graphql-ws on `/graphql`, sharing the HTTP server's port. Authentication happens
 * once, in `connection_init`; each operation then gets a fresh context (fresh
 * loaders) built from that viewer, after the same parse, validation and cost
 * limits as HTTP. Returns the two steps of its shutdown: `drain` (take no new
 * work, wait for operations in progress) and `dispose` (close every socket with 1001).
 */
export function attachWebSocketServer(options: WebSocketOptions): GraphqlWsServer {
  const { services, logger, metrics, schema, connections } = options;
  const maxSubscriptions = options.maxSubscriptionsPerSocket ?? 50;
  const maxSockets = options.maxSocketsPerUser ?? 10;
  const maxBuffered = options.maxBufferedBytes ?? 4 * 1024 * 1024;
  const documents = new DocumentCache(options.documentCacheSize ?? 1000);
  const wsServer = new WebSocketServer({ server: options.httpServer, path: '/graphql', maxPayload: options.maxPayloadBytes ?? 1024 * 1024 });
  const ipOf = options.clientIpOf ?? clientIpOf;
  const pending = new PendingSockets(options.maxPendingPerIp ?? 50);
  // Operations being started, by their subscribe payload (the object graphql-ws hands onSubscribe, onError
  // and onOperation alike): counted in graphql_operations_total once refused or run, as over HTTP.
  const operationMetrics = new WeakMap<object, { started: number; type: string; field: string }>();
  const counted = (payload: object, failed: boolean) => {
    const metric = operationMetrics.get(payload);
    if (!metric) return; // a subscription's error after it started: counted when it started
    operationMetrics.delete(payload);
    const { type, field } = metric;
    metrics.graphqlOperations.inc({ type, field, transport: 'ws', outcome: failed ? 'error' : 'ok' });
    // A subscription's duration would be its lifetime: the histogram is of queries and mutations.
    if (type !== 'subscription') metrics.graphqlDuration.observe({ type, field, transport: 'ws' }, (performance.now() - metric.started) / 1000);
  };
  // Registered before graphql-ws' own handler, so a refused socket never reaches it.
  wsServer.on('connection', (socket, request) => {
    if (!pending.admit(socket, ipOf(request))) socket.close(SocketClose.RateLimited, 'Too many connections waiting for connection_init from this address');
  });

  const serverCleanup = serveGraphqlWs<ConnectionState>(
    {
      schema,
      subscribe: sharedSubscribe,
      connectionInitWaitTimeout: options.connectionInitTimeoutMs ?? 3000,
      async onConnect(ctx) {
        pending.initialised(ctx.extra.socket);
        const token = bearerToken(ctx.connectionParams?.['authorization'] ?? ctx.connectionParams?.['Authorization']);
        const { viewer, authFailure } = await authenticate(services, token);
        if (!viewer) {
          // The close reason is the UNAUTHENTICATED reason HTTP would give (TOKEN_INVALID when none was sent).
          const reason = REASON_OF_FAILURE[authFailure ?? 'invalid'];
          // Closing first makes graphql-ws's own close (4403) a no-op: ws sends one close frame.
          // Deactivated: 4403, as before; the rest 4401, final for graphql-ws' client: refresh or sign in, then connect again.
          ctx.extra.socket.close(authFailure === 'deactivated' ? SocketClose.Forbidden : SocketClose.Unauthorized, reason);
          return false;
        }
        try {
          await options.limits.connect.consume(`user:${viewer.id}`);
        } catch (error) {
          if (!(error instanceof AppError) || error.code !== ErrorCode.RATE_LIMITED) throw error;
          ctx.extra.socket.close(SocketClose.RateLimited, 'Too many connections: retry later');
          return false;
        }
        ctx.extra.viewer = viewer;
        const request = ctx.extra.request!;
        ctx.extra.clientIp = ipOf(request);
        const userAgent = request.headers['user-agent'];
        ctx.extra.userAgent = userAgent === undefined ? null : flatString(userAgent.slice(0, 256));
        const origin = originOf(request);
        ctx.extra.origin = origin === null ? null : flatString(origin);
        // Kept for the socket's life otherwise: ~1.5 KB of headers and the bearer token per idle socket.
        ctx.extra.request = undefined;
        (ctx as { connectionParams?: unknown }).connectionParams = undefined;
        ctx.extra.connectionId = flatString(randomUUID());
        ctx.extra.subscriptions = new Set();
        const evicted = connections.add(viewer.id, { socket: ctx.extra.socket, sessionId: viewer.sessionId }, maxSockets);
        for (const { socket } of evicted) socket.close(SocketClose.TooManyConnections, 'Too many connections for this user');
        metrics.websocketConnections.inc();
        metrics.websocketConnectionsTotal.inc();
        services.presence.connected(viewer.id, ctx.extra.connectionId, viewer.sessionId);
        return true;
      },
      onDisconnect(ctx) {
        const viewer = ctx.extra.viewer;
        if (!viewer) return;
        connections.remove(viewer.id, ctx.extra.socket);
        metrics.websocketConnections.dec();
        services.presence.disconnected(viewer.id, ctx.extra.connectionId!, viewer.sessionId);
      },
      async onSubscribe(ctx, id, payload) {
        // Refused before its operation is known (rate limit, syntax, validation): "invalid", as Apollo labels it.
        const metric = { started: performance.now(), type: 'invalid', field: 'unknown' };
        operationMetrics.set(payload, metric);
        const connectedAs = ctx.extra.viewer!;
        const cached = documents.get(payload.query);
        // graphql-ws keeps the payload for the operation's life; the cache's copy of the
        // text lets the received message (which the parsed text may point into) go.
        if (cached) (payload as { query: string }).query = cached.query;
        // Parsed before the budget is spent, to know which budget (budgets.ts); one
        // that does not parse spends the API budget all the same.
        let document: DocumentNode | undefined = cached?.document;
        let unparsable: unknown;
        if (!document) {
          try {
            document = parse(payload.query, { maxTokens: QUERY_LIMITS.maxTokens });
          } catch (error) {
            unparsable = error;
          }
        }
        try {
          await spendBudget(options.limits, document && getOperationAST(document, payload.operationName), { userId: connectedAs.id, ip: ctx.extra.clientIp! });
        } catch (error) {
          return [asClientError(error)];
        }
        if (!document) return [asClientError(unparsable)];
        if (!cached) {
          const errors = validate(schema, document, [...specifiedRules, ...limitRules, ...(options.validationRules ?? [])]);
          if (errors.length > 0) {
            // Our own rules' refusals (limits) carry their code and reason; graphql-js' may name schema types.
            return errors.map((error) =>
              asClientError(options.hideSchemaDetails && !(error instanceof AppError) ? new Error(withoutSuggestions(error.message)) : error),
            );
          }
          documents.set(payload.query, document);
        }
        const operation = getOperationAST(document, payload.operationName);
        if (!operation) return [asClientError(new GraphQLError('No operation to run: name one with operationName'))];
        metric.type = operation.operation;
        metric.field = rootFieldOf(operation);
        // Coerced here, for every operation, rather than left to execution: a cached
        // document skips the cost estimate's coercion, and execution's errors would
        // come back wrapped (with an original error), as if something had failed.
        try {
          checkVariables(payload.variables);
        } catch (error) {
          return [asClientError(error)];
        }
        const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], payload.variables ?? {}, { maxErrors: 10 });
        if (coerced.errors) return coerced.errors.map(asClientError);
        try {
          checkCost(schema, document, payload.variables ?? undefined, payload.operationName);
        } catch (error) {
          return [asClientError(error)];
        }
        const running = ctx.extra.subscriptions!;
        if (operation.operation === 'subscription') {
          // Counted before the wait below, so concurrent subscribes cannot all see room.
          if (running.size >= maxSubscriptions) {
            return [new AppError(ErrorCode.BAD_USER_INPUT, `A connection may hold at most ${maxSubscriptions} subscriptions`)];
          }
          running.add(id);
        }
        // A socket follows its session, not the token it connected with: each
        // operation runs with the role the database holds now, and a session
        // that ended (on any instance) ends this socket before anything runs.
        let viewer: Viewer;
        try {
          viewer = await services.auth.viewerOfSession(connectedAs.id, connectedAs.sessionId);
        } catch (error) {
          running.delete(id);
          if (!(error instanceof AuthFailureError)) throw error;
          const reason = REASON_OF_FAILURE[error.failure];
          // Closed once graphql-ws has sent this operation's error, so the client reads the reason there too.
          setImmediate(() => ctx.extra.socket.close(SocketClose.Forbidden, reason));
          return [unauthenticated(reason)];
        }
        if (viewer.role !== connectedAs.role) {
          ctx.extra.viewer = viewer;
          ctx.extra.subscriptionContext = undefined; // new subscriptions get the new rights
        }
        const newContext = () =>
          createContext(
            options,
            { viewer, authFailure: null },
            { clientIp: ctx.extra.clientIp!, origin: ctx.extra.origin ?? null, userAgent: ctx.extra.userAgent ?? null },
          );
        return {
          schema,
          document,
          operationName: payload.operationName,
          variableValues: payload.variables,
          // Queries and mutations get fresh loaders, as over HTTP.
          contextValue: operation.operation === 'subscription' ? (ctx.extra.subscriptionContext ??= newContext()) : newContext(),
        };
      },
      onError(_ctx, _id, payload) {
        counted(payload, true);
      },
      onOperation(_ctx, _id, payload, _args, result) {
        counted(payload, !(Symbol.asyncIterator in result) && ((result as { errors?: readonly unknown[] }).errors?.length ?? 0) > 0);
      },
      onComplete(ctx, id) {
        ctx.extra.subscriptions?.delete(id);
      },
      onNext(ctx, _id, _payload, args, result) {
        // A client that does not read its socket would make us buffer without bound.
        if (ctx.extra.socket.bufferedAmount > maxBuffered) {
          ctx.extra.socket.close(SocketClose.SlowConsumer, 'Too slow: reconnect and catch up with messages(afterSeq:)');
          return undefined;
        }
        if (!('errors' in result) || !result.errors?.length) return undefined;
        const contextLogger = (args.contextValue as { logger?: typeof logger } | undefined)?.logger ?? logger;
        for (const error of result.errors) {
          if (!isClientError(error)) contextLogger.error({ err: error.originalError ?? error, path: error.path }, 'operation failed unexpectedly');
        }
        return { ...result, errors: result.errors.map((error) => formatError(error.toJSON(), error)) };
      },
    },
    wsServer,
    logger,
    options.keepAliveMs ?? 12_000,
  );

  // Sessions that end on any instance (logout, password change, deactivation, a role change) close their sockets here at once.
  const stopListening = options.pubsub.listen(AuthTopic.SocketsToClose, EVERY_INSTANCE, (event) => {
    const closed = connections.closeSessions(event.userId, event.sessionIds, event.exceptSessionId ?? null, SocketClose.Forbidden, event.reason);
    if (closed > 0) logger.info({ userId: event.userId, closed, reason: event.reason }, 'closed sockets of ended sessions');
  });

  // A backstop for what no event announces: a CLI deactivation, or an event lost while Redis was down.
  const sweep = setInterval(() => {
    const sessions = connections.all();
    if (sessions.length === 0) return;
    void services.auth
      .staleSessions(sessions.map((s) => s.sessionId))
      .then((stale) => {
        for (const entry of sessions) {
          const reason = stale.get(entry.sessionId);
          if (reason) entry.socket.close(SocketClose.Forbidden, REASON_OF_FAILURE[reason]);
        }
      })
      .catch((error: unknown) => logger.error({ err: error }, 'socket sweep failed'));
  }, options.sweepIntervalMs ?? 60_000);
  sweep.unref();

  return {
    // Sessions that end meanwhile still close their sockets: the listener and the sweep stay until dispose.
    drain: () => serverCleanup.drain(),
    async dispose() {
      clearInterval(sweep);
      stopListening();
      await serverCleanup.dispose();
    },
  };
}

/** Where the client reached us, for absolute URLs (PUBLIC_URL, when set, wins over it). No proxy headers are read. */
export function originOf(request: IncomingMessage): string | null {
  const { headers, socket } = request;
  return headers.host ? `${'encrypted' in socket && socket.encrypted ? 'https' : 'http'}://${headers.host}` : null;
}

/**
 * Parsed and validated documents by query text. Apps subscribe with a handful
 * of documents over and over; each subscription then shares one AST instead of
 * parsing (≈5 KB of tokens and locations it kept for its lifetime) and
 * validating again. Only valid documents are kept; the oldest goes first.
 */
class DocumentCache {
  readonly #documents = new Map<string, { query: string; document: DocumentNode }>();

  constructor(private readonly size: number) {}

  get(query: string): { query: string; document: DocumentNode } | undefined {
    const entry = this.#documents.get(query);
    if (entry) {
      // Most recently used last, so eviction drops the least recently used.
      this.#documents.delete(query);
      this.#documents.set(entry.query, entry);
    }
    return entry;
  }

  set(query: string, document: DocumentNode): void {
    if (this.size <= 0 || query.length > MAX_CACHED_QUERY_LENGTH) return;
    if (this.#documents.size >= this.size) this.#documents.delete(this.#documents.keys().next().value!);
    // A flat copy: the text as received may be a slice of the whole WebSocket message.
    const own = flatString(query);
    this.#documents.set(own, { query: own, document });
  }
}

/** Longer documents are parsed every time rather than kept (a cache of 1,000 stays under ~16 MB). */
const MAX_CACHED_QUERY_LENGTH = 16 * 1024;

/**
 * Sockets that have not sent `connection_init` yet, by client address: one
 * address cannot hold hundreds of unauthenticated sockets open (each is held
 * for the init timeout, then it opens them again).
 */
class PendingSockets {
  readonly #byIp = new Map<string, number>();
  readonly #ipOf = new WeakMap<object, string>();
  /** One close listener for all sockets (the socket is `this`), so an idle socket holds no closure for it. */
  readonly #closed: (this: WebSocket) => void;

  constructor(private readonly maxPerIp: number) {
    const pending = this;
    this.#closed = function (this: WebSocket) {
      pending.initialised(this);
    };
  }

  /** Counts a new socket against its address; false when the address is at its cap. */
  admit(socket: WebSocket, ip: string): boolean {
    if (this.maxPerIp <= 0) return true;
    const count = this.#byIp.get(ip) ?? 0;
    if (count >= this.maxPerIp) return false;
    this.#byIp.set(ip, count + 1);
    this.#ipOf.set(socket, ip);
    socket.on('close', this.#closed);
    return true;
  }

  /** The socket sent connection_init (or closed): it no longer counts. */
  initialised(socket: object): void {
    const ip = this.#ipOf.get(socket);
    if (ip === undefined) return;
    this.#ipOf.delete(socket);
    const count = (this.#byIp.get(ip) ?? 1) - 1;
    if (count <= 0) this.#byIp.delete(ip);
    else this.#byIp.set(ip, count);
  }
}

function clientIpOf(request: IncomingMessage): string {
  return request.socket.remoteAddress ?? 'unknown';
}

/** Errors of the request itself (syntax, validation, limits), with our code. */
function asClientError(error: unknown): GraphQLError {
  if (error instanceof AppError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return tooManyTokens({ message }) ?? new AppError(ErrorCode.BAD_USER_INPUT, message);
}
