import type { MessageKind } from '../../generated/prisma/enums.js';

/** A Message row as resolvers pass it around. */
export interface MessageRecord {
  id: string;
  chatId: string;
  seq: number;
  senderId: string | null;
  kind: MessageKind;
  text: string | null;
  replyToId: string | null;
  clientId: string | null;
  /** Media messages: the attachment (null once the file is deleted). */
  fileId: string | null;
  createdAt: Date;
}

export const MESSAGE_SELECT = {
  id: true,
  chatId: true,
  seq: true,
  senderId: true,
  kind: true,
  text: true,
  replyToId: true,
  clientId: true,
  fileId: true,
  createdAt: true,
} as const;
