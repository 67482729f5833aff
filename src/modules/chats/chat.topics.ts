/**
 * The events of chats: its payloads are plain JSON (dates as ISO strings), so the
 * Redis pub/sub carries them unchanged.
 */
import { topic } from '../../realtime/pubsub.js';

export interface TypingPayload {
  chatId: string;
  userId: string;
  typing: boolean;
}

export interface MembershipPayload {
  chatId: string;
  change: 'JOINED' | 'LEFT';
}

/**
 * A chat changed for the receiver: its info, permissions, members, admins or pins (every member), or their own
 * settings (their devices).
 */
export interface ChatUpdatedPayload {
  chatId: string;
}

export const ChatTopic = {
  /** A chat changed for the receiver (see ChatUpdatedPayload): the chat is read afresh for each of them. */
  ChatUpdated: topic<ChatUpdatedPayload>('CHAT_UPDATED'),
  /** Who starts or stops typing: to the chat's other members. */
  Typing: topic<TypingPayload>('TYPING'),
  /** The viewer joined or left a chat: live subscriptions adjust what they deliver. */
  Membership: topic<MembershipPayload>('MEMBERSHIP'),
} as const;
