import type { MessageKind } from '../../generated/prisma/enums.js';

/** A Message row as resolvers pass it around: the message as everyone sees it (see {@link tombstoneOf} for "deleted for me"). */
export interface MessageRecord {
  id: string;
  chatId: string;
  seq: number;
  /** The chat's rev at this message's latest change: its place in messageChanges. */
  rev: number;
  senderId: string | null;
  kind: MessageKind;
  text: string | null;
  replyToId: string | null;
  clientId: string | null;
  /** Media messages: the attachment (null once the file or the message is deleted). */
  fileId: string | null;
  createdAt: Date;
  editedAt: Date | null;
  /** Deleted for everyone (a tombstone), or for the viewer when it comes from {@link tombstoneOf}. */
  deletedAt: Date | null;
  pinnedAt: Date | null;
  forwardCount: number;
  /** Disappearing messages: when the sweep deletes it for everyone (sent while the chat's timer was on); null otherwise. */
  expiresAt: Date | null;
  /** Link preview (modules/link-previews): the URL it is of; null until one is attached. */
  previewUrl: string | null;
  previewTitle: string | null;
  previewDescription: string | null;
  previewSiteName: string | null;
  /** The preview's image, a File row. */
  previewImageId: string | null;
}

/**
 * Records as a newMessage event carries them: the message as it was appended. At
 * that rev it has no reactions (each one takes a later rev) and nobody else has
 * received it (receipts only move up to messages that exist), so resolvers answer
 * those without reading: a message into a group would otherwise read its
 * reactions and every member's receipts once per event. What changes later
 * reaches the same subscribers as messageUpdated and messageStatus.
 */
const asAppended = new WeakSet<MessageRecord>();

export function appendedMessage(message: MessageRecord): MessageRecord {
  asAppended.add(message);
  return message;
}

export const isAsAppended = (message: MessageRecord): boolean => asAppended.has(message);

/** A message's link preview fields, all null: a new message, a tombstone. */
export const NO_PREVIEW = {
  previewUrl: null,
  previewTitle: null,
  previewDescription: null,
  previewSiteName: null,
  previewImageId: null,
} as const satisfies Partial<MessageRecord>;

export const MESSAGE_SELECT = {
  id: true,
  chatId: true,
  seq: true,
  rev: true,
  senderId: true,
  kind: true,
  text: true,
  replyToId: true,
  clientId: true,
  fileId: true,
  createdAt: true,
  editedAt: true,
  deletedAt: true,
  pinnedAt: true,
  forwardCount: true,
  expiresAt: true,
  previewUrl: true,
  previewTitle: true,
  previewDescription: true,
  previewSiteName: true,
  previewImageId: true,
} as const;

/** A member's deletion of a message for themself: when, and the chat rev it took. */
export interface Hidden {
  at: Date;
  rev: number;
}

/**
 * A message as a member who deleted it for themself sees it: what a deletion
 * for everyone leaves (no text, no file), at the time they deleted it, and at
 * the rev of whichever came later, the deletion or a change everyone saw.
 */
export function tombstoneOf(message: MessageRecord, hidden: Hidden): MessageRecord {
  return {
    ...message,
    ...NO_PREVIEW,
    text: null,
    fileId: null,
    editedAt: null,
    pinnedAt: null,
    deletedAt: message.deletedAt ?? hidden.at,
    rev: Math.max(message.rev, hidden.rev),
  };
}
