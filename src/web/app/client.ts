// The Apollo Client set-up: one client, three transports, one normalised cache.
//
// - subscriptions over graphql-ws (GraphQLWsLink), reconnecting for ever with backoff;
// - uploads as GraphQL multipart requests (apollo-upload-client), with the preflight header the
//   server's CSRF check requires, over XMLHttpRequest so the composer can show upload progress;
// - everything else as JSON POSTs (HttpLink).
// A token is added to each request when it is sent; an UNAUTHENTICATED answer refreshes the
// session once and retries, and a refresh that fails signs out.
import { ApolloClient, ApolloLink, CombinedGraphQLErrors, HttpLink, InMemoryCache, ServerError } from '@apollo/client';
import { SetContextLink } from '@apollo/client/link/context';
import { ErrorLink } from '@apollo/client/link/error';
import { GraphQLWsLink } from '@apollo/client/link/subscriptions';
import { getMainDefinition, relayStylePagination } from '@apollo/client/utilities';
import UploadHttpLink from 'apollo-upload-client/UploadHttpLink.mjs';
import { createClient, type Client as WsClient } from 'graphql-ws';
import { print } from 'graphql';
import { from, mergeMap } from 'rxjs';
import { Refresh } from './operations';
import { session, type Tokens } from './session';
import { xhrFetch } from './upload';

const httpUrl = '/graphql';
const wsUrl = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/graphql`;

// ---- Connection state, for the banner and the catch-up ---------------------------------------

export type ConnectionState = 'connecting' | 'online' | 'offline';
type ConnectionListener = (state: ConnectionState) => void;
const connectionListeners = new Set<ConnectionListener>();
const reconnectListeners = new Set<() => void>();
let connectionState: ConnectionState = 'connecting';

function setConnection(state: ConnectionState): void {
  if (state === connectionState) return;
  connectionState = state;
  for (const listener of connectionListeners) listener(state);
}

export const connection = {
  get state(): ConnectionState {
    return connectionState;
  },
  subscribe(listener: ConnectionListener): () => void {
    connectionListeners.add(listener);
    return () => connectionListeners.delete(listener);
  },
  /** Called each time the socket is back after a drop: time to catch up. */
  onReconnect(listener: () => void): () => void {
    reconnectListeners.add(listener);
    return () => reconnectListeners.delete(listener);
  },
};

// ---- The session: refresh once, share the result ----------------------------------------------

/** Why the last session ended, shown on the sign-in screen ("Your account was deactivated"). */
export let signOutReason: string | null = null;

let refreshing: Promise<boolean> | null = null;

/**
 * Trades the refresh token for new tokens; concurrent callers share one request, because a
 * refresh token is single-use and presenting it twice would end the session.
 */
export function refreshSession(): Promise<boolean> {
  refreshing ??= (async () => {
    const refreshToken = session.refreshToken;
    if (!refreshToken) return false;
    try {
      const response = await fetch(httpUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: print(Refresh), variables: { refreshToken } }),
      });
      const body = (await response.json()) as { data?: { refreshToken: Tokens } | null };
      if (!body.data?.refreshToken) return false;
      session.signedIn(body.data.refreshToken);
      return true;
    } catch {
      // Offline is not signed out: keep the refresh token for the next try.
      return session.accessToken !== null;
    }
  })().finally(() => {
    refreshing = null;
  });
  return refreshing;
}

export function signOut(reason: string | null = null): void {
  signOutReason = reason;
  session.signedOut();
  ws.terminate();
  void client.clearStore();
}

// ---- Links ----------------------------------------------------------------------------------

const authHeaders = (): Record<string, string> => (session.accessToken ? { authorization: `Bearer ${session.accessToken}` } : {});

const ws: WsClient = createClient({
  url: wsUrl,
  // A function: each (re)connect sends the newest access token.
  connectionParams: () => authHeaders(),
  lazy: true,
  retryAttempts: Number.POSITIVE_INFINITY,
  shouldRetry: () => true,
  // Short waits: a phone coming back from a tunnel should be live again within seconds.
  retryWait: async (retries) => new Promise((resolve) => setTimeout(resolve, Math.min(500 * 2 ** retries, 4000) + Math.random() * 300)),
  on: {
    connecting: () => {
      if (connectionState !== 'offline') setConnection('connecting');
    },
    connected: (_socket, _payload, wasRetry) => {
      setConnection('online');
      if (wasRetry) for (const listener of reconnectListeners) listener();
    },
    closed: (event) => {
      if (!session.accessToken) return;
      setConnection('offline');
      const { code, reason } = event as CloseEvent;
      // 4401: the session is gone (graphql-ws will not retry); 4403: it ended or the account was
      // deactivated (README, "Authentication"). A refresh tells which: success reconnects, failure signs out.
      if (code === 4401 || (code === 4403 && reason !== 'ROLE_CHANGED')) {
        void refreshSession().then((ok) => {
          if (!ok) signOut(reason === 'ACCOUNT_DEACTIVATED' ? 'Your account was deactivated.' : 'You were signed out.');
          else if (code === 4401) restartSubscriptions();
        });
      }
    },
  },
});

const subscriptionRestarts = new Set<() => void>();
/** Sync (sync.ts) resubscribes through this after a final close that a refresh cured. */
export function onSubscriptionsRestart(listener: () => void): () => void {
  subscriptionRestarts.add(listener);
  return () => subscriptionRestarts.delete(listener);
}
function restartSubscriptions(): void {
  for (const listener of subscriptionRestarts) listener();
}

const hasFiles = (value: unknown): boolean => value instanceof Blob || (typeof value === 'object' && value !== null && Object.values(value).some(hasFiles));

const isUnauthenticated = (error: unknown): boolean =>
  (CombinedGraphQLErrors.is(error) && error.errors.some((e) => e.extensions?.['code'] === 'UNAUTHENTICATED')) ||
  (ServerError.is(error) && error.statusCode === 401);

const SIGN_IN_OPERATIONS = new Set(['Login', 'Register', 'Refresh', 'Logout']);

const refreshOnUnauthenticated = new ErrorLink(({ error, operation, forward }) => {
  if (!isUnauthenticated(error) || SIGN_IN_OPERATIONS.has(operation.operationName ?? '')) return;
  // Once per operation: a second UNAUTHENTICATED after a fresh token means signed out for good.
  if (operation.getContext()['retriedAfterRefresh']) {
    signOut('Your session ended. Please sign in again.');
    return;
  }
  return from(refreshSession()).pipe(
    mergeMap((ok) => {
      if (!ok) {
        signOut('Your session ended. Please sign in again.');
        throw error;
      }
      operation.setContext({ retriedAfterRefresh: true });
      return forward(operation);
    }),
  );
});

const withToken = new SetContextLink((previous) => ({ headers: { ...previous['headers'], ...authHeaders() } }));

const link = ApolloLink.split(
  ({ query }) => {
    const definition = getMainDefinition(query);
    return definition.kind === 'OperationDefinition' && definition.operation === 'subscription';
  },
  new GraphQLWsLink(ws),
  ApolloLink.from([
    refreshOnUnauthenticated,
    withToken,
    ApolloLink.split(
      ({ variables }) => hasFiles(variables),
      // Multipart requests need a header that forces a CORS preflight (the server's CSRF check), else 400.
      new UploadHttpLink({ uri: httpUrl, headers: { 'apollo-require-preflight': 'true' }, fetch: xhrFetch }),
      new HttpLink({ uri: httpUrl }),
    ),
  ]),
);

// ---- The cache --------------------------------------------------------------------------------

const STATUS_RANK: Record<string, number> = { SENT: 0, DELIVERED: 1, READ: 2 };

export const cache = new InMemoryCache({
  typePolicies: {
    Query: {
      fields: {
        chats: relayStylePagination(['filter']),
        // One list per chat, newest first; fetchMore({ after }) pages back in time.
        messages: relayStylePagination(['chatId', 'afterSeq']),
      },
    },
    Message: {
      // Live events, the catch-up and mutation results all write here. "Newer rev wins"
      // (README, "Keeping a local copy in sync"): an older copy never overwrites a newer one.
      merge(existing, incoming, { readField, mergeObjects }) {
        if (!existing) return incoming;
        const had = readField<number>('rev', existing);
        const got = readField<number>('rev', incoming);
        if (had !== undefined && got !== undefined && got < had) return mergeObjects(incoming, existing);
        const merged = mergeObjects(existing, incoming);
        // Receipts only move forward: a message read is never shown as merely delivered again.
        const oldStatus = readField<string>('status', existing);
        const newStatus = readField<string>('status', incoming);
        if (oldStatus && newStatus && STATUS_RANK[oldStatus]! > STATUS_RANK[newStatus]!) return { ...merged, status: oldStatus };
        return merged;
      },
    },
    Chat: { fields: { members: { merge: false }, pinnedMessages: { merge: false } } },
  },
});

export const client = new ApolloClient({ link, cache });
