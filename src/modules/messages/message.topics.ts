/**
 * The events of messages: its payloads are plain JSON (dates as ISO strings), so the
 * Redis pub/sub carries them unchanged.
 */
import type { Jsonify } from '../../lib/json.js';
import { topic } from '../../realtime/pubsub.js';
import type { MessageRecord } from './message.record.js';

/** A message as published: its record as JSON (the payload stays in step with MessageRecord by construction). */
export type MessagePayload = Jsonify<MessageRecord>;

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
  /** A message changed (edited, deleted, reacted to, pinned): its new state, to each member who has not deleted it for themself. */
  MessageUpdated: topic<MessagePayload>('MESSAGE_UPDATED'),
  /** Receipts: to the senders whose messages a watermark move covers, and the reader's own devices. */
  MessageStatus: topic<MessageStatusPayload>('MESSAGE_STATUS'),
} as const;
