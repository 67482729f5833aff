/** The two ways a message travels in the delivery runs: the floor's and Payamak's. */
import { randomUUID } from 'node:crypto';
import { createClient, type Client, type ClientOptions } from 'graphql-ws';
import WebSocket from 'ws';
import type { Following, Group, Member, OnFrame, ReceiverHandle, Transport } from './delivery.js';
import { postJson } from './http.js';

interface FrameMessage {
  chatId: string;
  seq: number;
  clientId: string;
}

/** A graphql-ws client as an app opens it: connect at once, token in connection_init, no retries. */
export function benchClient(wsUrl: string, token: string | undefined, options: { onNonLazyError: (error: unknown) => void; on?: ClientOptions['on'] }): Client {
  return createClient({
    url: wsUrl,
    webSocketImpl: WebSocket,
    lazy: false,
    retryAttempts: 0,
    connectionParams: { authorization: `Bearer ${token}` },
    ...options,
  });
}

/**
 * Raw `ws` sockets and a JSON POST to bench/floor-server.ts. The floor pushes
 * a member's chats to their socket; a filtered shape puts each member in one
 * chat, so the floor's socket carries what the filtered subscription does.
 */
export function floorTransport(baseUrl: string, pid?: number): Transport {
  const wsBase = baseUrl.replace('http', 'ws');
  return {
    name: 'floor',
    ...(pid === undefined ? {} : { pid }),
    openReceiver(member: Member, onFrame: OnFrame, onEnd: (reason: string) => void): Promise<ReceiverHandle> {
      return new Promise((resolve, reject) => {
        const socket = new WebSocket(`${wsBase}/ws?user=${member.userId}&sub=${randomUUID()}`);
        socket.on('message', (data) => {
          const frame = JSON.parse(String(data)) as { payload: { data: { newMessage: FrameMessage } } };
          const message = frame.payload.data.newMessage;
          onFrame(message.clientId, message.chatId, message.seq);
        });
        socket.once('open', () => resolve({ close: () => socket.terminate() }));
        socket.once('error', reject);
        socket.once('close', (code) => onEnd(`closed ${code}`));
      });
    },
    async send(group: Group, sender: Member, text: string, clientId: string): Promise<void> {
      const result = await postJson(`${baseUrl}/send`, { chatId: group.chatId, senderId: sender.userId, text, clientId });
      if (result.status !== 200) throw new Error(`floor /send: HTTP ${result.status} ${result.body.slice(0, 200)}`);
    },
  };
}

/** The scalar fields of a message: what a client needs, and what the floor sends. */
export const NEW_MESSAGE_SUBSCRIPTION = 'subscription OnNewMessage { newMessage { id chatId seq senderId kind text clientId createdAt } }';
/** The same fields for one chat: how a client with that chat open subscribes. */
export const CHAT_MESSAGE_SUBSCRIPTION =
  'subscription OnChatMessage($chatId: ID!) { newMessage(chatId: $chatId) { id chatId seq senderId kind text clientId createdAt } }';
/**
 * What an app's open chat subscribes with (the web client's message fields, less
 * the file): fields rendered per viewer, each member's own status and reactions.
 */
export const APP_CHAT_MESSAGE_SUBSCRIPTION =
  'subscription OnChatMessageAsShown($chatId: ID!) { newMessage(chatId: $chatId) { id chatId seq rev cursor senderId kind text clientId createdAt ' +
  'editedAt deleted pinned status sender { id displayName } replyTo { id text deleted sender { id displayName } } ' +
  'reactions { emoji count reactedByMe } myReaction } }';
export const SEND_MESSAGE_MUTATION = 'mutation SendMessage($input: SendMessageInput!) { sendMessage(input: $input) { id chatId seq clientId createdAt } }';

/** A documentation address (RFC 5737), as the client a proxy reports. */
const BENCH_CLIENT_IP = '203.0.113.7';

/** graphql-ws' own client per receiver (authenticated in connection_init) and sendMessage over HTTP. */
export function payamakTransport(baseUrl: string, pid?: number): Transport {
  const wsUrl = `${baseUrl.replace('http', 'ws')}/graphql`;
  return {
    name: 'ours',
    ...(pid === undefined ? {} : { pid }),
    openReceiver(member: Member, onFrame: OnFrame, onEnd: (reason: string) => void, { chatId, selection }: Following): Promise<ReceiverHandle> {
      return new Promise((resolve, reject) => {
        let connected = false;
        const client = benchClient(wsUrl, member.token, {
          onNonLazyError: (error) => {
            if (!connected)
              reject(error instanceof Error ? error : new Error(`graphql-ws connect failed: ${String((error as { code?: number }).code ?? error)}`));
          },
          on: {
            connected: () => {
              connected = true;
              resolve({ close: () => void client.dispose() });
            },
            closed: (event) => {
              if (connected) onEnd(`closed ${(event as { code?: number }).code ?? ''}`);
            },
          },
        });
        client.subscribe<{ newMessage: FrameMessage }>(
          chatId
            ? { query: selection === 'app' ? APP_CHAT_MESSAGE_SUBSCRIPTION : CHAT_MESSAGE_SUBSCRIPTION, variables: { chatId } }
            : { query: NEW_MESSAGE_SUBSCRIPTION },
          {
            next: (result) => {
              const message = result.data?.newMessage;
              if (message) onFrame(message.clientId, message.chatId, message.seq);
            },
            error: (error) => onEnd(`subscription error: ${JSON.stringify(error).slice(0, 200)}`),
            complete: () => onEnd('subscription completed'),
          },
        );
      });
    },
    async send(group: Group, sender: Member, text: string, clientId: string): Promise<void> {
      const result = await postJson(
        `${baseUrl}/graphql`,
        { query: SEND_MESSAGE_MUTATION, variables: { input: { chatId: group.chatId, text, clientId } } },
        // What the proxy in front of production adds (TRUST_PROXY=1 in payamakEnv).
        { authorization: `Bearer ${sender.token}`, 'x-forwarded-for': BENCH_CLIENT_IP },
      );
      if (result.status !== 200 || result.body.includes('"errors"')) {
        throw new Error(`sendMessage: HTTP ${result.status} ${result.body.slice(0, 200)}`);
      }
    },
  };
}
