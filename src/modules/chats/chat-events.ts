import type { Logger } from '../../lib/logger.js';
import type { Logged, LoggedMessage } from './chat-log.port.js';

export interface MembersJoined {
  chatId: string;
  actorId: string;
  userIds: string[];
  title: string;
}

export interface MemberLeft {
  chatId: string;
  /** Who removed them; null when they left by themselves. */
  actorId: string | null;
  userId: string;
  title: string;
}

export interface GroupRenamed {
  chatId: string;
  actorId: string;
  title: string;
  memberIds: string[];
}

export interface MembersMentioned {
  chatId: string;
  messageId: string;
  seq: number;
  senderId: string;
  /** Members the message mentions (an edit: only those it newly mentions); never the sender. */
  userIds: string[];
  text: string | null;
}

export interface MessagesExpired {
  chatId: string;
  /** The messages the sweep deleted in one transaction (at most a batch). */
  messageIds: string[];
}

/** A member set (or changed) their reaction to a message; plain fields, so listeners need not know modules/reactions. */
export interface ReactionSet {
  chatId: string;
  messageId: string;
  /** The message's author (never null: SYSTEM messages take no reactions). */
  messageSenderId: string;
  /** Who reacted. */
  userId: string;
  emoji: string;
}

/** What happened in chats, told after the transaction committed. */
export interface ChatEventListener {
  messageAppended?(appended: Logged): void;
  /** A message's text was edited: its new state. */
  messageEdited?(message: LoggedMessage): void;
  /** A message was deleted for everyone: its tombstone. */
  messageDeleted?(message: LoggedMessage): void;
  /**
   * Disappearing messages of one chat reached their expiresAt and were deleted
   * for everyone (tombstones, as by a deletion; told here instead of
   * messageDeleted): a listener keeping anything derived from a message's text
   * or pointing at it listens to both.
   */
  messagesExpired?(event: MessagesExpired): void;
  /** A message (sent, or edited) mentions members by @username. */
  membersMentioned?(event: MembersMentioned): void;
  membersJoined?(event: MembersJoined): void;
  memberLeft?(event: MemberLeft): void;
  groupRenamed?(event: GroupRenamed): void;
  /** `sessionId`: the session that read, when a person did (its device needs no "cleared" push). */
  chatRead?(event: { chatId: string; userId: string; sessionId?: string }): void;
  /** Many chats read at once (markAllChatsRead): one event, so a listener can act in one statement. */
  chatsRead?(event: { chatIds: string[]; userId: string; sessionId?: string }): void;
  reactionSet?(event: ReactionSet): void;
}

/**
 * Lets features above chats (notifications, later search or webhooks) react to
 * what chats do without chats knowing them. A listener that throws is logged
 * and does not disturb the others or the operation that emitted.
 */
export class ChatEvents {
  readonly #listeners: ChatEventListener[] = [];

  constructor(private readonly logger: Logger) {}

  on(listener: ChatEventListener): void {
    this.#listeners.push(listener);
  }

  emit<K extends keyof ChatEventListener>(name: K, event: Parameters<NonNullable<ChatEventListener[K]>>[0]): void {
    for (const listener of this.#listeners) {
      try {
        (listener[name] as ((e: typeof event) => void) | undefined)?.call(listener, event);
      } catch (error) {
        this.logger.error({ err: error, event: name }, 'chat event listener failed');
      }
    }
  }
}
