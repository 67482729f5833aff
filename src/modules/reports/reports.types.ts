import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { ReportAction, ReportReason, ReportStatus } from '../../generated/prisma/enums.js';
import type { ChatKind as ChatKindValue, MessageKind as MessageKindValue } from '../../generated/prisma/enums.js';
import { connectionTypes } from '../../lib/relay.js';
import { ChatKind } from '../chats/index.js';
import { MessageKind } from '../messages/index.js';

export { ReportAction, ReportReason, ReportStatus };
registerEnumType(ReportReason, { name: 'ReportReason' });
registerEnumType(ReportStatus, {
  name: 'ReportStatus',
  description: 'OPEN until a moderator acts: RESOLVED (a message deleted, a user deactivated) or DISMISSED.',
});
registerEnumType(ReportAction, { name: 'ReportAction' });

/** The snapshot of a reported message, as stored (see ReportSnapshot in prisma/schema.prisma). */
export interface SnapshotRecord {
  messageId: string;
  chatId: string;
  chatKind: ChatKindValue;
  chatTitle: string | null;
  seq: number;
  senderId: string | null;
  senderUsername: string | null;
  senderName: string | null;
  kind: MessageKindValue;
  text: string | null;
  sentAt: Date;
  editedAt: Date | null;
  forwardCount: number;
  fileMimeType: string | null;
  fileSize: number | null;
  fileName: string | null;
  fileWidth: number | null;
  fileHeight: number | null;
  fileChecksum: string | null;
  /** The hold on the bytes (FilesService.hold) until the report is resolved. */
  fileHold: { id: string; thumbnailKey: string | null } | null;
  /** An album's other files, in order. */
  albumFiles: {
    mimeType: string;
    size: number;
    fileName: string | null;
    width: number | null;
    height: number | null;
    checksum: string;
    hold: { id: string; thumbnailKey: string | null } | null;
  }[];
}

/** A Report row with its snapshot, as services and resolvers pass it around. */
export interface ReportRecord {
  id: string;
  reporterId: string | null;
  messageId: string | null;
  userId: string | null;
  reason: ReportReason;
  note: string | null;
  status: ReportStatus;
  action: ReportAction | null;
  resolution: string | null;
  resolvedAt: Date | null;
  createdAt: Date;
  snapshot: SnapshotRecord | null;
}

export const REPORT_SELECT = {
  id: true,
  reporterId: true,
  messageId: true,
  userId: true,
  reason: true,
  note: true,
  status: true,
  action: true,
  resolution: true,
  resolvedAt: true,
  createdAt: true,
  snapshot: {
    select: {
      messageId: true,
      chatId: true,
      chatKind: true,
      chatTitle: true,
      seq: true,
      senderId: true,
      senderUsername: true,
      senderName: true,
      kind: true,
      text: true,
      sentAt: true,
      editedAt: true,
      forwardCount: true,
      fileMimeType: true,
      fileSize: true,
      fileName: true,
      fileWidth: true,
      fileHeight: true,
      fileChecksum: true,
      fileHold: { select: { id: true, thumbnailKey: true } },
      albumFiles: {
        orderBy: { position: 'asc' },
        select: { mimeType: true, size: true, fileName: true, width: true, height: true, checksum: true, hold: { select: { id: true, thumbnailKey: true } } },
      },
    },
  },
} as const;

// message, user, reporter, action and snapshot are field resolvers (reports.resolver.ts): they depend on who asks.
@ObjectType('Report', { description: 'A report of a message or of a user. The reporter sees it in myReports; admins in adminReports.' })
export class Report {
  @Field(() => ID)
  id!: string;

  @Field(() => ReportReason)
  reason!: ReportReason;

  @Field(() => String, { nullable: true, description: "The reporter's note (≤ 1,000 characters)." })
  note!: string | null;

  @Field(() => ReportStatus)
  status!: ReportStatus;

  @Field(() => Date)
  createdAt!: Date;

  @Field(() => Date, { nullable: true, description: 'When a moderator resolved or dismissed it; null while open.' })
  resolvedAt!: Date | null;

  @Field(() => String, { nullable: true, description: "The moderator's note on resolving (≤ 1,000 characters); the reporter sees it." })
  resolution!: string | null;
}

export const ReportConnection = connectionTypes('Report', Report, { totalCount: false });

// url and thumbnailUrl are field resolvers (reports.resolver.ts).
@ObjectType('ReportedFile', { description: "A reported message's attachment as it was. Admins only." })
export class ReportedFile {
  @Field(() => String)
  mimeType!: string;

  @Field(() => Int)
  size!: number;

  @Field(() => String, { nullable: true })
  originalName!: string | null;

  @Field(() => Int, { nullable: true })
  width!: number | null;

  @Field(() => Int, { nullable: true })
  height!: number | null;

  @Field(() => String, { description: 'sha256 (hex) of the stored bytes.' })
  sha256!: string;

  @Field(() => Boolean, { description: 'The bytes are kept for the moderators (until the report is resolved), also after the message is deleted.' })
  held!: boolean;
}

/** What ReportedFile's field resolvers need beside its fields. */
export interface ReportedFileRecord extends ReportedFile {
  hold: { id: string; thumbnailKey: string | null } | null;
}

// file is a field resolver (reports.resolver.ts).
@ObjectType('ReportSnapshot', {
  description: 'A reported message as it was when reported, kept whatever happens to it later (edited, deleted, expired). Admins only.',
})
export class ReportSnapshot {
  @Field(() => ID)
  messageId!: string;

  @Field(() => ID)
  chatId!: string;

  @Field(() => ChatKind)
  chatKind!: ChatKindValue;

  @Field(() => String, { nullable: true, description: "The group's title then; null for a private chat." })
  chatTitle!: string | null;

  @Field(() => Int)
  seq!: number;

  @Field(() => ID, { nullable: true })
  senderId!: string | null;

  @Field(() => String, { nullable: true, description: "The sender's username then." })
  senderUsername!: string | null;

  @Field(() => String, { nullable: true, description: "The sender's display name then." })
  senderDisplayName!: string | null;

  @Field(() => MessageKind)
  kind!: MessageKindValue;

  @Field(() => String, { nullable: true, description: 'The text (or caption) when reported.' })
  text!: string | null;

  @Field(() => Date)
  sentAt!: Date;

  @Field(() => Date, { nullable: true })
  editedAt!: Date | null;

  @Field(() => Int)
  forwardCount!: number;

  @Field(() => ReportedFile, { nullable: true, description: 'Media messages: the attachment as it was (an album: its first file).' })
  file!: ReportedFileRecord | null;

  @Field(() => [ReportedFile], { description: 'Every attachment as it was, in order (an album holds up to 10); empty for a text message.' })
  files!: ReportedFileRecord[];
}
