// Keeping the cache in sync with the server: live events while the socket is up, the change feed
// when it comes back (README, "Keeping a local copy in sync").
//
// Entities need no code: every event carries the message, chat or user with its id, and Apollo's
// normalised cache updates each screen showing it (the Message type policy in client.ts lets the
// newer rev win). What needs code is lists: a new message goes into its chat's history and moves
// the chat to the top of the list, and after a reconnect the messages missed are fetched by rev.
import type { ApolloCache } from '@apollo/client';
import type { Subscription } from 'rxjs';
import type { MessageFieldsFragment } from '../gql/graphql';
import { cache, client, connection, onSubscriptionsRestart } from './client';
import {
  ChatKindFields,
  Chats,
  MarkDelivered,
  MessageChanges,
  MessageChangesBatch,
  Messages,
  Notifications,
  OnChatUpdated,
  OnMessageStatus,
  OnMessageUpdated,
  OnNewMessage,
  OnNotification,
  OnPresence,
} from './operations';
import { session } from './session';

/** Messages per page of history. */
export const PAGE_SIZE = 30;

/** Chats whose history this tab holds: the ones to catch up after a reconnect. */
const loadedChats = new Set<string>();
/** The chat on screen, if any: its new messages are read, not unread. */
let openChatId: string | null = null;

export function chatOpened(chatId: string | null): void {
  openChatId = chatId;
  if (chatId) loadedChats.add(chatId);
}

/** Puts messages into their chat's cached history, newest first, each once (by id). */
export function insertMessages(target: ApolloCache, messages: readonly MessageFieldsFragment[]): void {
  const byChat = new Map<string, MessageFieldsFragment[]>();
  for (const message of messages) byChat.set(message.chatId, [...(byChat.get(message.chatId) ?? []), message]);
  for (const [chatId, incoming] of byChat) {
    target.updateQuery({ query: Messages, variables: { chatId, first: PAGE_SIZE } }, (data) => {
      if (!data) return data;
      const held = new Set(data.messages.edges.map((edge) => edge.node.id));
      const newest = data.messages.edges[0]?.node.seq ?? 0;
      // Only what is newer than the top of the list goes in: older messages arrive by paging back.
      const fresh = incoming.filter((m) => !held.has(m.id) && m.seq > newest).sort((a, b) => b.seq - a.seq);
      if (fresh.length === 0) return data;
      const edges = [...fresh.map((node) => ({ __typename: 'MessageEdge' as const, cursor: node.cursor, node })), ...data.messages.edges];
      // relayStylePagination keeps the old first cursor unless startCursor moves with the new edge.
      return { ...data, messages: { ...data.messages, edges, pageInfo: { ...data.messages.pageInfo, startCursor: edges[0]!.cursor } } };
    });
  }
}

/** The new last message, and the chat first in every list (the server orders by activity). */
function chatActivity(message: MessageFieldsFragment): boolean {
  const chatRef = cache.identify({ __typename: 'Chat', id: message.chatId });
  const mine = message.senderId === session.user?.id;
  const known = cache.modify({
    id: chatRef,
    fields: {
      lastMessage: (_, { toReference }) => toReference({ __typename: 'Message', id: message.id }) ?? null,
      lastSeq: (seq: number) => Math.max(seq, message.seq),
      unreadCount: (count: number) => (mine || message.chatId === openChatId || message.kind === 'SYSTEM' ? count : count + 1),
    },
  });
  if (!known) return false;
  cache.modify({
    id: 'ROOT_QUERY',
    fields: {
      chats(existing, { storeFieldName }) {
        const list = existing as { edges?: { node: { __ref: string } }[] } | undefined;
        if (!list?.edges || storeFieldName.includes('"archived":true')) return existing;
        const index = list.edges.findIndex((edge) => edge.node.__ref === chatRef);
        if (index <= 0) return existing;
        const edges = [...list.edges];
        const [edge] = edges.splice(index, 1);
        return { ...list, edges: [edge!, ...edges] } as typeof existing;
      },
    },
  });
  return true;
}

const delivered = new Set<string>();
/** Tells the sender their message reached this device (once per message). */
export function acknowledge(chatId: string, messageId: string): void {
  const key = `${chatId}:${messageId}`;
  if (delivered.has(key)) return;
  delivered.add(key);
  void client.mutate({ mutation: MarkDelivered, variables: { chatId, upToMessageId: messageId } }).catch(() => delivered.delete(key));
}

function onNewMessage(message: MessageFieldsFragment): void {
  insertMessages(cache, [message]);
  if (!chatActivity(message)) void client.refetchQueries({ include: [Chats] });
  if (message.senderId !== session.user?.id) acknowledge(message.chatId, message.id);
}

/**
 * The other person's receipt watermarks per private chat, as the events told them. A receipt
 * may arrive before the answer to the send that it covers is in the cache; the ticks read
 * these too, so such a message still shows it.
 */
const watermarks = new Map<string, { DELIVERED: number; READ: number }>();
const watermarkListeners = new Set<() => void>();
let watermarkVersion = 0;
export const receipts = {
  subscribe(listener: () => void): () => void {
    watermarkListeners.add(listener);
    return () => watermarkListeners.delete(listener);
  },
  version: () => watermarkVersion,
  /** The status receipts alone give a message of mine with this seq. */
  statusOf(chatId: string, seq: number): 'SENT' | 'DELIVERED' | 'READ' {
    const marks = watermarks.get(chatId);
    return marks && marks.READ >= seq ? 'READ' : marks && marks.DELIVERED >= seq ? 'DELIVERED' : 'SENT';
  },
};

/** Receipts: in a private chat the event's status covers each of my messages up to its seq. */
function onStatus(event: { chatId: string; seq: number; status: string; userId: string }): void {
  if (event.userId === session.user?.id) return;
  const marks = watermarks.get(event.chatId) ?? { DELIVERED: 0, READ: 0 };
  if (event.status === 'READ') marks.READ = Math.max(marks.READ, event.seq);
  marks.DELIVERED = Math.max(marks.DELIVERED, event.seq);
  watermarks.set(event.chatId, marks);
  watermarkVersion += 1;
  for (const listener of watermarkListeners) listener();
  const data = cache.readQuery({ query: Messages, variables: { chatId: event.chatId, first: PAGE_SIZE } });
  const chat = cache.readFragment({
    id: cache.identify({ __typename: 'Chat', id: event.chatId }),
    fragment: ChatKindFields,
  });
  if (!data) return;
  if (chat?.kind === 'GROUP') {
    watermarks.delete(event.chatId);
    // A group's status needs every member: ask again for what is on screen.
    void client.query({ query: Messages, variables: { chatId: event.chatId, first: PAGE_SIZE }, fetchPolicy: 'network-only' }).catch(() => undefined);
    return;
  }
  for (const { node } of data.messages.edges) {
    if (node.senderId !== session.user?.id || node.seq > event.seq) continue;
    cache.modify({
      id: cache.identify(node),
      fields: { status: (status: string) => (RANK[event.status]! > RANK[status]! ? event.status : status) },
    });
  }
}

const RANK: Record<string, number> = { SENT: 0, DELIVERED: 1, READ: 2 };

/**
 * After the socket was down: the chat list again (order, unread counts, new chats), then every
 * change to the histories this tab holds since the newest rev it has of each, in one request.
 */
export async function catchUp(): Promise<void> {
  await client.refetchQueries({ include: [Chats] }).catch(() => undefined);
  const after = [...loadedChats].flatMap((chatId) => {
    const data = cache.readQuery({ query: Messages, variables: { chatId, first: PAGE_SIZE } });
    if (!data) return [];
    return [{ chatId, afterRev: Math.max(0, ...data.messages.edges.map((edge) => edge.node.rev)) }];
  });
  if (after.length === 0) return;
  const { data } = await client.query({ query: MessageChangesBatch, variables: { after }, fetchPolicy: 'network-only' });
  for (const entry of data?.messageChangesBatch ?? []) {
    let messages = entry.messages;
    let more = entry.hasMore;
    for (;;) {
      // Written by id (the rev rule keeps the newest), then new ones into the history.
      insertMessages(cache, messages);
      const last = messages.at(-1);
      if (!more || !last) break;
      const page = await client.query({ query: MessageChanges, variables: { chatId: entry.chatId, afterRev: last.rev }, fetchPolicy: 'network-only' });
      messages = page.data?.messageChanges.edges.map((edge) => edge.node) ?? [];
      more = page.data?.messageChanges.pageInfo.hasNextPage ?? false;
    }
    const newest = entry.messages.filter((m) => m.senderId !== session.user?.id).at(-1);
    if (newest) acknowledge(entry.chatId, newest.id);
  }
}

/** The account-wide subscriptions, for as long as someone is signed in. */
export function startSync(): () => void {
  let subscriptions: Subscription[] = [];
  const start = () => {
    for (const s of subscriptions) s.unsubscribe();
    subscriptions = [
      client.subscribe({ query: OnNewMessage }).subscribe(({ data }) => data && onNewMessage(data.newMessage)),
      // The message is written by id; nothing else to do.
      client.subscribe({ query: OnMessageUpdated }).subscribe(() => undefined),
      client.subscribe({ query: OnMessageStatus }).subscribe(({ data }) => data && onStatus(data.messageStatus)),
      client.subscribe({ query: OnChatUpdated }).subscribe(() => void client.refetchQueries({ include: [Chats] })),
      client.subscribe({ query: OnPresence }).subscribe(() => undefined),
      client.subscribe({ query: OnNotification }).subscribe(() => void client.refetchQueries({ include: [Notifications] })),
    ];
  };
  start();
  const stopRestart = onSubscriptionsRestart(start);
  const stopCatchUp = connection.onReconnect(() => void catchUp().catch(() => undefined));
  return () => {
    stopRestart();
    stopCatchUp();
    for (const s of subscriptions) s.unsubscribe();
    loadedChats.clear();
    watermarks.clear();
  };
}
