/**
 * Apollo Client 4 against the real server, set up as the README's "Client
 * libraries" section shows: HttpLink for queries and mutations, GraphQLWsLink
 * (graphql-ws) for subscriptions, apollo-upload-client for files, and
 * relayStylePagination on the paged lists. What a normalised cache needs from
 * the API: events that carry their entity (PresenceEvent.user) and live
 * messages that carry their edge cursor (Message.cursor).
 */
import { ApolloClient, ApolloLink, HttpLink, InMemoryCache, gql, type TypedDocumentNode } from '@apollo/client';
import { GraphQLWsLink } from '@apollo/client/link/subscriptions';
import { getMainDefinition, relayStylePagination } from '@apollo/client/utilities';
import UploadHttpLink from 'apollo-upload-client/UploadHttpLink.mjs';
import { Kind, OperationTypeNode } from 'graphql';
import { createClient } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createUser, type TestUser } from '../factories.js';
import { createPrivateChat, sendText } from '../chats.js';
import {
  ClientChatsDocument,
  MessagesDocument,
  OnNewMessageDocument,
  OnPresenceWithUserDocument,
  UploadAvatarDocument,
  type MessagesQuery,
  type OnNewMessageSubscription,
} from '../generated/graphql.js';
import { phonePhoto } from '../media-fixtures.js';
import { expectNoErrors, startTestServer, waitForListeners, wsClient, type TestServer } from '../server.js';
import { MessageTopic } from '../../modules/messages/index.js';
import { UserTopic } from '../../modules/users/index.js';

let server: TestServer;
let alice: TestUser;
let bob: TestUser;
let chatId: string;
const cleanups: (() => unknown)[] = [];

beforeAll(async () => {
  server = await startTestServer();
  [alice, bob] = await Promise.all([createUser(server, { displayName: 'Alice' }), createUser(server, { displayName: 'Bob' })]);
  chatId = await createPrivateChat(server, alice, bob);
});
afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await server?.close();
});

/** Whether the variables hold a file anywhere: such operations go out as multipart requests. */
function hasFiles(value: unknown): boolean {
  if (value instanceof Blob) return true;
  if (Array.isArray(value)) return value.some(hasFiles);
  return typeof value === 'object' && value !== null && Object.values(value).some(hasFiles);
}

/** An app's client for one user, as in the README; `requests` counts what went over HTTP. */
function apolloClientFor(user: TestUser, options: { preflight?: boolean } = {}) {
  const requests: string[] = [];
  const countingFetch: typeof fetch = (input, init) => {
    requests.push(typeof init?.body === 'string' ? (JSON.parse(init.body) as { operationName: string }).operationName : 'multipart');
    return fetch(input, init);
  };
  const authorization = `Bearer ${user.accessToken}`;
  const httpLink = new HttpLink({ uri: server.graphqlUrl, headers: { authorization }, fetch: countingFetch });
  // Apollo Server refuses a multipart request without a header that forces a CORS preflight (CSRF prevention).
  const uploadLink = new UploadHttpLink({
    uri: server.graphqlUrl,
    headers: { authorization, ...(options.preflight === false ? {} : { 'apollo-require-preflight': 'true' }) },
    fetch: countingFetch,
  });
  const socket = createClient({ url: server.wsUrl, webSocketImpl: WebSocket, connectionParams: { authorization } });
  cleanups.push(() => socket.dispose());
  const link = ApolloLink.split(
    ({ query }) => {
      const definition = getMainDefinition(query);
      return definition.kind === Kind.OPERATION_DEFINITION && definition.operation === OperationTypeNode.SUBSCRIPTION;
    },
    new GraphQLWsLink(socket),
    ApolloLink.split(({ variables }) => hasFiles(variables), uploadLink, httpLink),
  );
  const cache = new InMemoryCache({
    typePolicies: {
      Query: {
        fields: {
          chats: relayStylePagination(),
          // One list per chat, whatever first/after a page was fetched with.
          messages: relayStylePagination(['chatId']),
        },
      },
    },
  });
  const client = new ApolloClient({ link, cache });
  cleanups.push(() => client.stop());
  return { client, requests };
}

/** The documented pattern: put a message from `newMessage` at the top of the chat's cached history. */
function insertLiveMessage(client: ApolloClient, message: OnNewMessageSubscription['newMessage']): void {
  client.cache.updateQuery({ query: MessagesDocument, variables: { chatId: message.chatId } }, (data) => {
    if (!data || data.messages.edges.some((edge) => edge.node.id === message.id)) return data; // not loaded, or already there
    return {
      messages: {
        ...data.messages,
        edges: [{ __typename: 'MessageEdge' as const, cursor: message.cursor, node: message }, ...data.messages.edges],
        // relayStylePagination takes the first edge's cursor from pageInfo.startCursor: keep them in step.
        pageInfo: { ...data.messages.pageInfo, startCursor: message.cursor },
      },
    };
  });
}

/** Resolves with the first value for which `check` holds, from an Apollo (rxjs) observable. */
function firstMatching<T>(
  source: { subscribe(observer: { next(value: T): void; error(error: unknown): void }): { unsubscribe(): void } },
  check: (value: T) => boolean,
  timeoutMs = 5000,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      subscription.unsubscribe();
      reject(new Error('no matching value in time'));
    }, timeoutMs);
    const subscription = source.subscribe({
      next(value) {
        if (!check(value)) return;
        clearTimeout(timer);
        queueMicrotask(() => subscription.unsubscribe());
        resolve(value);
      },
      error(error) {
        clearTimeout(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    });
  });
}

describe('Apollo Client 4', () => {
  it('puts a live message into the paged, cached history with its cursor: no refetch, no page lost, paging goes on below', async () => {
    for (const text of ['one', 'two', 'three', 'four', 'five']) expectNoErrors(await sendText(server, bob, chatId, text));
    const { client, requests } = apolloClientFor(alice);

    const history = client.watchQuery({ query: MessagesDocument, variables: { chatId, first: 2 } });
    const seqs = (data: unknown) => (data as MessagesQuery).messages.edges.map((e) => e.node.seq);
    /** What the screen shows now: the watched query's complete result. */
    const shown = (): MessagesQuery => {
      const result = history.getCurrentResult();
      expect(result.dataState).toBe('complete');
      return result.data as MessagesQuery;
    };
    await firstMatching(history, (result) => result.dataState === 'complete' && seqs(result.data).length === 2);
    const firstPage = await history.fetchMore({ variables: { after: shown().messages.pageInfo.endCursor } });
    expect(seqs(firstPage.data)).toEqual([3, 2]);
    expect(seqs(shown())).toEqual([5, 4, 3, 2]); // two pages, merged by relayStylePagination

    const live = client.subscribe({ query: OnNewMessageDocument, variables: { chatId } }).subscribe(({ data }) => {
      if (data) insertLiveMessage(client, data.newMessage);
    });
    cleanups.push(() => live.unsubscribe());
    await waitForListeners(server, MessageTopic.NewMessage, alice.user.id);
    const before = requests.length;

    const sent = expectNoErrors(await sendText(server, bob, chatId, 'six')).sendMessage;
    await firstMatching(history, (result) => result.dataState === 'complete' && seqs(result.data)[0] === 6);
    expect(seqs(shown())).toEqual([6, 5, 4, 3, 2]);
    expect(shown().messages.edges[0]!.cursor).toBe(sent.cursor);
    expect(requests.length).toBe(before); // from the cache alone: nothing refetched

    // The older pages stay reachable from where the list ends, and the live message's cursor pages like any edge's.
    await history.fetchMore({ variables: { after: shown().messages.pageInfo.endCursor } });
    expect(seqs(shown())).toEqual([6, 5, 4, 3, 2, 1]);
    const below = await client.query({ query: MessagesDocument, variables: { chatId, first: 2, after: sent.cursor }, fetchPolicy: 'no-cache' });
    expect(seqs(below.data)).toEqual([5, 4]);
  });

  it('a presence event updates User.online (and lastSeenAt) in the cache, normalised by User id', async () => {
    const { client } = apolloClientFor(alice);
    const chats = await client.query({ query: ClientChatsDocument, variables: { first: 10 } });
    const member = chats.data!.chats.edges[0]!.node.members.find((m) => m.user.id === bob.user.id)!;
    expect(member.user.online).toBe(false);

    const presence = client.subscribe({ query: OnPresenceWithUserDocument }).subscribe(() => undefined);
    cleanups.push(() => presence.unsubscribe());
    await waitForListeners(server, UserTopic.Presence, alice.user.id);
    const bobOnline: TypedDocumentNode<{ online: boolean; lastSeenAt: string | null }> = gql`
      fragment BobPresence on User {
        online
        lastSeenAt
      }
    `;
    const readBob = () => client.cache.readFragment({ id: client.cache.identify({ __typename: 'User', id: bob.user.id }), fragment: bobOnline });
    const cachedChatsMember = () =>
      client.readQuery({ query: ClientChatsDocument, variables: { first: 10 } })!.chats.edges[0]!.node.members.find((m) => m.user.id === bob.user.id)!.user;

    const bobsPhone = wsClient(server, bob.accessToken, { lazy: false });
    await expect.poll(() => readBob()?.online, { timeout: 5000, interval: 10 }).toBe(true);
    expect(cachedChatsMember().online).toBe(true); // the chat list shows it without a refetch

    await bobsPhone.dispose();
    await expect.poll(() => readBob()?.online, { timeout: 5000, interval: 10 }).toBe(false);
    expect(readBob()!.lastSeenAt).not.toBeNull();
    expect(cachedChatsMember().lastSeenAt).toBe(readBob()!.lastSeenAt);
  });

  it('uploads an avatar through apollo-upload-client with the apollo-require-preflight header; without it the server refuses', async () => {
    const { client, requests } = apolloClientFor(alice);
    const file = new File([await phonePhoto('png', 64, 48)], 'me.png', { type: 'image/png' });
    const { data } = await client.mutate({ mutation: UploadAvatarDocument, variables: { file } });
    expect(requests.at(-1)).toBe('multipart');
    expect(data!.uploadAvatar.avatar).toMatchObject({ kind: 'IMAGE', mimeType: expect.stringMatching(/^image\//) as unknown });
    const cached = client.cache.readFragment<{ avatar: { id: string } | null }>({
      id: client.cache.identify({ __typename: 'User', id: alice.user.id }),
      fragment: gql`
        fragment AliceAvatar on User {
          avatar {
            id
          }
        }
      `,
    });
    expect(cached?.avatar?.id).toBe(data!.uploadAvatar.avatar!.id);

    const withoutPreflight = apolloClientFor(alice, { preflight: false }).client;
    await expect(withoutPreflight.mutate({ mutation: UploadAvatarDocument, variables: { file } })).rejects.toMatchObject({
      statusCode: 400,
      bodyText: expect.stringMatching(/apollo-require-preflight/) as unknown,
    });
  });
});
