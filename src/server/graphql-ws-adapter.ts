import type { IncomingMessage } from 'node:http';
import { CloseCode, handleProtocols, makeServer, type ServerOptions } from 'graphql-ws';
import type { WebSocket, WebSocketServer } from 'ws';
import type { Logger } from '../lib/logger.js';

/** What graphql-ws hands our hooks as `ctx.extra`. */
export interface SocketExtra {
  readonly socket: WebSocket;
  /** The upgrade request: read it in onConnect, then let it go (it is not needed after). */
  request?: IncomingMessage;
}

/**
 * graphql-ws on a `ws` server: the protocol (makeServer) wired to sockets, as
 * graphql-ws' own `useServer` does, with two differences that matter with
 * thousands of idle sockets:
 *
 * - A message handler that keeps nothing. graphql-ws' handling of a subscribe
 *   message lasts as long as the subscription; `useServer` awaited it in an
 *   async listener, which kept the received frame's bytes alive with it (~1 KB
 *   per subscription).
 * - One keep-alive timer for all sockets instead of an interval per socket: a
 *   socket that has not answered the previous ping is terminated.
 * - Frames are queued on the socket without waiting for each to be written.
 */
export function serveGraphqlWs<E extends Record<PropertyKey, unknown>>(
  options: ServerOptions<Record<string, unknown> | undefined, SocketExtra & E>,
  wsServer: WebSocketServer,
  logger: Logger,
  keepAliveMs: number,
): { dispose(): Promise<void> } {
  const server = makeServer(options);
  wsServer.options.handleProtocols = handleProtocols;
  const awaitingPong = new Set<WebSocket>();

  const fail = (socket: WebSocket, error: unknown, what: string) => {
    logger.error({ err: error }, what);
    socket.close(CloseCode.InternalServerError, 'Internal server error');
  };

  wsServer.on('error', (error) => {
    logger.error({ err: error }, 'websocket server error');
    for (const client of wsServer.clients) client.close(CloseCode.InternalServerError, 'Internal server error');
  });

  wsServer.on('connection', (socket, request) => {
    socket.once('error', (error) => fail(socket, error, 'websocket error'));
    socket.on('pong', () => awaitingPong.delete(socket));
    const closed = server.opened(
      {
        protocol: socket.protocol,
        // Not waiting for each frame to be written: a promise and a callback per
        // frame for nothing, since a socket that falls behind is cut off by its
        // buffered amount (onNext) and write errors close it ('error' above).
        send: (data) => {
          if (socket.readyState === socket.OPEN) socket.send(data);
        },
        close: (code, reason) => socket.close(code, reason),
        onMessage: (handle) =>
          socket.on('message', (data) => {
            handle(String(data)).catch((error: unknown) => fail(socket, error, 'graphql-ws message handling failed'));
          }),
      },
      { socket, request } as SocketExtra & E,
    );
    socket.once('close', (code, reason) => {
      awaitingPong.delete(socket);
      void closed(code, String(reason));
    });
  });

  const keepAlive =
    keepAliveMs > 0 && Number.isFinite(keepAliveMs)
      ? setInterval(() => {
          for (const socket of wsServer.clients) {
            if (socket.readyState !== socket.OPEN) continue;
            if (awaitingPong.has(socket)) {
              socket.terminate(); // missed a whole interval
              continue;
            }
            awaitingPong.add(socket);
            socket.ping();
          }
        }, keepAliveMs)
      : null;
  keepAlive?.unref();

  return {
    async dispose() {
      if (keepAlive) clearInterval(keepAlive);
      for (const client of wsServer.clients) client.close(1001, 'Going away');
      wsServer.removeAllListeners();
      await new Promise<void>((resolve, reject) => wsServer.close((error) => (error ? reject(error) : resolve())));
    },
  };
}
