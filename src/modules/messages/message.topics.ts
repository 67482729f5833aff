/**
 * The events of messages: its payloads are plain JSON (dates as ISO strings), so the
 * Redis pub/sub carries them unchanged.
 */
import { topic } from '../../realtime/pubsub.js';

export interface MessagePayload {
  id: string;
  chatId: string;
  seq: number;
  senderId: string | null;
  kind: 'TEXT' | 'IMAGE' | 'VIDEO' | 'AUDIO' | 'DOCUMENT' | 'SYSTEM';
  text: string | null;
  replyToId: string | null;
  clientId: string | null;
  /** Media messages: the File id, so subscribers can resolve Message.file. */
  fileId: string | null;
  createdAt: string;
}

export interface MessageStatusPayload {
  chatId: string;
  /** The newest message the change covers. */
  messageId: string;
  seq: number;
  userId: string;
  status: 'DELIVERED' | 'READ';
  at: string;
}

export const MessageTopic = {
  /** A message was appended to a chat: to each member's topic. */
  NewMessage: topic<MessagePayload>('NEW_MESSAGE'),
  /** Receipts: to the senders whose messages a watermark move covers, and the reader's own devices. */
  MessageStatus: topic<MessageStatusPayload>('MESSAGE_STATUS'),
} as const;
