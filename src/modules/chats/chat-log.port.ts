import type { PrismaClient } from '../../generated/prisma/client.js';

/** A Prisma transaction client. */
export type Tx = Omit<PrismaClient, '$connect' | '$disconnect' | '$on' | '$transaction' | '$extends'>;

/** A message as chats needs to know it: what was written to a chat's log. */
export interface LoggedMessage {
  id: string;
  chatId: string;
  seq: number;
  rev: number;
  senderId: string | null;
  kind: string;
  text: string | null;
  createdAt: Date;
}

/** A message written, and who was a member when it committed (exactly who must receive it). */
export interface Logged {
  message: LoggedMessage;
  memberIds: string[];
}

/** A SYSTEM message announcing a change to a chat, written in the change's own transaction. */
export interface SystemMessage {
  chatId: string;
  senderId: null;
  kind: 'SYSTEM';
  text: string;
  /** Refuse (NOT_FOUND, nothing written) unless this user is a member when the chat's lock is held. */
  requireMember?: string;
  /** This member has seen everything up to the new message (the actor). */
  readBy?: string | null;
}

/**
 * The chat's message log, as chats uses it: modules/messages' MessageLog
 * implements it, and server/services.ts hands it in. Declared here so chats
 * need not import messages (which imports chats for membership): the log
 * takes the chat row's lock and the next seq, and publishes after commit.
 */
export interface ChatLogPort {
  /**
   * Runs `work` in one transaction; what it appends is published to the chat's
   * members after commit, in seq order. `beforePublish` runs in the message's
   * ordered slot just before it is published.
   */
  transaction<T>(work: (tx: Tx, append: (input: SystemMessage) => Promise<Logged>) => Promise<T>, beforePublish?: (logged: Logged) => void): Promise<T>;
}
