import { CloseCode } from 'graphql-ws';

/**
 * Every WebSocket close code the server sends, in one table: RFC 6455's and
 * graphql-ws' own. graphql-ws' client (6.x) treats 4401 as final and never
 * reconnects; it retries 1001, 1012, 1013, 4403, 4429 and other codes with
 * backoff, so 4401 is kept for what a client must not retry.
 */
export const SocketClose = {
  /** RFC 6455: the server is going away (shutdown): reconnect elsewhere and catch up. */
  GoingAway: 1001,
  /** RFC 6455 policy violation: too many sockets for the user (the oldest makes way). */
  TooManyConnections: 1008,
  /** RFC 6455 "service restart": live events may have been missed (Redis was lost); reconnect and catch up. */
  ServiceRestart: 1012,
  /** RFC 6455 "try again later": the client reads too slowly. */
  SlowConsumer: 1013,
  /** No valid token at connection_init, or the session ended: final. */
  Unauthorized: CloseCode.Unauthorized,
  /**
   * The session ended, the account was deactivated or the role changed; the
   * reason says which. graphql-ws' client retries 4403 with fresh
   * connectionParams: a live session gets back in with its current rights, an
   * ended one is then refused with 4401.
   */
  Forbidden: CloseCode.Forbidden,
  /** Too many connections from one user (RATE_LIMIT_CONNECT) or pending ones from one address; clients retry with backoff. */
  RateLimited: 4429,
  /** An unexpected failure in a handler (logged). */
  InternalServerError: CloseCode.InternalServerError,
} as const;
