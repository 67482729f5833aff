import { Arg, Args, Authorized, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../../graphql/context.js';
import { CurrentViewer } from '../../graphql/current-viewer.js';
import { PageArgs } from '../../graphql/page-args.js';
import { isAdmin, type Viewer } from '../../lib/viewer.js';
import { Message, type MessageRecord } from '../messages/index.js';
import { User, type UserRecord } from '../users/index.js';
import {
  Report,
  ReportAction,
  ReportConnection,
  ReportReason,
  ReportSnapshot,
  ReportStatus,
  ReportedFile,
  type ReportRecord,
  type ReportedFileRecord,
  type SnapshotRecord,
} from './reports.types.js';

const NOTE = { nullable: true, description: 'At most 1,000 characters; newlines allowed.' } as const;

@Resolver(() => Report)
export class ReportsResolver {
  @Authorized()
  @Mutation(() => Report, {
    description:
      'Reports a message I can read (NOT_FOUND otherwise) to the admins; its snapshot (text, sender, kind, chat, file) is kept for them whatever happens to it. ' +
      'Not my own, not a SYSTEM or deleted message (BAD_USER_INPUT). One open report per message per reporter (CONFLICT); RATE_LIMIT_REPORTS (RATE_LIMITED, policy REPORTS).',
  })
  reportMessage(
    @Arg('messageId', () => ID) messageId: string,
    @Arg('reason', () => ReportReason) reason: ReportReason,
    @Arg('note', () => String, NOTE) note: string | null,
    @CurrentViewer() viewer: Viewer,
    @Ctx() ctx: Context,
  ) {
    return ctx.services.reports.reportMessage(viewer, ctx.loaders, messageId, reason, note);
  }

  @Authorized()
  @Mutation(() => Report, {
    description:
      'Reports a user to the admins; not myself (BAD_USER_INPUT), an unknown user is NOT_FOUND. One open report per user per reporter (CONFLICT); RATE_LIMIT_REPORTS.',
  })
  reportUser(
    @Arg('userId', () => ID) userId: string,
    @Arg('reason', () => ReportReason) reason: ReportReason,
    @Arg('note', () => String, NOTE) note: string | null,
    @CurrentViewer() viewer: Viewer,
    @Ctx() ctx: Context,
  ) {
    return ctx.services.reports.reportUser(viewer, ctx.loaders, userId, reason, note);
  }

  @Authorized()
  @Query(() => ReportConnection, { description: 'The reports I filed, newest first, with their status.' })
  myReports(@Args(() => PageArgs) { first, after }: PageArgs, @CurrentViewer() viewer: Viewer, @Ctx() ctx: Context) {
    return ctx.services.reports.mine(viewer, { first, after });
  }

  @Authorized('ADMIN')
  @Query(() => ReportConnection, { description: 'Admins: every report (or those of one status), newest first. Every call is written to the audit log.' })
  adminReports(
    @Arg('status', () => ReportStatus, { nullable: true }) status: ReportStatus | null,
    @Args(() => PageArgs) { first, after }: PageArgs,
    @CurrentViewer() viewer: Viewer,
    @Ctx() ctx: Context,
  ) {
    return ctx.services.reports.list(viewer, { status, first, after });
  }

  @Authorized('ADMIN')
  @Mutation(() => Report, {
    description:
      'Admins: DISMISS (DISMISSED); DELETE_MESSAGE deletes the reported message for everyone, DEACTIVATE_USER deactivates the reported user ' +
      '(or the message sender) and ends their sessions (both RESOLVED). Ends the hold on the file bytes; audited. A report already resolved is CONFLICT; ' +
      'DELETE_MESSAGE on a report of a user is BAD_USER_INPUT.',
  })
  adminResolveReport(
    @Arg('reportId', () => ID) reportId: string,
    @Arg('action', () => ReportAction) action: ReportAction,
    @Arg('note', () => String, { ...NOTE, description: 'Shown to the reporter as `resolution`. At most 1,000 characters.' }) note: string | null,
    @CurrentViewer() viewer: Viewer,
    @Ctx() ctx: Context,
  ) {
    return ctx.services.reports.resolve(viewer, reportId, action, note);
  }

  @FieldResolver(() => Message, {
    nullable: true,
    description:
      'The reported message as it is now, as I may see it (a tombstone once deleted); null for a report of a user, and when I can no longer read it. Admins: see `snapshot`.',
  })
  message(@Root() report: ReportRecord, @Ctx() ctx: Context): Promise<MessageRecord | null> {
    return ctx.services.reports.liveMessage(ctx.viewer, ctx.loaders, report);
  }

  @FieldResolver(() => User, { nullable: true, description: 'The reported user, or the sender of the reported message; null once their account is gone.' })
  user(@Root() report: ReportRecord, @Ctx() ctx: Context): Promise<UserRecord | null> | null {
    return report.userId === null ? null : ctx.loaders.userById.load(report.userId);
  }

  @FieldResolver(() => User, { nullable: true, description: 'Who reported it: admins only; null for everyone else, the reporter too.' })
  reporter(@Root() report: ReportRecord, @Ctx() ctx: Context): Promise<UserRecord | null> | null {
    return isAdmin(ctx.viewer) && report.reporterId !== null ? ctx.loaders.userById.load(report.reporterId) : null;
  }

  @FieldResolver(() => ReportAction, { nullable: true, description: 'What the moderator did: admins only; null for others, and while open.' })
  action(@Root() report: ReportRecord, @Ctx() ctx: Context): ReportAction | null {
    return isAdmin(ctx.viewer) ? report.action : null;
  }

  @FieldResolver(() => ReportSnapshot, {
    nullable: true,
    description: 'The message as it was when reported: admins only; null for others and for a report of a user.',
  })
  snapshot(@Root() report: ReportRecord, @Ctx() ctx: Context): ReportSnapshot | null {
    const s = report.snapshot;
    if (!isAdmin(ctx.viewer) || s === null) return null;
    const file: ReportedFileRecord | null =
      s.fileMimeType === null
        ? null
        : reportedFile({
            mimeType: s.fileMimeType,
            size: s.fileSize ?? 0,
            fileName: s.fileName,
            width: s.fileWidth,
            height: s.fileHeight,
            checksum: s.fileChecksum ?? '',
            hold: s.fileHold,
          });
    return {
      messageId: s.messageId,
      chatId: s.chatId,
      chatKind: s.chatKind,
      chatTitle: s.chatTitle,
      seq: s.seq,
      senderId: s.senderId,
      senderUsername: s.senderUsername,
      senderDisplayName: s.senderName,
      kind: s.kind,
      text: s.text,
      sentAt: s.sentAt,
      editedAt: s.editedAt,
      forwardCount: s.forwardCount,
      file,
      files: file === null ? [] : [file, ...s.albumFiles.map(reportedFile)],
    };
  }
}

function reportedFile(kept: SnapshotRecord['albumFiles'][number]): ReportedFileRecord {
  return {
    mimeType: kept.mimeType,
    size: kept.size,
    originalName: kept.fileName,
    width: kept.width,
    height: kept.height,
    sha256: kept.checksum,
    held: kept.hold !== null,
    hold: kept.hold,
  };
}

@Resolver(() => ReportedFile)
export class ReportedFileResolver {
  @FieldResolver(() => String, {
    nullable: true,
    description: 'Signed and short-lived, like File.url; works until the report is resolved, also after the message was deleted; null after.',
  })
  url(@Root() file: ReportedFileRecord, @Ctx() ctx: Context): string | null {
    return file.hold ? ctx.services.files.url(file.hold, 'original', ctx.origin) : null;
  }

  @FieldResolver(() => String, { nullable: true, description: 'Images: the webp preview, while held; null otherwise.' })
  thumbnailUrl(@Root() file: ReportedFileRecord, @Ctx() ctx: Context): string | null {
    return file.hold ? ctx.services.files.url(file.hold, 'thumbnail', ctx.origin) : null;
  }
}
