import type { Server as HttpServer } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { GraphQLSchema } from 'graphql';
import { CloseCode } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import { authenticate, bearerToken, createContext, type ContextFactoryDeps } from '../graphql/context.js';
import { formatError, isClientError } from '../graphql/errors.js';
import type { Viewer } from '../lib/viewer.js';
import type { Metrics } from './metrics.js';

/** What we keep on each connection once `connection_init` is accepted. */
type ConnectionState = {
  viewer?: Viewer;
};

export interface WebSocketOptions extends ContextFactoryDeps {
  httpServer: HttpServer;
  schema: GraphQLSchema;
  metrics: Metrics;
  /** Keep-alive ping interval in ms; default 12,000. */
  keepAliveMs?: number;
}

/**
 * graphql-ws on `/graphql`, sharing the HTTP server's port. Authentication happens
 * once, in `connection_init`; each operation then gets a fresh context (fresh
 * loaders) built from that viewer. Returns a dispose function that closes every
 * socket with 1001 and stops accepting new ones.
 */
export function attachWebSocketServer(options: WebSocketOptions): () => Promise<void> {
  const { services, logger, metrics } = options;
  const wsServer = new WebSocketServer({ server: options.httpServer, path: '/graphql' });

  const serverCleanup = useServer<Record<string, unknown>, ConnectionState>(
    {
      schema: options.schema,
      async onConnect(ctx) {
        const token = bearerToken(ctx.connectionParams?.['authorization'] ?? ctx.connectionParams?.['Authorization']);
        const { viewer, authFailure } = await authenticate(services, token);
        if (!viewer) {
          if (authFailure === 'deactivated') return false; // graphql-ws closes with 4403 Forbidden
          // Closing first makes graphql-ws's own close (4403) a no-op: ws sends one close frame.
          ctx.extra.socket.close(CloseCode.Unauthorized, 'Unauthorized');
          return false;
        }
        ctx.extra.viewer = viewer;
        metrics.websocketConnections.inc();
        metrics.websocketConnectionsTotal.inc();
        services.presence.connected(viewer.id);
        return true;
      },
      onDisconnect(ctx) {
        const viewer = ctx.extra.viewer;
        if (!viewer) return;
        metrics.websocketConnections.dec();
        services.presence.disconnected(viewer.id);
      },
      context(ctx) {
        const { headers, socket } = ctx.extra.request;
        const origin = headers.host ? `${'encrypted' in socket && socket.encrypted ? 'https' : 'http'}://${headers.host}` : null;
        return createContext(options, { viewer: ctx.extra.viewer ?? null, authFailure: null }, randomUUID(), origin);
      },
      onNext(_ctx, _id, _payload, args, result) {
        if (!('errors' in result) || !result.errors?.length) return undefined;
        const contextLogger = (args.contextValue as { logger?: typeof logger } | undefined)?.logger ?? logger;
        for (const error of result.errors) {
          if (!isClientError(error)) contextLogger.error({ err: error.originalError ?? error, path: error.path }, 'operation failed unexpectedly');
        }
        return { ...result, errors: result.errors.map((error) => formatError(error.toJSON(), error)) };
      },
    },
    wsServer,
    options.keepAliveMs ?? 12_000,
  );

  return async () => {
    await serverCleanup.dispose();
  };
}
