/**
 * The events carried over pub/sub, one topic per kind and user. Payloads are
 * plain JSON (dates as ISO strings) so any transport carries them unchanged.
 */
export const Topic = {
  NewMessage: 'NEW_MESSAGE',
  MessageStatus: 'MESSAGE_STATUS',
  Typing: 'TYPING',
  Presence: 'PRESENCE',
  /** The viewer joined or left a chat: live subscriptions adjust what they deliver. */
  Membership: 'MEMBERSHIP',
  Notification: 'NOTIFICATION',
  /**
   * Sockets to close on every instance: a session ended, an account was
   * deactivated or a role changed. Published to {@link EVERY_INSTANCE}, not to a user.
   */
  SocketsToClose: 'SOCKETS_TO_CLOSE',
} as const;
export type Topic = (typeof Topic)[keyof typeof Topic];

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

export interface TypingPayload {
  chatId: string;
  userId: string;
  typing: boolean;
}

export interface PresencePayload {
  userId: string;
  status: 'ONLINE' | 'OFFLINE';
  lastSeenAt: string | null;
}

export interface MembershipPayload {
  chatId: string;
  change: 'JOINED' | 'LEFT';
}

export interface NotificationPayload {
  id: string;
  type: string;
  title: string;
  body: string | null;
  data: string | null;
  count: number;
  read: boolean;
  createdAt: string;
  updatedAt: string;
}

/** The address of events every instance acts on, whoever is connected. */
export const EVERY_INSTANCE = '*';

export interface SocketsToClosePayload {
  userId: string;
  /** The sessions whose sockets close; null for all of the user's. */
  sessionIds: string[] | null;
  /** Sockets of this session stay open (a password change keeps the caller's own). */
  exceptSessionId?: string | null;
  /** Sent as the close reason, so the client can tell why. */
  reason: 'SESSION_REVOKED' | 'ACCOUNT_DEACTIVATED' | 'ROLE_CHANGED';
}

export interface TopicPayloads {
  [Topic.NewMessage]: MessagePayload;
  [Topic.MessageStatus]: MessageStatusPayload;
  [Topic.Typing]: TypingPayload;
  [Topic.Presence]: PresencePayload;
  [Topic.Membership]: MembershipPayload;
  [Topic.Notification]: NotificationPayload;
  [Topic.SocketsToClose]: SocketsToClosePayload;
}
