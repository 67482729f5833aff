import type { IncomingMessage } from 'node:http';
import { handleProtocols, makeServer, type Context, type ServerOptions } from 'graphql-ws';
import type { WebSocket, WebSocketServer } from 'ws';
import type { Logger } from '../lib/logger.js';
import { SocketClose } from './close-codes.js';

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
 *
 * And a shutdown in two steps: {@link GraphqlWsServer.drain} stops taking work
 * and waits for operations in progress; {@link GraphqlWsServer.dispose} then
 * closes the sockets with 1001.
 */
export function serveGraphqlWs<E extends Record<PropertyKey, unknown>>(
  options: ServerOptions<Record<string, unknown> | undefined, SocketExtra & E>,
  wsServer: WebSocketServer,
  logger: Logger,
  keepAliveMs: number,
): GraphqlWsServer {
  const work = new Work();
  const server = makeServer({
    ...options,
    onConnect(ctx) {
      work.track(ctx);
      return options.onConnect?.(ctx);
    },
    onOperation(ctx, id, payload, args, result) {
      // graphql-ws files a subscription's stream right after this hook: count it as running no more.
      if (work.draining) work.recount();
      return options.onOperation?.(ctx, id, payload, args, result);
    },
  });
  wsServer.options.handleProtocols = handleProtocols;
  const awaitingPong = new Set<WebSocket>();
  const disconnects = new Set<Promise<void>>();

  const fail = (socket: WebSocket, error: unknown, what: string) => {
    logger.error({ err: error }, what);
    socket.close(SocketClose.InternalServerError, 'Internal server error');
  };

  wsServer.on('error', (error) => {
    logger.error({ err: error }, 'websocket server error');
    for (const client of wsServer.clients) client.close(SocketClose.InternalServerError, 'Internal server error');
  });

  // Listeners every socket shares (the socket is `this`): thousands of idle sockets hold no closures for them.
  const onError = function (this: WebSocket, error: Error) {
    // ws' own refusals of what the peer sent (a frame over maxPayload: 1009; a bad
    // opcode, mask or UTF-8: 1002/1007): ws has already closed the socket with the
    // right code. The client's doing, not a failure of ours.
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('WS_ERR_')) logger.warn({ code, reason: error.message }, 'websocket frame refused');
    else fail(this, error, 'websocket error');
  };
  const onPong = function (this: WebSocket) {
    awaitingPong.delete(this);
  };

  wsServer.on('connection', (socket, request) => {
    socket.on('error', onError);
    socket.on('pong', onPong);
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
            const text = String(data);
            // Held, never answered: the socket's 1001 follows, and graphql-ws clients send it again after reconnecting.
            if (work.draining && startsWork(text)) return;
            work.started();
            handle(text).then(work.settled, (error: unknown) => {
              work.settled();
              fail(socket, error, 'graphql-ws message handling failed');
            });
          }),
      },
      { socket, request } as SocketExtra & E,
    );
    socket.once('close', (code, reason) => {
      awaitingPong.delete(socket);
      // onDisconnect (presence) has run once dispose() returns.
      const disconnected = closed(code, String(reason))
        .catch((error: unknown) => logger.error({ err: error }, 'graphql-ws close handling failed'))
        .finally(() => {
          disconnects.delete(disconnected);
          work.untrack(socket);
        });
      disconnects.add(disconnected);
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
    drain() {
      // ws answers an upgrade that verifyClient refuses with this status and Connection: close.
      wsServer.options.verifyClient = (_info, verified) => verified(false, 503, 'Server is shutting down');
      return work.drain();
    },
    async dispose(closeTimeoutMs = 1000) {
      work.drain(); // when drain() was skipped: still take no new work while closing
      if (keepAlive) clearInterval(keepAlive);
      const closedServer = new Promise<void>((resolve, reject) => wsServer.close((error) => (error ? reject(error) : resolve())));
      for (const client of wsServer.clients) client.close(SocketClose.GoingAway, 'Going away');
      // A peer that does not answer the close frame is not waited for (ws would wait 30 s).
      const stragglers = setTimeout(() => {
        for (const client of wsServer.clients) client.terminate();
      }, closeTimeoutMs);
      try {
        await closedServer;
        await Promise.all(disconnects);
      } finally {
        clearTimeout(stragglers);
        wsServer.removeAllListeners();
      }
    },
  };
}

/** What {@link serveGraphqlWs} returns. */
export interface GraphqlWsServer {
  /**
   * Stops taking work: upgrades are refused with HTTP 503, and `connection_init`
   * and `subscribe` messages on open sockets are held unanswered. Resolves when
   * no operation is running (a query or mutation in execution, a subscription
   * being set up, a connection being accepted). Subscriptions already streaming
   * keep streaming until {@link GraphqlWsServer.dispose}.
   */
  drain(): Promise<void>;
  /**
   * Closes every socket with 1001 (Going away) and waits until they have closed
   * and graphql-ws has run `onDisconnect` for each.
   * @param closeTimeoutMs - How long a peer may take to answer the close frame before its socket is cut, in ms (1,000).
   */
  dispose(closeTimeoutMs?: number): Promise<void>;
}

/** Messages that make the server start something: a connection to accept, an operation to run. */
function startsWork(text: string): boolean {
  try {
    const { type } = JSON.parse(text) as { type?: unknown };
    return type === 'subscribe' || type === 'connection_init';
  } catch {
    return false; // graphql-ws closes the socket for it (4400)
  }
}

/**
 * The operations in progress, for a drain. graphql-ws handles each message in
 * a promise that settles when its work is done, except that a subscription's
 * lasts as long as its stream, which it files in `ctx.subscriptions` (an
 * operation still running has `null` there, as graphql-ws documents). So
 * running = messages being handled − streams filed. Counted only while
 * draining; a socket's streams are counted until it has closed, erring on the
 * side of waiting.
 */
class Work {
  draining = false;
  #handling = 0;
  readonly #contexts = new Map<WebSocket, Context<Record<string, unknown> | undefined, SocketExtra>>();
  #idle?: () => void;
  #recounting = false;

  track(ctx: Context<Record<string, unknown> | undefined, SocketExtra>): void {
    this.#contexts.set(ctx.extra.socket, ctx);
  }

  untrack(socket: WebSocket): void {
    this.#contexts.delete(socket);
    if (this.draining) this.recount();
  }

  started(): void {
    this.#handling += 1;
  }

  readonly settled = (): void => {
    this.#handling -= 1;
    if (this.draining) this.recount();
  };

  drain(): Promise<void> {
    this.draining = true;
    const idle = new Promise<void>((resolve) => {
      const previous = this.#idle;
      this.#idle = () => {
        previous?.();
        resolve();
      };
    });
    this.recount();
    return idle;
  }

  /** Checks for idleness once graphql-ws has done what follows the current event (filing a stream, deleting a finished operation). */
  recount(): void {
    if (this.#recounting) return;
    this.#recounting = true;
    setImmediate(() => {
      this.#recounting = false;
      let streams = 0;
      for (const ctx of this.#contexts.values()) {
        for (const id in ctx.subscriptions) if (ctx.subscriptions[id] !== null) streams += 1;
      }
      if (this.#handling - streams > 0) return;
      const idle = this.#idle;
      this.#idle = undefined;
      idle?.();
    });
  }
}
