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

export const ChatTopic = {
  /** Who starts or stops typing: to the chat's other members. */
  Typing: topic<TypingPayload>('TYPING'),
  /** The viewer joined or left a chat: live subscriptions adjust what they deliver. */
  Membership: topic<MembershipPayload>('MEMBERSHIP'),
} as const;
