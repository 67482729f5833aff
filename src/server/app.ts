import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import path from 'node:path';
import net, { type AddressInfo, type Socket } from 'node:net';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import express, { type ErrorRequestHandler, type Request, type Response } from 'express';
import proxyaddr from 'proxy-addr';
import { NoSchemaIntrospectionCustomRule } from 'graphql';
import helmet from 'helmet';
import type { Env } from '../config/env.js';
import { openDatabase, type Database } from '../db/database.js';
import type { QueryEvent } from '../db/prisma-client.js';
import type { EmbeddedPostgres } from '../db/embedded-postgres.js';
import { JobQueue } from '../jobs/job-queue.js';
import { findRepoRoot } from '../db/migration-files.js';
import type { Context } from '../graphql/context.js';
import { authenticate, bearerToken, createContext, type RequestInfo } from './context.js';
import { formatError } from '../graphql/errors.js';
import { QUERY_LIMITS, limitRules } from '../graphql/limits.js';
import { getSchema } from './schema.js';
import type { Logger } from '../lib/logger.js';
import { RateLimits } from '../lib/rate-limits.js';
import { loadOrCreateSecret } from '../lib/secrets.js';
import { LocalFileStore } from '../media/file-store.js';
import { UrlSigner } from '../media/signed-urls.js';
import { ResumableStore } from '../media/resumable-store.js';
import { TempDir } from '../media/temp-file.js';
import type { Services } from '../graphql/context.js';
import { createServices } from './services.js';
import { loadNativeSenders, loadVapidKeys } from '../modules/devices/index.js';
import type { SearchServiceOptions } from '../modules/search/index.js';
import type { LinkPreviewsOptions } from '../modules/link-previews/index.js';
import { ConnectionRegistry } from '../realtime/connections.js';
import { LocalPresence, RedisPresence, type PresenceStore } from '../realtime/presence.js';
import { InProcessPubSub, type PubSub } from '../realtime/pubsub.js';
import { RedisPubSub } from '../realtime/redis-pubsub.js';
import { httpPipeline } from './http-pipeline.js';
import { httpErrorOf, sendHttpError } from './http-errors.js';
import { clientErrorStatusPlugin, operationLogPlugin, queryLimitsPlugin, rateLimitPlugin, subscriptionsOverWebSocketPlugin } from './apollo-plugins.js';
import { fileRoutes } from './file-routes.js';
import { exportRoutes } from './export-routes.js';
import { webRoutes } from './web-routes.js';
import { createMetrics, serveMetrics, type Metrics } from './metrics.js';
import { multipartUploads } from './uploads.js';
import { PgAdvisoryLocker } from './tus-locker.js';
import { TUS_EXPOSED_HEADERS, tusRoutes } from './tus-routes.js';
import { attachWebSocketServer } from './websocket.js';
import { timedProbe, type ProbeResult } from '../lib/probe.js';
import { SocketClose } from './close-codes.js';

/** A running Payamak server. */
export interface RunningServer {
  /** Base URL, e.g. http://127.0.0.1:4000 */
  url: string;
  port: number;
  database: Database;
  services: Services;
  /** The job queue this instance runs (tests add jobs to it). */
  jobs: JobQueue;
  pubsub: PubSub;
  metrics: Metrics;
  /** The port of the metrics listener (METRICS_PORT; the free one picked for 0), on METRICS_HOST. */
  metricsPort: number;
  /** e.g. http://127.0.0.1:9464/metrics: where Prometheus scrapes. */
  metricsUrl: string;
  /**
   * Shuts down in order: takes no new work (HTTP 503, /readyz included;
   * upgrades refused), lets requests and socket operations in progress finish
   * (at most `tuning.drainTimeoutMs`), closes sockets with 1001, stops
   * listening, stops background work, then closes the database. Safe to call twice.
   */
  close(): Promise<void>;
}

export interface StartOptions {
  env: Env;
  logger: Logger;
  /** Timings tests shorten; production uses the defaults. */
  tuning?: {
    typingTtlMs?: number;
    presenceGraceMs?: number;
    pushRetryDelaysMs?: number[];
    /**
     * TEST ONLY: an extra CA (PEM) the APNs sender trusts, so tests can run a
     * local HTTP/2 fake with a self-signed certificate. Never set in production.
     */
    pushTestCa?: string;
    /** How often the job queue looks for jobs that came due (1,000 ms). */
    jobPollIntervalMs?: number;
    /** Jobs this instance runs at once (6); each holds a database connection of the queue's pool. */
    jobConcurrency?: number;
    socketSweepMs?: number;
    /** WebSocket keep-alive ping interval (12 s). */
    keepAliveMs?: number;
    /** Loaders load one key per query (no batching): only for the benchmark's comparison. */
    disableDataLoaders?: boolean;
    /** Message search's plan, pinned (tests run both); default: chosen per query. */
    search?: SearchServiceOptions;
    /**
     * TEST ONLY: link previews that may reach the tests' local pages
     * (`allowLoopback`, a `lookup` override). The timeout comes from LINK_PREVIEW_TIMEOUT_MS.
     */
    linkPreviews?: Pick<LinkPreviewsOptions, 'allowLoopback' | 'lookup' | 'limits'>;
    /**
     * How long shutdown waits for HTTP requests and WebSocket operations in
     * progress, in ms; what still runs then is cut off (sockets 1001, HTTP
     * connections closed). Keep it below the orchestrator's grace period
     * (Kubernetes: 30 s).
     * @defaultValue 10,000
     */
    drainTimeoutMs?: number;
  };
  /** Called once per SQL statement, with its text (tests count statements per request; the bench can print them). */
  onQuery?: (event: QueryEvent) => void;
  /** Embedded PostgreSQL, already starting: src/index.ts starts it before loading this module (openDatabase's `embedded`). */
  embeddedPostgres?: Promise<EmbeddedPostgres>;
}

const JSON_BODY_LIMIT_BYTES = 1024 * 1024;

/**
 * Helmet's headers, worked out once: with our options they are the same for
 * every response, and helmet otherwise runs eleven middlewares per request.
 */
function recordHeaders(middleware: (req: Request, res: Response, next: (error?: unknown) => void) => void): { set: [string, string][]; removed: string[] } {
  const set: [string, string][] = [];
  const removed: string[] = [];
  const recorder = {
    setHeader: (name: string, value: unknown) => void set.push([name, String(value)]),
    removeHeader: (name: string) => void removed.push(name),
  };
  let finished = false;
  middleware({} as Request, recorder as unknown as Response, () => {
    finished = true;
  });
  if (!finished) throw new Error('helmet did not finish synchronously');
  return { set, removed };
}

export async function startServer({ env, logger, tuning = {}, onQuery, embeddedPostgres }: StartOptions): Promise<RunningServer> {
  // Built while the database opens (mostly waiting on PostgreSQL, another process): a fifth of a second of
  // start-up otherwise spent after it. startOnDatabase awaits it; a failure is reported there.
  getSchema().catch(() => undefined);
  const database = await openDatabase({
    databaseUrl: env.databaseUrl,
    dataDir: env.dataDir,
    logger: logger.child({ module: 'db' }),
    onQuery,
    embedded: embeddedPostgres,
  });
  try {
    return await startOnDatabase(env, logger, database, tuning);
  } catch (error) {
    await database.close();
    throw error;
  }
}

async function startOnDatabase(env: Env, logger: Logger, database: Database, tuning: NonNullable<StartOptions['tuning']>): Promise<RunningServer> {
  const { prisma } = database;
  const { disableDataLoaders, drainTimeoutMs = 10_000, jobPollIntervalMs, jobConcurrency, pushTestCa, ...serviceTuning } = tuning;
  const loaderOptions = disableDataLoaders ? { batch: false } : undefined;
  const jwtSecret = env.jwtSecret ?? (await loadOrCreateSecret(env.dataDir, 'jwt-secret'));
  const connections = new ConnectionRegistry();
  const shared = env.redisUrl ? createRedisParts(env.redisUrl, logger, connections) : undefined;
  const pubsub: PubSub = shared?.pubsub ?? new InProcessPubSub();
  const presence: PresenceStore = shared?.presence ?? new LocalPresence();
  const limits = new RateLimits(env.rateLimits, shared?.pubsub.publisher);
  const vapid = await loadVapidKeys(env.vapid, env.dataDir);
  const nativeSenders = await loadNativeSenders(env.push, pushTestCa ? { ca: pushTestCa } : {});
  const temp = new TempDir(path.join(env.uploadDir, '.tmp'));
  await temp.init();
  const resumableStore = new ResumableStore(path.join(env.uploadDir, '.tus'));
  await resumableStore.init();
  const tusLocker = new PgAdvisoryLocker({ databaseUrl: database.url, logger: logger.child({ module: 'tus' }) });
  const jobs = new JobQueue({ prisma, databaseUrl: database.url, logger, pollIntervalMs: jobPollIntervalMs, concurrency: jobConcurrency });
  const services = createServices({
    prisma,
    sql: database.sql,
    jobs,
    pubsub,
    presence,
    logger,
    jwtSecret,
    limits,
    refreshGraceSeconds: env.refreshGraceSeconds,
    vapid,
    allowInsecurePushEndpoints: !env.isProduction,
    nativeSenders,
    pushCoalesceMs: env.push.coalesceMs,
    admin: {
      pingDatabase: () => database.ping(),
      databaseMode: database.embedded ? 'embedded' : 'external',
      pingPubSub: () => pubsub.ping(),
      uploadDir: env.uploadDir,
      version: await packageVersion(),
      startedAt: new Date(),
      connections,
    },
    files: {
      store: new LocalFileStore(env.uploadDir),
      signer: new UrlSigner({ secret: env.fileUrlSecret ?? (await loadOrCreateSecret(env.dataDir, 'file-url-secret')) }),
      temp,
      publicUrl: env.publicUrl,
      uploadLimiter: { consume: async (userId: string) => void (await limits.uploads.consume(userId)) },
      storageQuota: env.userStorageQuota,
      resumable: { store: resumableStore, maxUnfinished: env.maxUnfinishedUploads, maxUnfinishedBytes: env.maxUnfinishedUploadBytes },
    },
    messageWindows: { editSeconds: env.messageEditWindowSeconds, deleteSeconds: env.messageDeleteWindowSeconds },
    maxGroupMembers: env.maxGroupMembers,
    scheduleMinLeadSeconds: env.scheduleMinLeadSeconds,
    ...serviceTuning,
    linkPreviews: { timeoutMs: env.linkPreviewTimeoutMs, ...serviceTuning.linkPreviews },
  });
  if (env.adminUsername !== undefined && env.adminPassword !== undefined) {
    await services.auth.ensureAdmin(env.adminUsername, env.adminPassword);
  }

  const metrics = createMetrics();
  const schema = await getSchema();
  const app = express();
  // Every request takes one pipeline (graphql-fast-path.ts), made below once Apollo has started; Express serves what is not GraphQL.
  const requests = new HttpRequests();
  const httpServer = createServer((req, res) => {
    if (requests.admit(req, res)) http.handle(req, res);
  });
  httpServer.on('connection', (socket) => requests.connected(socket));
  app.disable('x-powered-by');
  // Express hashes every response body for a weak ETag; GraphQL POST answers are never
  // revalidated, and /files sets its own (the content's sha256).
  app.set('etag', false);
  if (env.trustProxy !== undefined) app.set('trust proxy', env.trustProxy);
  const securityHeaders = recordHeaders(
    helmet({
      // Sandbox's page loads Apollo's scripts from their CDN; in production there is no Sandbox and the strict default applies.
      contentSecurityPolicy: env.introspection ? false : undefined,
      crossOriginEmbedderPolicy: false,
    }),
  );
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    const [db, bus] = await Promise.all([timedProbe(() => database.ping()).then(readiness), timedProbe(() => pubsub.ping()).then(readiness)]);
    const ready = db.status === 'up' && bus.status === 'up';
    if (!ready) logger.warn({ database: db.status, pubsub: bus.status }, 'not ready');
    res.status(ready ? 200 : 503).json({ status: ready ? 'ok' : 'unavailable', database: db, pubsub: { ...bus, kind: shared ? 'redis' : 'in-process' } });
  });

  const webSockets = attachWebSocketServer({
    httpServer,
    schema,
    services,
    prisma,
    sql: database.sql,
    logger,
    metrics,
    connections,
    limits,
    pubsub,
    maxPendingPerIp: env.wsMaxPendingPerIp,
    // The same client address Express computes for HTTP (TRUST_PROXY), so a proxy is not one client.
    clientIpOf: (request) => proxyaddr(request, app.get('trust proxy fn') as (address: string, hop: number) => boolean),
    // Apollo refuses introspection over HTTP (introspection: false below); the socket must too,
    // and hide "Did you mean …?" as hideSchemaDetailsFromClientErrors does.
    ...(env.introspection ? {} : { validationRules: [NoSchemaIntrospectionCustomRule], hideSchemaDetails: true }),
    maxResponseNodes: env.maxResponseNodes,
    ...(loaderOptions ? { loaderOptions } : {}),
    ...(tuning.socketSweepMs ? { sweepIntervalMs: tuning.socketSweepMs } : {}),
    ...(tuning.keepAliveMs ? { keepAliveMs: tuning.keepAliveMs } : {}),
  });

  const apollo = new ApolloServer<Context>({
    schema,
    csrfPrevention: true,
    // index.ts owns signals: shutdown must drain WebSockets before Apollo drains HTTP.
    stopOnTerminationSignals: false,
    introspection: env.introspection,
    // Without introspection, validation errors' "Did you mean …?" would spell out the schema anyway.
    hideSchemaDetailsFromClientErrors: !env.introspection,
    includeStacktraceInErrorResponses: false,
    allowBatchedHttpRequests: false,
    parseOptions: { maxTokens: QUERY_LIMITS.maxTokens },
    validationRules: limitRules,
    formatError,
    // No ApolloServerPluginDrainHttpServer: close() below drains and closes the HTTP server before
    // apollo.stop(), and the plugin kept a map entry and a listener for every connection, sockets too.
    plugins: [
      // Installed by default; its per-field hook makes Apollo wrap every resolver, for
      // Cache-Control hints that a per-viewer messaging API never gives.
      ApolloServerPluginCacheControlDisabled(),
      operationLogPlugin(metrics, logger),
      subscriptionsOverWebSocketPlugin(),
      queryLimitsPlugin(),
      rateLimitPlugin(limits),
      clientErrorStatusPlugin(),
      env.introspection ? ApolloServerPluginLandingPageLocalDefault({ embed: true, includeCookies: false }) : ApolloServerPluginLandingPageDisabled(),
    ],
  });
  await apollo.start();
  const contextDeps = { services, prisma, sql: database.sql, logger, maxResponseNodes: env.maxResponseNodes, ...(loaderOptions ? { loaderOptions } : {}) };
  const graphqlContext = async (authorization: string | undefined, request: RequestInfo) =>
    createContext(contextDeps, await authenticate(services, bearerToken(authorization)), request);

  // A signed file URL is a capability meant for <img src> on the client's own origin, which is not ours.
  app.use('/files', (_req, res, next) => {
    res.setHeader('Cross-Origin-Resource-Policy', 'cross-origin');
    next();
  });
  app.use(fileRoutes(services.files, logger.child({ module: 'files' })));
  app.use(exportRoutes(services.account, logger.child({ module: 'account' })));
  app.use(
    tusRoutes({
      files: services.files,
      authenticate: async (authorization) => (await authenticate(services, bearerToken(authorization))).viewer,
      locker: tusLocker,
      corsOrigins: env.corsOrigins,
      maxSize: services.files.maxUploadBytes,
      logger: logger.child({ module: 'tus' }),
    }),
  );
  app.use(webRoutes({ root: path.join(findRepoRoot(), 'dist', 'web'), publicUrl: env.publicUrl }));
  // graphql-upload reads multipart bodies on Express; every other GraphQL request stays in the pipeline and never comes here.
  app.post('/graphql', multipartUploads({ maxFileSize: services.files.maxUploadBytes }), (req, res, next) =>
    req.body === undefined ? next() : http.execute(req, res, req.body),
  );
  app.use((_req, res) => sendHttpError(res, 'notFound'));
  app.use(((error, _req, res, next) => {
    if (res.headersSent) return next(error);
    const kind = httpErrorOf(error);
    if (kind === 'internal') logger.error({ err: error }, 'unhandled HTTP error');
    sendHttpError(res, kind);
  }) satisfies ErrorRequestHandler);
  const http = httpPipeline({
    apollo,
    securityHeaders,
    corsOrigins: env.corsOrigins,
    corsExposedHeaders: TUS_EXPOSED_HEADERS,
    trustProxy: app.get('trust proxy fn') as (address: string, hop: number) => boolean,
    maxBodyBytes: JSON_BODY_LIMIT_BYTES,
    context: (req, request) => graphqlContext(req.headers.authorization, { ...request, userAgent: req.headers['user-agent'] ?? null }),
    fallback: app,
    metrics,
    logger,
  });

  // Its own listener (METRICS_HOST, loopback by default), never the public API port.
  const metricsServer = await serveMetrics(metrics, { port: env.metricsPort, host: env.metricsHost });
  try {
    await listen(httpServer, env.port, env.host);
    await jobs.start();
  } catch (error) {
    await jobs.stop();
    if (httpServer.listening) httpServer.close();
    await metricsServer.close();
    throw error;
  }
  const { port } = httpServer.address() as AddressInfo;
  const shownHostOf = (host: string) => (host === '0.0.0.0' || host === '::' ? 'localhost' : host.includes(':') ? `[${host}]` : host);
  const shownHost = shownHostOf(env.host);

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      const startedAt = performance.now();
      // 1. No new work, from this tick on: HTTP requests get 503 with Connection: close (/readyz
      //    too, so a load balancer stops sending), upgrades 503, new operations on open sockets are held.
      // 2. What is running finishes: requests, and queries and mutations over sockets.
      const drained = await settlesWithin(Promise.all([requests.drain(), webSockets.drain()]), drainTimeoutMs);
      if (!drained) logger.warn({ drainTimeoutMs }, 'shutdown: cutting off requests and operations still running');
      // 3. Sockets close with 1001: graphql-ws clients reconnect (elsewhere), catch up, and send the held operations again.
      await webSockets.dispose();
      // 4. The listener closes; requests still arriving get their 503, then the connections close.
      await requests.close(httpServer, Math.max(0, startedAt + drainTimeoutMs - performance.now()));
      await apollo.stop();
      await metricsServer.close();
      // 5. Background work that writes to the database stops or finishes before it goes.
      await jobs.stop(); // takes no new jobs, lets running ones finish; the rest wait in the table for the next instance
      services.chats.close(); // typing expiries
      await services.presence.flush(); // lastSeenAt of users still in their offline grace period
      services.devices.close(); // push services' connections
      await presence.close();
      await pubsub.close();
      await tusLocker.close();
      // 6. The database last: Prisma (its pool waits for statements still running), then embedded PostgreSQL.
      await database.close();
      logger.info({ ms: Math.round(performance.now() - startedAt), drained }, 'shut down');
    })();
    return closing;
  };

  return {
    url: `http://${shownHost}:${port}`,
    port,
    database,
    services,
    jobs,
    pubsub,
    metrics,
    metricsPort: metricsServer.port,
    metricsUrl: `http://${shownHostOf(env.metricsHost)}:${metricsServer.port}/metrics`,
    close,
  };
}

/**
 * Redis for pub/sub, presence and rate-limit counters shared by every instance.
 * If its subscriber connection drops, live events may have been missed: this
 * instance closes its sockets (1012) so clients reconnect, perhaps elsewhere,
 * and catch up from the database with messages(afterSeq:).
 */
function createRedisParts(url: string, logger: Logger, connections: ConnectionRegistry) {
  const pubsub = new RedisPubSub({
    url,
    logger: logger.child({ module: 'redis' }),
    onConnectionLost: () => {
      for (const { socket } of connections.all()) socket.close(SocketClose.ServiceRestart, 'Service restart: reconnect and catch up');
    },
  });
  return { pubsub, presence: new RedisPresence(pubsub.publisher) };
}

/**
 * HTTP requests in progress, and the gate that turns new ones away once
 * shutdown has begun: 503 with Connection: close on every route, so a load
 * balancer (polling /readyz) and clients move on and no keep-alive connection
 * is used again. The body is plain JSON like the 404's: it is not a GraphQL
 * error (none of our codes means "retry elsewhere"; the status does).
 */
class HttpRequests {
  readonly #running = new Set<ServerResponse>();
  /** Connections that have not sent a request yet (an upgraded one stays here until it closes). */
  readonly #fresh = new Set<Socket>();
  #accepted = 0;
  #closing = false;
  #idle: (() => void) | undefined;
  #noneFresh: (() => void) | undefined;
  /** One listener for every connection's close (the socket is `this`): nothing held per connection but the set entry. */
  readonly #closed: (this: Socket) => void;

  constructor() {
    const requests = this;
    this.#closed = function (this: Socket) {
      requests.#sentRequest(this);
    };
  }

  connected(socket: Socket): void {
    this.#accepted += 1;
    this.#fresh.add(socket);
    socket.on('close', this.#closed);
  }

  /** Counts the request until its response has closed; false when it was refused (shutting down). */
  admit(req: IncomingMessage, res: ServerResponse): boolean {
    this.#sentRequest(req.socket);
    if (this.#closing) {
      sendHttpError(res, 'shuttingDown');
      return false;
    }
    this.#running.add(res);
    res.on('close', () => {
      this.#running.delete(res);
      if (this.#running.size === 0) this.#idle?.();
    });
    return true;
  }

  /** Refuses new requests from now on; responses not begun yet close their connection. Resolves when none is running. */
  drain(): Promise<void> {
    this.#closing = true;
    for (const res of this.#running) if (!res.headersSent) res.setHeader('connection', 'close');
    return this.#running.size === 0 ? Promise.resolve() : new Promise((resolve) => (this.#idle = resolve));
  }

  /**
   * Stops listening, then closes the connections once none holds a request
   * that is owed an answer; those still open after `timeoutMs` are cut.
   *
   * http.Server.close() would close "idle" connections at once, and to Node a
   * connection accepted but not read yet is idle: under load (the event loop
   * behind) dozens hold a request in their buffers, and closing them resets
   * the clients (ECONNRESET). So the listener closes first (net.Server's
   * close, which http.Server's wraps), those connections get their 503, and
   * only then http.Server.close() closes the idle ones, now keep-alives
   * between requests. One that never sends is waited for at most a second.
   * Before that, connections still queued in the kernel would be reset when
   * the listener closes: it closes after a turn of the event loop that
   * accepted none.
   */
  async close(server: HttpServer, timeoutMs: number): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    for (let seen = -1; seen !== this.#accepted && performance.now() < deadline; ) {
      seen = this.#accepted;
      await new Promise((resolve) => setImmediate(resolve));
    }
    net.Server.prototype.close.call(server);
    if (this.#fresh.size > 0) {
      await settlesWithin(new Promise<void>((resolve) => (this.#noneFresh = resolve)), Math.min(timeoutMs, 1000));
    }
    // Right after a poll phase, so a request that reached an idle keep-alive connection has been read (and answered 503), not reset.
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise<void>((resolve) => {
      const cut = setTimeout(() => server.closeAllConnections(), Math.max(0, deadline - performance.now()));
      server.close(() => {
        clearTimeout(cut);
        resolve();
      });
    });
  }

  #sentRequest(socket: Socket): void {
    if (this.#fresh.delete(socket) && this.#fresh.size === 0) this.#noneFresh?.();
  }
}

/** True when `promise` settled within `ms`. */
async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([promise.then(() => true), timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

/** /readyz's form of a probe: `{ status: 'up', latencyMs }` or `{ status: 'down' }`. */
function readiness(result: ProbeResult): { status: 'up' | 'down'; latencyMs?: number } {
  return result.up ? { status: 'up', latencyMs: result.latencyMs! } : { status: 'down' };
}

async function packageVersion(): Promise<string> {
  const manifest = JSON.parse(await readFile(path.join(findRepoRoot(), 'package.json'), 'utf8')) as { version: string };
  return manifest.version;
}

function listen(server: HttpServer, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
