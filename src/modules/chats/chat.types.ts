import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Prisma } from '../../generated/prisma/client.js';
import { ChatKind, NotifyLevel } from '../../generated/prisma/enums.js';
import { connectionTypes } from '../../lib/relay.js';

export { ChatKind, NotifyLevel };
registerEnumType(ChatKind, { name: 'ChatKind' });
registerEnumType(NotifyLevel, { name: 'NotifyLevel', description: 'What a chat notifies me of: everything, mentions only, or nothing.' });

/** A Chat row as resolvers pass it around. */
export interface ChatRecord {
  id: string;
  kind: ChatKind;
  title: string | null;
  lastSeq: number;
  rev: number;
  createdAt: Date;
  updatedAt: Date;
  /** Groups: what the group is about (up to 512 characters); null when none, and for private chats. */
  description: string | null;
  /** Groups: the group picture's File row (modules/files resolves Chat.avatar). */
  avatarId: string | null;
  /** Announcement groups: only admins send (checked in payamak_append_message). */
  onlyAdminsCanSend: boolean;
  /** Title, description, photo and pins: admins only (the default) unless false. */
  onlyAdminsCanEditInfo: boolean;
  /** Disappearing messages: seconds a new message lives (modules/message-timers); null when off. */
  messageTimer: number | null;
  /** Set on a chat as one viewer reads it (the chat list, requireReader): when they left; null while a member. */
  leftAt?: Date | null;
  /** Set beside leftAt: the seq up to which this viewer cleared the chat (clearChat); 0 when never. */
  clearedSeq?: number;
  /** Set on a chat as the chat list reads it for one viewer (chat-unread.ts); elsewhere the unreadCountOf loader answers. */
  unreadCount?: number;
}

/** A ChatMember row with its watermarks. */
export interface MemberRecord {
  id: string;
  chatId: string;
  userId: string;
  isAdmin: boolean;
  joinedAt: Date;
  deliveredSeq: number;
  readSeq: number;
  /** Messages above this seq are this member's history (0: all of it). */
  historyFromSeq: number;
  muted: boolean;
  mutedUntil: Date | null;
  archived: boolean;
  pinnedAt: Date | null;
  notifyLevel: NotifyLevel;
  markedUnread: boolean;
  /** clearChat: this member reads no message up to this seq (0: never cleared). */
  clearedSeq: number;
  /** deleteChat of a private chat: gone for this member until a message above this seq; null otherwise. */
  deletedSeq: number | null;
}

/** An earlier membership of a former (or returned) member: they read fromSeq < seq <= toSeq. */
export interface PeriodRecord {
  chatId: string;
  userId: string;
  fromSeq: number;
  toSeq: number;
  toRev: number;
  leftAt: Date;
  /** clearChat: messages up to this seq are no longer read. */
  clearedSeq: number;
}

// title, members, unreadCount and lastMessage are field resolvers (chats.resolver.ts,
// messages.resolver.ts), batched through the request's loaders.
@ObjectType('Chat')
export class Chat {
  @Field(() => ID)
  id!: string;

  @Field(() => ChatKind)
  kind!: ChatKind;

  @Field(() => Int, { description: 'Seq of the newest message; 0 when there is none.' })
  lastSeq!: number;

  @Field(() => Int, { description: "The newest rev of the chat's change feed (see messageChanges); 0 when nothing happened yet." })
  rev!: number;

  @Field(() => Date)
  createdAt!: Date;

  @Field(() => Date, { description: 'Last activity; chats are listed newest activity first.' })
  updatedAt!: Date;

  @Field(() => String, { nullable: true, description: 'Groups: what the group is about, up to 512 characters; null when none, and for private chats.' })
  description!: string | null;

  @Field(() => Boolean, { description: 'Announcement groups: only admins send messages; the others read (and react). False for private chats.' })
  onlyAdminsCanSend!: boolean;

  @Field(() => Boolean, {
    description: 'Groups: only admins change the title, description and photo and pin messages (the default); when false, every member may.',
  })
  onlyAdminsCanEditInfo!: boolean;

  @Field(() => Int, {
    nullable: true,
    description:
      'Disappearing messages: a message sent while this is set expires this many seconds after it was sent ' +
      '(86400, 604800 or 7776000; see setChatMessageTimer). Null when off.',
  })
  messageTimer!: number | null;
}

@ObjectType('ChatMember')
export class ChatMember {
  @Field(() => ID)
  id!: string;

  @Field(() => Int, { description: 'Every message up to this seq reached this member.' })
  deliveredSeq!: number;

  // A field resolver (chats.resolver.ts): hidden in private chats by the members' read receipts setting.
  readSeq!: number;

  @Field(() => Boolean)
  isAdmin!: boolean;

  @Field(() => Date)
  joinedAt!: Date;
}

export const ChatConnection = connectionTypes('Chat', Chat, { totalCount: true });

@ObjectType('ChatChanges', { description: 'The account feed: which of my chats changed since a token.' })
export class ChatChanges {
  @Field(() => [Chat], { description: 'Changed since the token, each once, in its current state for me (a chat I left: as it was then, with leftAt).' })
  chats!: ChatRecord[];

  @Field(() => [ID], { description: 'Chats I can no longer see at all.' })
  removedChatIds!: string[];

  @Field(() => String, { description: 'Opaque; pass it back as `since`. Valid for 30 days.' })
  nextToken!: string;

  @Field(() => Boolean, { description: 'More changes wait: call again with nextToken now.' })
  hasMore!: boolean;

  @Field(() => Boolean, { description: 'The token is too old or unknown: refetch chats(), then continue from nextToken.' })
  resyncRequired!: boolean;
}

export const CHAT_SELECT = {
  id: true,
  kind: true,
  title: true,
  lastSeq: true,
  rev: true,
  createdAt: true,
  updatedAt: true,
  description: true,
  avatarId: true,
  onlyAdminsCanSend: true,
  onlyAdminsCanEditInfo: true,
  messageTimer: true,
} as const;

/** The columns of {@link CHAT_SELECT} of `"Chat" c`, for statements that return chats. */
export const CHAT_COLUMNS = Prisma.sql`c."id", c."kind"::text AS "kind", c."title", c."lastSeq", c."rev", c."createdAt", c."updatedAt",
  c."description", c."avatarId"::text AS "avatarId", c."onlyAdminsCanSend", c."onlyAdminsCanEditInfo", c."messageTimer"`;
export const MEMBER_SELECT = {
  id: true,
  chatId: true,
  userId: true,
  isAdmin: true,
  joinedAt: true,
  deliveredSeq: true,
  readSeq: true,
  historyFromSeq: true,
  muted: true,
  mutedUntil: true,
  archived: true,
  pinnedAt: true,
  notifyLevel: true,
  markedUnread: true,
  clearedSeq: true,
  deletedSeq: true,
} as const;
export const PERIOD_SELECT = { chatId: true, userId: true, fromSeq: true, toSeq: true, toRev: true, leftAt: true, clearedSeq: true } as const;
