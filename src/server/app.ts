import { createServer, type Server as HttpServer } from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { ApolloServer } from '@apollo/server';
import { expressMiddleware } from '@as-integrations/express5';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import {
  ApolloServerPluginLandingPageLocalDefault,
  ApolloServerPluginLandingPageProductionDefault,
} from '@apollo/server/plugin/landingPage/default';
import express, { type ErrorRequestHandler, type Request } from 'express';
import type { Env } from '../config/env.js';
import { openDatabase, type Database } from '../db/database.js';
import { authenticate, bearerToken, createContext, type Context } from '../graphql/context.js';
import { formatError } from '../graphql/errors.js';
import { getSchema } from '../graphql/schema.js';
import { ErrorCode } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import { loadOrCreateSecret } from '../lib/secrets.js';
import { LocalFileStore } from '../media/file-store.js';
import { UrlSigner } from '../media/signed-urls.js';
import { TempDir } from '../media/temp-file.js';
import { createServices, type Services } from '../modules/index.js';
import { InProcessPubSub } from '../realtime/pubsub.js';
import { operationLogPlugin } from './apollo-plugins.js';
import { fileRoutes } from './file-routes.js';
import { createMetrics, type Metrics } from './metrics.js';
import { multipartUploads } from './uploads.js';
import { attachWebSocketServer } from './websocket.js';

/** A running Payamak server. */
export interface RunningServer {
  /** Base URL, e.g. http://127.0.0.1:4000 */
  url: string;
  port: number;
  database: Database;
  services: Services;
  pubsub: InProcessPubSub;
  metrics: Metrics;
  /** Drains WebSockets, then HTTP, then the database; safe to call twice. */
  close(): Promise<void>;
}

export interface StartOptions {
  env: Env;
  logger: Logger;
  /** Timings tests shorten; production uses the defaults. */
  tuning?: { typingTtlMs?: number };
  /** Called once per SQL statement (tests count statements per request). */
  onQuery?: () => void;
}

const JSON_BODY_LIMIT = '1mb';
const REQUEST_ID = /^[\w.-]{1,64}$/;

export async function startServer({ env, logger, tuning = {}, onQuery }: StartOptions): Promise<RunningServer> {
  const database = await openDatabase({ databaseUrl: env.databaseUrl, dataDir: env.dataDir, logger: logger.child({ module: 'db' }), onQuery });
  try {
    return await startOnDatabase(env, logger, database, tuning);
  } catch (error) {
    await database.close();
    throw error;
  }
}

async function startOnDatabase(env: Env, logger: Logger, database: Database, tuning: NonNullable<StartOptions['tuning']>): Promise<RunningServer> {
  const { prisma } = database;
  const jwtSecret = env.jwtSecret ?? (await loadOrCreateSecret(env.dataDir, 'jwt-secret'));
  const pubsub = new InProcessPubSub();
  const temp = new TempDir(path.join(env.uploadDir, '.tmp'));
  await temp.init();
  const files = {
    store: new LocalFileStore(env.uploadDir),
    signer: new UrlSigner({ secret: env.fileUrlSecret ?? (await loadOrCreateSecret(env.dataDir, 'file-url-secret')) }),
    temp,
    publicUrl: env.publicUrl,
  };
  const services = createServices({ prisma, pubsub, logger, jwtSecret, files, ...tuning });
  if (env.adminUsername !== undefined && env.adminPassword !== undefined) {
    await services.auth.ensureAdmin(env.adminUsername, env.adminPassword);
  }

  const metrics = createMetrics();
  const schema = await getSchema();
  const app = express();
  const httpServer = createServer(app);
  app.disable('x-powered-by');
  if (env.trustProxy !== undefined) app.set('trust proxy', env.trustProxy);

  app.use((req, res, next) => {
    const header = req.header('x-request-id');
    const requestId = header !== undefined && REQUEST_ID.test(header) ? header : randomUUID();
    res.locals['requestId'] = requestId;
    res.setHeader('x-request-id', requestId);
    const started = performance.now();
    res.on('finish', () => {
      const route = routeLabel(req);
      metrics.httpRequests.inc({ method: req.method, route, status: String(res.statusCode) });
      metrics.httpDuration.observe({ method: req.method, route }, (performance.now() - started) / 1000);
    });
    next();
  });

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    try {
      const latencyMs = await database.ping();
      res.json({ status: 'ok', database: { status: 'up', latencyMs } });
    } catch (error) {
      logger.warn({ err: error }, 'readiness check: database down');
      res.status(503).json({ status: 'unavailable', database: { status: 'down' } });
    }
  });
  app.get('/metrics', async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });

  const disposeWebSockets = attachWebSocketServer({
    httpServer,
    schema,
    services,
    prisma,
    logger,
    metrics,
  });

  const apollo = new ApolloServer<Context>({
    schema,
    csrfPrevention: true,
    // index.ts owns signals: shutdown must drain WebSockets before Apollo drains HTTP.
    stopOnTerminationSignals: false,
    introspection: env.introspection,
    includeStacktraceInErrorResponses: false,
    formatError,
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      operationLogPlugin(metrics),
      env.introspection
        ? ApolloServerPluginLandingPageLocalDefault({ embed: true, includeCookies: false })
        : ApolloServerPluginLandingPageProductionDefault({ footer: false }),
    ],
  });
  await apollo.start();

  app.use(fileRoutes(services.files, logger.child({ module: 'files' })));
  app.use(
    '/graphql',
    multipartUploads({ maxFileSize: services.files.maxUploadBytes }),
    express.json({ limit: JSON_BODY_LIMIT }),
    expressMiddleware(apollo, {
      context: async ({ req, res }) =>
        createContext(
          { services, prisma, logger },
          await authenticate(services, bearerToken(req.headers.authorization)),
          res.locals['requestId'] as string,
          req.get('host') ? `${req.protocol}://${req.get('host')}` : null,
        ),
    }),
  );
  app.use((_req, res) => {
    res.status(404).json({ error: 'Not found' });
  });
  app.use(((error, _req, res, next) => {
    if (res.headersSent) return next(error);
    const status = typeof error?.status === 'number' ? (error.status as number) : 500;
    if (status === 413) {
      res.status(413).json({ errors: [{ message: `Request body is larger than ${JSON_BODY_LIMIT}`, extensions: { code: ErrorCode.PAYLOAD_TOO_LARGE } }] });
    } else if (status >= 400 && status < 500) {
      res.status(status).json({ errors: [{ message: 'Malformed request body', extensions: { code: ErrorCode.BAD_USER_INPUT } }] });
    } else {
      logger.error({ err: error }, 'unhandled HTTP error');
      res.status(500).json({ errors: [{ message: 'Internal server error', extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR } }] });
    }
  }) satisfies ErrorRequestHandler);

  await listen(httpServer, env.port, env.host);
  const { port } = httpServer.address() as AddressInfo;
  const shownHost = env.host === '0.0.0.0' || env.host === '::' ? 'localhost' : env.host;

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      await disposeWebSockets();
      await apollo.stop(); // drains HTTP: stops accepting, waits for in-flight requests
      services.chats.close();
      await pubsub.close();
      await database.close();
    })();
    return closing;
  };

  return { url: `http://${shownHost}:${port}`, port, database, services, pubsub, metrics, close };
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

/** Known routes by name; everything else as one label, so scanners cannot grow the metric. */
function routeLabel(req: Request): string {
  const path = req.originalUrl.split('?')[0] ?? '';
  if (path === '/graphql' || path === '/healthz' || path === '/readyz' || path === '/metrics') return path;
  if (path.startsWith('/files/')) return '/files/:id';
  return 'other';
}
